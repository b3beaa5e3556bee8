/**
 * Waiting and giving up: a sleep that a signal cuts short, the error of a call that was aborted, and one
 * signal that follows several.
 */
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

/**
 * A signal of the job's own that is aborted (with the same reason) as soon as any of `signals` is;
 * dispose() stops following the sources once the job is over (AbortSignal.any has no such end).
 */
export function linkedSignal(...signals: Array<AbortSignal | undefined>): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const followed: Array<[AbortSignal, () => void]> = [];
  for (const source of signals) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const follow = (): void => controller.abort(source.reason);
    source.addEventListener('abort', follow, { once: true });
    followed.push([source, follow]);
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [source, follow] of followed.splice(0)) source.removeEventListener('abort', follow);
    },
  };
}
