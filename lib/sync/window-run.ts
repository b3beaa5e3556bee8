/** One run's windows of the order sync (see lib/sync/engine.ts): planned, read side by side, joined. */
import { TopError } from '../top/errors';
import { messageFields } from '../top/messages';
import { paginate } from '../top/paginate';
import { formatGmt8, parseGmt8 } from '../top/time';
import type { SerialSaver, SyncState } from './checkpoint';
import {
  orderFingerprint,
  pageOrders,
  type OrderDetailsMethod,
  type OrderQueryType,
  type PublisherOrder,
} from './orders';
import type { OrderSyncClient, OrderSyncOptions, RunReport, SyncErrorInfo } from './types';

export const MAX_PAGE_NO = 100;
/** windows are not halved below this on sub_code 2007 */
const MIN_WINDOW_MS = 60_000;

export const MINUTE = 60_000;
export const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorInfo(err: unknown): SyncErrorInfo {
  const e = err as Partial<SyncErrorInfo> & { message?: unknown };
  const info: SyncErrorInfo = { message: typeof e?.message === 'string' ? e.message : String(err) };
  for (const key of ['kind', 'code', 'sub_code', 'sub_msg', 'request_id', 'messageKey', 'messageArgs'] as const) {
    if (e && e[key] !== undefined) (info as unknown as Record<string, unknown>)[key] = e[key];
  }
  return info;
}

const subCodeOf = (err: unknown): string | undefined =>
  isRecord(err) && typeof err.sub_code === 'string' ? err.sub_code : undefined;

interface Window {
  start: number;
  end: number;
}

type WindowOutcome =
  | { done: true }
  | { split: true }
  | { pieces: number }
  | { restFrom: number; pieces: number }
  | { halve: true }
  | { future: true }
  | { error: unknown; stoppedByLease?: boolean };

/**
 * A window whose first page says it holds more than this many pages, when no other window waits to
 * be read, is read again as smaller ones, about PAGES_PER_PIECE pages each: a dense window read page
 * after page would be the one the whole run waits for, while the rate limit had room for more calls.
 * Later in a window (other windows waited when its first page came), what is left of it is read as
 * pieces instead, when its pages so far came in order of time (so everything before the latest time
 * reached has been listed).
 */
const DENSE_PAGES = 8;
const PAGES_PER_PIECE = 6;
/** pieces are not made shorter than this */
const MIN_PIECE_MS = 60_000;

class LeaseLost extends Error {}

export interface RunSettings {
  method: OrderDetailsMethod;
  queryType: OrderQueryType;
  timeField: string;
  pageSize: number;
  windowMs: number;
  overlapMs: number;
  concurrency: number;
  options: OrderSyncOptions;
  untilFor(requested: number | undefined): number;
}

/**
 * One run's windows: planned from `start` in steps of the window length, read up to
 * `concurrency` at once, the checkpoint moved over the contiguous run of complete ones.
 */
export class WindowRun {
  private windowMs: number;
  /** start of the next window to plan */
  private next: number;
  /** windows planned again (halves of a split, pieces of a halving), by start */
  private readonly replanned: Window[] = [];
  /** complete windows not yet joined to the frontier: start -> end */
  private readonly complete = new Map<number, number>();
  private frontier: number;
  private stopPlanning = false;

  constructor(
    private readonly engine: RunSettings,
    readonly state: SyncState,
    readonly report: RunReport,
    readonly saver: SerialSaver,
    start: number,
    private until: number,
    readonly signal: AbortSignal | undefined,
    private readonly requestedUntil: number | undefined,
  ) {
    this.windowMs = engine.windowMs;
    this.next = start;
    this.frontier = start;
  }

  async execute(): Promise<void> {
    const { options, concurrency } = this.engine;
    // before the gateway's clock is known, one window measures it; the rest is planned after
    if (options.clockCalibrated && !options.clockCalibrated()) {
      const first = this.plan();
      if (first) await this.read(first);
      this.until = this.engine.untilFor(this.requestedUntil);
      this.report.until = this.until;
    }
    const running = new Set<Promise<void>>();
    for (;;) {
      while (running.size < concurrency && !this.stopPlanning && !this.signal?.aborted) {
        const window = this.plan();
        if (!window) break;
        const reading: Promise<void> = this.read(window).finally(() => running.delete(reading));
        running.add(reading);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
  }

  private plan(): Window | undefined {
    const replanned = this.replanned.shift();
    if (replanned) return replanned;
    if (this.next >= this.until) return undefined;
    const window = { start: this.next, end: Math.min(this.next + this.windowMs, this.until) };
    this.next = window.end;
    return window;
  }

  /** Puts windows back into the plan, earliest first. */
  private replan(windows: Window[]): void {
    this.replanned.push(...windows);
    this.replanned.sort((a, b) => a.start - b.start);
  }

  private async read(window: Window): Promise<void> {
    const { options } = this.engine;
    options.onStatus?.({
      phase: 'window',
      windowStart: window.start,
      windowEnd: window.end,
      until: this.until,
      emitted: this.report.emitted.new + this.report.emitted.changed,
    });
    const outcome = await this.readWindow(window);
    if ('restFrom' in outcome) {
      this.report.denseSplits++;
      this.replan(this.evenPieces({ start: outcome.restFrom, end: window.end }, outcome.pieces));
      this.complete.set(window.start, outcome.restFrom);
      await this.advance();
    } else if ('split' in outcome || 'pieces' in outcome) {
      const count = 'pieces' in outcome ? outcome.pieces : 2;
      if ('split' in outcome) this.report.splits++;
      else this.report.denseSplits++;
      this.replan(this.evenPieces(window, count));
    } else if ('halve' in outcome) {
      if (window.end - window.start <= this.windowMs) {
        this.windowMs = Math.max(MIN_WINDOW_MS, floorSecond(this.windowMs / 2));
        this.report.windowHalvings++;
        this.report.windowMinutes = this.windowMs / MINUTE;
      }
      const pieces: Window[] = [];
      for (const long of [window, ...this.replanned.splice(0)]) {
        for (let t = long.start; t < long.end; t += this.windowMs)
          pieces.push({ start: t, end: Math.min(t + this.windowMs, long.end) });
      }
      this.replan(pieces);
    } else if ('future' in outcome) {
      // nothing to read from here on: the gateway's now is before this window
      this.until = Math.min(this.until, window.start);
      this.stopPlanning = true;
    } else if ('error' in outcome) {
      this.stopPlanning = true;
      if (outcome.stoppedByLease) this.report.stoppedByLease = true;
      else if (!this.signal?.aborted) {
        const gap = { start: window.start, end: window.end, error: errorInfo(outcome.error) };
        this.report.gaps.push(gap);
        options.onStatus?.({ phase: 'gap', gap });
      }
    } else {
      this.complete.set(window.start, window.end);
      await this.advance();
    }
  }

  /** `window` cut in `count` pieces of about the same length, on whole seconds. */
  private evenPieces(window: Window, count: number): Window[] {
    const length = (window.end - window.start) / count;
    const pieces: Window[] = [];
    for (let i = 0; i < count; i++)
      pieces.push({
        start: i === 0 ? window.start : floorSecond(window.start + i * length),
        end: i === count - 1 ? window.end : floorSecond(window.start + (i + 1) * length),
      });
    return pieces.filter((piece) => piece.end > piece.start);
  }

  /** No other window waits to be read: room the rate limit has would go unused. */
  private nothingWaits(): boolean {
    return this.replanned.length === 0 && this.next >= this.until;
  }

  /** Reads one window page by page (lib/top/paginate.ts: page_no and position_index, strictly by has_next). */
  private async readWindow(window: Window): Promise<WindowOutcome> {
    const { report, signal, engine } = this;
    const { options } = engine;
    const request = async (
      params: Record<string, unknown>,
    ): Promise<Awaited<ReturnType<OrderSyncClient['request']>>> => {
      if (signal?.aborted) throw signal.reason;
      try {
        const result = await options.client.request(engine.method, params, {
          session: options.session,
          signal,
          onRetry: ({ delayMs, error }) => {
            report.calls++;
            if (error.kind !== 'throttled') return;
            report.throttled++;
            options.onStatus?.({ phase: 'throttled', delayMs, error: errorInfo(error) });
          },
        });
        report.calls++;
        return result;
      } catch (err) {
        report.calls++;
        if ((err as { kind?: string }).kind === 'throttled') report.throttled++;
        throw err;
      }
    };
    const pages = paginate(
      request,
      {
        ...options.extraParams,
        query_type: engine.queryType,
        start_time: formatGmt8(window.start),
        end_time: formatGmt8(window.end),
        page_size: engine.pageSize,
        jump_type: 1,
      },
      {
        style: 'page+cursor',
        listPath: 'data.results',
        hasNextPath: 'data.has_next',
        cursorPath: 'data.position_index',
        maxPages: MAX_PAGE_NO,
        strict: true,
      },
    );
    let last = false;
    const order = { inOrder: true, latest: Number.NEGATIVE_INFINITY };
    try {
      for await (const page of pages) {
        // the answer may have come in while the run was being stopped: it is not handed on then
        if (signal?.aborted) return { error: signal.reason };
        const handed = await this.handOn(window, page.index + 1, page.result);
        if (handed) return handed;
        last = page.last;
        this.followTimeOrder(order, page.result);
        // worth it only when no other window waits for the room this one would leave unused
        if (page.last || !this.nothingWaits()) continue;
        if (page.index === 0) {
          const pieces = this.piecesFor(window, page.result);
          if (pieces > 1) return { pieces };
        } else if (order.inOrder) {
          const rest = this.restPieces(window, page.index + 1, order.latest);
          if (rest) return rest;
        }
      }
    } catch (err) {
      if (signal?.aborted) return { error: signal.reason };
      const subCode = subCodeOf(err);
      if (subCode === '2007' && window.end - window.start > MIN_WINDOW_MS) return { halve: true };
      // 2002: the start is not before the gateway's now (a host clock ahead, not yet measured)
      if (subCode === '2002') return { future: true };
      return { error: err };
    }
    if (last) return { done: true };
    // page_no stops at 100: a window with more is read again in halves
    if (window.end - window.start > 1000) return { split: true };
    return {
      error: new TopError({ kind: 'transport', ...messageFields('sync.tooManyPages', { pages: MAX_PAGE_NO }) }),
    };
  }

  /**
   * How many pieces a window should be read in, judged by its first page: the time field of the
   * page's latest order says how far into the window one page got (the API seems to list by time;
   * if it does not, the estimate is one page and nothing is split). Re-reading the first page's
   * range costs a call; what it handed on is remembered and not handed on again.
   */
  private piecesFor(window: Window, result: Awaited<ReturnType<OrderSyncClient['request']>>): number {
    const data = isRecord(result.response.data) ? result.response.data : undefined;
    let latest = Number.NaN;
    for (const order of pageOrders(data)) {
      const time = parseGmt8(String(order[this.engine.timeField] ?? ''));
      if (!(time <= latest)) latest = time;
    }
    const span = window.end - window.start;
    const reached = latest - window.start;
    if (!(reached > 0) || span < 2 * MIN_PIECE_MS) return 1;
    const estimatedPages = span / reached;
    if (estimatedPages <= DENSE_PAGES) return 1;
    return Math.min(Math.ceil(estimatedPages / PAGES_PER_PIECE), Math.floor(span / MIN_PIECE_MS));
  }

  /** Whether the pages so far list their orders in order of time (each no earlier than the one before). */
  private followTimeOrder(
    order: { inOrder: boolean; latest: number },
    result: Awaited<ReturnType<OrderSyncClient['request']>>,
  ): void {
    if (!order.inOrder) return;
    const data = isRecord(result.response.data) ? result.response.data : undefined;
    for (const listed of pageOrders(data)) {
      const time = parseGmt8(String(listed[this.engine.timeField] ?? ''));
      if (!(time >= order.latest)) {
        order.inOrder = false;
        return;
      }
      order.latest = time;
    }
  }

  /**
   * After `pagesRead` pages in order of time that reached `latest`: the rest of the window, from the
   * second of `latest` on (its orders may go on in the next page: they are read again, and not
   * handed on twice), in pieces of about PAGES_PER_PIECE pages when it holds more than DENSE_PAGES.
   */
  private restPieces(window: Window, pagesRead: number, latest: number): WindowOutcome | undefined {
    const restFrom = floorSecond(latest);
    const reached = restFrom - window.start;
    const rest = window.end - restFrom;
    if (!(reached > 0) || rest < 2 * MIN_PIECE_MS) return undefined;
    const restPages = (rest / reached) * pagesRead;
    if (restPages <= DENSE_PAGES) return undefined;
    const pieces = Math.min(Math.ceil(restPages / PAGES_PER_PIECE), Math.floor(rest / MIN_PIECE_MS));
    return pieces > 1 ? { restFrom, pieces } : undefined;
  }

  /**
   * Hands on the new and changed orders of one page and records them; an outcome when that ends
   * the window (not handed on: an error, a lease lost), else undefined.
   */
  private async handOn(
    window: Window,
    pageNo: number,
    result: Awaited<ReturnType<OrderSyncClient['request']>>,
  ): Promise<WindowOutcome | undefined> {
    const { state, report, engine } = this;
    const { options } = engine;
    const { start: windowStart, end: windowEnd } = window;
    report.pages++;
    const data = isRecord(result.response.data) ? result.response.data : undefined;
    const orders = pageOrders(data);
    report.ordersSeen += orders.length;

    const fresh: PublisherOrder[] = [];
    const kinds: Array<'new' | 'changed'> = [];
    const claims = new Map<string, [string, number]>();
    for (const raw of orders) {
      if (raw.trade_id === undefined || raw.trade_id === null) continue;
      const order = { ...raw, trade_id: String(raw.trade_id) } as PublisherOrder;
      if (raw.trade_parent_id !== undefined && raw.trade_parent_id !== null)
        order.trade_parent_id = String(raw.trade_parent_id);
      const key = order.trade_id;
      const fingerprint = orderFingerprint(order);
      const known = claims.get(key) ?? state.seen[key];
      if (known && known[0] === fingerprint) continue;
      const time = parseGmt8(String(order[engine.timeField] ?? ''));
      claims.set(key, [fingerprint, Number.isNaN(time) ? windowEnd / 1000 : time / 1000]);
      fresh.push(order);
      kinds.push(state.seen[key] ? 'changed' : 'new');
    }
    if (fresh.length > 0) {
      if (options.mayEmit && !options.mayEmit())
        return { error: new LeaseLost('the order sync lease was lost'), stoppedByLease: true };
      // claimed before the callback, so that a window read alongside cannot hand the same order on
      const previous = new Map<string, [string, number] | undefined>();
      for (const [key, entry] of claims) {
        previous.set(key, state.seen[key]);
        state.seen[key] = entry;
      }
      try {
        await options.onOrders?.(fresh, {
          method: engine.method,
          queryType: engine.queryType,
          windowStart,
          windowEnd,
          page: pageNo,
          kinds,
          pageOrders: orders.length,
          request_id: result.request_id,
        });
      } catch (err) {
        for (const [key, entry] of previous) {
          if (entry) state.seen[key] = entry;
          else delete state.seen[key];
        }
        return { error: err };
      }
      for (const kind of kinds) report.emitted[kind]++;
      try {
        await this.saver.save();
      } catch (err) {
        return { error: err };
      }
    }
    options.onStatus?.({
      phase: 'page',
      windowStart,
      windowEnd,
      page: pageNo,
      emitted: report.emitted.new + report.emitted.changed,
    });
    return undefined;
  }

  /** Moves the frontier over the complete windows that join it; the cursor follows, never past now - lag. */
  private async advance(): Promise<void> {
    let moved = false;
    for (let end = this.complete.get(this.frontier); end !== undefined; end = this.complete.get(this.frontier)) {
      this.complete.delete(this.frontier);
      this.frontier = end;
      this.report.windows++;
      this.report.to = end;
      moved = true;
    }
    if (!moved) return;
    const { overlapMs } = this.engine;
    const state = this.state;
    state.cursor = Math.max(state.cursor, Math.min(this.frontier, this.engine.untilFor(undefined)));
    prune(state, Math.min(this.frontier, state.cursor) - overlapMs);
    try {
      await this.saver.save();
    } catch (err) {
      this.stopPlanning = true;
      const gap = { start: this.frontier, end: this.until, error: errorInfo(err) };
      this.report.gaps.push(gap);
    }
  }
}

/** Drops the entries no later run can read again: time field before `bound`. */
function prune(state: SyncState, bound: number): void {
  const boundSeconds = bound / 1000;
  for (const key of Object.keys(state.seen)) if (state.seen[key]![1] < boundSeconds) delete state.seen[key];
}
