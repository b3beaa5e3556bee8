/** Waiting and giving up: a sleep that a signal cuts short, and the error of a call that was aborted. */
import { TopError } from './errors';
import { messageFields } from './messages';

/** Resolves after `ms`; rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why a call was aborted: the TopError the signal was aborted with, else a plain 'aborted' one. */
export function abortReason(signal: AbortSignal | undefined, method: string): TopError {
  const reason: unknown = signal?.reason;
  if (reason instanceof TopError) return reason;
  return new TopError({ kind: 'aborted', method, ...messageFields('client.aborted', { method }) });
}
