/**
 * RedisCallLimiter: the rate limit of an App Key shared through Redis by every process. Here the slot
 * accounting (an entry of the shared set per call, taken and finished by redis-scripts.ts), the
 * per-process concurrency and FIFO turn, and the in-process limit used while the connection
 * (redis-connection.ts) is in fallback; createLimiterFromConfig for the config node.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { TopError } from '../top/errors';
import { messageFields } from '../top/messages';
import {
  describeFailure,
  LimitConnection,
  QUIT_GRACE_MS,
  quitClient,
  withinTime,
  type SharedLimitState,
} from './redis-connection';
import { DEFAULT_WINDOW_MS, RateLimiter, type CallLimiter, type Release } from './ratelimit';

export { redisTarget, type SharedLimitState } from './redis-connection';

export interface RedisCallLimiterOptions {
  /**
   * a redis:// or rediss:// URL, ioredis options, or an ioredis client (then the caller owns it and
   * closes it; give it enableOfflineQueue: false). The limiter defines the commands tbkLimitAcquire
   * and tbkLimitRelease on the client.
   */
  redis: string | RedisOptions | Redis;
  /** default 'tbk:rl:'; the Redis key is the prefix followed by the App Key */
  keyPrefix?: string;
  /** the App Key whose calls share the limit (never the secret) */
  appKey: string;
  /** calls per window (one second by default) by every process together */
  perSecond: number;
  /** calls in flight at once in this process; 0 or less = no limit */
  concurrency: number;
  /** told whenever the limit becomes shared (Redis answers) or local to this process (Redis unreachable) */
  onStateChange?: (state: SharedLimitState, reason?: string) => void;
  /** the longest a Redis operation may take before the limiter falls back; default 300 ms */
  operationTimeoutMs?: number;
  /** how often, while in fallback, to try Redis again; default 1000 ms */
  probeIntervalMs?: number;
  /** the window the per-second limit is kept over; default DEFAULT_WINDOW_MS (1000) */
  windowMs?: number;
  /**
   * the longest a call may hold its entry (from acquire to release); default 60 s. An entry whose
   * release never comes (its process died) stops counting this long after it was taken, plus a window.
   * Make it longer than any call can take (the config node gives timeout x attempts + a window):
   * a call still in flight after it no longer holds back the others.
   */
  maxCallMs?: number;
}

export const DEFAULT_KEY_PREFIX = 'tbk:rl:';
const DEFAULT_OPERATION_TIMEOUT_MS = 300;
const DEFAULT_PROBE_INTERVAL_MS = 1000;
export const DEFAULT_MAX_CALL_MS = 60_000;

/** How a call was admitted: an entry in the shared set, or a slot of the local fallback limiter. */
type Admission = { entry: string } | { local: Release };

function closedError(): TopError {
  return new TopError({ kind: 'aborted', ...messageFields('client.closed') });
}

function abortedError(signal: AbortSignal): TopError {
  const reason: unknown = signal.reason;
  if (reason instanceof TopError) return reason;
  return new TopError({ kind: 'aborted', ...messageFields('limit.aborted') });
}

/**
 * A CallLimiter whose per-second limit is shared, through Redis, by every process that uses the same
 * App Key (several Node-RED runtimes, workers): together they never bring more than `perSecond`
 * calls to the gateway in any one-second window. Calls queue (FIFO within this process) instead of
 * failing. A call holds its entry from acquire() until its release is called (see ACQUIRE_SCRIPT).
 *
 * The concurrency cap stays per process: it protects this process's sockets and memory, which other
 * processes do not share, and TOP throttles an App Key by calls per second, not by calls in flight.
 *
 * When Redis does not answer (refused, down, slower than operationTimeoutMs) the limiter falls back
 * at once to an in-process RateLimiter with the same limits, says so through onStateChange, keeps
 * trying Redis in the background and returns to the shared limit when Redis answers again. While in
 * fallback each process keeps the limit on its own, so several processes together may exceed it.
 */
export class RedisCallLimiter implements CallLimiter {
  private readonly key: string;
  private readonly perSecond: number;
  private readonly connection: LimitConnection;
  private readonly windowMs: number;
  private readonly maxCallMs: number;
  /** entries taken in Redis and not yet released */
  private readonly held = new Set<string>();
  private onHeldEmpty: (() => void) | undefined;
  /** the concurrency cap of this process, kept in both modes; also the FIFO order of the callers */
  private readonly gate: RateLimiter;
  /** one caller at a time asks Redis for a start: FIFO within the process, no herd of pollers */
  private readonly turn: RateLimiter;
  /** the per-second limit of this process alone, while Redis is unreachable */
  private readonly fallback: RateLimiter;
  private waitingForStart = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: RedisCallLimiterOptions) {
    if (typeof options?.appKey !== 'string' || options.appKey.trim() === '')
      throw new TopError({ kind: 'validation', param: 'appKey', ...messageFields('limit.appKey') });
    if (!(options.perSecond >= 1))
      throw new TopError({ kind: 'validation', param: 'perSecond', ...messageFields('limit.perSecond') });
    this.perSecond = Math.floor(options.perSecond);
    const concurrency = Math.max(0, Math.floor(options.concurrency ?? 0));
    const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    const probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.gate = new RateLimiter({ perSecond: 0, concurrency });
    this.turn = new RateLimiter({ perSecond: 0, concurrency: 1 });
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (!(windowMs >= 1))
      throw new TopError({ kind: 'validation', param: 'windowMs', ...messageFields('limit.window') });
    const maxCallMs = options.maxCallMs ?? DEFAULT_MAX_CALL_MS;
    if (!(maxCallMs >= 1))
      throw new TopError({ kind: 'validation', param: 'maxCallMs', ...messageFields('limit.maxCall') });
    this.windowMs = Math.ceil(windowMs);
    this.maxCallMs = Math.ceil(maxCallMs);
    this.fallback = new RateLimiter({ perSecond: this.perSecond, concurrency: 0, windowMs });
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const appKey = options.appKey.trim();
    this.key = keyPrefix + appKey;
    this.connection = new LimitConnection({
      redis: options.redis,
      operationTimeoutMs,
      probeIntervalMs,
      onStateChange: options.onStateChange,
    });
  }

  /** 'connecting' until Redis first answers or fails, then 'shared' or 'local-fallback'. */
  get state(): SharedLimitState | 'connecting' {
    return this.connection.state;
  }

  get inFlight(): number {
    return this.gate.inFlight - this.waitingForStart;
  }

  get queued(): number {
    return this.gate.queued + this.waitingForStart;
  }

  /** The Redis key the shared limit is kept under. */
  get redisKey(): string {
    return this.key;
  }

  async acquire(signal?: AbortSignal): Promise<Release> {
    if (this.closed) throw closedError();
    if (signal?.aborted) throw abortedError(signal);
    const releaseGate = await this.gate.acquire(signal);
    this.waitingForStart++;
    let admission: Admission;
    try {
      admission = await this.admit(signal);
    } catch (err) {
      releaseGate();
      throw err;
    } finally {
      this.waitingForStart--;
    }
    let released = false;
    return (arrivedBy?: number) => {
      if (released) return;
      released = true;
      if ('local' in admission) admission.local(arrivedBy);
      else this.finish(admission.entry, arrivedBy);
      releaseGate();
    };
  }

  /**
   * Rejects every queued call, stops the background reconnection and quits the Redis connection (a
   * client passed in is left open: it is the caller's). The calls in flight have QUIT_GRACE_MS to be
   * released first (a closing TopClient aborts them at once), so that their entries finish now rather
   * than at their provisional expiry. Resolves once the connection has ended.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.connection.close();
    this.gate.close();
    this.turn.close();
    this.fallback.close();
    this.closing = this.connection.ownsClient
      ? this.untilReleased(QUIT_GRACE_MS).then(() => quitClient(this.connection.client))
      : Promise.resolve();
    return this.closing;
  }

  /** Resolves when no entry is held any more, or after `ms`. */
  private untilReleased(ms: number): Promise<void> {
    if (this.held.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.onHeldEmpty = done;
    });
  }

  /** The call of `entry` is over: its entry counts for one window from its arrival (Redis time, less the local time since). */
  private finish(entry: string, arrivedBy?: number): void {
    if (!this.held.delete(entry)) return;
    const arrivedMsAgo = arrivedBy === undefined ? 0 : Math.max(0, Date.now() - arrivedBy);
    // fire and forget: if Redis does not take it, the entry keeps its provisional expiry (counted longer, never less)
    this.connection.commands.tbkLimitRelease(this.key, this.windowMs, entry, arrivedMsAgo).catch(() => undefined);
    if (this.held.size === 0 && this.onHeldEmpty) {
      const done = this.onHeldEmpty;
      this.onHeldEmpty = undefined;
      done();
    }
  }

  /** Waits for this caller's turn, then for an entry within the shared (or fallback) per-second limit. */
  private async admit(signal: AbortSignal | undefined): Promise<Admission> {
    const releaseTurn = await this.turn.acquire(signal);
    try {
      await this.untilSettled(signal);
      for (;;) {
        if (this.closed) throw closedError();
        if (signal?.aborted) throw abortedError(signal);
        if (this.connection.state !== 'shared') return { local: await this.fallback.acquire(signal) };
        const outcome = await this.tryAcquire();
        if (typeof outcome === 'string') {
          if (this.closed || signal?.aborted) {
            // the caller gave up while Redis admitted it: the entry counts for a window from now
            this.finish(outcome);
            throw this.closed ? closedError() : abortedError(signal!);
          }
          return { entry: outcome };
        }
        if (typeof outcome === 'number') await sleep(outcome, signal);
        else this.connection.enter('local-fallback', outcome.failure);
      }
    } finally {
      releaseTurn();
    }
  }

  /** The entry taken, the ms to wait before the next try, or why Redis could not be used. */
  private async tryAcquire(): Promise<string | number | { failure: string }> {
    const { client, commands, target, operationTimeoutMs } = this.connection;
    if (client.status !== 'ready') return { failure: `Redis ${target} is not connected` };
    const asked = commands.tbkLimitAcquire(this.key, this.perSecond, this.windowMs, this.maxCallMs).then(
      ([admitted, value]) => {
        if (admitted !== 1) return Math.max(1, Number(value));
        const entry = String(value);
        this.held.add(entry);
        return entry;
      },
      (err: unknown) => ({ failure: `Redis ${target}: ${describeFailure(err)}` }),
    );
    const answer = await withinTime(asked, operationTimeoutMs);
    if (answer) return answer.value;
    // too late for this caller, who falls back; an entry that comes after all is finished at once
    void asked.then((late) => {
      if (typeof late === 'string') this.finish(late);
    });
    return { failure: `Redis ${target} did not answer within ${operationTimeoutMs} ms` };
  }

  private async untilSettled(signal: AbortSignal | undefined): Promise<void> {
    if (this.connection.state !== 'connecting') return;
    if (!signal) return this.connection.settled;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abortedError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      void this.connection.settled.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface LimiterConfig {
  /** blank = no shared limit (the client keeps its in-process limiter) */
  redisUrl?: string;
  appKey: string;
  perSecond: number;
  concurrency: number;
  /** see RedisCallLimiterOptions.maxCallMs */
  maxCallMs?: number;
  onStateChange?: (state: SharedLimitState, reason?: string) => void;
}

/**
 * What the config node calls: a RedisCallLimiter when a Redis URL is configured, undefined otherwise
 * (then TopClient uses its in-process limiter). Throws a validation TopError for a URL that is not redis.
 */
export function createLimiterFromConfig(config: LimiterConfig): RedisCallLimiter | undefined {
  const redisUrl = config.redisUrl?.trim();
  if (!redisUrl) return undefined;
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw new TopError({ kind: 'validation', param: 'redisUrl', ...messageFields('limit.redisNotUrl') });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new TopError({ kind: 'validation', param: 'redisUrl', ...messageFields('limit.redisProtocol') });
  return new RedisCallLimiter({
    redis: redisUrl,
    appKey: config.appKey,
    perSecond: config.perSecond,
    concurrency: config.concurrency,
    maxCallMs: config.maxCallMs,
    onStateChange: config.onStateChange,
  });
}
