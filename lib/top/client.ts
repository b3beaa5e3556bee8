import { Agent } from 'undici';
import { abortReason, sleep } from './abort';
import { interpretBytes, isAttemptFailure, transportFailure, type AnswerRules, type AttemptFailure } from './answer';
import { ArrivalBound } from './arrival';
import { encodeBatchCalls, batchOutcomes, sendInRounds } from './batch-rounds';
import { DEFAULT_BATCH_SEPARATOR, checkSeparator } from './batch-wire';
import type { BatchOptions, BatchResult, CallOptions, CallResult, TopClientOptions } from './call-types';
import { resolveClientSettings, type ClientSettings } from './client-settings';
import { checkEncodable, encodeParams, type EncodedParams } from './encode';
import { TopError } from './errors';
import { GatewayClock } from './gateway-clock';
import { messageFields } from './messages';
import { RateLimiter, type CallLimiter } from '../limits/ratelimit';
import { retryDelayMs, shouldRetry } from './retry';
import type { SignMethod } from './sign';
import { post, type ExchangeStamps } from './transport';
import { batchRequest, callRequest, signedBatchQuery, signedParams, type Outgoing } from './signed-request';

export { DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, DEFAULT_RATE_LIMIT } from './client-settings';

export type {
  TopClientOptions,
  CallOptions,
  CallResult,
  BatchOptions,
  BatchCallResult,
  BatchResult,
} from './call-types';

const METHOD_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/i;

function checkMethodName(method: unknown): string {
  if (typeof method !== 'string' || !METHOD_NAME.test(method.trim())) {
    throw new TopError({
      kind: 'validation',
      param: 'method',
      method: typeof method === 'string' ? method : undefined,
      ...messageFields('client.badMethod', { method: String(method) }),
    });
  }
  return method.trim();
}

/**
 * A Taobao Open Platform client: signs every call freshly, sends it over a keep-alive
 * undici pool, parses the answer losslessly, classifies failures and retries the transient
 * ones within a rate limit. Knows nothing of Node-RED.
 */
/** A caller's signal and the calls in flight on it (TopClient.follow). */
interface FollowedSignal {
  calls: Map<AbortController, string>;
  onAbort: () => void;
}

export class TopClient {
  readonly endpoint: string;
  /** undefined when the endpoint does not end in /router/rest and no batchEndpoint was given */
  readonly batchEndpoint?: string;
  readonly signMethod: SignMethod;
  /** the options, checked and with their defaults */
  private readonly settings: ClientSettings;
  private readonly limiter: CallLimiter;
  private readonly agent: Agent;
  private readonly controllers = new Set<AbortController>();
  private readonly followed = new Map<AbortSignal, FollowedSignal>();
  private closed = false;
  /** the gateway's clock, from the Date headers of its answers, against the host clock plus clockOffsetMs */
  private readonly gatewayClock = new GatewayClock(() => Date.now() + this.settings.clockOffsetMs);
  /** when each call reached the gateway at the latest, for the rate limit */
  private readonly arrival = new ArrivalBound();

  constructor(options: TopClientOptions) {
    const settings = resolveClientSettings(options);
    this.settings = settings;
    this.endpoint = settings.endpoint;
    this.batchEndpoint = settings.batchEndpoint;
    this.signMethod = settings.signMethod;
    this.limiter = options.limiter ?? new RateLimiter(settings.limits);
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: settings.limits.concurrency > 0 ? settings.limits.concurrency : null,
    });
  }

  /** Calls in flight (started, not finished). */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  /** Calls waiting for the rate limit. */
  get queued(): number {
    return this.limiter.queued;
  }

  /**
   * The gateway's time: `host` (default the host clock) plus clockOffsetMs plus the skew measured
   * from the Date headers of the gateway's answers (none before the first answer).
   */
  gatewayNow(host: number = Date.now()): number {
    return this.gatewayClock.now(host + this.settings.clockOffsetMs);
  }

  /** Whether an answer has measured the gateway's clock yet. */
  get clockCalibrated(): boolean {
    return this.gatewayClock.calibrated;
  }

  /** The measured gateway clock minus (host clock + clockOffsetMs), in ms; 0 before the first answer. */
  get gatewaySkewMs(): number {
    return this.gatewayClock.skewMs;
  }

  /** Calls a method and resolves to the unwrapped response (the object inside <name>_response). */
  async call(
    method: string,
    params?: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    return (await this.request(method, params, options)).response;
  }

  /** Like call(), with the request id, the number of attempts and the duration. */
  async request(method: string, params?: Record<string, unknown>, options: CallOptions = {}): Promise<CallResult> {
    const started = performance.now();
    method = checkMethodName(method);
    if (this.closed) throw new TopError({ kind: 'aborted', method, ...messageFields('client.closed') });
    let encoded: EncodedParams;
    try {
      encoded = encodeParams(params);
    } catch (err) {
      if (err instanceof TopError) err.method = method;
      throw err;
    }
    const session = this.sessionFor(method, options);
    const { value, attempts } = await this.retrying(method, options, (signal, stamps) =>
      this.attempt(method, encoded, session, options, signal, stamps),
    );
    value.attempts = attempts;
    value.duration_ms = Math.round(performance.now() - started);
    return value;
  }

  /**
   * Calls one method once per parameter set, in one `/router/batch` request. Resolves to one
   * result per call, in order; a call's failure (its error_response, a business failure) is in
   * its result. Rejects only when the batch fails as a whole (signature, timestamp, transport).
   * The whole request is retried like a single call (never once a write may have run); calls
   * answered with a retryable error (throttling, isp.*) are sent again, together, in a further
   * batch, within the same retry budget. The request takes one slot of the rate limit.
   */
  async batch(method: string, paramsList: ReadonlyArray<unknown>, options: BatchOptions = {}): Promise<BatchResult> {
    const started = performance.now();
    method = checkMethodName(method);
    if (this.closed) throw new TopError({ kind: 'aborted', method, ...messageFields('client.closed') });
    if (!Array.isArray(paramsList))
      throw new TopError({ kind: 'validation', param: 'payload', method, ...messageFields('client.batchArray') });
    const url = this.batchEndpoint;
    if (!url)
      throw new TopError({
        kind: 'validation',
        param: 'batchEndpoint',
        method,
        ...messageFields('client.noBatchUrl', { endpoint: this.endpoint }),
      });
    const separator = options.separator ?? DEFAULT_BATCH_SEPARATOR;
    if (separator !== DEFAULT_BATCH_SEPARATOR) checkSeparator(separator);
    const calls = encodeBatchCalls(method, paramsList);
    const session = this.sessionFor(method, options);
    const { controller, untrack } = this.track(method, options.signal);
    const roundOptions: BatchOptions = { ...options, signal: controller.signal };
    let requests = 0;
    try {
      await sendInRounds(method, calls, options, this.settings.retry, controller.signal, async (texts) => {
        const { value } = await this.retrying(method, roundOptions, (signal, stamps) => {
          requests++;
          return this.batchAttempt(method, url, texts, separator, session, roundOptions, signal, stamps);
        });
        return value;
      });
    } finally {
      untrack();
    }
    return { results: calls.results, requests, duration_ms: Math.round(performance.now() - started) };
  }

  /** The session of a call: its own, else the client's; a validation error when it cannot be sent. */
  private sessionFor(method: string, options: CallOptions): string | undefined {
    const session = options.session?.trim() || this.settings.session;
    if (session) {
      try {
        checkEncodable('session', session);
      } catch (err) {
        throw Object.assign(err as TopError, { method });
      }
    }
    return session;
  }

  /** A controller for one call, aborted by the caller's signal or by close(); untrack() when done. */
  private track(method: string, outer: AbortSignal | undefined): { controller: AbortController; untrack: () => void } {
    if (outer?.aborted) throw abortReason(outer, method);
    const controller = new AbortController();
    this.controllers.add(controller);
    const following = outer ? this.follow(outer) : undefined;
    following?.calls.set(controller, method);
    return {
      controller,
      untrack: () => {
        this.controllers.delete(controller);
        if (!following || !following.calls.delete(controller) || following.calls.size > 0) return;
        outer!.removeEventListener('abort', following.onAbort);
        this.followed.delete(outer!);
      },
    };
  }

  /**
   * The calls in flight on a caller's signal, behind one abort listener however many there are: a
   * message or a run that makes many calls side by side on one signal would otherwise pass Node's
   * 10 listeners and log a false "possible memory leak" warning.
   */
  private follow(outer: AbortSignal): FollowedSignal {
    let following = this.followed.get(outer);
    if (!following) {
      const calls = new Map<AbortController, string>();
      const onAbort = (): void => {
        this.followed.delete(outer);
        for (const [controller, method] of calls) controller.abort(abortReason(outer, method));
      };
      following = { calls, onAbort };
      this.followed.set(outer, following);
      outer.addEventListener('abort', onAbort, { once: true });
    }
    return following;
  }

  /** Aborts every queued and in-flight call (they fail with kind 'aborted') and closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.limiter.close();
    for (const controller of this.controllers)
      controller.abort(new TopError({ kind: 'aborted', ...messageFields('client.closedInFlight') }));
    await this.agent.destroy().catch(() => undefined);
  }

  /** The signed text parameters of one attempt (system + business), as they go on the wire. */
  signedParams(
    method: string,
    text: Record<string, string>,
    session: string | undefined,
    timestamp?: string,
  ): Record<string, string> {
    return signedParams(this.settings, method, text, session, timestamp);
  }

  /** The signed system parameters of one batch attempt (they go in the URL; the body is signed with them). */
  signedBatchQuery(body: string, session: string | undefined, timestamp?: string): Record<string, string> {
    return signedBatchQuery(this.settings, body, session, timestamp);
  }

  /**
   * An invalid timestamp (code 31) says by how much the gateway's clock differs, as its Date header
   * showed: what to set the clock offset to.
   */
  private withClockHint<T extends object>(outcome: T | AttemptFailure): T | AttemptFailure {
    if (!isAttemptFailure(outcome) || outcome.error.code !== 31 || !this.gatewayClock.calibrated) return outcome;
    const skew = Math.round(this.gatewayClock.skewMs / 1000);
    if (Math.abs(skew) < 60) return outcome;
    const { error } = outcome;
    const args = {
      ...(error.messageArgs ?? { title: error.message, detail: '' }),
      seconds: Math.abs(skew),
      direction_key: skew > 0 ? 'top.clockAhead' : 'top.clockBehind',
      offset: Math.round(this.settings.clockOffsetMs / 1000) + skew,
    };
    // the base text last: its own parts (title_key, advice_key) are rendered before it
    const text = messageFields('top.clockSkew', { ...args, base_key: error.messageKey ?? 'top.uncoded' });
    error.message = text.message;
    error.messageKey = text.messageKey;
    error.messageArgs = text.messageArgs;
    return outcome;
  }

  private answerRules(options: CallOptions): AnswerRules {
    return {
      simplify: this.settings.simplify,
      retry: this.settings.retry,
      ...(options.business ? { business: options.business } : {}),
    };
  }

  /** Retries `run` (one attempt) within the rate limit until it succeeds or may not be repeated. */
  private async retrying<T extends object>(
    method: string,
    options: CallOptions,
    run: (signal: AbortSignal, stamps: ExchangeStamps) => Promise<T | AttemptFailure>,
  ): Promise<{ value: T; attempts: number }> {
    const { controller, untrack } = this.track(method, options.signal);
    let ispRetries = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        const release = await this.limiter.acquire(controller.signal).catch((err: unknown) => {
          throw err instanceof TopError ? Object.assign(err, { method, attempts: attempt - 1 }) : err;
        });
        let outcome: T | AttemptFailure;
        let sentAt: number | undefined;
        let answeredAt: number | undefined;
        const stamps: ExchangeStamps = {
          sent: () => (sentAt ??= Date.now()),
          answered: () => (answeredAt ??= Date.now()),
        };
        try {
          outcome = await run(controller.signal, stamps);
        } finally {
          release(sentAt === undefined ? undefined : this.arrival.latest(method, sentAt, answeredAt ?? Date.now()));
        }
        if (!isAttemptFailure(outcome)) return { value: outcome, attempts: attempt };
        const { error } = outcome;
        error.attempts = attempt;
        error.method = method;
        if (
          error.kind === 'aborted' ||
          !shouldRetry(error, attempt, ispRetries, options.writes === true, outcome.mayHaveRun, this.settings.retry)
        )
          throw error;
        if (error.sub_code?.startsWith('isp.')) ispRetries++;
        const delayMs = retryDelayMs(error, attempt, this.settings.retry);
        options.onRetry?.({ attempt, delayMs, error });
        try {
          await sleep(delayMs, controller.signal);
        } catch {
          throw Object.assign(abortReason(controller.signal, method), { attempts: attempt });
        }
      }
    } finally {
      untrack();
    }
  }

  private attempt(
    method: string,
    encoded: EncodedParams,
    session: string | undefined,
    options: CallOptions,
    outer: AbortSignal,
    stamps: ExchangeStamps,
  ): Promise<CallResult | AttemptFailure> {
    return this.exchange(
      method,
      () => callRequest(this.settings, this.endpoint, method, encoded, session),
      options,
      outer,
      stamps,
      (status, bytes) => this.withClockHint(interpretBytes(method, status, bytes, this.answerRules(options))),
    );
  }

  /** One /router/batch request: an outcome per call, or the failure of the whole batch. */
  private batchAttempt(
    method: string,
    url: string,
    calls: Array<Record<string, string>>,
    separator: string,
    session: string | undefined,
    options: CallOptions,
    outer: AbortSignal,
    stamps: ExchangeStamps,
  ): Promise<Array<CallResult | AttemptFailure> | AttemptFailure> {
    return this.exchange(
      method,
      () => batchRequest(this.settings, url, method, calls, separator, session),
      options,
      outer,
      stamps,
      (status, bytes) => batchOutcomes(method, status, bytes, calls.length, separator, this.answerRules(options)),
    );
  }

  /** Sends one prepared request within the attempt's time limit and hands the answer to `handle`. */
  private async exchange<T>(
    method: string,
    prepare: () => Outgoing,
    options: CallOptions,
    outer: AbortSignal,
    stamps: ExchangeStamps,
    handle: (status: number, body: Buffer) => T | AttemptFailure,
  ): Promise<T | AttemptFailure> {
    const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : this.settings.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new TopError({
            kind: 'timeout',
            method,
            retryable: true,
            ...messageFields('transport.timeout', { ms: timeoutMs }),
          }),
        ),
      timeoutMs,
    );
    const onOuterAbort = () => controller.abort(outer.reason);
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener('abort', onOuterAbort, { once: true });
    let sent = false;
    try {
      const { url, body, headers } = prepare();
      sent = true;
      const sentAt = Date.now() + this.settings.clockOffsetMs;
      const answer = await post(this.agent, url, body, headers, {
        signal: controller.signal,
        maxBytes: this.settings.maxResponseBytes,
        stamps,
      });
      this.gatewayClock.observe(answer.headers.date, sentAt, Date.now() + this.settings.clockOffsetMs);
      const outcome = handle(answer.status, answer.body);
      // a caller that gave up while the answer was being inflated or parsed must not get it
      if (outer.aborted) return transportFailure(method, this.endpoint, outer.reason, controller.signal, true);
      return outcome;
    } catch (err) {
      return transportFailure(method, this.endpoint, err, controller.signal, sent);
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    }
  }
}
