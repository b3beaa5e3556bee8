/**
 * Time: the client stamps GMT+8 whatever the host time zone, across the GMT+8 midnight, and a host
 * whose clock is off is corrected by the config node's clockOffset (seconds).
 *
 * A wrong host clock is simulated faithfully in a child process whose Date.now is shifted: the
 * client there stamps with that clock, the sandbox here checks against the real one.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { readSettings, type TbkConfigProperties } from '../../nodes/config-settings';
import type { Node, NodeAPI } from 'node-red';
import { helper, stopRuntime } from '../support/node-red';
import { REPO_ROOT } from '../support/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');

const DIST_LIB = join(REPO_ROOT, 'dist', 'lib');
const FIFTEEN_MINUTES = 15 * 60;

/**
 * Runs calls in a child process. Env: TZ; CLOCK_SHIFT_MS (the host clock is this far off);
 * FAKE_NOW (the host clock reads this epoch ms at start; a sandbox is started in the child, sharing that clock);
 * SANDBOX_URL (else); CLOCK_OFFSET_S (the client's correction); CALLS (how many, one second apart).
 */
const CHILD = `
const { TopClient } = require(${JSON.stringify(join(DIST_LIB, 'index.js'))});
const { startSandbox } = require(${JSON.stringify(join(DIST_LIB, 'sandbox', 'index.js'))});
const realNow = Date.now;
const shift = process.env.FAKE_NOW ? Number(process.env.FAKE_NOW) - realNow() : Number(process.env.CLOCK_SHIFT_MS || 0);
Date.now = () => realNow() + shift;
(async () => {
  const sandbox = process.env.FAKE_NOW ? await startSandbox({ recordLimit: 10 }) : undefined;
  const client = new TopClient({ appKey: 'sandbox-app', appSecret: 'sandbox-secret', endpoint: sandbox ? sandbox.url : process.env.SANDBOX_URL, retry: false, clockOffsetMs: Number(process.env.CLOCK_OFFSET_S || 0) * 1000 });
  const results = [];
  for (let i = 0; i < Number(process.env.CALLS || 1); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    try {
      await client.call('taobao.tbk.item.info.get', { num_iids: '1' });
      results.push({ ok: true, timestamp: sandbox ? sandbox.requests().at(-1).params.timestamp : undefined });
    } catch (err) {
      results.push({ ok: false, code: err.code, kind: err.kind, message: err.message });
    }
  }
  await client.close();
  if (sandbox) await sandbox.close();
  process.stdout.write(JSON.stringify({ results, localHour: new Date(Date.now()).getHours() }));
})();
`;

interface ChildResult {
  results: Array<{ ok: boolean; code?: number; kind?: string; message?: string; timestamp?: string }>;
  localHour: number;
}

function runChild(env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as ChildResult);
      },
    );
  });
}

describe('reliability: time zones, GMT+8 midnight, clock offset', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async function () {
    sandbox = await startSandbox();
  });
  after(async function () {
    await sandbox.close();
  });

  for (const zone of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Asia/Shanghai']) {
    it(`a host in ${zone} is accepted by the gateway (GMT+8 timestamps whatever the zone)`, async function () {
      const out = await runChild({ TZ: zone, SANDBOX_URL: sandbox.url });
      assert.deepEqual(
        out.results.map((r) => r.ok),
        [true],
        JSON.stringify(out.results),
      );
    });
  }

  it('calls on both sides of the GMT+8 midnight (and a new year) carry the right date and are accepted', async function () {
    // 2024-12-31 23:59:59.3 in GMT+8, on a host in New York (where it is still the morning of the 31st)
    const fakeNow = Date.UTC(2024, 11, 31, 15, 59, 59, 300);
    const out = await runChild({ TZ: 'America/New_York', FAKE_NOW: String(fakeNow), CALLS: '2' });
    assert.ok(
      out.results.every((r) => r.ok),
      JSON.stringify(out.results),
    );
    assert.equal(out.results[0]!.timestamp, '2024-12-31 23:59:59');
    assert.match(out.results[1]!.timestamp!, /^2025-01-01 00:00:0\d$/);
    assert.equal(out.localHour, 11, 'the host clock reads 11:00 in New York: its zone is not GMT+8');
  });

  it(`a host clock ${FIFTEEN_MINUTES / 60} minutes slow is refused (code 31, advice names the clock offset) and accepted with clockOffset +${FIFTEEN_MINUTES} s`, async function () {
    const slow = { SANDBOX_URL: sandbox.url, CLOCK_SHIFT_MS: String(-FIFTEEN_MINUTES * 1000) };
    const wrong = await runChild(slow);
    assert.equal(wrong.results[0]!.ok, false);
    assert.equal(wrong.results[0]!.code, 31);
    assert.equal(wrong.results[0]!.kind, 'top');
    assert.match(wrong.results[0]!.message!, /clock offset/);
    const corrected = await runChild({ ...slow, CLOCK_OFFSET_S: String(FIFTEEN_MINUTES) });
    assert.deepEqual(
      corrected.results.map((r) => r.ok),
      [true],
      JSON.stringify(corrected.results),
    );
    const fast = await runChild({
      SANDBOX_URL: sandbox.url,
      CLOCK_SHIFT_MS: String(FIFTEEN_MINUTES * 1000),
      CLOCK_OFFSET_S: String(-FIFTEEN_MINUTES),
    });
    assert.deepEqual(
      fast.results.map((r) => r.ok),
      [true],
      'a fast clock is corrected by a negative offset',
    );
  });

  it('the config node reads clockOffset in seconds (also from ${ENV}) into the client clockOffsetMs', function () {
    const RED = {
      util: { evaluateNodeProperty: (v: unknown) => (v === '${TBK_TEST_CLOCK_OFFSET}' ? '-120' : v) },
    } as unknown as NodeAPI;
    const def = (clockOffset: number | string): TbkConfigProperties => ({ clockOffset });
    const node = {} as Node;
    assert.equal(readSettings(RED, node, def('900')).clockOffsetMs, 900_000);
    assert.equal(readSettings(RED, node, def(-900)).clockOffsetMs, -900_000);
    assert.equal(readSettings(RED, node, def('')).clockOffsetMs, 0);
    assert.equal(readSettings(RED, node, def('${TBK_TEST_CLOCK_OFFSET}')).clockOffsetMs, -120_000);
  });

  describe('through a method node', function () {
    beforeEach(function (done) {
      helper.startServer(done);
    });
    afterEach(async function () {
      await stopRuntime();
    });

    for (const [offset, accepted] of [
      [0, true],
      [-FIFTEEN_MINUTES, false],
      [FIFTEEN_MINUTES, false],
      [-300, true],
    ] as const) {
      it(`clockOffset ${offset} s on a correct host clock: ${accepted ? 'accepted' : 'code 31'}`, async function () {
        const flow = [
          { id: 'f1', type: 'tab' },
          {
            id: 'cfg',
            type: 'tbk-config',
            z: 'f1',
            endpoint: sandbox.url,
            timeout: 5000,
            retries: 2,
            rateLimit: 0,
            concurrency: 0,
            clockOffset: String(offset),
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
            wires: [['out'], ['out']],
          },
          { id: 'out', type: 'helper', z: 'f1', x: 0, y: 0 },
        ];
        await helper.load([configNode, commonSet], flow, {
          cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret' },
        });
        const before = sandbox.stats().totalCalls;
        const msg = await new Promise<Record<string, any>>((resolve) => {
          helper.getNode('out').on('input', resolve);
          helper.getNode('m').receive({ payload: { num_iids: '42' } });
        });
        const sent = sandbox.requests().at(-1)!.params.timestamp!;
        const skewMs = Date.parse(sent.replace(' ', 'T') + '+08:00') - Date.now();
        assert.ok(Math.abs(skewMs - offset * 1000) < 5000, `stamped ${sent}, ${skewMs} ms off (expected ${offset} s)`);
        if (accepted) assert.equal(msg.error, undefined, JSON.stringify(msg.error));
        else {
          assert.equal(msg.error.code, 31);
          assert.equal(sandbox.stats().totalCalls - before, 1, 'a timestamp refusal is not retried');
        }
      });
    }
  });
});
