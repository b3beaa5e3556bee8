/**
 * Two Node-RED runtimes (two processes, as in an HA pair) run the same order sync flow against one
 * Redis: one holds the lease and syncs, the other waits; when the holder is killed mid-run, the
 * other takes over within the lease time. Between them each order is emitted once.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { orderFingerprint, type SyncState } from '../../lib/sync';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox';
import { installLiveOrderBook } from '../../lib/sandbox/live-orders';
import type { OrderBook } from '../../lib/sandbox/order-book';
import { checkpointKey } from '../../lib/sync/checkpoint-key';
import { forkMessaging, type MessagingChild } from '../support/child-process';
import { until } from '../support/node-red';
import type { SyncRuntimeJob, SyncRuntimeMessage } from '../support/order-sync-runtime';
import { RedisServer, requireRedisServer } from '../support/redis';

const RUNTIME_SCRIPT = join(__dirname, '..', 'support', 'order-sync-runtime.js');
const LEASE_SECONDS = 3;

interface SyncRuntime extends MessagingChild<SyncRuntimeMessage> {
  name: string;
  ordersFile: string;
  orders(): string[];
}

function startSyncRuntime(name: string, job: Omit<SyncRuntimeJob, 'ordersFile'>, dir: string): SyncRuntime {
  const ordersFile = join(dir, `${name}.orders`);
  const child = forkMessaging<SyncRuntimeMessage>(RUNTIME_SCRIPT, {
    TBK_SYNC_JOB: JSON.stringify({ ...job, ordersFile }),
  });
  return {
    ...child,
    name,
    ordersFile,
    orders: () => (existsSync(ordersFile) ? readFileSync(ordersFile, 'utf8').split('\n').filter(Boolean) : []),
  };
}

describe('tbk-order-sync on two Node-RED runtimes sharing one Redis (lease)', function () {
  this.timeout(120_000);
  let redis: RedisServer | undefined;
  let sandbox: Sandbox;
  let book: OrderBook;
  let dir: string;
  const runtimes: SyncRuntime[] = [];

  before(async function () {
    requireRedisServer(this);
    redis = await RedisServer.start();
    sandbox = await startSandbox({ recordLimit: 10 });
    book = installLiveOrderBook(sandbox, { seed: 11, ordersPerHour: 240, historyHours: 3 });
    dir = mkdtempSync(join(tmpdir(), 'tbk-sync-pair-'));
  });
  after(async function () {
    for (const runtime of runtimes) runtime.kill();
    await sandbox?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('emits each order once between them, also when the holder is killed mid-run', async function () {
    // every order answer takes 60 ms: a run of the 2-hour lookback takes a few seconds
    sandbox.addFault({ kind: 'latency', method: 'taobao.tbk.order.details.get', latencyMs: 60 });
    const job = {
      endpoint: sandbox.url,
      redisUrl: redis!.url,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
      userDir: dir,
      leaseSeconds: LEASE_SECONDS,
      intervalMinutes: 0.02,
      lookbackMinutes: 120,
      pageSize: 5,
    };
    const first = startSyncRuntime('a', job, dir);
    const second = startSyncRuntime('b', job, dir);
    runtimes.push(first, second);
    await until(
      () => first.messages.some((m) => m.type === 'ready') && second.messages.some((m) => m.type === 'ready'),
      'both runtimes',
      30_000,
    );

    await until(() => first.orders().length + second.orders().length >= 40, 'the holder emitting', 30_000);
    const [holder, standby] = first.orders().length > 0 ? [first, second] : [second, first];
    assert.equal(standby.orders().length, 0, 'the other instance waits');
    // killed while it waits for an answer: the same as a crash at any moment it is not handing a page on
    await until(() => sandbox.stats().inFlight > 0, 'a call in flight');
    holder.kill();
    const killedAt = Date.now();
    await holder.exited;
    const emittedByHolder = holder.orders().length;

    await until(() => standby.orders().length > 0, 'the takeover', 15_000);
    const tookOverAfter = Date.now() - killedAt;
    assert.ok(
      tookOverAfter < LEASE_SECONDS * 1000 + 3000,
      `took over after ${tookOverAfter} ms (lease ${LEASE_SECONDS} s)`,
    );
    await until(
      () => standby.messages.filter((m) => m.type === 'report' && !m.standby && m.gaps === 0).length >= 3,
      'three runs of the new holder',
      30_000,
    );
    standby.send('stop');
    assert.equal((await standby.exited).code, 0);

    const client = new Redis(redis!.url);
    const key = checkpointKey({ appKey: DEFAULT_APP.appKey, method: 'taobao.tbk.order.details.get', queryType: 4 });
    const state = JSON.parse((await client.get(`tbk:order-sync:{${key}}:checkpoint`))!) as SyncState;
    assert.equal(await client.get(`tbk:order-sync:{${key}}:lease`), null, 'the lease was given up on stop');
    await client.quit();

    const emitted = [...holder.orders(), ...standby.orders()];
    const expected = book
      .changes({ from: state.origin, to: state.cursor, queryType: 4 })
      .map((c) => `${c.tradeId}|${orderFingerprint(c.order)}`);
    const emittedSet = new Set(emitted);
    const wanted = new Set(expected);
    const duplicates = emitted.length - emittedSet.size;
    const missing = expected.filter((k) => !emittedSet.has(k)).length;
    const extra = emitted.filter((k) => !wanted.has(k)).length;
    assert.deepEqual(
      { duplicates, missing, extra },
      { duplicates: 0, missing: 0, extra: 0 },
      `${expected.length} expected; ${emittedByHolder} by the killed holder, ${standby.orders().length} by the other`,
    );
    assert.ok(emittedByHolder >= 40 && standby.orders().length >= 40, 'both did part of the work');
  });
});
