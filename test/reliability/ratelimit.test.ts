/** Rate limiting through a method node: a burst of 1 000 messages, 40 calls/s at the gateway at most, none dropped. */
import { strict as assert } from 'node:assert';
import { helper, stopRuntime, startRuntime } from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
import { maxInAnyWindow as maxInAnySecond } from '../support/assertions';
import { SandboxProcess } from '../support/sandbox-process';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');

const BURST = 1000;
const LIMIT = 40;

describe('reliability: rate limit under a burst', function () {
  this.timeout(90_000);
  // in a process of its own: it stamps each call's arrival as a remote gateway would (see SandboxProcess)
  let sandbox: SandboxProcess;

  before(async function () {
    sandbox = await SandboxProcess.start({ recordLimit: 5000 });
    await startRuntime();
  });
  after(async function () {
    await stopRuntime();
    await sandbox.close();
  });

  it('the sliding-window counter sees a burst', function () {
    assert.equal(maxInAnySecond([0, 10, 999, 1000, 1999]), 3);
    assert.equal(maxInAnySecond([0, 1000, 2000]), 1);
  });

  it(`${BURST} messages at once with a limit of ${LIMIT}/s: never more than ${LIMIT} calls in any second at the gateway, every message answered once`, async function () {
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'cfg',
        type: 'tbk-config',
        z: 'f1',
        endpoint: sandbox.url,
        timeout: 10_000,
        retries: 0,
        rateLimit: LIMIT,
        concurrency: 16,
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
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    await helper.load([configNode, commonSet], flow, { cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret' } });
    const answered = new Uint8Array(BURST);
    const failures: string[] = [];
    let count = 0;
    let allDone: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const onOutput = (port: string) => (msg: Record<string, any>) => {
      answered[msg.seq as number]!++;
      if (port === 'err') failures.push(`${String(msg.seq)}: ${String(msg.error?.message)}`);
      if (++count === BURST) allDone();
    };
    helper.getNode('ok').on('input', onOutput('ok'));
    helper.getNode('err').on('input', onOutput('err'));
    await sandbox.resetStats();
    const node = helper.getNode('m');
    for (let seq = 0; seq < BURST; seq++) node.receive({ seq, payload: { num_iids: String(5_000_000 + seq) } });
    await finished;

    assert.deepEqual(failures, []);
    assert.ok(
      answered.every((n) => n === 1),
      'every message answered exactly once',
    );
    const stats = await sandbox.stats();
    assert.equal(stats.totalCalls, BURST, 'one gateway call per message, none dropped or repeated');
    assert.deepEqual(Object.keys(stats.errorsByCode), [], 'no call refused');
    const seen = new Set((await sandbox.requests()).map((r) => r.params.num_iids));
    assert.equal(seen.size, BURST);
    const peak = maxInAnySecond(stats.callStarts);
    console.log(
      `      peak ${peak} calls in a sliding 1 s window (limit ${LIMIT}); peak in a calendar second ${stats.maxCallsPerSecond}; ${stats.maxConcurrent} at once at most`,
    );
    assert.ok(peak <= LIMIT, `${peak} calls in one second`);
    assert.ok(peak >= LIMIT - 5, `the limiter ran far below the limit (${peak}/s): the burst was not a burst`);
  });
});
