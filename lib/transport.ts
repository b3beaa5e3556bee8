import type { Dispatcher, FormData } from 'undici';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One POST through undici's dispatcher API, the body collected as bytes.
 *
 * `undici.request` wraps every answer in a Readable stream that the client would only drain into
 * a Buffer; the handler API hands the chunks over directly, which costs about 200 µs less CPU per
 * 80 KB answer. Rejects with the signal's reason when it aborts, as `request` does. `onSent` is told
 * when the request is being written to a connected socket (for the rate limit: see RateLimiter).
 */
export function post(dispatcher: Dispatcher, url: string, body: string | FormData, headers: Record<string, string>, signal?: AbortSignal, onSent?: () => void): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const target = new URL(url);
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let answerHeaders: RawAnswer['headers'] = {};
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = (): void => {
      const reason = signal!.reason as Error;
      controller?.abort(reason);
      settle(() => reject(reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(
      { origin: target.origin, path: target.pathname + target.search, method: 'POST', headers, body },
      {
        // called as the request is written to a connected socket
        onRequestStart(started) {
          controller = started;
          if (signal?.aborted) started.abort(signal.reason as Error);
          else onSent?.();
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          answerHeaders = responseHeaders;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
          size += chunk.length;
        },
        onResponseEnd() {
          settle(() => resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks, size) }));
        },
        onResponseError(_controller, error) {
          settle(() => reject(error));
        },
      },
    );
  });
}
