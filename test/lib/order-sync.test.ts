import assert from 'node:assert/strict';
import { TopClient } from '../../lib/top/client';
import { TopError } from '../../lib/top/errors';
import { formatGmt8, parseGmt8 } from '../../lib/top/time';
import {
  MemoryCheckpointStore,
  OrderSync,
  QUERY_TIME_FIELDS,
  orderFingerprint,
  type OrderSyncOptions,
  type PublisherOrder,
  type RunReport,
  type SyncState,
} from '../../lib/sync';
import { serializeBody, seededRandom, startSandbox, type Sandbox } from '../../lib/sandbox';
import { OrderBook, installOrderBook, type OrderBookOptions } from '../../lib/sandbox/order-book';

const APP = { appKey: 'order-app', appSecret: 'order-secret' };
const METHOD = 'taobao.tbk.order.details.get';
/** 2025-03-01 00:00:00 GMT+8: book time, unrelated to the wall clock the gateway checks signatures against */
const BOOK_START = parseGmt8('2025-03-01 00:00:00');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const keyOf = (order: Record<string, unknown>): string => `${String(order.trade_id)}|${orderFingerprint(order)}`;

/** One sync "installation": a store that outlives OrderSync instances (restarts), and everything emitted. */
class Harness {
  readonly store = new MemoryCheckpointStore();
  readonly emitted: string[] = [];
  readonly orders: PublisherOrder[] = [];
  readonly reports: RunReport[] = [];
  origin?: number;
  onOrders?: (orders: PublisherOrder[]) => void;

  constructor(
    readonly book: OrderBook,
    readonly client: TopClient,
    readonly options: Partial<OrderSyncOptions> = {},
  ) {}

  /** A fresh engine over the same store: what a Node-RED restart gives. */
  sync(extra: Partial<OrderSyncOptions> = {}): OrderSync {
    return new OrderSync({
      client: this.client,
      queryType: 4,
      store: this.store,
      now: () => this.book.now,
      onOrders: (orders) => {
        for (const order of orders) {
          this.emitted.push(keyOf(order));
          this.orders.push(order);
        }
        this.onOrders?.(orders);
      },
      ...this.options,
      ...extra,
    });
  }

  async run(sync = this.sync(), options: Parameters<OrderSync['run']>[0] = {}): Promise<RunReport> {
    const report = await sync.run(options);
    this.origin ??= report.from;
    this.reports.push(report);
    return report;
  }

  state(): SyncState {
    return this.store.load()!;
  }

  /** The oracle for everything this installation should have emitted so far. */
  expected(queryType: 1 | 2 | 3 | 4 = 4): string[] {
    return this.book.changes({ from: this.origin!, to: this.state().cursor, queryType }).map((c) => keyOf(c.order));
  }

  assertExact(): void {
    assert.equal(new Set(this.emitted).size, this.emitted.length, 'no order version is emitted twice');
    const expected = this.expected();
    const emitted = new Set(this.emitted);
    const missing = expected.filter((k) => !emitted.has(k));
    const wanted = new Set(expected);
    const extra = this.emitted.filter((k) => !wanted.has(k));
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      `${expected.length} expected, ${this.emitted.length} emitted`,
    );
    assert.ok(expected.length > 0);
  }
}

/** Every remembered order is within the overlap before the cursor, at a time one of its versions really has. */
function assertSeenBounded(state: SyncState, overlapMs: number, timesOf: (tradeId: string) => number[]): void {
  for (const [tradeId, [, seconds]] of Object.entries(state.seen)) {
    assert.ok(
      seconds * 1000 >= state.cursor - overlapMs,
      `seen entry ${tradeId} at ${formatGmt8(seconds * 1000)} is older than the overlap before ${formatGmt8(state.cursor)}`,
    );
    assert.ok(timesOf(tradeId).includes(seconds * 1000), `seen entry ${tradeId} has the time of one of its versions`);
  }
}

describe('order sync (taobao.tbk.order.details.get over the sandbox order book)', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  let client: TopClient;

  before(async function () {
    sandbox = await startSandbox({ apps: [APP] });
    client = new TopClient({
      ...APP,
      endpoint: sandbox.url,
      rateLimit: false,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
  });

  after(async function () {
    await client.close();
    await sandbox.close();
  });

  afterEach(function () {
    sandbox.clearResponses();
    sandbox.clearFaults();
  });

  function book(options: Partial<OrderBookOptions> = {}): OrderBook {
    const b = new OrderBook({ seed: 7, start: BOOK_START, ...options });
    installOrderBook(sandbox, b);
    return b;
  }

  const modifiedOf =
    (b: OrderBook) =>
    (tradeId: string): number[] =>
      b
        .history()
        .filter((v) => v.tradeId === tradeId)
        .map((v) => v.modifiedAt);

  describe('the order book answers like the real API', function () {
    it('pages one window with position_index / jump_type / has_next and exact ids (bare and quoted on the wire)', async function () {
      const b = book({ ordersPerHour: 120 });
      b.advance(2 * HOUR);
      const params = {
        query_type: 1,
        start_time: formatGmt8(BOOK_START),
        end_time: formatGmt8(BOOK_START + 2 * HOUR),
        page_size: 7,
      };
      const all: Array<Record<string, unknown>> = [];
      let position: string | undefined;
      const positions: string[] = [];
      for (let page = 1; page < 100; page++) {
        const { response } = await client.request(METHOD, {
          ...params,
          page_no: page,
          jump_type: 1,
          position_index: position,
        });
        const data = response.data as Record<string, unknown>;
        const list = (data.results as { publisher_order_dto: Array<Record<string, unknown>> }).publisher_order_dto;
        all.push(...list);
        assert.ok(list.length <= 7);
        if (data.has_next !== true) break;
        position = data.position_index as string;
        positions.push(position);
        assert.match(position, /^\d+_[0-9a-z]+\|\d+_[0-9a-z]+$/);
      }
      const expected = b
        .visibleOrders()
        .filter(
          (o) =>
            parseGmt8(o.tk_create_time as string) >= BOOK_START &&
            parseGmt8(o.tk_create_time as string) <= BOOK_START + 2 * HOUR,
        );
      assert.ok(expected.length > 20, 'the book made enough orders for several pages');
      assert.deepEqual(all.map((o) => o.trade_id).sort(), expected.map((o) => o.trade_id).sort());
      for (const order of all) {
        assert.equal(typeof order.trade_id, 'string');
        assert.match(order.trade_id as string, /^[1-9]\d{17,18}$/);
      }
      const times = all.map((o) => parseGmt8(o.tk_create_time as string));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        'sorted by the query_type time field',
      );

      // jump_type -1 goes back one page
      // positions[1] came with page 2: jumping back from it gives page 1
      const back = await client.request(METHOD, { ...params, page_no: 1, jump_type: -1, position_index: positions[1] });
      const backIds = (
        (back.response.data as Record<string, unknown>).results as {
          publisher_order_dto: Array<Record<string, unknown>>;
        }
      ).publisher_order_dto.map((o) => o.trade_id);
      assert.deepEqual(
        backIds,
        all.slice(0, 7).map((o) => o.trade_id),
      );

      const text = serializeBody({
        tbk_order_details_get_response: b.answer({
          query_type: '1',
          start_time: params.start_time,
          end_time: params.end_time,
          page_size: '100',
        }),
      });
      assert.match(text, /"trade_id":[1-9]\d{17,18}[,}]/, 'some ids go out as bare JSON numbers');
      assert.match(text, /"trade_id":"[1-9]\d{17,18}"/, 'others as JSON strings');
    });

    it('refuses a window over 3 hours (2007), malformed times (2000), start after end (2001), bad position_index (1008)', async function () {
      const b = book();
      b.advance(10 * HOUR);
      const call = async (params: Record<string, unknown>) => {
        try {
          await client.request(METHOD, { query_type: 4, ...params });
        } catch (err) {
          assert.ok(err instanceof TopError);
          return `${err.code}/${err.sub_code}`;
        }
        return 'ok';
      };
      const t = (ms: number) => formatGmt8(BOOK_START + ms);
      assert.equal(await call({ start_time: t(0), end_time: t(3 * HOUR) }), 'ok');
      assert.equal(await call({ start_time: t(0), end_time: t(3 * HOUR + 1000) }), '15/2007');
      assert.equal(await call({ start_time: '2025-03-01 25:00:00', end_time: t(HOUR) }), '15/2000');
      assert.equal(await call({ start_time: t(HOUR), end_time: t(HOUR) }), '15/2001');
      assert.equal(await call({ start_time: t(11 * HOUR), end_time: t(12 * HOUR) }), '15/2002');
      assert.equal(await call({ start_time: t(0), end_time: t(HOUR), position_index: 'nonsense' }), '15/1008');
    });
  });

  it('a first run reads several windows of several pages and emits every order once, with exact ids', async function () {
    // no order changes within the 5 hours: a single run sees every version (the oracle's condition)
    const b = book({ ordersPerHour: 60, lateChance: 0, minDwellMs: 6 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(5 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 30, pageSize: 6 });
    const report = await h.run(undefined, { from: BOOK_START });
    assert.ok(report.windows >= 10, 'ten windows of 30 minutes (the last ones may be read in smaller pieces)');
    assert.ok(report.pages > report.windows, 'windows with more than one page');
    assert.deepEqual(report.gaps, []);
    assert.equal(report.to, b.now - 60_000);
    assert.equal(report.cursor, report.to);
    assert.ok(h.emitted.length > 200);
    h.assertExact();
    const ids = new Set(b.history().map((v) => v.tradeId));
    for (const order of h.orders) {
      assert.equal(typeof order.trade_id, 'string');
      assert.ok(ids.has(order.trade_id), `${order.trade_id} is an exact id of the book`);
      assert.equal(typeof order.trade_parent_id, 'string');
    }
    assert.equal(report.emitted.new, h.emitted.length);

    const again = await h.run();
    assert.equal(again.emitted.new + again.emitted.changed, 0, 'a second run right after emits nothing');
    assert.ok(again.ordersSeen > 0, 'it did re-read the overlap');
  });

  it('follows status changes and late updates across runs and restarts; without the overlap it would miss the late ones', async function () {
    const options: OrderBookOptions = {
      seed: 11,
      start: BOOK_START,
      ordersPerHour: 40,
      lateChance: 0.4,
      maxDelayMs: 6 * MINUTE,
      minDwellMs: HOUR,
      maxDwellMs: 3 * HOUR,
    };
    const steps = [17, 25, 8, 30, 12, 29, 21, 30, 5, 26, 30, 19, 30, 14, 22, 30, 30, 11, 27, 30, 30, 16, 30, 9].map(
      (m) => m * MINUTE,
    );
    const play = async (overlapMinutes: number, lagSeconds: number) => {
      const b = book(options);
      const h = new Harness(b, client, { windowMinutes: 20, pageSize: 8, overlapMinutes, lagSeconds });
      await h.run(undefined, { from: BOOK_START });
      for (const [i, step] of steps.entries()) {
        b.advance(step);
        const report = await h.run(i % 3 === 0 ? h.sync() : undefined);
        assert.deepEqual(report.gaps, []);
        assertSeenBounded(h.state(), overlapMinutes * MINUTE, modifiedOf(b));
      }
      b.advance(20 * MINUTE, { quiet: true });
      await h.run();
      return { b, h };
    };
    const { b, h } = await play(10, 60);
    h.assertExact();
    const late = b.history().filter((v) => v.visibleAt > v.modifiedAt);
    assert.ok(late.length > 10, 'the book made late updates');
    const firstVersion = new Map<string, number>();
    for (const v of b.history()) if (!firstVersion.has(v.tradeId)) firstVersion.set(v.tradeId, v.modifiedAt);
    const laterVersions = h.orders.filter((o) => parseGmt8(o.modified_time as string) > firstVersion.get(o.trade_id)!);
    assert.ok(laterVersions.length > 20, 'status changes were emitted');
    const reopened = b.history().filter((v) => v.record.refund_tag === 1);
    assert.ok(reopened.length > 0, 'some old order got a late refund mark');
    for (const v of reopened) if (v.modifiedAt <= h.state().cursor) assert.ok(h.emitted.includes(keyOf(v.record)));

    // control: the same play without overlap and lag loses late versions, so the check above can fail
    const bare = await play(0, 0);
    const missing = bare.h.expected().filter((k) => !bare.h.emitted.includes(k));
    assert.ok(missing.length > 0, 'without the overlap some late updates are missed');
  });

  it('an abort mid-run keeps the checkpoint consistent: the restart emits the rest, nothing twice', async function () {
    const b = book({ ordersPerHour: 80, lateChance: 0.2, minDwellMs: 5 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(4 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 20, pageSize: 5 });
    const controller = new AbortController();
    let pages = 0;
    h.onOrders = () => {
      if (++pages === 9) controller.abort();
    };
    const first = await h.run(h.sync({ signal: controller.signal }), { from: BOOK_START });
    assert.equal(first.aborted, true);
    assert.deepEqual(first.gaps, []);
    assert.ok(first.to < first.until, 'stopped inside the range');
    const emittedBefore = h.emitted.length;
    assert.ok(h.state().cursor < first.until);
    h.onOrders = undefined;
    const second = await h.run();
    assert.equal(second.aborted, false);
    assert.ok(h.emitted.length > emittedBefore);
    h.assertExact();

    // aborted during a request (not between pages)
    b.advance(40 * MINUTE);
    const during = new AbortController();
    sandbox.addFault({ kind: 'latency', method: METHOD, latencyMs: 2000, count: 1 });
    const pending = h.run(h.sync({ signal: during.signal }));
    setTimeout(() => during.abort(), 50);
    const third = await pending;
    assert.equal(third.aborted, true);
    assert.deepEqual(third.gaps, []);
    await h.run();
    h.assertExact();
  });

  it('an answer that arrives after the run was stopped is not handed on and not recorded', async function () {
    const b = book({ ordersPerHour: 60, lateChance: 0 });
    b.advance(HOUR);
    const h = new Harness(b, client);
    const controller = new AbortController();
    const stopping: typeof client = Object.create(client) as typeof client;
    stopping.request = async (method, params, options) => {
      const result = await client.request(method, params, options);
      controller.abort(); // the stop came while the page was being decoded
      return result;
    };
    const stopped = await h.run(h.sync({ client: stopping, signal: controller.signal }));
    assert.equal(stopped.aborted, true);
    assert.equal(h.emitted.length, 0);
    assert.equal(stopped.pages, 0, 'the page does not count');
    assert.equal(h.store.load(), undefined, 'no progress saved');
    await h.run();
    h.assertExact();
  });

  it('reads windows side by side; the cursor moves only over the contiguous complete ones, and what was emitted beyond a gap is not emitted again', async function () {
    const b = book({ ordersPerHour: 60, lateChance: 0, minDwellMs: 8 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(6 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 30, pageSize: 5, concurrency: 4 });
    sandbox.resetStats();
    // every call takes 40 ms; the third window's first page fails
    sandbox.addFault({ kind: 'latency', method: METHOD, latencyMs: 40 });
    let calls = 0;
    const failing: typeof client = Object.create(client) as typeof client;
    failing.request = async (method, params, options) => {
      if (params?.start_time === formatGmt8(BOOK_START + 60 * MINUTE) && ++calls === 1)
        throw new TopError({ kind: 'top', code: 15, sub_code: '3001', message: '系统繁忙' });
      return client.request(method, params, options);
    };
    const first = await h.run(h.sync({ client: failing }), { from: BOOK_START });
    assert.ok(sandbox.stats().maxConcurrent >= 3, `${sandbox.stats().maxConcurrent} windows at once`);
    assert.deepEqual(
      first.gaps.map((g) => [g.start, g.end]),
      [[BOOK_START + 60 * MINUTE, BOOK_START + 90 * MINUTE]],
    );
    assert.equal(first.windows, 2);
    assert.equal(h.state().cursor, BOOK_START + 60 * MINUTE, 'the cursor stops at the gap');
    const beyond = h.orders.filter((o) => parseGmt8(o.modified_time as string) > BOOK_START + 90 * MINUTE);
    assert.ok(beyond.length > 0, 'windows after the gap were read and emitted in the same run');
    sandbox.clearFaults();
    const second = await h.run(h.sync({ client: failing }));
    assert.deepEqual(second.gaps, []);
    h.assertExact();
  });

  it('16 windows side by side on a caller\'s signal: no "possible memory leak" warning from its listeners', async function () {
    const b = book({ ordersPerHour: 60, lateChance: 0, minDwellMs: 8 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(6 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 20, pageSize: 5, concurrency: 16 });
    sandbox.resetStats();
    sandbox.addFault({ kind: 'latency', method: METHOD, latencyMs: 40 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      await h.run(undefined, { from: BOOK_START, signal: new AbortController().signal });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      sandbox.clearFaults();
    }
    assert.ok(sandbox.stats().maxConcurrent > 10, `${sandbox.stats().maxConcurrent} calls at once`);
    assert.deepEqual(
      warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
      [],
    );
    h.assertExact();
  });

  it('a dense window is read again in smaller pieces when no other window waits: every order once, the pieces side by side', async function () {
    const b = book({ ordersPerHour: 240, lateChance: 0, minDwellMs: 8 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(2 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 60, pageSize: 10, concurrency: 4 });
    sandbox.resetStats();
    sandbox.addFault({ kind: 'latency', method: METHOD, latencyMs: 30 });
    const report = await h.run(undefined, { from: BOOK_START });
    assert.ok(report.denseSplits >= 1, `${report.denseSplits} windows read in pieces`);
    assert.ok(report.windows > 2, 'more windows than the two of an hour');
    assert.ok(sandbox.stats().maxConcurrent >= 3, `${sandbox.stats().maxConcurrent} calls at once`);
    assert.deepEqual(report.gaps, []);
    h.assertExact();
  });

  it('a dense window that other windows waited for at its first page has its rest read in pieces once none waits', async function () {
    const b = book({ ordersPerHour: 240, lateChance: 0, minDwellMs: 8 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(3 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 60, pageSize: 5, concurrency: 2 });
    // The first hour's first page comes while the third hour still waits for room (no split then). Its
    // later pages wait until the other hours have been read, whatever the machine's speed: from then on
    // nothing waits, and the rest of the first hour is read in pieces.
    const firstHour = { start_time: formatGmt8(BOOK_START), end_time: formatGmt8(BOOK_START + HOUR) };
    const starts: number[] = [];
    let firstHourPages = 0;
    let othersInFlight = 0;
    let thirdHourAsked = false;
    const gated: typeof client = Object.create(client) as typeof client;
    gated.request = async (method, params, options) => {
      starts.push(parseGmt8(String(params?.start_time)));
      const isFirstHour = params?.start_time === firstHour.start_time && params?.end_time === firstHour.end_time;
      if (!isFirstHour) {
        if (parseGmt8(String(params?.start_time)) >= BOOK_START + 2 * HOUR) thirdHourAsked = true;
        othersInFlight++;
        try {
          return await client.request(method, params, options);
        } finally {
          othersInFlight--;
        }
      }
      if (firstHourPages++ > 0)
        while (!thirdHourAsked || othersInFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      return client.request(method, params, options);
    };
    const report = await h.run(h.sync({ client: gated }), { from: BOOK_START });
    const restPieces = starts.filter((t) => t > BOOK_START && t < BOOK_START + HOUR);
    assert.ok(restPieces.length >= 2, `the first hour's rest read in pieces (${restPieces.length} piece starts)`);
    assert.ok(report.denseSplits >= 2, `${report.denseSplits} windows read in pieces`);
    assert.deepEqual(report.gaps, []);
    assert.equal(h.state().cursor, report.until);
    h.assertExact();
  });

  it('a failing page becomes a gap; the next run fills it', async function () {
    const b = book({ ordersPerHour: 60 });
    b.advance(3 * HOUR);
    const h = new Harness(b, client, { windowMinutes: 30, pageSize: 10 });
    await h.run(undefined, { from: BOOK_START });
    b.advance(90 * MINUTE);
    // not retried by the client: 3001 系统繁忙 under code 15
    sandbox.addFault({
      kind: 'top-error',
      method: METHOD,
      code: 15,
      subCode: '3001',
      subMsg: '系统繁忙，请稍后重试！',
      count: 1,
    });
    const cursorBefore = h.state().cursor;
    const failed = await h.run();
    assert.equal(failed.gaps.length, 1);
    assert.equal(failed.gaps[0]!.error.sub_code, '3001');
    assert.equal(failed.gaps[0]!.start, cursorBefore - 10 * MINUTE);
    assert.equal(h.state().cursor, cursorBefore, 'the cursor did not pass the gap');
    assert.equal(failed.windows, 0);
    const filled = await h.run();
    assert.deepEqual(filled.gaps, []);
    assert.ok(filled.emitted.new + filled.emitted.changed > 0);
    h.assertExact();
  });

  it('a window denser than 100 pages is split and read completely', async function () {
    // about 110 orders in the first 1-minute window, one per page: too short to be read in pieces
    const b = book({ ordersPerHour: 6600, lateChance: 0 });
    b.advance(2 * MINUTE);
    const h = new Harness(b, client, { windowMinutes: 1, pageSize: 1, lagSeconds: 0 });
    const report = await h.run(undefined, { from: BOOK_START });
    assert.ok(report.splits >= 1);
    assert.deepEqual(report.gaps, []);
    h.assertExact();
  });

  it('refuses windows over 3 hours; halves the window on a 大促 20-minute limit (2007) for the rest of the run', async function () {
    assert.throws(
      () => new OrderSync({ client, queryType: 4, store: new MemoryCheckpointStore(), windowMinutes: 181 }),
      /3 hours/,
    );
    assert.throws(
      () => new OrderSync({ client, queryType: 5 as never, store: new MemoryCheckpointStore() }),
      /queryType/,
    );
    const b = book({ maxWindowMs: 20 * MINUTE, lateChance: 0, minDwellMs: 6 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(5 * HOUR);
    const h = new Harness(b, client, { pageSize: 20 });
    sandbox.resetStats();
    const report = await h.run(undefined, { from: BOOK_START });
    assert.deepEqual(report.gaps, []);
    assert.equal(report.windowHalvings, 4, '180 -> 90 -> 45 -> 22.5 -> 11.25 minutes');
    assert.equal(report.windowMinutes, 11.25);
    assert.equal(report.cursor, b.now - 60_000);
    h.assertExact();
    // refused only while windows of a refused length were in flight (4 at once): never once per window
    const refused = sandbox.stats().errorsByCode['15'] ?? 0;
    assert.ok(refused >= 4 && refused <= 4 * 4, `${refused} windows refused`);
  });

  it('works with the 服务商 method and a session; query_type 1 emits every created order at least once', async function () {
    const b = book({ ordersPerHour: 50 });
    b.advance(3 * HOUR);
    const h = new Harness(b, client, {
      method: 'taobao.tbk.sc.order.details.get',
      session: 'user-session',
      queryType: 1,
    });
    await h.run(undefined, { from: BOOK_START });
    b.advance(5 * HOUR);
    await h.run();
    assert.equal(new Set(h.emitted).size, h.emitted.length);
    const created = new Set(b.changes({ from: h.origin!, to: h.state().cursor, queryType: 1 }).map((c) => c.tradeId));
    assert.deepEqual(new Set(h.orders.map((o) => o.trade_id)), created);
    assert.ok(
      sandbox
        .requests()
        .some((r) => r.method === 'taobao.tbk.sc.order.details.get' && r.params.session === 'user-session'),
    );
    const field = QUERY_TIME_FIELDS[1];
    assertSeenBounded(h.state(), 10 * MINUTE, (id) => [
      parseGmt8(h.orders.find((o) => o.trade_id === id)![field] as string),
    ]);
  });

  it('property: random seeds, steps, windows, page sizes, restarts and aborts emit exactly the book changes', async function () {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed * 7919);
      const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
      const overlapMinutes = pick(6, 15);
      const b = book({
        seed,
        ordersPerHour: pick(5, 60),
        lateChance: random() * 0.5,
        maxDelayMs: 5 * MINUTE,
        minDwellMs: 2 * HOUR,
        maxDwellMs: pick(3, 12) * HOUR,
      });
      const h = new Harness(b, client, {
        windowMinutes: pick(5, 90),
        pageSize: pick(2, 25),
        overlapMinutes,
        lagSeconds: pick(0, 120),
        concurrency: pick(1, 6),
      });
      // no step (the first one included) may be so long that an order changes twice unread: minDwell > step + delay + lag
      b.advance(pick(0, 90) * MINUTE);
      let sync = h.sync();
      await h.run(sync, { from: BOOK_START });
      const steps = pick(4, 10);
      for (let i = 0; i < steps; i++) {
        b.advance(pick(1, 40) * MINUTE);
        if (random() < 0.3) sync = h.sync();
        if (random() < 0.2) {
          const controller = new AbortController();
          const stopAfter = pick(1, 3);
          let pages = 0;
          h.onOrders = () => {
            if (++pages === stopAfter) controller.abort();
          };
          await h.run(h.sync({ signal: controller.signal }));
          h.onOrders = undefined;
          sync = h.sync();
        } else {
          const report = await h.run(sync);
          assert.deepEqual(report.gaps, [], `seed ${seed}`);
          assertSeenBounded(h.state(), overlapMinutes * MINUTE, modifiedOf(b));
        }
      }
      b.advance(10 * MINUTE, { quiet: true });
      await h.run(h.sync());
      if (process.env.ORDER_SYNC_DEBUG) {
        const emitted = new Set(h.emitted);
        for (const c of h.book.changes({ from: h.origin!, to: h.state().cursor })) {
          const key = keyOf(c.order);
          if (emitted.has(key)) continue;
          const versions = b
            .history()
            .filter((v) => v.tradeId === c.tradeId)
            .map((v) => `${formatGmt8(v.modifiedAt)} vis ${formatGmt8(v.visibleAt)} st ${v.record.tk_status}`);
          console.log(
            `seed ${seed} missing ${key}`,
            versions,
            h.reports.map((r) => `${formatGmt8(r.from)}..${formatGmt8(r.to)} ab=${r.aborted}`),
          );
        }
      }
      h.assertExact();
    }
  });
});
