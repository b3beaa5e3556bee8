/** The order sync's parts without Node-RED: the gateway clock, checkpoint checks, the file store, the run queue, the key. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopClient } from '../../lib/top/client';
import { GatewayClock } from '../../lib/top/gateway-clock';
import { checkpointProblem, type SyncState } from '../../lib/sync';
import { startSandbox } from '../../lib/sandbox';
import { checkpointKey } from '../../lib/sync/checkpoint-key';
import { FileCheckpointStore } from '../../lib/sync/file-checkpoint';
import { RunQueue, type QueuedRun } from '../../lib/sync/run-queue';
import { parseGmt8 } from '../../lib/top/time';

const NOW = parseGmt8('2025-03-01 12:00:00');
const valid = (): SyncState => ({
  v: 1,
  method: 'taobao.tbk.order.details.get',
  queryType: 4,
  cursor: NOW - 60_000,
  origin: NOW - 3_600_000,
  seen: { '123456789012345678': ['abc', NOW / 1000 - 120] },
});

describe('order sync parts', function () {
  describe('GatewayClock', function () {
    it('bounds the skew by each answer and narrows it with the next ones', function () {
      const clock = new GatewayClock(() => 0);
      assert.equal(clock.calibrated, false);
      assert.equal(clock.skewMs, 0);
      // the gateway is 9 minutes behind; its Date header shows whole seconds
      const skew = -9 * 60_000 - 250;
      const answer = (sentAt: number, rtt: number) => {
        const at = sentAt + rtt / 2 + skew;
        clock.observe(new Date(Math.floor(at / 1000) * 1000).toUTCString(), sentAt, sentAt + rtt);
      };
      answer(1_000_000, 40);
      assert.equal(clock.calibrated, true);
      assert.ok(Math.abs(clock.skewMs - skew) <= 520, `one answer: ${clock.skewMs} vs ${skew}`);
      for (let i = 1; i <= 12; i++) answer(1_000_000 + i * 1337, 30);
      assert.ok(Math.abs(clock.skewMs - skew) <= 60, `after 13 answers: ${clock.skewMs} vs ${skew}`);
      assert.equal(clock.now(2_000_000), 2_000_000 + clock.skewMs);
    });

    it('ignores answers without a Date header and follows a stepped clock', function () {
      const clock = new GatewayClock();
      clock.observe(undefined, 0, 10);
      clock.observe('not a date', 0, 10);
      assert.equal(clock.calibrated, false);
      clock.observe(new Date(3_600_000).toUTCString(), 0, 10);
      assert.ok(Math.abs(clock.skewMs - 3_600_000) < 1000);
      clock.observe(new Date(100_000).toUTCString(), 100_000, 100_010);
      assert.ok(Math.abs(clock.skewMs) < 1000, 'the newest answer wins when the intervals stop overlapping');
    });

    it('TopClient.gatewayNow follows the sandbox clock (Date header) on top of clockOffsetMs', async function () {
      const skew = -9 * 60_000;
      const sandbox = await startSandbox({ clock: () => Date.now() + skew });
      const client = new TopClient({
        appKey: 'sandbox-app',
        appSecret: 'sandbox-secret',
        endpoint: sandbox.url,
        rateLimit: false,
        clockOffsetMs: 30_000,
      });
      try {
        assert.equal(client.clockCalibrated, false);
        assert.ok(Math.abs(client.gatewayNow() - (Date.now() + 30_000)) < 50, 'before an answer: host + offset');
        await client.call('taobao.tbk.item.info.get', { num_iids: '1' });
        assert.equal(client.clockCalibrated, true);
        assert.ok(
          Math.abs(client.gatewayNow() - (Date.now() + skew)) < 1200,
          `gateway now off by ${client.gatewayNow() - (Date.now() + skew)} ms`,
        );
        assert.ok(Math.abs(client.gatewaySkewMs - (skew - 30_000)) < 1200);
      } finally {
        await client.close();
        await sandbox.close();
      }
    });
  });

  describe('an invalid timestamp (code 31)', function () {
    it('says what to set the clock offset to, from the Date header of the refusal', async function () {
      const sandbox = await startSandbox({ clock: () => Date.now() - 20 * 60_000 });
      const client = new TopClient({
        appKey: 'sandbox-app',
        appSecret: 'sandbox-secret',
        endpoint: sandbox.url,
        rateLimit: false,
        retry: false,
      });
      try {
        const err = await client.call('taobao.tbk.item.info.get', { num_iids: '1' }).then(
          () => assert.fail('accepted'),
          (e: Error & { code?: number }) => e,
        );
        assert.equal(err.code, 31);
        assert.match(
          err.message,
          /^Invalid timestamp \(31\): .*clock offset.* \(the gateway's Date header shows its clock 1200 s behind this host's: set the config node's clock offset to -1200 s\)$/,
        );
      } finally {
        await client.close();
        await sandbox.close();
      }
    });
  });

  describe('checkpointProblem', function () {
    it('accepts a valid checkpoint and names what is wrong with an invalid one', function () {
      assert.equal(checkpointProblem(valid(), NOW), undefined);
      const cases: Array<[string, unknown, RegExp]> = [
        ['null in seen', { ...valid(), seen: { '1': null } }, /^seen\.1: /],
        [
          'a cursor in 2099',
          { ...valid(), cursor: parseGmt8('2099-01-01 00:00:00') },
          /cursor .* is after the gateway's now/,
        ],
        ['a cursor of 1e300', { ...valid(), cursor: 1e300 }, /^cursor: /],
        ['NaN', { ...valid(), origin: Number.NaN }, /^origin: /],
        ['a string cursor', { ...valid(), cursor: '1740801600000' }, /^cursor: /],
        ['an unknown query type', { ...valid(), queryType: 7 }, /^queryType: /],
        ['an older version', { ...valid(), v: 0 }, /^v: /],
        ['origin after cursor', { ...valid(), origin: NOW }, /^origin: origin is after cursor/],
        ['a 1970 cursor', { ...valid(), cursor: 5, origin: 0 }, /^cursor: /],
        ['not an object', 'garbage{', /^checkpoint: /],
        ['an array', [], /^checkpoint: /],
        ['seen as a list', { ...valid(), seen: [['1', ['a', 1]]] }, /^seen: /],
        [
          'a negative fingerprint time',
          { ...valid(), seen: { '1': ['a', Number.POSITIVE_INFINITY] } },
          /^seen\.1\.1: /,
        ],
      ];
      for (const [what, value, problem] of cases) assert.match(checkpointProblem(value, NOW) ?? 'valid', problem, what);
    });
  });

  describe('FileCheckpointStore', function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), 'tbk-checkpoint-'));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('saves atomically (no temporary file left, owner-only), loads what it saved, nothing when there is no file', async function () {
      const store = new FileCheckpointStore(
        join(dir, 'sub'),
        checkpointKey({ appKey: '12345678', method: 'taobao.tbk.order.details.get', queryType: 4 }),
      );
      assert.equal(await store.load(), undefined);
      await store.save(valid());
      await store.save({ ...valid(), cursor: NOW });
      assert.deepEqual(await store.load(), { ...valid(), cursor: NOW });
      assert.deepEqual(readdirSync(join(dir, 'sub')), ['12345678.order.q4.app.json']);
      if (process.platform !== 'win32') assert.equal(statSync(store.path).mode & 0o777, 0o600);
    });

    it('hands a torn or foreign file back as it is (the sync reports it and starts afresh)', async function () {
      const store = new FileCheckpointStore(dir, 'k');
      writeFileSync(store.path, '{"v":1,"cursor":');
      assert.equal(await store.load(), '{"v":1,"cursor":');
      assert.match(checkpointProblem(await store.load(), NOW)!, /^checkpoint: /);
      await store.save(valid());
      assert.equal(JSON.parse(readFileSync(store.path, 'utf8')).cursor, valid().cursor);
    });
  });

  describe('checkpointKey', function () {
    it('is app key + method + query type + a hash of the session, never the session itself', function () {
      const base = { appKey: '12345678', method: 'taobao.tbk.sc.order.details.get', queryType: 1 } as const;
      assert.equal(checkpointKey(base), '12345678.sc-order.q1.app');
      const withSession = checkpointKey({ ...base, session: 'secret-session-token' });
      assert.match(withSession, /^12345678\.sc-order\.q1\.s[0-9a-f]{16}$/);
      assert.ok(!withSession.includes('secret'));
      assert.notEqual(checkpointKey({ ...base, session: 'another' }), withSession);
      assert.notEqual(
        checkpointKey({ ...base, filters: { order_scene: 2 } }),
        checkpointKey(base),
        'other filters, other orders',
      );
      assert.equal(
        checkpointKey({ ...base, filters: { order_scene: 2, member_type: 3 } }),
        checkpointKey({ ...base, filters: { member_type: 3, order_scene: 2 } }),
      );
      assert.notEqual(checkpointKey({ ...base, name: 'books' }), checkpointKey(base));
    });
  });

  describe('RunQueue', function () {
    type Run = QueuedRun<string> & { id: number };
    function queue(maxQueued = 3) {
      const started: number[] = [];
      const refused: number[] = [];
      const errors: string[] = [];
      const gates: Array<() => void> = [];
      const q = new RunQueue<string, Run>({
        maxQueued,
        execute: (run) => {
          started.push(run.id);
          if (run.id === 99) return Promise.reject(new Error('report failed'));
          return new Promise<void>((resolve) => gates.push(resolve));
        },
        onRefused: (run) => refused.push(run.id),
        onError: (run, err) => errors.push(`${run.id}: ${(err as Error).message}`),
      });
      const release = async () => {
        gates.shift()!();
        await new Promise((r) => setImmediate(r));
      };
      return { q, started, refused, errors, release };
    }

    it('runs one at a time in order; a sync joins a waiting sync of the same session', async function () {
      const { q, started, release } = queue();
      const a: Run = { id: 1, kind: 'sync', inputs: ['a'] };
      const b: Run = { id: 2, kind: 'sync', inputs: ['b'] };
      const c: Run = { id: 3, kind: 'backfill', inputs: ['c'] };
      const d: Run = { id: 4, kind: 'sync', inputs: ['d'] };
      const e: Run = { id: 5, kind: 'sync', session: 'user-2', inputs: ['e'] };
      for (const run of [a, b, c, d, e]) assert.equal(q.enqueue(run), true);
      assert.equal(q.busy, true);
      assert.deepEqual(started, [1]);
      assert.equal(q.size, 3, 'b and d merged into one run');
      assert.deepEqual(b.inputs, ['b', 'd']);
      await release();
      await release();
      await release();
      await release();
      assert.deepEqual(started, [1, 2, 3, 5]);
      await q.idle();
      assert.equal(q.busy, false);
    });

    it('refuses beyond its bound and after close, hands back what waits, and reports a failed run', async function () {
      const { q, started, refused, errors, release } = queue(2);
      q.enqueue({ id: 1, kind: 'backfill', inputs: [] });
      q.enqueue({ id: 2, kind: 'backfill', inputs: [] });
      q.enqueue({ id: 3, kind: 'backfill', inputs: [] });
      assert.equal(q.enqueue({ id: 4, kind: 'backfill', inputs: [] }), false);
      assert.deepEqual(refused, [4]);
      assert.deepEqual(
        q.close().map((r) => r.id),
        [2, 3],
      );
      assert.equal(q.enqueue({ id: 5, kind: 'sync', inputs: [] }), false);
      assert.deepEqual(refused, [4, 5]);
      await release();
      assert.deepEqual(started, [1]);

      const other = queue();
      other.q.enqueue({ id: 99, kind: 'sync', inputs: [] });
      await other.q.idle();
      assert.deepEqual(other.errors, ['99: report failed']);
      assert.deepEqual(errors, []);
    });
  });
});
