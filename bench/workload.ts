/** The call every contender makes, and the closed loop that keeps a number of calls outstanding. */
import { DEFAULT_APP } from '../lib/sandbox/index';
import { SEARCH_METHOD, VARIANT_QUERY, type BodyVariant } from './bodies';

export const APP_KEY = DEFAULT_APP.appKey;
export const APP_SECRET = DEFAULT_APP.appSecret;
export const METHOD = SEARCH_METHOD;

/** A typical material search: a Chinese keyword, paging, a filter and a sort. */
export function searchParams(variant: BodyVariant = 'items20'): Record<string, string | number | boolean> {
  return {
    adzone_id: 123456789,
    q: VARIANT_QUERY[variant],
    page_size: variant === 'large' ? 100 : 20,
    page_no: 1,
    has_coupon: true,
    sort: 'tk_rate_des',
    material_id: 80309,
  };
}

export interface LoopOutcome {
  ok: number;
  errors: number;
  firstError?: string;
  ms: number;
}

/**
 * Starts `concurrency` calls and a new one as each finishes, until `calls` have finished.
 * `start(done)` begins one call and reports its end through done (an error, or nothing).
 */
export function closedLoop(
  concurrency: number,
  calls: number,
  start: (done: (err?: unknown) => void) => void,
): Promise<LoopOutcome> {
  return new Promise((resolve) => {
    const began = performance.now();
    let started = 0;
    let finished = 0;
    const outcome: LoopOutcome = { ok: 0, errors: 0, ms: 0 };
    const next = (): void => {
      started++;
      let reported = false;
      start((err) => {
        if (reported) return;
        reported = true;
        finished++;
        if (err === undefined) outcome.ok++;
        else {
          outcome.errors++;
          outcome.firstError ??= err instanceof Error ? err.message : JSON.stringify(err);
        }
        if (finished === calls) {
          outcome.ms = performance.now() - began;
          resolve(outcome);
        } else if (started < calls) next();
      });
    };
    for (let i = 0; i < Math.min(concurrency, calls); i++) next();
  });
}

/** closedLoop over a promise-returning call. */
export function closedLoopAsync(
  concurrency: number,
  calls: number,
  call: () => Promise<unknown>,
): Promise<LoopOutcome> {
  return closedLoop(concurrency, calls, (done) => {
    call().then(
      () => done(),
      (err: unknown) => done(err ?? new Error('rejected without a reason')),
    );
  });
}
