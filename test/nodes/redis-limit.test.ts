/** The tbk-config node's shared rate limit (redisUrl): two Node-RED runtimes on one limit, and the fallback status. */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox';
import type { NodeStatus } from 'node-red';
import type { TbkConfigNode } from '../../nodes/config-settings';
import { forkMessaging, type MessagingChild } from '../support/child-process';
import { assertNoSecrets, delay, helper, stopRuntime } from '../support/node-red';
import type { RuntimeJob, RuntimeMessage } from '../support/node-red-runtime';
import { freePort, RedisServer, requireRedisServer } from '../support/redis';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
import { maxInAnyWindow as maxInAnySecond } from '../support/assertions';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import orderSyncNode = require('../../nodes/tbk-order-sync');

const RUNTIME_SCRIPT = join(__dirname, '..', 'support', 'node-red-runtime.js');

type Runtime = MessagingChild<RuntimeMessage>;

const startRuntime = (job: RuntimeJob): Runtime =>
  forkMessaging<RuntimeMessage>(RUNTIME_SCRIPT, { TBK_RUNTIME_JOB: JSON.stringify(job) });

describe('tbk-config shared rate limit (Redis)', function () {
  this.timeout(90_000);
  let redis: RedisServer | undefined;
  let sandbox: Sandbox;
  const runtimes: Runtime[] = [];

  before(async function () {
    requireRedisServer(this);
    redis = await RedisServer.start();
    sandbox = await startSandbox({ recordLimit: 1000 });
  });
  after(async function () {
    await sandbox?.close();
    await redis?.stop();
  });
  afterEach(function () {
    for (const runtime of runtimes.splice(0)) runtime.kill();
  });

  it('keeps two Node-RED runtimes (two processes) with the same App Key and Redis to 20 calls in any second together, dropping no message', async function () {
    const job: RuntimeJob = {
      endpoint: sandbox.url,
      redisUrl: redis!.url,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
      rateLimit: 20,
      concurrency: 8,
      messages: 100,
      firstItem: 6_000_000,
    };
    const pair = [startRuntime(job), startRuntime({ ...job, firstItem: 6_100_000 })];
    runtimes.push(...pair);
    const ready = await Promise.all(pair.map((r) => r.next('ready')));
    assert.deepEqual(ready, [
      { type: 'ready', mode: 'shared' },
      { type: 'ready', mode: 'shared' },
    ]);
    sandbox.resetStats();
    for (const runtime of pair) runtime.send('go');
    const done = await Promise.all(pair.map((r) => r.next('done')));
    for (const result of done)
      assert.deepEqual(result, { type: 'done', ok: 100, failed: 0, errors: [], modes: ['connecting', 'shared'] });
    const stats = sandbox.stats();
    assert.equal(stats.totalCalls, 200, 'one gateway call per message');
    assert.equal(
      new Set(sandbox.requests().map((r) => r.params.num_iids)).size,
      200,
      'every message of both runtimes reached the gateway once',
    );
    const peak = maxInAnySecond(stats.callStarts);
    assert.ok(peak <= 20, `the sandbox saw ${peak} calls within one second (limit 20 shared by both runtimes)`);
    assert.deepEqual(await Promise.all(pair.map(async (r) => (await r.exited).code)), [0, 0]);
  });

  describe('when Redis is unreachable', function () {
    const PASSWORD = 'r3dis-pw-5f0c2a';
    beforeEach(function (done) {
      helper.startServer(done);
    });
    afterEach(async function () {
      await stopRuntime();
    });

    it('falls back to the local limit: calls succeed, the method nodes show it, a warning is logged without the credentials', async function () {
      const port = await freePort();
      const redisUrl = `redis://tbkuser:${PASSWORD}@127.0.0.1:${port}/0`;
      const flow = [
        { id: 'f1', type: 'tab' },
        {
          id: 'cfg',
          type: 'tbk-config',
          z: 'f1',
          endpoint: sandbox.url,
          timeout: 5000,
          retries: 0,
          rateLimit: 5,
          concurrency: 2,
        },
        {
          id: 'm',
          type: 'tbk-item-info-get',
          z: 'f1',
          x: 0,
          y: 0,
          config: 'cfg',
          version: 1,
          params: {},
          errorMode: 'output',
          wires: [['ok'], ['err']],
        },
        { id: 'sync', type: 'tbk-order-sync', z: 'f1', x: 0, y: 0, config: 'cfg', interval: 0, wires: [[], []] },
        { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
        { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
      ];
      sandbox.resetStats();
      await helper.load([configNode, commonSet, orderSyncNode], flow, {
        cfg: { appKey: DEFAULT_APP.appKey, appSecret: DEFAULT_APP.appSecret, redisUrl },
      });
      const syncStatuses: NodeStatus[] = [];
      const syncNode = helper.getNode('sync');
      const showSyncStatus = syncNode.status as (status: NodeStatus) => void;
      syncNode.status = (status: NodeStatus) => {
        syncStatuses.push(status);
        showSyncStatus.call(syncNode, status);
      };
      const node = helper.getNode('m');
      const statuses: NodeStatus[] = [];
      const showStatus = node.status as (status: NodeStatus) => void;
      node.status = (status: NodeStatus) => {
        statuses.push(status);
        showStatus.call(node, status);
      };
      const answers: Array<Record<string, any>> = [];
      helper.getNode('ok').on('input', (msg: Record<string, any>) => answers.push(msg));
      helper.getNode('err').on('input', (msg: Record<string, any>) => answers.push(msg));
      for (let seq = 0; seq < 8; seq++) node.receive({ seq, payload: { num_iids: String(7_000_000 + seq) } });
      while (answers.length < 8) await delay(20);
      await delay(400); // the last status update is coalesced

      assert.deepEqual(
        answers.filter((m) => m.error).map((m) => m.error.message),
        [],
        'no call fails',
      );
      assert.equal(sandbox.stats().totalCalls, 8);
      assert.ok(maxInAnySecond(sandbox.stats().callStarts) <= 5, 'the local limit holds');
      assert.deepEqual(statuses.at(-1), { fill: 'yellow', shape: 'ring', text: 'local limit: Redis unreachable' });
      assert.deepEqual(
        syncStatuses.at(-1),
        { fill: 'yellow', shape: 'ring', text: 'local limit: Redis unreachable' },
        'the order sync node shows it too',
      );

      const logged = (helper as any).log().args.map((a: unknown[]) => a[0]) as Array<{
        level?: number;
        id?: string;
        msg?: unknown;
      }>;
      const warnings = logged.filter((entry) => entry.id === 'cfg' && /rate limit is local/.test(String(entry.msg)));
      assert.equal(
        warnings.length,
        1,
        `one warning for the change of state: ${JSON.stringify(logged.filter((e) => e.id === 'cfg'))}`,
      );
      assert.match(String(warnings[0]!.msg), new RegExp(`Redis 127\\.0\\.0\\.1:${port}`));
      console.log(`      warning: ${String(warnings[0]!.msg)}`);
      assertNoSecrets(
        [logged, statuses, (helper.getNode('cfg') as unknown as TbkConfigNode).settings],
        [PASSWORD, 'tbkuser'],
      );
    });
  });
});
