import { TopError } from '../top/errors';
import { messageFields } from '../top/messages';

export interface RateLimitOptions {
  /** calls started in any one-second window; 0 or less = no limit */
  perSecond: number;
  /** calls in flight at once; 0 or less = no limit */
  concurrency: number;
  /** the window the per-second limit is kept over (default one second) */
  windowMs?: number;
}

export const DEFAULT_WINDOW_MS = 1000;

/**
 * Ends a call's hold on the limit. `arrivedBy` (epoch ms) is the latest its request can have reached
 * the gateway (ArrivalBound); without it (never sent) the call counts as arrived when it ends.
 */
export type Release = (arrivedBy?: number) => void;

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
  return new TopError({ kind: 'aborted', ...messageFields('limit.aborted') });
}

/**
 * Queues calls instead of failing them. The per-second limit is kept over the last `perSecond`
 * calls: a call may start only when the call `perSecond` places before it has ended and reached the
 * gateway (at the latest, see ArrivalBound) at least a window ago. So no one-second window at the
 * gateway holds more than `perSecond` calls, whatever the connection set-up time, as long as the
 * arrival bound holds. (Stamping the call's start instead lets a slow first batch, still opening its
 * connections, share a second at the gateway with the next batch; stamping its end, as this limiter
 * once did, makes a saturated limiter run at perSecond / (1 s + latency): 0.89 of the limit at 120 ms
 * answers; a token bucket lets twice the limit through at a refill boundary.)
 */
export class RateLimiter implements CallLimiter {
  private readonly perSecond: number;
  private readonly concurrency: number;
  private readonly windowMs: number;
  /** when the call that last held each slot reached the gateway at the latest; +Infinity while it is in flight */
  private readonly finishes: number[];
  private slotIndex = 0;
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: Partial<RateLimitOptions> = {}) {
    this.perSecond = Math.max(0, Math.floor(options.perSecond ?? 0));
    this.concurrency = Math.max(0, Math.floor(options.concurrency ?? 0));
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.finishes = new Array<number>(this.perSecond).fill(Number.NEGATIVE_INFINITY);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once the call may start. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (this.closed) return Promise.reject(new TopError({ kind: 'aborted', ...messageFields('client.closed') }));
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
      waiter.reject(new TopError({ kind: 'aborted', ...messageFields('client.closed') }));
    }
  }

  private canStart(now: number): boolean {
    if (this.concurrency > 0 && this.active >= this.concurrency) return false;
    if (this.perSecond > 0 && now - this.finishes[this.slotIndex]! < this.windowMs) return false;
    return true;
  }

  private start(): Release {
    let slot = -1;
    if (this.perSecond > 0) {
      slot = this.slotIndex;
      this.finishes[slot] = Number.POSITIVE_INFINITY;
      this.slotIndex = (this.slotIndex + 1) % this.perSecond;
    }
    this.active++;
    let released = false;
    return (arrivedBy?: number) => {
      if (released) return;
      released = true;
      const now = Date.now();
      if (slot >= 0) this.finishes[slot] = arrivedBy !== undefined ? Math.min(now, arrivedBy) : now;
      this.active--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const now = Date.now();
      if (this.concurrency > 0 && this.active >= this.concurrency) return; // a release will pump again
      if (this.perSecond > 0) {
        const finished = this.finishes[this.slotIndex]!;
        if (finished === Number.POSITIVE_INFINITY) return; // its release will pump again
        const wait = this.windowMs - (now - finished);
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
