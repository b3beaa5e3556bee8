/**
 * Order sync: reads 淘宝客 orders with taobao.tbk.order.details.get (or the 服务商
 * taobao.tbk.sc.order.details.get) window by window from a persisted checkpoint, and hands each
 * new or changed order to a callback exactly once, across runs and restarts.
 *
 * Windows. The API takes start_time/end_time ('yyyy-MM-dd HH:mm:ss', GMT+8) of one query_type
 * time field (1 create, 2 pay, 3 settle, 4 modified); the span may not exceed 3 hours, and 20
 * minutes during 618 / 双11 / 年货节 (both refused with sub_code 2007). Windows are 180 minutes by
 * default; a 2007 halves the window length for the rest of the run. Each window is paged with
 * page_no, jump_type=1 and the position_index of the previous page until has_next is false.
 * page_no stops at 100 (its documented range): a window still not exhausted at page 100 is split
 * in halves and read again. The start may not be older than 90 days (sub_code 2004): older ranges
 * are reported as a gap.
 *
 * Several windows are read at once (`concurrency`, default 4); the pages of one window one after
 * another. So a later window's orders may be handed on before an earlier window's; within a
 * window, pages come in order.
 *
 * Time. "Now" is the gateway's clock (`now`, e.g. TopClient.gatewayNow: the host clock, the
 * configured offset and the skew measured from the gateway's Date headers). Before that clock has
 * been measured (`clockCalibrated`), the first window is read alone; its answers measure it. The
 * last lagSeconds (default 60) are never taken as read: the cursor never passes now - lag.
 *
 * Checkpoint. `cursor` is the end of the contiguous run of windows read completely; the next run
 * starts at cursor - overlapMinutes (default 10), never before `origin` (where the sync began), so
 * orders that reach the API late (their time field already behind the cursor) are still read.
 * A page counts only once its orders were handed on: it is then recorded in `seen` and saved
 * before the next page of its window is asked for. A page not handed on (an abort, a failed
 * callback, a lease lost) is neither recorded nor counted, and ends its window; a failing page
 * ends the run's progress at its window, reported as a gap, and the next run reads it again.
 * A stored checkpoint that is not valid in every field (see checkpointProblem) is reported once
 * and replaced by a fresh one: the sync starts again from the lookback, it never stalls.
 *
 * Dedupe. An order's key is its trade_id (exact string; ids beyond 2^53 arrive as bare JSON
 * numbers and are parsed losslessly). Its fingerprint hashes tk_status, modified_time, refund_tag,
 * the pay/settle times and the money fields (see FINGERPRINT_FIELDS). An order is handed on when
 * its key is unknown or its fingerprint differs from the remembered one. The map `seen` is
 * bounded: as the cursor moves it keeps only orders whose time field is within overlapMinutes
 * before the cursor (or after it), the only ones a later run can read again; an older order can
 * only come back with a newer time field, i.e. as a change.
 *
 * Backfill: run({ from }) reads from `from` whatever the checkpoint says (orders older than the
 * overlap are emitted again); the cursor never moves backwards.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TopError } from '../top/errors';
import { messageFields, type MessageArgs } from '../top/messages';
import { formatGmt8, parseGmt8 } from '../top/time';

export type OrderQueryType = 1 | 2 | 3 | 4;
export type OrderDetailsMethod = 'taobao.tbk.order.details.get' | 'taobao.tbk.sc.order.details.get';

/** The order field each query_type filters on. */
export const QUERY_TIME_FIELDS: Readonly<Record<OrderQueryType, string>> = {
  1: 'tk_create_time',
  2: 'tk_paid_time',
  3: 'tk_earning_time',
  4: 'modified_time',
};

/** Fields whose change makes an order "changed" (re-emitted). */
export const FINGERPRINT_FIELDS: readonly string[] = [
  'tk_status',
  'modified_time',
  'refund_tag',
  'tk_paid_time',
  'tk_earning_time',
  'alipay_total_price',
  'pay_price',
  'item_num',
  'pub_share_pre_fee',
  'pub_share_fee',
  'total_commission_fee',
  'pub_share_pre_fee_for_commission',
  'pub_share_fee_for_commission',
  'subsidy_fee',
  'alimama_share_fee',
];

export const MAX_WINDOW_MINUTES = 180;
export const DEFAULT_WINDOW_MINUTES = 180;
export const MAX_PAGE_NO = 100;
/** windows are not halved below this on sub_code 2007 */
const MIN_WINDOW_MS = 60_000;
const RETENTION_MS = 90 * 24 * 3600_000;
/** keep clear of the 90-day edge: the gateway's clock is not ours */
const RETENTION_MARGIN_MS = 3600_000;
/** no checkpoint can be older than the order API (2010-01-01 GMT+8) */
const EARLIEST_CURSOR = Date.UTC(2009, 11, 31, 16);
/** a stored cursor may be this far ahead of the gateway's now (clock estimates move by a second or two) */
const CURSOR_TOLERANCE_MS = 5 * 60_000;

export interface OrderSyncClient {
  request(
    method: string,
    params?: Record<string, unknown>,
    options?: { session?: string; signal?: AbortSignal; onRetry?: (info: { attempt: number; delayMs: number; error: { kind?: string } & Error }) => void },
  ): Promise<{ response: Record<string, unknown>; request_id?: string; attempts: number; duration_ms: number }>;
}

/** The persisted checkpoint: small, plain JSON. */
export interface SyncState {
  v: 1;
  method: string;
  queryType: OrderQueryType;
  /** epoch ms: the end of the contiguous windows read completely */
  cursor: number;
  /** epoch ms: where the sync began (runs never read before it, except a backfill) */
  origin: number;
  /** trade_id -> [fingerprint, time field in epoch seconds], for the overlap region (and beyond the cursor) only */
  seen: Record<string, [string, number]>;
}

/**
 * Where the checkpoint lives (the Node-RED node: a file, Redis or a context store). save() must
 * take its copy of the state before it first yields (the sync goes on changing it).
 */
export interface CheckpointStore {
  load(): Promise<unknown> | unknown;
  save(state: SyncState): Promise<void> | void;
}

export type PublisherOrder = Record<string, unknown> & { trade_id: string; trade_parent_id?: string };

export interface PageInfo {
  method: string;
  queryType: OrderQueryType;
  windowStart: number;
  windowEnd: number;
  /** 1-based page within the window */
  page: number;
  /**
   * parallel to the orders: 'changed' when an earlier version is still remembered (within the
   * overlap), else 'new'. With query_type 4 a change of an order last seen before the overlap is
   * 'new' to the engine: tell first sightings by the order's own fields (tk_status, tk_create_time).
   */
  kinds: Array<'new' | 'changed'>;
  /** orders on the page, emitted or not */
  pageOrders: number;
  request_id?: string;
}

export interface SyncErrorInfo {
  message: string;
  kind?: string;
  code?: number;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  /** the message's id and values, for its translation (see lib/messages.ts) */
  messageKey?: string;
  messageArgs?: MessageArgs;
}

export interface SyncGap {
  /** epoch ms */
  start: number;
  end: number;
  error: SyncErrorInfo;
}

export type SyncStatus =
  | { phase: 'window'; windowStart: number; windowEnd: number; until: number; emitted: number }
  | { phase: 'page'; windowStart: number; windowEnd: number; page: number; emitted: number }
  | { phase: 'throttled'; delayMs: number; error: SyncErrorInfo }
  | { phase: 'gap'; gap: SyncGap }
  | { phase: 'reset'; reason: 'invalid' | 'mismatch'; problem: string }
  | { phase: 'done'; report: RunReport };

export interface RunReport {
  /** epoch ms: start of the first window read */
  from: number;
  /** epoch ms: end of the contiguous windows read completely (from when none was) */
  to: number;
  /** epoch ms: where the run meant to stop (gateway now - lag, or the until asked for) */
  until: number;
  /** the checkpoint after the run */
  cursor: number;
  /** windows read completely, in the contiguous run from `from` */
  windows: number;
  pages: number;
  /** gateway calls made (pages, failed calls and client retries) */
  calls: number;
  ordersSeen: number;
  emitted: { new: number; changed: number };
  gaps: SyncGap[];
  /** throttling answers met (retried by the client or not) */
  throttled: number;
  /** windows split because page 100 was not enough */
  splits: number;
  /** the window length the run ended with, in minutes (halved on sub_code 2007) */
  windowMinutes: number;
  /** times the window length was halved because the gateway refused it (sub_code 2007) */
  windowHalvings: number;
  aborted: boolean;
  /** entries in the dedupe map after the run */
  seenSize: number;
  /** why a stored checkpoint was not used, if it was not */
  reset?: 'invalid' | 'mismatch';
  /** what was wrong with it */
  resetProblem?: string;
  /** the run stopped because `mayEmit` said no (another instance took over) */
  stoppedByLease?: boolean;
}

export interface OrderSyncOptions {
  client: OrderSyncClient;
  method?: OrderDetailsMethod;
  /** for the sc method (服务商): the authorized user's session */
  session?: string;
  queryType: OrderQueryType;
  /** default 180, at most 180 */
  windowMinutes?: number;
  /** re-read this margin before the checkpoint for late data; default 10 */
  overlapMinutes?: number;
  /** don't read the last N seconds; default 60 */
  lagSeconds?: number;
  /** first run without a checkpoint and without `from`: read this far back; default 60 */
  initialLookbackMinutes?: number;
  /** 1-100, default 100 */
  pageSize?: number;
  /** windows read at once; default 4 */
  concurrency?: number;
  /** member_type, tk_status, order_scene, member_group_id ... (the sync's own params win) */
  extraParams?: Record<string, unknown>;
  store: CheckpointStore;
  /**
   * New and changed orders of one page; awaited. A throw means they were not handed on: the page
   * is not recorded and its window ends as a gap (read again next run).
   */
  onOrders?: (orders: PublisherOrder[], info: PageInfo) => void | Promise<void>;
  onStatus?: (status: SyncStatus) => void;
  /** the gateway's clock (epoch ms); default Date.now */
  now?: () => number;
  /** false while `now` has not been measured against the gateway yet; default: always measured */
  clockCalibrated?: () => boolean;
  /** asked right before orders are handed on; false stops the run there (a lease another instance took) */
  mayEmit?: () => boolean;
  signal?: AbortSignal;
}

export interface RunOptions {
  /** epoch ms: stop here (never later than now - lag) */
  until?: number;
  /** epoch ms: backfill from here instead of the checkpoint */
  from?: number;
  signal?: AbortSignal;
}

const MINUTE = 60_000;
const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

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

const subCodeOf = (err: unknown): string | undefined => (isRecord(err) && typeof err.sub_code === 'string' ? err.sub_code : undefined);

/** The fingerprint of an order: a short hash of the fields whose change matters. */
export function orderFingerprint(order: Record<string, unknown>): string {
  const values = FINGERPRINT_FIELDS.map((field) => {
    const value = order[field];
    return value === undefined || value === null ? '' : String(value);
  });
  return createHash('sha1').update(values.join('\u0001')).digest('base64url').slice(0, 12);
}

/** The list of orders in a data block: `results.publisher_order_dto` (or a bare list with simplify). */
export function pageOrders(data: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  const results = data?.results;
  let list: unknown = results;
  if (isRecord(results)) list = Array.isArray(results.publisher_order_dto) ? results.publisher_order_dto : Object.values(results).find(Array.isArray);
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

const epochMs = z.number().int().min(EARLIEST_CURSOR).max(8.64e15);
const syncStateSchema = z
  .object({
    v: z.literal(1),
    method: z.enum(['taobao.tbk.order.details.get', 'taobao.tbk.sc.order.details.get']),
    queryType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    cursor: epochMs,
    origin: epochMs,
    seen: z.record(z.string().min(1), z.tuple([z.string(), z.number().finite()])),
  })
  .refine((state) => state.origin <= state.cursor, { message: 'origin is after cursor', path: ['origin'] });

/**
 * What is wrong with a stored checkpoint, or undefined when it is valid in every field and its
 * cursor is not beyond the gateway's now.
 */
export function checkpointProblem(value: unknown, gatewayNow: number): string | undefined {
  const parsed = syncStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'checkpoint';
    return `${where}: ${issue.message}`;
  }
  if (parsed.data.cursor > gatewayNow + CURSOR_TOLERANCE_MS) return `cursor ${formatGmt8(parsed.data.cursor)} is after the gateway's now ${formatGmt8(gatewayNow)}`;
  return undefined;
}

/** A store in memory (JSON-cloned, like a persisted one); for tests and one-process use. */
export class MemoryCheckpointStore implements CheckpointStore {
  private text?: string;
  saves = 0;

  load(): SyncState | undefined {
    return this.text === undefined ? undefined : (JSON.parse(this.text) as SyncState);
  }

  save(state: SyncState): void {
    this.text = JSON.stringify(state);
    this.saves++;
  }
}

interface Window {
  start: number;
  end: number;
}

type WindowOutcome = { done: true } | { split: true } | { halve: true } | { future: true } | { error: unknown; stoppedByLease?: boolean };

class LeaseLost extends Error {}

export class OrderSync {
  readonly method: OrderDetailsMethod;
  readonly queryType: OrderQueryType;
  private readonly options: OrderSyncOptions;
  private readonly windowMs: number;
  private readonly overlapMs: number;
  private readonly lagMs: number;
  private readonly lookbackMs: number;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly timeField: string;
  private readonly now: () => number;
  private running = false;

  constructor(options: OrderSyncOptions) {
    if (!options || typeof options.client?.request !== 'function') throw new TypeError('OrderSync needs a client with request()');
    if (!options.store || typeof options.store.load !== 'function' || typeof options.store.save !== 'function') throw new TypeError('OrderSync needs a checkpoint store (load/save)');
    if (![1, 2, 3, 4].includes(options.queryType)) throw new RangeError('queryType must be 1 (create), 2 (pay), 3 (settle) or 4 (modified)');
    const method = options.method ?? 'taobao.tbk.order.details.get';
    if (method !== 'taobao.tbk.order.details.get' && method !== 'taobao.tbk.sc.order.details.get') throw new RangeError(`Unsupported method ${String(method)}`);
    const windowMinutes = options.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    if (!(windowMinutes > 0 && windowMinutes <= MAX_WINDOW_MINUTES)) throw new RangeError(`windowMinutes must be in (0, ${MAX_WINDOW_MINUTES}]: the API refuses windows over 3 hours`);
    const overlapMinutes = options.overlapMinutes ?? 10;
    const lagSeconds = options.lagSeconds ?? 60;
    const lookbackMinutes = options.initialLookbackMinutes ?? 60;
    const pageSize = options.pageSize ?? 100;
    const concurrency = options.concurrency ?? 4;
    if (!(overlapMinutes >= 0) || !(lagSeconds >= 0) || !(lookbackMinutes >= 0)) throw new RangeError('overlapMinutes, lagSeconds and initialLookbackMinutes must be >= 0');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new RangeError('pageSize must be an integer in 1..100');
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
    this.options = options;
    this.method = method;
    this.queryType = options.queryType;
    this.timeField = QUERY_TIME_FIELDS[options.queryType];
    this.windowMs = Math.max(1000, floorSecond(windowMinutes * MINUTE));
    this.overlapMs = floorSecond(overlapMinutes * MINUTE);
    this.lagMs = lagSeconds * 1000;
    this.lookbackMs = floorSecond(lookbackMinutes * MINUTE);
    this.pageSize = pageSize;
    this.concurrency = concurrency;
    this.now = options.now ?? Date.now;
  }

  /** Whether a run is in progress (runs never overlap). */
  get busy(): boolean {
    return this.running;
  }

  /** Reads from the checkpoint (or `from`) up to now - lag (or `until`); see the comment at the top. */
  async run(options: RunOptions = {}): Promise<RunReport> {
    if (this.running) throw Object.assign(new Error('An order sync run is already in progress'), { code: 'ERR_SYNC_BUSY' });
    this.running = true;
    try {
      return await this.runOnce(options);
    } finally {
      this.running = false;
    }
  }

  private async runOnce(options: RunOptions): Promise<RunReport> {
    const signal = anySignal(this.options.signal, options.signal);
    const now = this.now();
    const loaded = await this.options.store.load();
    let reset: RunReport['reset'];
    let resetProblem: string | undefined;
    let state: SyncState | undefined;
    if (loaded !== undefined && loaded !== null) {
      resetProblem = checkpointProblem(loaded, now);
      if (resetProblem) reset = 'invalid';
      else if ((loaded as SyncState).method !== this.method || (loaded as SyncState).queryType !== this.queryType) {
        reset = 'mismatch';
        resetProblem = `the checkpoint is for ${(loaded as SyncState).method} query_type ${(loaded as SyncState).queryType}`;
      } else state = loaded as SyncState;
    }
    const until = this.untilFor(options.until);
    let start: number;
    if (options.from !== undefined) start = floorSecond(options.from);
    else if (state) start = Math.max(state.cursor - this.overlapMs, state.origin);
    else start = until - this.lookbackMs;
    const gaps: SyncGap[] = [];
    const oldest = Math.ceil((now - RETENTION_MS + RETENTION_MARGIN_MS) / 1000) * 1000;
    if (start < oldest) {
      const end = Math.min(oldest, until);
      if (start < end) gaps.push({ start, end, error: { kind: 'retention', ...messageFields('sync.retention') } });
      start = Math.max(start, oldest);
    }
    if (!state) state = { v: 1, method: this.method, queryType: this.queryType, cursor: Math.min(start, until), origin: Math.min(start, until), seen: {} };
    else if (start < state.origin) state.origin = start;

    const report: RunReport = {
      from: start,
      to: start,
      until,
      cursor: state.cursor,
      windows: 0,
      pages: 0,
      calls: 0,
      ordersSeen: 0,
      emitted: { new: 0, changed: 0 },
      gaps,
      throttled: 0,
      splits: 0,
      windowMinutes: this.windowMs / MINUTE,
      windowHalvings: 0,
      aborted: false,
      seenSize: 0,
    };
    const saver = new SerialSaver(this.options.store, state);
    if (reset) {
      report.reset = reset;
      report.resetProblem = resetProblem;
      this.options.onStatus?.({ phase: 'reset', reason: reset, problem: resetProblem! });
    }
    // an invalid checkpoint is written over at once, so that it is reported once
    if (reset) await saver.save();

    const run = new WindowRun(this.runSettings(), state, report, saver, start, until, signal, options.until);
    await run.execute();

    report.cursor = state.cursor;
    report.seenSize = Object.keys(state.seen).length;
    if (signal?.aborted) report.aborted = true;
    this.options.onStatus?.({ phase: 'done', report });
    return report;
  }

  /** What a run of this engine needs to know. */
  private runSettings(): RunSettings {
    return {
      method: this.method,
      queryType: this.queryType,
      timeField: this.timeField,
      pageSize: this.pageSize,
      windowMs: this.windowMs,
      overlapMs: this.overlapMs,
      concurrency: this.concurrency,
      options: this.options,
      untilFor: (requested) => this.untilFor(requested),
    };
  }

  /** Where a run stops: the gateway's now minus the lag, or the until asked for if earlier. */
  private untilFor(requested: number | undefined): number {
    const latest = floorSecond(this.now() - this.lagMs);
    return requested !== undefined ? Math.min(floorSecond(requested), latest) : latest;
  }
}

interface RunSettings {
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
class WindowRun {
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
    options.onStatus?.({ phase: 'window', windowStart: window.start, windowEnd: window.end, until: this.until, emitted: this.report.emitted.new + this.report.emitted.changed });
    const outcome = await this.readWindow(window);
    if ('split' in outcome) {
      const middle = floorSecond(window.start + (window.end - window.start) / 2);
      this.report.splits++;
      this.replan([
        { start: window.start, end: middle },
        { start: middle, end: window.end },
      ]);
    } else if ('halve' in outcome) {
      if (window.end - window.start <= this.windowMs) {
        this.windowMs = Math.max(MIN_WINDOW_MS, floorSecond(this.windowMs / 2));
        this.report.windowHalvings++;
        this.report.windowMinutes = this.windowMs / MINUTE;
      }
      const pieces: Window[] = [];
      for (const long of [window, ...this.replanned.splice(0)]) {
        for (let t = long.start; t < long.end; t += this.windowMs) pieces.push({ start: t, end: Math.min(t + this.windowMs, long.end) });
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

  /** Reads one window page by page. */
  private async readWindow(window: Window): Promise<WindowOutcome> {
    const { state, report, signal, engine } = this;
    const { options } = engine;
    const { start: windowStart, end: windowEnd } = window;
    let positionIndex: string | undefined;
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > MAX_PAGE_NO) {
        if (windowEnd - windowStart > 1000) return { split: true };
        return { error: new TopError({ kind: 'transport', ...messageFields('sync.tooManyPages', { pages: MAX_PAGE_NO }) }) };
      }
      if (signal?.aborted) return { error: signal.reason };
      const params: Record<string, unknown> = {
        ...options.extraParams,
        query_type: engine.queryType,
        start_time: formatGmt8(windowStart),
        end_time: formatGmt8(windowEnd),
        page_size: engine.pageSize,
        page_no: pageNo,
        jump_type: 1,
        position_index: positionIndex,
      };
      let result: Awaited<ReturnType<OrderSyncClient['request']>>;
      try {
        result = await options.client.request(engine.method, params, {
          session: options.session,
          signal,
          onRetry: ({ delayMs, error }) => {
            report.calls++;
            if (error.kind !== 'throttled') return;
            report.throttled++;
            options.onStatus?.({ phase: 'throttled', delayMs, error: errorInfo(error) });
          },
        });
      } catch (err) {
        report.calls++;
        if ((err as { kind?: string }).kind === 'throttled') report.throttled++;
        const subCode = subCodeOf(err);
        if (subCode === '2007' && windowEnd - windowStart > MIN_WINDOW_MS) return { halve: true };
        // 2002: the start is not before the gateway's now (a host clock ahead, not yet measured)
        if (subCode === '2002') return { future: true };
        return { error: err };
      }
      report.calls++;
      // the answer may have come in while the run was being stopped: it is not handed on then
      if (signal?.aborted) return { error: signal.reason };
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
        if (raw.trade_parent_id !== undefined && raw.trade_parent_id !== null) order.trade_parent_id = String(raw.trade_parent_id);
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
        if (options.mayEmit && !options.mayEmit()) return { error: new LeaseLost('the order sync lease was lost'), stoppedByLease: true };
        // claimed before the callback, so that a window read alongside cannot hand the same order on
        const previous = new Map<string, [string, number] | undefined>();
        for (const [key, entry] of claims) {
          previous.set(key, state.seen[key]);
          state.seen[key] = entry;
        }
        try {
          await options.onOrders?.(fresh, { method: engine.method, queryType: engine.queryType, windowStart, windowEnd, page: pageNo, kinds, pageOrders: orders.length, request_id: result.request_id });
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
      options.onStatus?.({ phase: 'page', windowStart, windowEnd, page: pageNo, emitted: report.emitted.new + report.emitted.changed });
      const hasNext = data?.has_next === true || data?.has_next === 'true';
      if (!hasNext) return { done: true };
      const nextIndex = typeof data?.position_index === 'string' && data.position_index !== '' ? data.position_index : undefined;
      // a gateway that says has_next but hands back the same cursor would be read forever
      if (orders.length === 0 || (nextIndex !== undefined && nextIndex === positionIndex)) {
        return { error: new TopError({ kind: 'transport', ...messageFields('sync.stuck', { page: pageNo, position: nextIndex ?? 'none' }) }) };
      }
      if (nextIndex !== undefined) positionIndex = nextIndex;
    }
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

/**
 * Saves the state one write at a time, and as few times as it can: a save asked for before the
 * next write starts is folded into it. A write starts one event-loop turn after it is asked for,
 * and no sooner than nine times the last write's duration after it ended (at most a second): a
 * backfill remembers thousands of orders, and writing them after every page would take most of
 * the sync's time; this way writing takes at most a tenth of it. Every caller resolves once a write
 * that includes its changes is stored. The store takes its copy synchronously (CheckpointStore).
 */
class SerialSaver {
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private lastEnd = 0;
  private lastDuration = 0;

  constructor(
    private readonly store: CheckpointStore,
    private readonly state: SyncState,
  ) {}

  save(): Promise<void> {
    this.next ??= (this.writing ?? Promise.resolve()).then(
      () => this.write(),
      () => this.write(),
    );
    return this.next;
  }

  private async write(): Promise<void> {
    const wait = Math.min(1000, this.lastEnd + 9 * this.lastDuration - Date.now());
    await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    this.next = undefined;
    const started = Date.now();
    const writing = Promise.resolve()
      .then(() => this.store.save(this.state))
      .finally(() => {
        this.lastEnd = Date.now();
        this.lastDuration = this.lastEnd - started;
        if (this.writing === writing) this.writing = undefined;
      });
    this.writing = writing;
    return writing;
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}
