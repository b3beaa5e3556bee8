/** What TopClient takes and gives: its options, a call's options and result, a batch's. */
import type { CallLimiter, RateLimitOptions } from '../limits/ratelimit';
import type { TopError } from './errors';
import type { BusinessRules } from './response';
import type { RetryOptions } from './retry';
import type { SignMethod } from './sign';

export interface TopClientOptions {
  appKey: string;
  appSecret: string;
  /** gateway URL; default https://eco.taobao.com/router/rest */
  endpoint?: string;
  signMethod?: SignMethod;
  /** per attempt; default 15 s */
  timeoutMs?: number;
  retry?: Partial<RetryOptions> | false;
  /** default 40 calls/s and 16 in flight (TBK throttles an Alimama account at about 40 calls/s) */
  rateLimit?: Partial<RateLimitOptions> | false;
  /** default session for methods that need a user's authorization */
  session?: string;
  partnerId?: string;
  targetAppKey?: string;
  /** TOP's compact JSON (no <name>_response wrapper, bare lists) */
  simplify?: boolean;
  /** milliseconds to add to the host clock when stamping requests (hosts whose clock is off) */
  clockOffsetMs?: number;
  /** a limiter shared beyond this client (e.g. Redis-backed); replaces the in-process rateLimit */
  limiter?: CallLimiter;
  /** URL of batch calls; default: the endpoint with /router/rest replaced by /router/batch */
  batchEndpoint?: string;
  /**
   * the largest answer read, raw and inflated; default 16 MiB. A larger one fails at once (a
   * transport error, not retried), and a call in flight holds at most about twice this much.
   */
  maxResponseBytes?: number;
}

export interface CallOptions {
  /** overrides the client's session (服务商 methods with a per-user authorization) */
  session?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** the method creates or changes something: not retried once the request may have reached the server */
  writes?: boolean;
  /** extra business-failure rules of the method (see detectBusinessFailure) */
  business?: BusinessRules;
  /** told before each retry: for status displays */
  onRetry?: (info: { attempt: number; delayMs: number; error: TopError }) => void;
}

export interface CallResult {
  response: Record<string, unknown>;
  request_id?: string;
  attempts: number;
  duration_ms: number;
}

export interface BatchOptions extends CallOptions {
  /** between the calls of the request and of the answer; default "\r\n-S-\r\n"; a custom one needs a tab (see checkSeparator) */
  separator?: string;
}

/** One call of a batch: its response, or why it failed. */
export type BatchCallResult =
  | { ok: true; response: Record<string, unknown>; request_id?: string; attempts: number }
  | { ok: false; error: TopError };

export interface BatchResult {
  /** one per call, in input order */
  results: BatchCallResult[];
  /** HTTP requests sent (retries of the batch and of the throttled calls included) */
  requests: number;
  duration_ms: number;
}
