import type { TopError } from './errors';

export interface RetryOptions {
  /** retries after the first attempt (so attempts = retries + 1 at most) */
  retries: number;
  /** also retry methods that create or change something after the request may have reached the server */
  retryWrites: boolean;
  /** code 7 bans up to this many seconds are waited out and retried; longer ones are reported */
  maxBanSeconds: number;
  /** first backoff step; doubles per attempt, with full jitter */
  baseDelayMs: number;
  maxDelayMs: number;
  /** isp.* sub codes are server faults but some are really parameter errors: retry them this often at most */
  maxIspRetries: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 2,
  retryWrites: false,
  maxBanSeconds: 60,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxIspRetries: 2,
};

/** Sub codes that are throttling by the TBK service or the platform: back off slowly. */
export const THROTTLE_SUB_CODES = new Set(['9100', '50002']);

/** isp.* codes that are documented as isp but are parameter errors: never retried. */
const NON_RETRYABLE_ISP = new Set([
  'isp.relation-id-not-corrent',
  'isp.special-id-not-corrent',
  'isp.rebate-id-not-match',
]);

/** Platform codes that are transient server trouble. */
const TRANSIENT_CODES = new Set([1, 10]);

/** Transient sub codes outside isp.* (TBK: 40001 调用失败 – 请重新调用). */
const TRANSIENT_SUB_CODES = new Set(['40001']);

/** Whether a TOP error_response is worth another attempt (before the write/attempt limits apply). */
export function isRetryableTopError(
  code: number | undefined,
  subCode: string | undefined,
  banSeconds: number | undefined,
  options: RetryOptions,
): boolean {
  if (code === 7) return banSeconds !== undefined && banSeconds <= options.maxBanSeconds;
  if (subCode !== undefined) {
    if (THROTTLE_SUB_CODES.has(subCode) || TRANSIENT_SUB_CODES.has(subCode)) return true;
    if (subCode.startsWith('isp.')) return !NON_RETRYABLE_ISP.has(subCode);
    if (subCode.startsWith('isv.')) return false;
  }
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** "This ban will last for 31062 more seconds" -> 31062 */
export function parseBanSeconds(subMsg: string | undefined): number | undefined {
  if (!subMsg) return undefined;
  const m = /ban will last for (\d+) more seconds?/i.exec(subMsg);
  return m ? Number(m[1]) : undefined;
}

/** Exponential backoff with full jitter; bans are waited out exactly, plus a little jitter. */
export function retryDelayMs(
  error: TopError,
  retryNumber: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  if (error.ban_seconds !== undefined) return error.ban_seconds * 1000 + Math.floor(random() * 250);
  const slow = error.kind === 'throttled' ? 4 : 1;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * slow * 2 ** (retryNumber - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Whether the failed attempt may be repeated. Writes are repeated only when the request
 * certainly did not run: it never left this process, the connection was never made, or the
 * gateway answered that it refused it (throttling answers and other error_responses are
 * definite rejections; a reset, a 5xx or a timeout is not).
 */
export function shouldRetry(
  error: TopError,
  attempt: number,
  ispRetriesSoFar: number,
  writes: boolean,
  requestMayHaveRun: boolean,
  options: RetryOptions,
): boolean {
  if (!error.retryable) return false;
  if (attempt > options.retries) return false;
  if (writes && !options.retryWrites && requestMayHaveRun) return false;
  if (error.sub_code?.startsWith('isp.') && ispRetriesSoFar >= options.maxIspRetries) return false;
  return true;
}
