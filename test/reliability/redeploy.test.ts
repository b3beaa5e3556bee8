/**
 * Redeploy and stop under load: every in-flight and queued message ends with an aborted error
 * within Node-RED's close timeout, and nothing is left running (sockets, timers, queued calls).
 */
import { strict as assert } from 'node:assert';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import type { TopClient } from '../../lib/index';
import { delay, type FlowNode, helper, type TestNode, stopRuntime, startRuntime, until } from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');

const LATENCY_MS = 1500;
/** Node-RED's default nodeCloseTimeout */
const CLOSE_TIMEOUT_MS = 15_000;

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  return out;
}

function flow(sandboxUrl: string, name: string): FlowNode[] {
  return [
    { id: 'f1', type: 'tab' },
    // 4 calls at the gateway at once, 5 starts a second: the rest wait in the limiter's queue
    {
      id: 'cfg',
      type: 'tbk-config',
      z: 'f1',
      name,
      endpoint: sandboxUrl,
      timeout: 10_000,
      retries: 2,
      rateLimit: 5,
      concurrency: 4,
    },
    {
      id: 'm',
      type: 'tbk-item-info-get',
      z: 'f1',
      x: 0,
      y: 0,
      name,
      config: 'cfg',
      version: 1,
      params: {},
      errorMode: 'catch',
      wires: [['ok']],
    },
    { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
  ];
}

interface Ending {
  seq: number;
  kind?: string;
  at: number;
}

/** Records each done() of the node: with errorMode catch, a failure arrives as done(err). */
function recordEndings(node: TestNode): Ending[] {
  const endings: Ending[] = [];
  const original = node._complete as (msg: unknown, err?: unknown) => unknown;
  node._complete = function (msg: Record<string, any>, err?: { kind?: string }) {
    endings.push({ seq: msg.seq as number, kind: err?.kind, at: Date.now() });
    return original.call(this, msg, err);
  };
  return endings;
}

describe('reliability: redeploy and stop under load', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async function () {
    sandbox = await startSandbox({ faults: [{ kind: 'latency', latencyMs: LATENCY_MS }] });
  });
  after(async function () {
    await sandbox.close();
  });

  it('aborts every in-flight and queued message on a full redeploy and on stop, and leaves no socket, timer or queued call', async function () {
    await delay(50);
    const baseline = resources();
    await startRuntime();

    await helper.load([configNode, commonSet], flow(sandbox.url, 'first'), {
      cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret' },
    });
    const firstClient = (helper.getNode('cfg') as unknown as { getClient(): TopClient }).getClient();
    let endings = recordEndings(helper.getNode('m'));
    for (let seq = 0; seq < 30; seq++) helper.getNode('m').receive({ seq, payload: { num_iids: String(seq + 1) } });
    await until(() => sandbox.stats().inFlight >= 4 && firstClient.queued > 0, 'calls in flight and queued');
    assert.equal(firstClient.inFlight, 4);

    // deploy a changed flow while 4 calls wait at the gateway and the rest in the queue
    const deployed = Date.now();
    await helper._redNodes.setFlows(
      flow(sandbox.url, 'second'),
      { cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret' } },
      'full',
    );
    assert.equal(endings.length, 30, 'every message ended');
    assert.deepEqual(new Set(endings.map((e) => e.seq)).size, 30, 'each once');
    assert.deepEqual([...new Set(endings.map((e) => e.kind))], ['aborted']);
    const slowest = Math.max(...endings.map((e) => e.at - deployed));
    assert.ok(slowest < CLOSE_TIMEOUT_MS, `the last message ended ${slowest} ms after the deploy`);
    assert.equal(firstClient.inFlight, 0);
    assert.equal(firstClient.queued, 0);

    // the new flow runs; stop the runtime with calls in flight again
    await until(() => helper.getNode('m')?.name === 'second', 'the new flow');
    const secondClient = (helper.getNode('cfg') as unknown as { getClient(): TopClient }).getClient();
    assert.notEqual(secondClient, firstClient);
    endings = recordEndings(helper.getNode('m'));
    for (let seq = 100; seq < 120; seq++) helper.getNode('m').receive({ seq, payload: { num_iids: String(seq) } });
    await until(() => secondClient.inFlight === 4 && secondClient.queued > 0, 'calls in flight again');
    const stopping = Date.now();
    await stopRuntime();
    assert.equal(endings.length, 20);
    assert.deepEqual([...new Set(endings.map((e) => e.kind))], ['aborted']);
    assert.ok(Math.max(...endings.map((e) => e.at - stopping)) < CLOSE_TIMEOUT_MS);
    assert.equal(secondClient.inFlight + secondClient.queued, 0);

    // the sandbox answers nobody: its connections are closed by the client; its own latency timers run out
    await until(() => sandbox.stats().inFlight === 0, 'the sandbox to see every connection closed', 5000);
    await delay(LATENCY_MS + 200);
    const after = resources();
    assert.deepEqual(after, baseline, `left running: ${JSON.stringify(after)} vs ${JSON.stringify(baseline)}`);
  });
});
