import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { TopClient, TopError } from '../../lib';
import {
  createLimiterFromConfig,
  RedisCallLimiter,
  type RedisCallLimiterOptions,
  type SharedLimitState,
} from '../../lib/limits/redis-limiter';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox';
import type { LimitedClientJob, LimitedClientMessage } from '../support/limited-client';
import { rejection } from '../support/assertions';
import { forkMessaging, type ChildExit, type MessagingChild } from '../support/child-process';
import { maxInAnyWindow } from '../support/assertions';
import { freePort, RedisServer, requireRedisServer } from '../support/redis';

const CHILD_SCRIPT = join(__dirname, '..', 'support', 'limited-client.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records the state changes of a limiter and waits for one. */
class StateLog {
  readonly entries: Array<{ state: SharedLimitState; reason?: string }> = [];
  private waiters: Array<{ state: SharedLimitState; resolve: () => void }> = [];

  readonly listener = (state: SharedLimitState, reason?: string): void => {
    this.entries.push({ state, reason });
    this.waiters = this.waiters.filter((w) => (w.state === state ? (w.resolve(), false) : true));
  };

  get states(): SharedLimitState[] {
    return this.entries.map((e) => e.state);
  }

  /** Resolves at the next change to `state` (or at once if it is the latest). */
  until(state: SharedLimitState, after = 0): Promise<void> {
    if (this.entries.length > after && this.entries.at(-1)!.state === state) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ state, resolve }));
  }
}

function settled(limiter: RedisCallLimiter): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (limiter.state === 'connecting' ? setTimeout(check, 10) : resolve());
    check();
  });
}

type Child = MessagingChild<LimitedClientMessage>;

const startChild = (job: LimitedClientJob): Child =>
  forkMessaging<LimitedClientMessage>(CHILD_SCRIPT, { TBK_LIMITED_JOB: JSON.stringify(job) });

/** Resolves with how the child ended, or fails when it is still alive after `ms` (something keeps it open). */
async function exitsByItself(child: Child, ms: number): Promise<ChildExit> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the child process did not exit by itself within ${ms} ms: something kept it alive`));
    }, ms);
  });
  try {
    return await Promise.race([child.exited, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

describe('RedisCallLimiter (shared rate limit through Redis)', function () {
  this.timeout(60_000);
  let redis: RedisServer | undefined;
  let sandbox: Sandbox;
  let admin: Redis;
  const limiters: RedisCallLimiter[] = [];
  const clients: TopClient[] = [];
  const children: Child[] = [];
  const extraServers: RedisServer[] = [];
  let testNumber = 0;
  let keyPrefix = '';

  before(async function () {
    requireRedisServer(this);
    redis = await RedisServer.start();
    sandbox = await startSandbox();
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
  });

  after(async function () {
    admin?.disconnect();
    await sandbox?.close();
    await redis?.stop();
  });

  beforeEach(function () {
    sandbox?.resetStats();
    keyPrefix = `tbk:rl:test${++testNumber}:`;
  });

  afterEach(async function () {
    for (const child of children.splice(0)) child.kill();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(limiters.splice(0).map((l) => l.close()));
    await Promise.all(extraServers.splice(0).map((s) => s.stop()));
  });

  const makeLimiter = (options: Partial<RedisCallLimiterOptions> & { perSecond: number }): RedisCallLimiter => {
    const limiter = new RedisCallLimiter({
      redis: redis!.url,
      keyPrefix,
      appKey: DEFAULT_APP.appKey,
      concurrency: 0,
      ...options,
    });
    limiters.push(limiter);
    return limiter;
  };
  const makeClient = (limiter: RedisCallLimiter): TopClient => {
    const client = new TopClient({ ...DEFAULT_APP, endpoint: sandbox.url, limiter, retry: false });
    clients.push(client);
    return client;
  };
  const echo = (client: TopClient, i: number, signal?: AbortSignal) => client.call('sandbox.echo', { i }, { signal });

  it('keeps two clients in one process, each with its own limiter, to 20 calls in any second together, dropping none', async function () {
    const logA = new StateLog();
    const logB = new StateLog();
    const a = makeClient(makeLimiter({ perSecond: 20, concurrency: 8, onStateChange: logA.listener }));
    const b = makeClient(makeLimiter({ perSecond: 20, concurrency: 8, onStateChange: logB.listener }));
    // no warm-up: the first calls open their connections while the others queue, the case that stamping the start got wrong
    sandbox.resetStats();
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => echo(i % 2 === 0 ? a : b, i)));
    const failures = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failures, [], 'no call fails or is dropped');
    const stats = sandbox.stats();
    assert.equal(stats.totalCalls, 200);
    const busiest = maxInAnyWindow(stats.callStarts);
    assert.ok(
      busiest <= 20,
      `the sandbox saw ${busiest} calls within one second (limit 20); states ${JSON.stringify([logA?.entries, logB?.entries])}`,
    );
    assert.deepEqual(logA.states, ['shared']);
    assert.deepEqual(logB.states, ['shared']);
  });

  it('keeps two processes (child_process.fork, like two Node-RED runtimes) to 20 calls in any second together', async function () {
    const job: LimitedClientJob = {
      mode: 'calls',
      redisUrl: redis!.url,
      keyPrefix,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
      endpoint: sandbox.url,
      perSecond: 20,
      concurrency: 8,
      calls: 100,
      warmup: 0,
    };
    const pair = [startChild(job), startChild(job)];
    children.push(...pair);
    const ready = await Promise.all(pair.map((c) => c.next('ready')));
    assert.deepEqual(ready, [
      { type: 'ready', state: 'shared' },
      { type: 'ready', state: 'shared' },
    ]);
    sandbox.resetStats();
    for (const child of pair) child.send('go');
    const done = await Promise.all(pair.map((c) => c.next('done')));
    for (const result of done)
      assert.deepEqual(result, { type: 'done', ok: 100, failed: 0, errors: [], states: ['shared'] });
    const stats = sandbox.stats();
    assert.equal(stats.totalCalls, 200);
    const busiest = maxInAnyWindow(stats.callStarts);
    assert.ok(busiest <= 20, `the sandbox saw ${busiest} calls within one second (limit 20)`);
    for (const child of pair) assert.deepEqual(await exitsByItself(child, 15_000), { code: 0, signal: null });
  });

  it('gives a burst late in a window no fresh allowance at the window boundary (a fixed window would let 2x through)', async function () {
    const limiter = makeLimiter({ perSecond: 10 });
    await settled(limiter);
    const grants: number[] = [];
    const take = async () => {
      (await limiter.acquire())();
      grants.push(Date.now());
    };
    await take();
    await sleep(700);
    await Promise.all(Array.from({ length: 19 }, take));
    assert.equal(grants.length, 20);
    const busiest = maxInAnyWindow(grants);
    assert.ok(busiest <= 10, `${busiest} starts within one second (limit 10)`);
  });

  it('counts an entry while its call is in flight and for one window after it finished (Redis time)', async function () {
    const limiter = makeLimiter({ perSecond: 2, maxCallMs: 30_000 });
    await settled(limiter);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    const redisNow = async () => {
      const [seconds, micros] = await admin.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const scores = (await admin.zrange(limiter.redisKey, 0, '-1', 'WITHSCORES'))
      .filter((_, i) => i % 2 === 1)
      .map(Number);
    const now = await redisNow();
    assert.equal(scores.length, 2);
    for (const score of scores)
      assert.ok(
        score > now + 20_000,
        `an entry in flight is scored with its provisional expiry (${score - now} ms ahead)`,
      );

    let admittedAt = 0;
    const third = limiter.acquire().then((release) => {
      admittedAt = Date.now();
      return release;
    });
    await sleep(1300);
    assert.equal(admittedAt, 0, 'calls in flight hold their entries past the window');
    assert.equal(limiter.queued, 1);
    const releasedAt = Date.now();
    first();
    (await third)();
    assert.ok(
      admittedAt - releasedAt >= 950,
      `the next call came ${admittedAt - releasedAt} ms after the release, less than a window`,
    );
    const finished = Number(await admin.zscore(limiter.redisKey, (await admin.zrange(limiter.redisKey, 0, '0'))[0]!));
    assert.ok(finished <= (await redisNow()), 'a release rewrites the score to the finish time');
    second();
  });

  it('lets the entries of a process that died with calls in flight expire (maxCallMs + a window), not block the key forever', async function () {
    const child = startChild({
      mode: 'hold',
      redisUrl: redis!.url,
      keyPrefix,
      appKey: DEFAULT_APP.appKey,
      perSecond: 2,
      concurrency: 0,
      maxCallMs: 1500,
      calls: 2,
    });
    children.push(child);
    assert.deepEqual(await child.next('held'), { type: 'held', count: 2 });
    const heldAt = Date.now();
    child.kill();
    await child.exited;
    const limiter = makeLimiter({ perSecond: 2 });
    await settled(limiter);
    assert.equal(await admin.zcard(limiter.redisKey), 2, 'the dead process left its entries');
    const release = await limiter.acquire();
    const waited = Date.now() - heldAt;
    release();
    assert.ok(
      waited >= 2400,
      `admitted ${waited} ms after the entries were taken: they still counted until maxCallMs + window`,
    );
  });

  it('falls back to the local limit when Redis is unreachable at start: calls succeed, the state says so', async function () {
    const log = new StateLog();
    const limiter = new RedisCallLimiter({
      redis: `redis://127.0.0.1:${await freePort()}/0`,
      appKey: DEFAULT_APP.appKey,
      perSecond: 10,
      concurrency: 4,
      onStateChange: log.listener,
    });
    limiters.push(limiter);
    const client = makeClient(limiter);
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => echo(client, i)));
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    assert.equal(limiter.state, 'local-fallback');
    assert.deepEqual(log.states, ['local-fallback']);
    assert.match(log.entries[0]!.reason ?? '', /127\.0\.0\.1:\d+/);
    const stats = sandbox.stats();
    assert.equal(stats.totalCalls, 25);
    const busiest = maxInAnyWindow(stats.callStarts);
    assert.ok(busiest <= 10, `the local fallback let ${busiest} calls through within one second (limit 10)`);
    assert.ok(stats.maxConcurrent <= 4);
  });

  it('falls back when Redis dies mid-run and shares again once it is back', async function () {
    const own = await RedisServer.start();
    extraServers.push(own);
    const log = new StateLog();
    const limiter = makeLimiter({
      redis: own.url,
      perSecond: 20,
      concurrency: 4,
      onStateChange: log.listener,
      probeIntervalMs: 200,
    });
    const client = makeClient(limiter);
    await settled(limiter);
    assert.equal(limiter.state, 'shared');
    let completed = 0;
    const run = Promise.allSettled(Array.from({ length: 60 }, (_, i) => echo(client, i).finally(() => completed++)));
    while (completed < 10) await sleep(20);
    await own.kill();
    await log.until('local-fallback');
    const fellBackAt = log.entries.length;
    await own.restart();
    await log.until('shared', fellBackAt);
    const results = await run;
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
      'no call fails while Redis is away',
    );
    assert.equal(sandbox.stats().totalCalls, 60);
    assert.deepEqual(log.states, ['shared', 'local-fallback', 'shared']);
    assert.match(log.entries[1]!.reason ?? '', /Redis/);

    // shared again: starts are counted in Redis (the restarted server is empty)
    const direct = new Redis(own.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await direct.connect();
    try {
      await direct.del(limiter.redisKey);
      for (let i = 0; i < 5; i++) (await limiter.acquire())();
      assert.equal(await direct.zcard(limiter.redisKey), 5);
    } finally {
      direct.disconnect();
    }
  });

  it('rejects a call aborted while it waits for the shared limit, and lets the next ones through', async function () {
    const limiter = makeLimiter({ perSecond: 2 });
    await settled(limiter);
    (await limiter.acquire())();
    (await limiter.acquire())();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    await sleep(30);
    assert.equal(limiter.queued, 1);
    controller.abort();
    assert.equal((await rejection(waiting)).kind, 'aborted');
    assert.equal(limiter.queued, 0);
    assert.equal(await admin.zcard(limiter.redisKey), 2, 'the aborted call took no start');
    const release = await limiter.acquire();
    assert.equal(limiter.inFlight, 1);
    release();
    assert.equal(limiter.inFlight, 0);
  });

  it('rejects a call aborted while it waits for a concurrency slot, and a TopClient call aborted in the queue never reaches the gateway', async function () {
    const limiter = makeLimiter({ perSecond: 100, concurrency: 1 });
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    assert.equal(limiter.queued, 1);
    controller.abort();
    assert.equal((await rejection(waiting)).kind, 'aborted');
    assert.equal(limiter.queued, 0);
    held();

    const client = makeClient(limiter);
    const hold = await limiter.acquire();
    const callController = new AbortController();
    const call = echo(client, 1, callController.signal);
    await sleep(20);
    callController.abort();
    assert.equal((await rejection(call)).kind, 'aborted');
    hold();
    await echo(client, 2);
    assert.equal(sandbox.stats().totalCalls, 1);
  });

  it('close() rejects queued calls and quits the connection', async function () {
    const limiter = makeLimiter({ perSecond: 1 });
    (await limiter.acquire())();
    const waiting = limiter.acquire();
    await sleep(20);
    const closing = limiter.close();
    assert.match((await rejection(waiting)).message, /closed/i);
    await closing;
    assert.equal((await rejection(limiter.acquire())).kind, 'aborted');
    const clientsOfServer = (await admin.client('LIST')) as string;
    assert.equal(
      clientsOfServer.trim().split('\n').length,
      1,
      `only the test's own connection is left:\n${clientsOfServer}`,
    );
  });

  for (const reachable of [true, false]) {
    it(`close() leaves no open handles (Redis ${reachable ? 'up' : 'unreachable, retrying'}): the process exits by itself`, async function () {
      const redisUrl = reachable ? redis!.url : `redis://127.0.0.1:${await freePort()}/0`;
      const child = startChild({
        mode: 'close',
        redisUrl,
        keyPrefix,
        appKey: DEFAULT_APP.appKey,
        perSecond: 5,
        concurrency: 2,
      });
      children.push(child);
      const closed = await child.next('closed');
      assert.equal(closed.type, 'closed');
      if (closed.type === 'closed')
        assert.deepEqual(
          closed.resources.filter((r) => r !== 'PipeWrap'),
          [],
          'nothing but the IPC channel is open after close()',
        );
      assert.deepEqual(await exitsByItself(child, 15_000), { code: 0, signal: null });
    });
  }

  it('createLimiterFromConfig: none without a Redis URL, a validation error for a URL that is not redis, a limiter otherwise', async function () {
    assert.equal(createLimiterFromConfig({ redisUrl: '  ', appKey: 'k', perSecond: 40, concurrency: 16 }), undefined);
    assert.equal(createLimiterFromConfig({ appKey: 'k', perSecond: 40, concurrency: 16 }), undefined);
    const err = (() => {
      try {
        createLimiterFromConfig({ redisUrl: 'http://127.0.0.1:6379', appKey: 'k', perSecond: 40, concurrency: 16 });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof TopError && err.kind === 'validation' && err.param === 'redisUrl');
    const log = new StateLog();
    const limiter = createLimiterFromConfig({
      redisUrl: redis!.url,
      appKey: 'cfg-app',
      perSecond: 40,
      concurrency: 16,
      onStateChange: log.listener,
    })!;
    limiters.push(limiter);
    assert.ok(limiter instanceof RedisCallLimiter);
    await log.until('shared');
    assert.equal(limiter.redisKey, 'tbk:rl:cfg-app');
  });
});
