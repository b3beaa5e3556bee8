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
import { linkedSignal } from '../top/abort';
import { messageFields } from '../top/messages';
import { checkpointProblem, SerialSaver, type SyncState } from './checkpoint';
import { QUERY_TIME_FIELDS, type OrderDetailsMethod, type OrderQueryType } from './orders';
import type { OrderSyncOptions, RunOptions, RunReport, SyncGap } from './types';
import { floorSecond, MINUTE, WindowRun, type RunSettings } from './window-run';

export const MAX_WINDOW_MINUTES = 180;
export const DEFAULT_WINDOW_MINUTES = 180;
const RETENTION_MS = 90 * 24 * 3600_000;
/** keep clear of the 90-day edge: the gateway's clock is not ours */
const RETENTION_MARGIN_MS = 3600_000;

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
    if (!options || typeof options.client?.request !== 'function')
      throw new TypeError('OrderSync needs a client with request()');
    if (!options.store || typeof options.store.load !== 'function' || typeof options.store.save !== 'function')
      throw new TypeError('OrderSync needs a checkpoint store (load/save)');
    if (![1, 2, 3, 4].includes(options.queryType))
      throw new RangeError('queryType must be 1 (create), 2 (pay), 3 (settle) or 4 (modified)');
    const method = options.method ?? 'taobao.tbk.order.details.get';
    if (method !== 'taobao.tbk.order.details.get' && method !== 'taobao.tbk.sc.order.details.get')
      throw new RangeError(`Unsupported method ${String(method)}`);
    const windowMinutes = options.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    if (!(windowMinutes > 0 && windowMinutes <= MAX_WINDOW_MINUTES))
      throw new RangeError(`windowMinutes must be in (0, ${MAX_WINDOW_MINUTES}]: the API refuses windows over 3 hours`);
    const overlapMinutes = options.overlapMinutes ?? 10;
    const lagSeconds = options.lagSeconds ?? 60;
    const lookbackMinutes = options.initialLookbackMinutes ?? 60;
    const pageSize = options.pageSize ?? 100;
    const concurrency = options.concurrency ?? 4;
    if (!(overlapMinutes >= 0) || !(lagSeconds >= 0) || !(lookbackMinutes >= 0))
      throw new RangeError('overlapMinutes, lagSeconds and initialLookbackMinutes must be >= 0');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
      throw new RangeError('pageSize must be an integer in 1..100');
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
    if (this.running)
      throw Object.assign(new Error('An order sync run is already in progress'), { code: 'ERR_SYNC_BUSY' });
    this.running = true;
    try {
      return await this.runOnce(options);
    } finally {
      this.running = false;
    }
  }

  private async runOnce(options: RunOptions): Promise<RunReport> {
    // the node's signal and this run's
    const linked = linkedSignal(this.options.signal, options.signal);
    try {
      return await this.runLinked(options, linked.signal);
    } finally {
      linked.dispose();
    }
  }

  private async runLinked(options: RunOptions, signal: AbortSignal): Promise<RunReport> {
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
    if (!state)
      state = {
        v: 1,
        method: this.method,
        queryType: this.queryType,
        cursor: Math.min(start, until),
        origin: Math.min(start, until),
        seen: {},
      };
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
      denseSplits: 0,
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
    if (signal.aborted) report.aborted = true;
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
