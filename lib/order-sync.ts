/**
 * Order sync: reads 淘宝客 orders with taobao.tbk.order.details.get (or the 服务商
 * taobao.tbk.sc.order.details.get) window by window from a persisted checkpoint, and hands each
 * new or changed order to a callback exactly once, across runs and restarts.
 *
 * Window limit. The API takes start_time/end_time ('yyyy-MM-dd HH:mm:ss', GMT+8) of one query_type
 * time field (1 create, 2 pay, 3 settle, 4 modified); the span may not exceed 3 hours (sub_code
 * 2007), and 20 minutes during 618 / 双11 / 年货节. Default window: 20 minutes (valid all year);
 * windowMinutes accepts up to 180. Each window is paged with page_no, jump_type=1 and the
 * position_index of the previous page until has_next is false. page_no stops at 100 (its
 * documented range): a window still not exhausted at page 100 is split in halves and read again.
 * The start may not be older than 90 days (sub_code 2004): older ranges are reported as a gap.
 * The last lagSeconds (default 60) are never read: the newest data is not final yet.
 *
 * Checkpoint. `cursor` is the end of the last window read completely; the next run starts at
 * cursor - overlapMinutes (default 10), never before `origin` (where the sync began), so orders
 * that reach the API late (their time field already behind the cursor) are still read.
 * The checkpoint is saved after each complete window, and after each page that emitted orders, so
 * an abort or crash repeats at most the current window and the dedupe below prevents repeats.
 * A failing page ends the run at its window (the cursor stays before it): reported as a gap; the
 * next run reads it again. An abort (signal) ends the run the same way, without a gap.
 *
 * Dedupe. An order's key is its trade_id (exact string; ids beyond 2^53 arrive as bare JSON
 * numbers and are parsed losslessly). Its fingerprint hashes tk_status, modified_time, refund_tag,
 * the pay/settle times and the money fields (see FINGERPRINT_FIELDS). An order is emitted when its
 * key is unknown or its fingerprint differs from the remembered one. The remembered map `seen`
 * is bounded: after each complete window it keeps only orders whose time field (the query_type's)
 * is within overlapMinutes before the cursor, the only ones a later run can read again; an older
 * order can only come back with a newer time field, i.e. as a change.
 *
 * Backfill: run({ from }) reads from `from` whatever the checkpoint says (orders older than the
 * overlap are emitted again); the cursor never moves backwards.
 */
import { createHash } from 'node:crypto';
import { formatGmt8, parseGmt8 } from './time';

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
export const MAX_PAGE_NO = 100;
const RETENTION_MS = 90 * 24 * 3600_000;
/** keep clear of the 90-day edge: the gateway's clock is not ours */
const RETENTION_MARGIN_MS = 3600_000;

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
  /** epoch ms: the end of the last window read completely */
  cursor: number;
  /** epoch ms: where the sync began (runs never read before it, except a backfill) */
  origin: number;
  /** trade_id -> [fingerprint, time field in epoch seconds], for the overlap region only */
  seen: Record<string, [string, number]>;
}

/** Where the checkpoint lives (the Node-RED node implements it with its context). */
export interface CheckpointStore {
  load(): Promise<SyncState | undefined> | SyncState | undefined;
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
  | { phase: 'done'; report: RunReport };

export interface RunReport {
  /** epoch ms: start of the first window read */
  from: number;
  /** epoch ms: end of the last window read completely (from when none was) */
  to: number;
  /** epoch ms: where the run meant to stop (now - lag, or the until asked for) */
  until: number;
  /** the checkpoint after the run */
  cursor: number;
  windows: number;
  pages: number;
  ordersSeen: number;
  emitted: { new: number; changed: number };
  gaps: SyncGap[];
  /** throttling answers met (retried by the client or not) */
  throttled: number;
  /** windows split because page 100 was not enough */
  splits: number;
  aborted: boolean;
  /** entries in the dedupe map after the run */
  seenSize: number;
  /** why a stored checkpoint was not used, if it was not */
  reset?: 'invalid' | 'mismatch';
}

export interface OrderSyncOptions {
  client: OrderSyncClient;
  method?: OrderDetailsMethod;
  /** for the sc method (服务商): the authorized user's session */
  session?: string;
  queryType: OrderQueryType;
  /** default 20, at most 180 */
  windowMinutes?: number;
  /** re-read this margin before the checkpoint for late data; default 10 */
  overlapMinutes?: number;
  /** don't read the last N seconds; default 60 */
  lagSeconds?: number;
  /** first run without a checkpoint and without `from`: read this far back; default 60 */
  initialLookbackMinutes?: number;
  /** 1-100, default 100 */
  pageSize?: number;
  /** member_type, tk_status, order_scene, member_group_id ... (the sync's own params win) */
  extraParams?: Record<string, unknown>;
  store: CheckpointStore;
  /** new and changed orders of one page; awaited; a throw makes the page a gap (emitted again next run) */
  onOrders?: (orders: PublisherOrder[], info: PageInfo) => void | Promise<void>;
  onStatus?: (status: SyncStatus) => void;
  /** injectable clock (epoch ms) */
  now?: () => number;
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
  for (const key of ['kind', 'code', 'sub_code', 'sub_msg', 'request_id'] as const) {
    if (e && e[key] !== undefined) (info as unknown as Record<string, unknown>)[key] = e[key];
  }
  return info;
}

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

function isSyncState(value: unknown): value is SyncState {
  if (!isRecord(value)) return false;
  return value.v === 1 && Number.isFinite(value.cursor) && Number.isFinite(value.origin) && isRecord(value.seen) && typeof value.method === 'string' && [1, 2, 3, 4].includes(value.queryType as number);
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

type WindowOutcome = { done: true } | { split: true } | { error: unknown };

export class OrderSync {
  readonly method: OrderDetailsMethod;
  readonly queryType: OrderQueryType;
  private readonly options: OrderSyncOptions;
  private readonly windowMs: number;
  private readonly overlapMs: number;
  private readonly lagMs: number;
  private readonly lookbackMs: number;
  private readonly pageSize: number;
  private readonly timeField: string;
  private readonly now: () => number;
  private running = false;

  constructor(options: OrderSyncOptions) {
    if (!options || typeof options.client?.request !== 'function') throw new TypeError('OrderSync needs a client with request()');
    if (!options.store || typeof options.store.load !== 'function' || typeof options.store.save !== 'function') throw new TypeError('OrderSync needs a checkpoint store (load/save)');
    if (![1, 2, 3, 4].includes(options.queryType)) throw new RangeError('queryType must be 1 (create), 2 (pay), 3 (settle) or 4 (modified)');
    const method = options.method ?? 'taobao.tbk.order.details.get';
    if (method !== 'taobao.tbk.order.details.get' && method !== 'taobao.tbk.sc.order.details.get') throw new RangeError(`Unsupported method ${String(method)}`);
    const windowMinutes = options.windowMinutes ?? 20;
    if (!(windowMinutes > 0 && windowMinutes <= MAX_WINDOW_MINUTES)) throw new RangeError(`windowMinutes must be in (0, ${MAX_WINDOW_MINUTES}]: the API refuses windows over 3 hours`);
    const overlapMinutes = options.overlapMinutes ?? 10;
    const lagSeconds = options.lagSeconds ?? 60;
    const lookbackMinutes = options.initialLookbackMinutes ?? 60;
    const pageSize = options.pageSize ?? 100;
    if (!(overlapMinutes >= 0) || !(lagSeconds >= 0) || !(lookbackMinutes >= 0)) throw new RangeError('overlapMinutes, lagSeconds and initialLookbackMinutes must be >= 0');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new RangeError('pageSize must be an integer in 1..100');
    this.options = options;
    this.method = method;
    this.queryType = options.queryType;
    this.timeField = QUERY_TIME_FIELDS[options.queryType];
    this.windowMs = Math.max(1000, floorSecond(windowMinutes * MINUTE));
    this.overlapMs = floorSecond(overlapMinutes * MINUTE);
    this.lagMs = lagSeconds * 1000;
    this.lookbackMs = floorSecond(lookbackMinutes * MINUTE);
    this.pageSize = pageSize;
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
    const latest = floorSecond(now - this.lagMs);
    const until = options.until !== undefined ? Math.min(floorSecond(options.until), latest) : latest;
    const loaded = await this.options.store.load();
    let reset: RunReport['reset'];
    let state: SyncState | undefined;
    if (loaded !== undefined && loaded !== null) {
      if (!isSyncState(loaded)) reset = 'invalid';
      else if (loaded.method !== this.method || loaded.queryType !== this.queryType) reset = 'mismatch';
      else state = loaded;
    }
    let start: number;
    if (options.from !== undefined) start = floorSecond(options.from);
    else if (state) start = Math.max(state.cursor - this.overlapMs, state.origin);
    else start = until - this.lookbackMs;
    const gaps: SyncGap[] = [];
    const oldest = Math.ceil((now - RETENTION_MS + RETENTION_MARGIN_MS) / 1000) * 1000;
    if (start < oldest) {
      const end = Math.min(oldest, until);
      if (start < end) gaps.push({ start, end, error: { kind: 'retention', message: 'The order API keeps 90 days: this range can no longer be read (sub_code 2004)' } });
      start = Math.max(start, oldest);
    }
    if (!state) state = { v: 1, method: this.method, queryType: this.queryType, cursor: start, origin: start, seen: {} };
    else if (start < state.origin) state.origin = start;

    const report: RunReport = {
      from: start,
      to: start,
      until,
      cursor: state.cursor,
      windows: 0,
      pages: 0,
      ordersSeen: 0,
      emitted: { new: 0, changed: 0 },
      gaps,
      throttled: 0,
      splits: 0,
      aborted: false,
      seenSize: 0,
    };
    if (reset) report.reset = reset;

    let windowStart = start;
    let windowMs = this.windowMs;
    while (windowStart < until) {
      if (signal?.aborted) {
        report.aborted = true;
        break;
      }
      const windowEnd = Math.min(windowStart + windowMs, until);
      this.options.onStatus?.({ phase: 'window', windowStart, windowEnd, until, emitted: report.emitted.new + report.emitted.changed });
      const outcome = await this.readWindow(state, windowStart, windowEnd, report, signal);
      if ('split' in outcome) {
        windowMs = Math.max(1000, floorSecond((windowEnd - windowStart) / 2));
        report.splits++;
        continue;
      }
      if ('error' in outcome) {
        if (signal?.aborted) report.aborted = true;
        else {
          const gap = { start: windowStart, end: windowEnd, error: errorInfo(outcome.error) };
          gaps.push(gap);
          this.options.onStatus?.({ phase: 'gap', gap });
        }
        break;
      }
      state.cursor = Math.max(state.cursor, windowEnd);
      this.prune(state, windowEnd - this.overlapMs);
      await this.options.store.save(state);
      report.windows++;
      report.to = windowEnd;
      windowStart = windowEnd;
      windowMs = this.windowMs;
    }
    report.cursor = state.cursor;
    report.seenSize = Object.keys(state.seen).length;
    this.options.onStatus?.({ phase: 'done', report });
    return report;
  }

  /** Drops the entries no later run can read again: time field before `bound`. */
  private prune(state: SyncState, bound: number): void {
    const boundSeconds = bound / 1000;
    for (const key of Object.keys(state.seen)) if (state.seen[key]![1] < boundSeconds) delete state.seen[key];
  }

  private async readWindow(state: SyncState, windowStart: number, windowEnd: number, report: RunReport, signal: AbortSignal | undefined): Promise<WindowOutcome> {
    let positionIndex: string | undefined;
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > MAX_PAGE_NO) {
        if (windowEnd - windowStart > 1000) return { split: true };
        return { error: new Error(`More than ${MAX_PAGE_NO} pages of orders in one second: cannot be read completely`) };
      }
      if (signal?.aborted) return { error: signal.reason };
      const params: Record<string, unknown> = {
        ...this.options.extraParams,
        query_type: this.queryType,
        start_time: formatGmt8(windowStart),
        end_time: formatGmt8(windowEnd),
        page_size: this.pageSize,
        page_no: pageNo,
        jump_type: 1,
        position_index: positionIndex,
      };
      let result: Awaited<ReturnType<OrderSyncClient['request']>>;
      try {
        result = await this.options.client.request(this.method, params, {
          session: this.options.session,
          signal,
          onRetry: ({ delayMs, error }) => {
            if (error.kind !== 'throttled') return;
            report.throttled++;
            this.options.onStatus?.({ phase: 'throttled', delayMs, error: errorInfo(error) });
          },
        });
      } catch (err) {
        if ((err as { kind?: string }).kind === 'throttled') report.throttled++;
        return { error: err };
      }
      report.pages++;
      const data = isRecord(result.response.data) ? result.response.data : undefined;
      const orders = pageOrders(data);
      report.ordersSeen += orders.length;

      const fresh: PublisherOrder[] = [];
      const kinds: Array<'new' | 'changed'> = [];
      const pending = new Map<string, [string, number]>();
      for (const raw of orders) {
        if (raw.trade_id === undefined || raw.trade_id === null) continue;
        const order = { ...raw, trade_id: String(raw.trade_id) } as PublisherOrder;
        if (raw.trade_parent_id !== undefined && raw.trade_parent_id !== null) order.trade_parent_id = String(raw.trade_parent_id);
        const key = order.trade_id;
        const fingerprint = orderFingerprint(order);
        const known = pending.get(key) ?? state.seen[key];
        if (known && known[0] === fingerprint) continue;
        const time = parseGmt8(String(order[this.timeField] ?? ''));
        pending.set(key, [fingerprint, Number.isNaN(time) ? windowEnd / 1000 : time / 1000]);
        fresh.push(order);
        kinds.push(state.seen[key] ? 'changed' : 'new');
      }
      if (fresh.length > 0) {
        try {
          await this.options.onOrders?.(fresh, { method: this.method, queryType: this.queryType, windowStart, windowEnd, page: pageNo, kinds, pageOrders: orders.length, request_id: result.request_id });
        } catch (err) {
          return { error: err };
        }
        for (const [key, entry] of pending) state.seen[key] = entry;
        for (const kind of kinds) report.emitted[kind]++;
        await this.options.store.save(state);
      }
      this.options.onStatus?.({ phase: 'page', windowStart, windowEnd, page: pageNo, emitted: report.emitted.new + report.emitted.changed });
      const hasNext = data?.has_next === true || data?.has_next === 'true';
      if (!hasNext) return { done: true };
      const nextIndex = typeof data?.position_index === 'string' && data.position_index !== '' ? data.position_index : undefined;
      // a gateway that says has_next but hands back the same cursor would be read forever
      if (orders.length === 0 || (nextIndex !== undefined && nextIndex === positionIndex)) {
        return { error: new Error(`The gateway answered has_next=true without moving on (page ${pageNo}, position_index ${nextIndex ?? 'none'}): window left unread`) };
      }
      if (nextIndex !== undefined) positionIndex = nextIndex;
    }
  }
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}
