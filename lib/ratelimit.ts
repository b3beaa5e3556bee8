import { TopError } from './errors';

export interface RateLimitOptions {
  /** calls started in any one-second window; 0 or less = no limit */
  perSecond: number;
  /** calls in flight at once; 0 or less = no limit */
  concurrency: number;
  /**
   * the window the per-second limit is kept over: a little more than a second, so that
   * network jitter cannot push two windows' calls into one second at the gateway
   */
  windowMs?: number;
}

export const DEFAULT_WINDOW_MS = 1050;

export type Release = () => void;

/** What the client needs of a limiter: the in-process RateLimiter, or a shared one (Redis). */
export interface CallLimiter {
  acquire(signal?: AbortSignal): Promise<Release>;
  close(): void;
  readonly inFlight: number;
  readonly queued: number;
}

interface Waiter {
  resolve: (release: Release) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function abortedError(signal: AbortSignal | undefined): TopError {
  const reason = signal?.reason;
  if (reason instanceof TopError) return reason;
  return new TopError({ kind: 'aborted', message: 'Call aborted while waiting for the rate limit' });
}

/**
 * Queues calls instead of failing them. The per-second limit is a sliding window over the
 * start times of the last `perSecond` calls (a window of slightly more than a second), so no one-second window ever holds more than
 * `perSecond` starts (a token bucket would let twice that through at a refill boundary).
 */
export class RateLimiter implements CallLimiter {
  private readonly perSecond: number;
  private readonly concurrency: number;
  private readonly windowMs: number;
  private readonly starts: number[];
  private startIndex = 0;
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: Partial<RateLimitOptions> = {}) {
    this.perSecond = Math.max(0, Math.floor(options.perSecond ?? 0));
    this.concurrency = Math.max(0, Math.floor(options.concurrency ?? 0));
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.starts = new Array<number>(this.perSecond).fill(Number.NEGATIVE_INFINITY);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once the call may start. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (this.closed) return Promise.reject(new TopError({ kind: 'aborted', message: 'Client closed' }));
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (this.waiters.length === 0 && this.canStart(Date.now())) return Promise.resolve(this.start());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortedError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Rejects every queued call; calls in flight are the caller's to abort. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new TopError({ kind: 'aborted', message: 'Client closed' }));
    }
  }

  private canStart(now: number): boolean {
    if (this.concurrency > 0 && this.active >= this.concurrency) return false;
    if (this.perSecond > 0 && now - this.starts[this.startIndex]! < this.windowMs) return false;
    return true;
  }

  private start(): Release {
    if (this.perSecond > 0) {
      this.starts[this.startIndex] = Date.now();
      this.startIndex = (this.startIndex + 1) % this.perSecond;
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const now = Date.now();
      if (this.concurrency > 0 && this.active >= this.concurrency) return; // a release will pump again
      if (this.perSecond > 0) {
        const wait = this.windowMs - (now - this.starts[this.startIndex]!);
        if (wait > 0) {
          if (!this.timer) {
            this.timer = setTimeout(() => {
              this.timer = undefined;
              this.pump();
            }, wait);
          }
          return;
        }
      }
      const waiter = this.waiters.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.start());
    }
  }
}
