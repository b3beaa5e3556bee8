import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import type { Dispatcher, FormData } from 'undici';
import { TopError } from './errors';
import { messageFields } from './messages';

/** The largest answer read by default, raw and inflated: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** the body as sent, inflated when it came gzip, deflate or br encoded */
  body: Buffer;
}

export interface PostOptions {
  signal?: AbortSignal;
  /** the cap on the body, raw and inflated (default 16 MiB): a larger answer fails, not retryable */
  maxBytes?: number;
  /** when the request went out and when its answer began to come back (for the rate limit: see ArrivalBound) */
  stamps?: ExchangeStamps;
}

/** Told the two moments of an exchange that bound when the request reached the gateway. */
export interface ExchangeStamps {
  /** the request is being written to a connected socket */
  sent(): void;
  /** the answer's status line and headers have arrived (before its body is read, inflated or parsed) */
  answered(): void;
}

/** "16 MiB", "64 KiB", "1000 bytes": a byte count as a user set it. */
export function formatByteSize(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

function tooLarge(status: number, maxBytes: number, encoding: string | undefined): TopError {
  const limit = formatByteSize(maxBytes);
  if (encoding) {
    return new TopError({
      kind: 'transport',
      status,
      retryable: false,
      ...messageFields('transport.tooLargeInflated', { limit, encoding }),
    });
  }
  return new TopError({
    kind: 'transport',
    status,
    retryable: false,
    ...messageFields('transport.tooLarge', { limit }),
  });
}

type Decoder = Gunzip | ReturnType<typeof createInflate> | ReturnType<typeof createBrotliDecompress>;

const DECODERS: Record<string, () => Decoder> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The decoders of a Content-Encoding header, in the order to apply them (the last coding first); unknown codings pass through. */
function decodersFor(contentEncoding: unknown): { names: string[]; chain: Decoder[] } {
  const tokens = String(contentEncoding ?? '')
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t in DECODERS);
  const names = tokens.reverse();
  return { names, chain: names.map((name) => DECODERS[name]!()) };
}

/**
 * One POST through undici's dispatcher API, the body collected as bytes and inflated as it arrives.
 *
 * `undici.request` wraps every answer in a Readable stream that the client would only drain into
 * a Buffer; the handler API hands the chunks over directly, which costs about 200 µs less CPU per
 * 80 KB answer. The body is bounded: more than `maxBytes` raw or inflated (a gzip bomb, an endless
 * chunked body) stops the download at once and rejects with a non-retryable transport TopError, so
 * a call holds at most about twice `maxBytes` (the inflated chunks, then the one Buffer of them).
 * Inflation runs chunk by chunk under backpressure and stops when the signal aborts: a timeout covers
 * receiving and inflating. Rejects with the signal's reason when it aborts, as `request` does.
 */
export function post(
  dispatcher: Dispatcher,
  url: string,
  body: string | FormData,
  headers: Record<string, string>,
  signalOrOptions?: AbortSignal | PostOptions,
): Promise<Answer> {
  const options: PostOptions =
    signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : (signalOrOptions ?? {});
  const { signal } = options;
  const maxBytes =
    options.maxBytes !== undefined && options.maxBytes > 0 ? options.maxBytes : DEFAULT_MAX_RESPONSE_BYTES;
  return new Promise<Answer>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const target = new URL(url);
    const chunks: Buffer[] = [];
    let size = 0;
    let rawSize = 0;
    let status = 0;
    let answerHeaders: Answer['headers'] = {};
    let controller: Dispatcher.DispatchController | undefined;
    let decoders: Decoder[] = [];
    let encoding: string | undefined;
    let settled = false;
    const stopDecoding = (): void => {
      for (const decoder of decoders) decoder.destroy();
    };
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    /** Stops the download and the inflation, and rejects. */
    const fail = (error: Error): void => {
      if (settled) return;
      settle(() => reject(error));
      stopDecoding();
      if (controller && !controller.aborted) controller.abort(error);
    };
    const onAbort = (): void => fail(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge(status, maxBytes, encoding));
      chunks.push(chunk);
    };
    const finish = (): void =>
      settle(() => resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks, size) }));

    dispatcher.dispatch(
      { origin: target.origin, path: target.pathname + target.search, method: 'POST', headers, body },
      {
        // called as the request is written to a connected socket
        onRequestStart(started) {
          controller = started;
          if (settled) started.abort(new Error('the answer is no longer awaited'));
          else options.stamps?.sent();
        },
        onResponseStart(started, statusCode, responseHeaders) {
          options.stamps?.answered();
          status = statusCode;
          answerHeaders = responseHeaders;
          const declared = Number(responseHeaders['content-length']);
          if (Number.isFinite(declared) && declared > maxBytes) return fail(tooLarge(status, maxBytes, undefined));
          const { names, chain } = decodersFor(responseHeaders['content-encoding']);
          if (chain.length === 0) return;
          encoding = names.join(', ');
          decoders = chain;
          for (let i = 0; i < chain.length - 1; i++) chain[i]!.pipe(chain[i + 1]!);
          const first = chain[0]!;
          const last = chain[chain.length - 1]!;
          first.on('drain', () => {
            if (!settled && started.paused) started.resume();
          });
          last.on('data', (chunk: Buffer) => collect(chunk));
          last.on('end', finish);
          const corrupt = (err: Error): void =>
            fail(
              new TopError(
                {
                  kind: 'transport',
                  status,
                  retryable: true,
                  ...messageFields('transport.corrupt', { encoding: encoding! }),
                },
                { cause: err },
              ),
            );
          for (const decoder of chain) decoder.on('error', corrupt);
        },
        onResponseData(started, chunk) {
          if (settled) return;
          rawSize += chunk.length;
          if (rawSize > maxBytes) return fail(tooLarge(status, maxBytes, undefined));
          if (decoders.length === 0) return collect(chunk);
          // inflate under backpressure: stop reading the socket while zlib has a full buffer
          if (!decoders[0]!.write(chunk)) started.pause();
        },
        onResponseEnd() {
          if (settled) return;
          if (decoders.length === 0) return finish();
          decoders[0]!.end();
        },
        onResponseError(_controller, error) {
          fail(error);
        },
      },
    );
  });
}
