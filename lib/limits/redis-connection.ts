/**
 * The Redis connection of the shared rate limit (lib/limits/redis-limiter.ts) and whether the limit is
 * shared now: the ioredis client with the limit's commands, 'connecting' until Redis first answers or
 * fails, 'local-fallback' while it does not answer (probed in the background), 'shared' once it does.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT } from './redis-scripts';

export type SharedLimitState = 'shared' | 'local-fallback';

/** A redis:// or rediss:// URL, ioredis options, or an ioredis client. */
export type RedisSource = string | RedisOptions | Redis;

const CONNECT_TIMEOUT_MS = 1000;
/** how long a QUIT (and the calls in flight before it) may take when the limiter closes */
export const QUIT_GRACE_MS = 500;

export interface LimitCommands {
  tbkLimitAcquire(key: string, limit: number, windowMs: number, maxCallMs: number): Promise<[number, string | number]>;
  tbkLimitRelease(key: string, windowMs: number, entry: string, arrivedMsAgo: number): Promise<number>;
}

export interface LimitConnectionOptions {
  redis: RedisSource;
  /** the longest a Redis operation may take before the limit falls back */
  operationTimeoutMs: number;
  /** how often, while in fallback, to try Redis again */
  probeIntervalMs: number;
  onStateChange?: (state: SharedLimitState, reason?: string) => void;
}

function isRedisClient(value: unknown): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).defineCommand === 'function' &&
    typeof (value as Redis).status === 'string'
  );
}

/** The host and port of a Redis URL: what a status or a reason may show (never the password). */
export function redisTarget(redis: RedisSource): string {
  if (typeof redis === 'string') {
    try {
      const url = new URL(redis);
      return `${url.hostname}:${url.port || '6379'}`;
    } catch {
      return 'redis';
    }
  }
  const options = isRedisClient(redis) ? redis.options : redis;
  if (options.path) return options.path;
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

export function describeFailure(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\/\/[^@/\s]*@/g, '//');
}

/**
 * The connection of one RedisCallLimiter. A client passed in stays the caller's (it is never
 * reconnected or quit here); a URL or options give a client of its own, which never queues commands
 * while disconnected and which the probe, not ioredis, reconnects.
 */
export class LimitConnection {
  readonly client: Redis;
  readonly ownsClient: boolean;
  /** the client, with the commands tbkLimitAcquire and tbkLimitRelease defined on it */
  readonly commands: Redis & LimitCommands;
  /** host and port (or socket path), for the reasons given */
  readonly target: string;
  readonly operationTimeoutMs: number;
  /** resolves once the state is no longer 'connecting' (or the connection is closed) */
  readonly settled: Promise<void>;
  private readonly probeIntervalMs: number;
  private readonly onStateChange?: (state: SharedLimitState, reason?: string) => void;
  private currentState: SharedLimitState | 'connecting' = 'connecting';
  private settle: () => void = () => undefined;
  private startupTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private readonly listeners: Array<[string, (...args: unknown[]) => void]> = [];

  constructor(options: LimitConnectionOptions) {
    this.operationTimeoutMs = options.operationTimeoutMs;
    this.probeIntervalMs = options.probeIntervalMs;
    this.onStateChange = options.onStateChange;
    this.target = redisTarget(options.redis);

    if (isRedisClient(options.redis)) {
      this.client = options.redis;
      this.ownsClient = false;
    } else {
      // commandTimeout only cleans up after a Redis that hangs: calls give up on it sooner (operationTimeoutMs)
      const ours: RedisOptions = {
        connectTimeout: CONNECT_TIMEOUT_MS,
        commandTimeout: Math.max(1000, 3 * this.operationTimeoutMs),
        maxRetriesPerRequest: 1,
        disconnectTimeout: QUIT_GRACE_MS,
      };
      // Never queue commands while disconnected: a call must fall back, not wait for Redis. No
      // reconnection by ioredis: the probe reconnects (ioredis cannot be stopped cleanly between
      // its own attempts: disconnect() then leaves a timer behind and never says 'end').
      const forced: RedisOptions = { enableOfflineQueue: false, lazyConnect: false, retryStrategy: () => null };
      this.client =
        typeof options.redis === 'string'
          ? new Redis(options.redis, { ...ours, ...forced })
          : new Redis({ ...ours, ...options.redis, ...forced });
      this.ownsClient = true;
    }

    // defining a command again (a client passed in, shared by two limiters) replaces it with the same script
    this.client.defineCommand('tbkLimitAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    this.client.defineCommand('tbkLimitRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.commands = this.client as Redis & LimitCommands;

    this.settled = new Promise<void>((resolve) => {
      this.settle = resolve;
    });
    this.listen('ready', () => this.enter('shared'));
    this.listen('error', (err) =>
      this.enter('local-fallback', `Redis ${this.target} unreachable: ${describeFailure(err)}`),
    );
    this.listen('close', () => this.enter('local-fallback', `Redis ${this.target} closed the connection`));
    if (this.client.status === 'ready') this.enter('shared');
    else {
      this.startupTimer = setTimeout(() => {
        this.startupTimer = undefined;
        // a 'ready' that came while the event loop was busy is handled before giving up on it
        setImmediate(() => {
          if (this.currentState === 'connecting')
            this.enter('local-fallback', `Redis ${this.target} not ready within ${CONNECT_TIMEOUT_MS} ms`);
        });
      }, CONNECT_TIMEOUT_MS);
    }
  }

  /** 'connecting' until Redis first answers or fails, then 'shared' or 'local-fallback'. */
  get state(): SharedLimitState | 'connecting' {
    return this.currentState;
  }

  /** The limit is shared again, or falls back (then Redis is probed until it answers); told once per change. */
  enter(state: SharedLimitState, reason?: string): void {
    if (this.closed) return;
    if (this.startupTimer) {
      clearTimeout(this.startupTimer);
      this.startupTimer = undefined;
    }
    this.settle();
    if (state === 'local-fallback') this.scheduleProbe();
    else this.stopProbe();
    if (state === this.currentState) return;
    this.currentState = state;
    this.onStateChange?.(state, reason);
  }

  /**
   * Stops the timers and the listening, and settles: the state changes no more. The client stays
   * open (see quitClient).
   */
  close(): void {
    this.closed = true;
    this.clearTimers();
    this.settle();
    for (const [event, listener] of this.listeners) this.client.off(event, listener);
    this.listeners.length = 0;
  }

  /** While in fallback: when the connection is up again, check that Redis answers before sharing again. */
  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.probeIntervalMs);
  }

  private stopProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async probe(): Promise<void> {
    if (this.closed || this.currentState !== 'local-fallback' || this.probing) return;
    if (this.client.status === 'end' && this.ownsClient) {
      // the 'ready' event brings the limit back to shared
      this.client.connect().catch(() => undefined);
      this.scheduleProbe();
      return;
    }
    if (this.client.status !== 'ready') {
      this.scheduleProbe();
      return;
    }
    // connected but it did not answer in time: ask again
    this.probing = true;
    try {
      const answer = await withinTime(
        this.client.ping().then(
          () => true,
          () => false,
        ),
        this.operationTimeoutMs,
      );
      if (answer?.value) this.enter('shared');
      else this.scheduleProbe();
    } finally {
      this.probing = false;
    }
  }

  private listen(event: string, listener: (...args: unknown[]) => void): void {
    this.client.on(event, listener);
    this.listeners.push([event, listener]);
  }

  private clearTimers(): void {
    if (this.startupTimer) clearTimeout(this.startupTimer);
    this.startupTimer = undefined;
    this.stopProbe();
  }
}

/**
 * The value of a promise that never rejects, or undefined when it takes longer than `ms`. An answer
 * that arrived while the event loop was busy is read before the timeout wins (the timer only
 * schedules the verdict for after the I/O phase), so a stalled process does not mistake a late
 * look at its socket for a slow Redis.
 */
export function withinTime<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let immediate: NodeJS.Immediate | undefined;
    const timer = setTimeout(() => {
      immediate = setImmediate(() => {
        if (done) return;
        done = true;
        resolve(undefined);
      });
    }, ms);
    void promise.then((value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      resolve({ value });
    });
  });
}

/** QUIT when connected (pending answers arrive first), otherwise drop the connection attempt. */
export function quitClient(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('end', done);
    // an 'error' without a listener would be printed by ioredis; the connection is going away anyway
    client.on('error', () => undefined);
    const timer = setTimeout(() => {
      client.off('end', done);
      client.disconnect();
      resolve();
    }, QUIT_GRACE_MS);
    if (client.status === 'ready') client.quit().catch(() => client.disconnect());
    else client.disconnect();
  });
}
