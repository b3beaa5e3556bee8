import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { Agent, FormData, request } from 'undici';
import { describeTopError, TopError } from './errors';
import { encodeParams, type EncodedParams } from './encode';
import { parseJsonLossless } from './json';
import { RateLimiter, type CallLimiter, type RateLimitOptions } from './ratelimit';
import { detectBusinessFailure, unwrapBody, type BusinessRules } from './response';
import { DEFAULT_RETRY, isRetryableTopError, parseBanSeconds, retryDelayMs, shouldRetry, THROTTLE_SUB_CODES, type RetryOptions } from './retry';
import { sign, SIGN_METHODS, type SignMethod } from './sign';
import { topTimestamp } from './time';

export const DEFAULT_ENDPOINT = 'https://eco.taobao.com/router/rest';
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 40, concurrency: 16 };

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

const CONNECT_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

/** A failed attempt, with whether the request may have run on the server. */
interface AttemptFailure {
  error: TopError;
  mayHaveRun: boolean;
}

function formEncode(text: Record<string, string>): string {
  let body = '';
  for (const key in text) {
    if (body) body += '&';
    body += encodeURIComponent(key) + '=' + encodeURIComponent(text[key]!);
  }
  return body;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

function abortReason(signal: AbortSignal | undefined, method: string): TopError {
  const reason: unknown = signal?.reason;
  if (reason instanceof TopError) return reason;
  return new TopError({ kind: 'aborted', method, message: `Call to ${method} aborted` });
}

/**
 * A Taobao Open Platform client: signs every call freshly, sends it over a keep-alive
 * undici pool, parses the answer losslessly, classifies failures and retries the transient
 * ones within a rate limit. Knows nothing of Node-RED.
 */
export class TopClient {
  readonly endpoint: string;
  readonly signMethod: SignMethod;
  private readonly appKey: string;
  private readonly appSecret: string;
  private readonly session?: string;
  private readonly partnerId?: string;
  private readonly targetAppKey?: string;
  private readonly simplify: boolean;
  private readonly timeoutMs: number;
  private readonly clockOffsetMs: number;
  private readonly retry: RetryOptions;
  private readonly limiter: CallLimiter;
  private readonly agent: Agent;
  private readonly controllers = new Set<AbortController>();
  private closed = false;

  constructor(options: TopClientOptions) {
    if (!options || typeof options.appKey !== 'string' || options.appKey.trim() === '') throw new TopError({ kind: 'validation', param: 'appKey', message: 'TopClient needs an App Key (appKey)' });
    if (typeof options.appSecret !== 'string' || options.appSecret === '') throw new TopError({ kind: 'validation', param: 'appSecret', message: 'TopClient needs an App Secret (appSecret)' });
    const signMethod = options.signMethod ?? 'md5';
    if (!SIGN_METHODS.includes(signMethod)) throw new TopError({ kind: 'validation', param: 'signMethod', message: `Unknown sign method "${String(signMethod)}": use md5, hmac or hmac-sha256` });
    const endpoint = options.endpoint?.trim() || DEFAULT_ENDPOINT;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TopError({ kind: 'validation', param: 'endpoint', message: `Endpoint "${endpoint}" is not a URL` });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TopError({ kind: 'validation', param: 'endpoint', message: `Endpoint "${endpoint}" must be http or https` });
    this.endpoint = url.toString();
    this.appKey = options.appKey.trim();
    this.appSecret = options.appSecret;
    this.signMethod = signMethod;
    this.session = options.session?.trim() || undefined;
    this.partnerId = options.partnerId?.trim() || undefined;
    this.targetAppKey = options.targetAppKey?.trim() || undefined;
    this.simplify = options.simplify === true;
    this.timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.retry = options.retry === false ? { ...DEFAULT_RETRY, retries: 0 } : { ...DEFAULT_RETRY, ...stripUndefined(options.retry ?? {}) };
    const limits = options.rateLimit === false ? { perSecond: 0, concurrency: 0 } : { ...DEFAULT_RATE_LIMIT, ...stripUndefined(options.rateLimit ?? {}) };
    this.limiter = options.limiter ?? new RateLimiter(limits);
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: limits.concurrency > 0 ? limits.concurrency : null });
  }

  /** Calls in flight (started, not finished). */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  /** Calls waiting for the rate limit. */
  get queued(): number {
    return this.limiter.queued;
  }

  /** Calls a method and resolves to the unwrapped response (the object inside <name>_response). */
  async call(method: string, params?: Record<string, unknown>, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return (await this.request(method, params, options)).response;
  }

  /** Like call(), with the request id, the number of attempts and the duration. */
  async request(method: string, params?: Record<string, unknown>, options: CallOptions = {}): Promise<CallResult> {
    const started = performance.now();
    if (typeof method !== 'string' || !/^[a-z0-9_]+(\.[a-z0-9_]+)+$/i.test(method.trim())) {
      throw new TopError({ kind: 'validation', param: 'method', method: typeof method === 'string' ? method : undefined, message: `"${String(method)}" is not a TOP method name (like taobao.tbk.item.info.get)` });
    }
    method = method.trim();
    if (this.closed) throw new TopError({ kind: 'aborted', method, message: 'Client closed' });
    let encoded: EncodedParams;
    try {
      encoded = encodeParams(params);
    } catch (err) {
      if (err instanceof TopError) err.method = method;
      throw err;
    }
    const controller = new AbortController();
    const outer = options.signal;
    const onOuterAbort = () => controller.abort(abortReason(outer, method));
    if (outer?.aborted) throw abortReason(outer, method);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.controllers.add(controller);
    const session = options.session?.trim() || this.session;
    let ispRetries = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        const release = await this.limiter.acquire(controller.signal).catch((err: unknown) => {
          throw err instanceof TopError ? Object.assign(err, { method, attempts: attempt - 1 }) : err;
        });
        let outcome: CallResult | AttemptFailure;
        try {
          outcome = await this.attempt(method, encoded, session, options, controller.signal);
        } finally {
          release();
        }
        if (!('error' in outcome)) {
          outcome.attempts = attempt;
          outcome.duration_ms = Math.round(performance.now() - started);
          return outcome;
        }
        const { error } = outcome;
        error.attempts = attempt;
        error.method = method;
        if (error.kind === 'aborted' || !shouldRetry(error, attempt, ispRetries, options.writes === true, outcome.mayHaveRun, this.retry)) throw error;
        if (error.sub_code?.startsWith('isp.')) ispRetries++;
        const delayMs = retryDelayMs(error, attempt, this.retry);
        options.onRetry?.({ attempt, delayMs, error });
        try {
          await sleep(delayMs, controller.signal);
        } catch {
          throw Object.assign(abortReason(controller.signal, method), { attempts: attempt });
        }
      }
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      this.controllers.delete(controller);
    }
  }

  /** Aborts every queued and in-flight call (they fail with kind 'aborted') and closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.limiter.close();
    for (const controller of this.controllers) controller.abort(new TopError({ kind: 'aborted', message: 'Client closed while the call was in flight' }));
    await this.agent.destroy().catch(() => undefined);
  }

  /** The signed text parameters of one attempt (system + business), as they go on the wire. */
  signedParams(method: string, text: Record<string, string>, session: string | undefined, timestamp: string = topTimestamp(this.clockOffsetMs)): Record<string, string> {
    const all: Record<string, string> = { ...text, method, app_key: this.appKey, timestamp, format: 'json', v: '2.0', sign_method: this.signMethod };
    if (session) all.session = session;
    if (this.partnerId) all.partner_id = this.partnerId;
    if (this.targetAppKey) all.target_app_key = this.targetAppKey;
    if (this.simplify) all.simplify = 'true';
    all.sign = sign(all, this.appSecret, this.signMethod);
    return all;
  }

  private async attempt(method: string, encoded: EncodedParams, session: string | undefined, options: CallOptions, outer: AbortSignal): Promise<CallResult | AttemptFailure> {
    const all = this.signedParams(method, encoded.text, session);
    const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : this.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TopError({ kind: 'timeout', method, retryable: true, message: `No answer from the gateway within ${timeoutMs} ms` })), timeoutMs);
    const onOuterAbort = () => controller.abort(outer.reason);
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener('abort', onOuterAbort, { once: true });
    let sent = false;
    try {
      let body: string | FormData;
      let contentType: string | undefined;
      const fileNames = Object.keys(encoded.files);
      if (fileNames.length === 0) {
        body = formEncode(all);
        contentType = 'application/x-www-form-urlencoded;charset=utf-8';
      } else {
        const form = new FormData();
        for (const key in all) form.append(key, all[key]!);
        for (const name of fileNames) {
          const file = encoded.files[name]!;
          form.append(name, new Blob([file.data], { type: file.contentType ?? 'application/octet-stream' }), file.filename ?? name);
        }
        body = form;
      }
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate', 'user-agent': 'node-red-taobaoke' };
      if (contentType) headers['content-type'] = contentType;
      sent = true;
      const res = await request(this.endpoint, { method: 'POST', headers, body, dispatcher: this.agent, signal: controller.signal });
      const raw = Buffer.from(await res.body.arrayBuffer());
      return await this.interpret(method, res.statusCode, res.headers, raw, options);
    } catch (err) {
      return this.failure(method, err, controller.signal, sent);
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    }
  }

  private failure(method: string, err: unknown, signal: AbortSignal, sent: boolean): AttemptFailure {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      const error = reason instanceof TopError ? new TopError(reason.toJSON(), { cause: err }) : new TopError({ kind: 'aborted', method, message: `Call to ${method} aborted` });
      return { error, mayHaveRun: sent };
    }
    if (err instanceof TopError) return { error: err, mayHaveRun: true };
    const code = (err as { code?: string }).code;
    const connectFailed = code !== undefined && CONNECT_ERROR_CODES.has(code);
    const message = connectFailed ? `Cannot connect to the gateway ${new URL(this.endpoint).host} (${code})` : `Connection to the gateway failed: ${(err as Error).message ?? String(err)}${code ? ` (${code})` : ''}`;
    return { error: new TopError({ kind: 'transport', method, retryable: true, message }, { cause: err }), mayHaveRun: sent && !connectFailed };
  }

  private async interpret(method: string, status: number, headers: Record<string, string | string[] | undefined>, raw: Buffer, options: CallOptions): Promise<CallResult | AttemptFailure> {
    const encoding = String(headers['content-encoding'] ?? '').toLowerCase();
    let bytes = raw;
    try {
      if (encoding.includes('gzip')) bytes = await gunzipAsync(raw);
      else if (encoding.includes('deflate')) bytes = await inflateAsync(raw);
      else if (encoding.includes('br')) bytes = await brotliAsync(raw);
    } catch (err) {
      return { error: new TopError({ kind: 'transport', method, status, retryable: true, message: `Corrupt ${encoding} body from the gateway` }, { cause: err }), mayHaveRun: true };
    }
    const text = bytes.toString('utf8');
    if (status < 200 || status >= 300) {
      const page = /<title>([^<]{0,80})<\/title>/i.exec(text)?.[1]?.trim();
      return { error: new TopError({ kind: 'transport', method, status, retryable: status >= 500 || status === 429, message: `HTTP ${status} from the gateway${page ? ` (${page})` : ''}` }), mayHaveRun: true };
    }
    if (text.trim() === '') return { error: new TopError({ kind: 'transport', method, status, retryable: true, message: 'Empty answer from the gateway' }), mayHaveRun: true };
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(text);
    } catch {
      const looksHtml = /^\s*</.test(text);
      return { error: new TopError({ kind: 'transport', method, status, retryable: true, message: looksHtml ? 'The gateway answered an HTML page instead of JSON' : 'The gateway answered malformed or truncated JSON' }), mayHaveRun: true };
    }
    const unwrapped = unwrapBody(method, parsed, this.simplify);
    if (unwrapped.ok === 'unexpected') {
      return { error: new TopError({ kind: 'transport', method, status, message: `Unexpected answer: no ${method} response or error_response in the body` }), mayHaveRun: true };
    }
    if (unwrapped.ok === false) {
      const { code, msg, sub_code, sub_msg, request_id } = unwrapped.error;
      const banSeconds = code === 7 ? parseBanSeconds(sub_msg) : undefined;
      const throttled = code === 7 || (sub_code !== undefined && THROTTLE_SUB_CODES.has(sub_code));
      const retryable = isRetryableTopError(code, sub_code, banSeconds, this.retry);
      const error = new TopError({ kind: throttled ? 'throttled' : 'top', method, code, msg, sub_code, sub_msg, request_id, ban_seconds: banSeconds, retryable, message: describeTopError(code, msg, sub_code, sub_msg) });
      // a throttling answer is a refusal: the call did not run
      return { error, mayHaveRun: !throttled };
    }
    const failure = detectBusinessFailure(unwrapped.response, options.business);
    if (failure) {
      const numeric = failure.code !== undefined && /^-?\d+$/.test(failure.code) ? Number(failure.code) : undefined;
      const message = `Business failure${failure.code !== undefined ? ` (${failure.code})` : ''}: ${failure.message}`;
      return { error: new TopError({ kind: 'business', method, code: numeric, sub_code: failure.code, msg: failure.message, request_id: unwrapped.request_id, message }), mayHaveRun: true };
    }
    return { response: unwrapped.response, request_id: unwrapped.request_id, attempts: 0, duration_ms: 0 };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
