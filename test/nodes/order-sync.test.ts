import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orderFingerprint, type SyncState } from '../../lib/sync';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { OrderBook, installOrderBook, type OrderBookOptions } from '../../lib/sandbox/order-book';
import { formatGmt8, parseGmt8 } from '../../lib/top/time';
import {
  SANDBOX_SECRET,
  TEST_USER_DIR,
  catchNode,
  configFlow,
  countDone,
  credentials,
  delay,
  type FlowNode,
  helper,
  until,
  type TestNode,
  stopRuntime,
} from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import syncNode = require('../../nodes/tbk-order-sync');

/** 2025-03-01 00:00:00 GMT+8: the book's time (the node reads it through settings.tbkOrderSyncNow) */
const BOOK_START = parseGmt8('2025-03-01 00:00:00');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const keyOf = (order: Record<string, unknown>): string => `${String(order.trade_id)}|${orderFingerprint(order)}`;

/** One installation of the node: everything it emitted, across restarts and reloads. */
class Rig {
  readonly orders: Array<Record<string, any>> = [];
  readonly reports: Array<Record<string, any>> = [];
  readonly caught: Array<Record<string, any>> = [];
  readonly statuses: string[] = [];
  sync!: TestNode;
  done!: { count: number; errors: unknown[] };
  private inputs = 0;
  private doneBefore = 0;

  constructor(readonly flow: FlowNode[]) {}

  async load(): Promise<void> {
    await helper.load([configNode, syncNode, catchNode], this.flow, credentials());
    await helper._context.load();
    this.attach();
  }

  /** A Node-RED restart: stop the flows, drop the context stores' memory (a new process), start again. */
  async restart(): Promise<void> {
    await helper._redNodes.stopFlows();
    helper._context.init(helper._settings);
    await helper._context.load();
    await helper._redNodes.startFlows();
    this.attach();
  }

  /** The flow removed and deployed again (helper.unload / load). */
  async reload(): Promise<void> {
    await helper.unload();
    await this.load();
  }

  attach(): void {
    if (this.done) this.doneBefore += this.done.count;
    this.sync = helper.getNode('sync');
    this.done = countDone(this.sync);
    helper.getNode('orders').on('input', (msg: Record<string, any>) => this.orders.push(msg));
    helper.getNode('reports').on('input', (msg: Record<string, any>) => this.reports.push(msg));
    try {
      helper.getNode('caught').on('input', (msg: Record<string, any>) => this.caught.push(msg));
    } catch {
      // no Catch node in this flow
    }
    this.sync.on('call:status', (call: { args: Array<{ text?: string }> }) =>
      this.statuses.push(call.args[0]?.text ?? ''),
    );
  }

  /** done() calls of every instance so far */
  get doneCount(): number {
    return this.doneBefore + this.done.count;
  }

  send(msg: Record<string, unknown> = { payload: '' }): void {
    this.inputs++;
    this.sync.receive(msg);
  }

  /** Sends a "sync now" (or the message given) and waits for the run report. */
  async run(msg?: Record<string, unknown>): Promise<Record<string, any>> {
    const before = this.reports.length;
    this.send(msg);
    await until(() => this.reports.length > before, 'a run report');
    await until(() => this.doneCount === this.inputs, 'done()');
    return this.reports[this.reports.length - 1]!;
  }

  state(store = 'file', key = 'tbkOrderSync', scope: 'node' | 'global' = 'node'): Promise<SyncState> {
    const context = this.sync.context();
    const target = scope === 'global' ? context.global : context;
    return new Promise((resolve, reject) =>
      target.get(key, store, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value as SyncState))),
    );
  }

  /** What the node emitted, one key per order version (output 'page' flattened). */
  emittedOrders(): Array<Record<string, any>> {
    return this.orders.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));
  }

  assertExact(book: OrderBook, state: SyncState): void {
    const emitted = this.emittedOrders().map(keyOf);
    assert.equal(new Set(emitted).size, emitted.length, 'no order version is emitted twice');
    const expected = book.changes({ from: state.origin, to: state.cursor, queryType: 4 }).map((c) => keyOf(c.order));
    const emittedSet = new Set(emitted);
    const wanted = new Set(expected);
    const missing = expected.filter((k) => !emittedSet.has(k));
    const extra = emitted.filter((k) => !wanted.has(k));
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      `${expected.length} expected, ${emitted.length} emitted`,
    );
    assert.ok(expected.length > 20, 'the book made enough orders');
    const ids = new Set(book.history().map((v) => v.tradeId));
    for (const order of this.emittedOrders()) {
      assert.equal(typeof order.trade_id, 'string');
      assert.match(order.trade_id as string, /^[1-9]\d{17,18}$/);
      assert.ok(ids.has(order.trade_id as string), `${String(order.trade_id)} is an exact id of the book`);
      assert.equal(typeof order.trade_parent_id, 'string');
    }
  }
}

describe('tbk-order-sync node (Node-RED runtime, sandbox order book)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let book: OrderBook;
  let dir: string;

  before(async function () {
    sandbox = await startSandbox({ apps: [{ appKey: 'sandbox-app', appSecret: SANDBOX_SECRET }], recordLimit: 20 });
    dir = mkdtempSync(join(tmpdir(), 'tbk-order-sync-'));
    helper.settings({
      userDir: TEST_USER_DIR,
      tbkOrderSyncNow: () => book.now,
      // a persistent store beside the default memory one: the node's `store` property picks it
      contextStorage: {
        default: { module: 'memory' },
        file: { module: 'localfilesystem', config: { dir, cache: false } },
      },
    });
  });
  after(async function () {
    helper.settings({ userDir: TEST_USER_DIR });
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async function () {
    sandbox.clearFaults();
    sandbox.clearResponses();
    await stopRuntime();
    // helper.unload() starts cleaning the flow's context files without waiting for it: let it finish,
    // or the next test's first read of its context races the deletion (ENOENT)
    await until(() => !existsSync(join(dir, 'context', 'f1')), 'the context clean-up');
  });

  function newBook(options: Partial<OrderBookOptions>): OrderBook {
    book = new OrderBook({ seed: 7, start: BOOK_START, ...options });
    installOrderBook(sandbox, book);
    return book;
  }

  function flow(props: Record<string, unknown> = {}, config: Record<string, unknown> = {}): FlowNode[] {
    return [
      { id: 'f1', type: 'tab' },
      { ...configFlow(sandbox.url, config), z: 'f1' },
      {
        id: 'sync',
        type: 'tbk-order-sync',
        z: 'f1',
        x: 100,
        y: 100,
        name: 'orders',
        config: 'cfg',
        provider: false,
        queryType: '4',
        interval: 0,
        output: 'order',
        windowMinutes: 20,
        overlapMinutes: 10,
        lagSeconds: 60,
        lookbackMinutes: 60,
        pageSize: 8,
        scope: 'node',
        store: 'file',
        errorMode: 'auto',
        ...props,
        wires: [['orders'], ['reports']],
      },
      { id: 'orders', type: 'helper', z: 'f1', x: 300, y: 80 },
      { id: 'reports', type: 'helper', z: 'f1', x: 300, y: 120 },
      { id: 'catch', type: 'catch', z: 'f1', x: 100, y: 200, scope: ['sync'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1', x: 300, y: 200 },
    ];
  }

  it('emits exactly the order book changes across runs and restarts, one message per order, with exact ids', async function () {
    const b = newBook({
      seed: 21,
      ordersPerHour: 40,
      lateChance: 0.4,
      maxDelayMs: 6 * MINUTE,
      minDwellMs: HOUR,
      maxDwellMs: 3 * HOUR,
    });
    b.advance(2 * HOUR);
    const rig = new Rig(flow());
    await rig.load();
    const first = await rig.run();
    assert.equal(first.topic, 'report');
    assert.equal(first.tbk.trigger, 'input');
    assert.equal(first.payload.from, b.now - 60_000 - HOUR, 'the first run reads the lookback');
    assert.ok(
      first.payload.windows >= 3 && first.payload.pages > first.payload.windows,
      'several windows, more pages than windows',
    );
    assert.equal(first.payload.emitted.new, rig.orders.length);

    const steps = [17, 25, 8, 30, 12, 29, 21, 30, 5, 26];
    for (const [i, step] of steps.entries()) {
      b.advance(step * MINUTE);
      if (i === 3 || i === 7) {
        const before = await rig.state();
        await rig.restart();
        const report = await rig.run();
        assert.equal(report.payload.reset, undefined);
        assert.equal(
          report.payload.from,
          before.cursor - 10 * MINUTE,
          'after a restart the run starts from the saved checkpoint',
        );
      } else {
        const report = await rig.run();
        assert.deepEqual(report.payload.gaps, []);
      }
    }
    b.advance(20 * MINUTE, { quiet: true });
    await rig.run();
    rig.assertExact(b, await rig.state());
    assert.ok(
      rig.orders.some((m) => m.payload.tk_status !== 12),
      'status changes were emitted',
    );
    assert.ok(
      b.history().some((v) => v.visibleAt > v.modifiedAt),
      'the book made late updates',
    );

    const message = rig.orders[0]!;
    assert.equal(message.tbk.method, 'taobao.tbk.order.details.get');
    assert.equal(message.tbk.queryType, 4);
    assert.match(message.tbk.window.start, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.ok(message.tbk.page >= 1);
    assert.ok(['new', 'changed'].includes(message.tbk.kind));
    assert.equal(message.topic, message.payload.trade_id);
    // query_type 4: a change moves modified_time past the overlap's memory, so an engine 'new' is also a status change
    assert.ok(rig.orders.every((m) => ['new', 'changed'].includes(m.tbk.kind)));
    assert.equal(rig.doneCount, steps.length + 2);
  });

  it('per-page output; a checkpoint in the global context of a persistent store survives helper.unload()', async function () {
    const b = newBook({ seed: 5, ordersPerHour: 60, lateChance: 0.2, minDwellMs: 2 * HOUR, maxDwellMs: 6 * HOUR });
    b.advance(90 * MINUTE);
    const rig = new Rig(flow({ output: 'page', scope: 'global', pageSize: 6 }));
    await rig.load();
    await rig.run();
    b.advance(25 * MINUTE);
    await rig.run();
    const before = await rig.state('file', 'tbkOrderSync_sync', 'global');
    await rig.reload();
    b.advance(25 * MINUTE);
    const report = await rig.run();
    assert.equal(report.payload.from, before.cursor - 10 * MINUTE, 'the reloaded flow went on from the checkpoint');
    b.advance(15 * MINUTE, { quiet: true });
    await rig.run();

    for (const msg of rig.orders) {
      assert.equal(msg.topic, 'orders');
      assert.ok(Array.isArray(msg.payload) && msg.payload.length >= 1 && msg.payload.length <= 6);
      assert.equal(msg.tbk.kinds.length, msg.payload.length);
      assert.equal(msg.tbk.count, msg.payload.length);
    }
    assert.ok(
      rig.orders.some((m) => m.tbk.page > 1),
      'windows of more than one page',
    );
    rig.assertExact(b, await rig.state('file', 'tbkOrderSync_sync', 'global'));
  });

  it('backfills a date range (msg.payload or the node properties) and refuses a bad one', async function () {
    // no order changes within 5 hours: one version per order, so a backfill's oracle is exact
    const b = newBook({ seed: 9, ordersPerHour: 50, lateChance: 0, minDwellMs: 6 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(5 * HOUR);
    const rig = new Rig(
      flow({
        lookbackMinutes: 30,
        backfillFrom: formatGmt8(BOOK_START + 3 * HOUR),
        backfillTo: formatGmt8(BOOK_START + 4 * HOUR),
      }),
    );
    await rig.load();
    const normal = await rig.run();
    assert.equal(normal.payload.from, b.now - 60_000 - 30 * MINUTE);
    const before = rig.orders.length;

    const backfill = await rig.run({
      topic: 'backfill',
      payload: { from: formatGmt8(BOOK_START), to: formatGmt8(BOOK_START + 3 * HOUR) },
    });
    assert.equal(backfill.tbk.trigger, 'backfill');
    assert.equal(backfill.payload.from, BOOK_START);
    assert.equal(backfill.payload.to, BOOK_START + 3 * HOUR);
    assert.equal(backfill.payload.windows, 9);
    const fromProperties = await rig.run({ topic: 'backfill' });
    assert.equal(fromProperties.payload.from, BOOK_START + 3 * HOUR);
    assert.equal(fromProperties.payload.to, BOOK_START + 4 * HOUR);

    const backfilled = rig.orders.slice(before).map((m) => keyOf(m.payload));
    assert.equal(new Set(backfilled).size, backfilled.length);
    const expected = b.changes({ from: BOOK_START, to: BOOK_START + 4 * HOUR }).map((c) => keyOf(c.order));
    assert.ok(expected.length > 50);
    assert.deepEqual(new Set(backfilled), new Set(expected));
    const state = await rig.state();
    assert.equal(state.cursor, normal.payload.cursor, 'a backfill never moves the cursor back');

    const reports = rig.reports.length;
    rig.send({ topic: 'backfill', payload: { from: 'yesterday' } });
    await until(() => rig.reports.length > reports, 'the error message');
    const failed = rig.reports.at(-1)!;
    assert.equal(failed.error.kind, 'validation');
    assert.equal(failed.error.param, 'from');
    assert.deepEqual(failed.error.source, { id: 'sync', type: 'tbk-order-sync', name: 'orders' });
    await until(() => rig.doneCount === 4, 'done()');
    assert.deepEqual(rig.done.errors, []);
  });

  it('shows progress, throttling and gaps in its status; a gap is reported on output 2 and filled by the next run', async function () {
    const b = newBook({ seed: 3, ordersPerHour: 30 });
    b.advance(2 * HOUR);
    const rig = new Rig(flow({}, { retries: 1 }));
    await rig.load();
    const first = await rig.run();
    await delay(20);
    const synced = `synced ${formatGmt8(first.payload.cursor).slice(11, 16)}, ${first.payload.emitted.new} new`;
    assert.equal(rig.statuses.at(-1), synced);
    assert.ok(
      rig.statuses.some((s) => /^syncing \d\d:\d\d, \d+ new$/.test(s)),
      rig.statuses.join(' | '),
    );

    b.advance(10 * MINUTE);
    sandbox.addFault({ kind: 'throttle', method: 'taobao.tbk.order.details.get', banSeconds: 1, count: 1 });
    const throttled = await rig.run();
    assert.ok(throttled.payload.throttled >= 1);
    assert.deepEqual(throttled.payload.gaps, []);
    assert.ok(
      rig.statuses.some((s) => /^throttled, retry in [12]s$/.test(s)),
      rig.statuses.join(' | '),
    );

    b.advance(30 * MINUTE);
    sandbox.addFault({
      kind: 'top-error',
      method: 'taobao.tbk.order.details.get',
      code: 15,
      subCode: '3001',
      subMsg: '系统繁忙',
      count: 1,
    });
    const cursor = (await rig.state()).cursor;
    const gapped = await rig.run();
    assert.equal(gapped.payload.gaps.length, 1);
    assert.equal(gapped.error.kind, 'top');
    assert.equal(gapped.error.sub_code, '3001');
    assert.match(gapped.error.message, /^order sync gap /);
    await delay(20);
    const gap = gapped.payload.gaps[0];
    assert.equal(gap.start, cursor - 10 * MINUTE);
    assert.equal(
      rig.statuses.at(-1),
      `gap ${formatGmt8(gap.start).slice(11, 16)}-${formatGmt8(gap.end).slice(11, 16)}: 3001`,
    );
    assert.equal((await rig.state()).cursor, cursor, 'the cursor did not pass the gap');

    const filled = await rig.run();
    assert.deepEqual(filled.payload.gaps, []);
    assert.equal(filled.error, undefined);
    b.advance(10 * MINUTE, { quiet: true });
    await rig.run();
    rig.assertExact(b, await rig.state());
    assert.equal(rig.caught.length, 0, 'errors went to output 2, not to Catch');
    assert.deepEqual(rig.done.errors, []);
  });

  it('with errors to Catch, a run with a gap still reports on output 2 and raises the gap to Catch once', async function () {
    const b = newBook({ seed: 4, ordersPerHour: 30 });
    b.advance(HOUR);
    const rig = new Rig(flow({ errorMode: 'catch' }));
    await rig.load();
    sandbox.addFault({
      kind: 'top-error',
      method: 'taobao.tbk.order.details.get',
      code: 15,
      subCode: '3001',
      count: 1,
    });
    const report = await rig.run({ payload: '', topic: 'now' });
    assert.equal(report.payload.gaps.length, 1);
    assert.equal(report.error, undefined);
    await until(() => rig.caught.length === 1, 'the Catch node');
    assert.match(rig.caught[0]!.error.message, /order sync gap 2025-02-28 23:59:00 - 2025-03-01 00:19:00: .*\[3001\]/);
    assert.equal(rig.done.count, 1);
    assert.equal(rig.done.errors.length, 1);
  });

  it('close during a run aborts it and keeps the checkpoint consistent; triggers during a run are merged into one run after it', async function () {
    const b = newBook({ seed: 13, ordersPerHour: 80, lateChance: 0.2, minDwellMs: 5 * HOUR, maxDwellMs: 12 * HOUR });
    b.advance(3 * HOUR);
    const rig = new Rig(flow({ pageSize: 5, lookbackMinutes: 150 }));
    await rig.load();
    // every answer takes a while: the close comes in the middle of the run
    sandbox.addFault({ kind: 'latency', method: 'taobao.tbk.order.details.get', latencyMs: 150, count: 12 });
    rig.send();
    await until(() => rig.orders.length > 10, 'some orders');
    const closedAt = Date.now();
    await helper._redNodes.stopFlows();
    assert.ok(Date.now() - closedAt < 15_000);
    assert.equal(rig.doneCount, 1, 'the input message was finished on close');
    assert.equal(rig.reports.length, 0, 'no report for an aborted run');
    const saved = await rig.state();
    assert.ok(saved && saved.cursor < b.now - 60_000, 'stopped inside the range');
    const emittedBeforeClose = rig.orders.length;

    helper._context.init(helper._settings);
    await helper._context.load();
    await helper._redNodes.startFlows();
    rig.attach();
    sandbox.clearFaults();
    sandbox.addFault({ kind: 'latency', method: 'taobao.tbk.order.details.get', latencyMs: 100, count: 3 });
    rig.send();
    rig.send();
    await delay(30);
    rig.send();
    await until(() => rig.reports.length >= 2, 'two runs');
    await until(() => rig.doneCount === 4, 'done() of every message');
    await delay(50);
    assert.equal(rig.reports.length, 2, 'three triggers, one during the run: two runs');
    assert.deepEqual(
      rig.reports.map((r) => r.tbk.run),
      [1, 2],
    );
    assert.ok(rig.orders.length > emittedBeforeClose);
    assert.deepEqual(rig.done.errors, []);
    rig.assertExact(b, await rig.state());
  });

  it('runs at deploy and then every interval; the report says what triggered it', async function () {
    const b = newBook({ seed: 2, ordersPerHour: 30 });
    b.advance(HOUR);
    const rig = new Rig(flow({ interval: 0.01 }));
    await rig.load();
    await until(() => rig.reports.length >= 2, 'two scheduled runs');
    assert.equal(rig.reports[0]!.tbk.trigger, 'start');
    assert.equal(rig.reports[1]!.tbk.trigger, 'interval');
    assert.equal(rig.reports[0]!.payload.emitted.new, rig.orders.length);
  });
});
