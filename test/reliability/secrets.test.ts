/**
 * Secret hygiene: after calls failing in every way, the App Secret and the session appear in no
 * output message, status, log line, error, debug-sidebar payload or flow the runtime holds, and
 * the request signature never reaches msg.tbk or msg.error.
 */
import { strict as assert } from 'node:assert';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { catchNode, delay, type FlowNode, helper, startRuntime } from '../support/node-red';
import { nodeRedPath } from '../support/node-red';
import type { NodeInitializer } from 'node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debugNode: NodeInitializer = require(
  require.resolve('@node-red/nodes/core/common/21-debug.js', { paths: [nodeRedPath] }),
);

const APP_KEY = 'hygiene-app';
const SECRET = 'S3cr3t-hygiene-9d8c7b6a5f4e';
const WRONG_SECRET = 'Wr0ng-hygiene-1a2b3c4d5e6f';
const SESSION = 'sess-hygiene-6100e25f77aa';
const MSG_SESSION = 'sess-user-hygiene-00ff11ee';
/** what the configuration holds; msg.session is the flow's own message content, checked where the node writes */
const SECRETS = [SECRET, WRONG_SECRET, SESSION];

/** Everything reachable, as text: Errors with message, stack, cause and own fields; circles and BigInts tolerated. */
function text(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, function (_key, v: unknown) {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'function') return `[function ${v.name}]`;
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
      if (v instanceof Error)
        return { ...v, message: v.message, stack: v.stack, cause: (v as { cause?: unknown }).cause };
    }
    return v;
  });
}

describe('reliability: secret hygiene', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  const comms: unknown[] = [];
  const onComms = (event: unknown): void => void comms.push(event);

  before(async function () {
    sandbox = await startSandbox({ apps: [{ appKey: APP_KEY, appSecret: SECRET }], recordLimit: 1000 });
    await startRuntime();
  });
  after(async function () {
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await sandbox.close();
  });

  it('no secret or session in outputs, statuses, logs, errors, debug messages or flows; no signature in msg.tbk or msg.error', async function () {
    const events = (helper as unknown as { _events: NodeJS.EventEmitter })._events;
    events.on('comms', onComms);
    const debug = (id: string): FlowNode => ({
      id,
      type: 'debug',
      z: 'f1',
      x: 0,
      y: 0,
      active: true,
      tosidebar: true,
      console: true,
      tostatus: true,
      complete: 'true',
      targetType: 'full',
      statusVal: 'payload',
      statusType: 'auto',
      wires: [],
    });
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'cfg',
        type: 'tbk-config',
        z: 'f1',
        endpoint: sandbox.url,
        timeout: 300,
        retries: 1,
        maxBanSeconds: 0,
        rateLimit: 0,
        concurrency: 0,
      },
      {
        id: 'bad',
        type: 'tbk-config',
        z: 'f1',
        endpoint: sandbox.url,
        timeout: 300,
        retries: 0,
        rateLimit: 0,
        concurrency: 0,
      },
      {
        id: 'read',
        type: 'tbk-item-info-get',
        z: 'f1',
        x: 0,
        y: 0,
        config: 'cfg',
        version: 1,
        params: {},
        errorMode: 'output',
        wires: [['dOk'], ['dErr']],
      },
      {
        id: 'write',
        type: 'tbk-sf-group-activity-callback',
        z: 'f1',
        x: 0,
        y: 0,
        config: 'cfg',
        version: 1,
        params: {},
        errorMode: 'catch',
        wires: [['dOk']],
      },
      {
        id: 'api',
        type: 'tbk-api',
        z: 'f1',
        x: 0,
        y: 0,
        config: 'cfg',
        method: '',
        errorMode: 'auto',
        wires: [['dOk']],
      },
      {
        id: 'wrong',
        type: 'tbk-item-info-get',
        z: 'f1',
        x: 0,
        y: 0,
        config: 'bad',
        version: 1,
        params: {},
        errorMode: 'catch',
        wires: [['dOk']],
      },
      { id: 'catch', type: 'catch', z: 'f1', x: 0, y: 0, scope: null, uncaught: false, wires: [['dCaught', 'sink']] },
      { id: 'sink', type: 'helper', z: 'f1', x: 0, y: 0 },
      debug('dOk'),
      debug('dErr'),
      debug('dCaught'),
    ];
    const credentials = {
      cfg: { appKey: APP_KEY, appSecret: SECRET, session: SESSION },
      bad: { appKey: APP_KEY, appSecret: WRONG_SECRET, session: SESSION },
    };
    await helper.load([configNode, apiNode, commonSet, otherSet, catchNode, debugNode], flow, credentials);
    const outputs: unknown[] = [];
    for (const id of ['dOk', 'dErr', 'sink']) helper.getNode(id).on('input', (msg: unknown) => outputs.push(msg));

    const readPayload = { num_iids: '123' };
    const writePayload = { group_id: 'g', res_code: 1, msg_id: 'm1', offset_code: 'o', time_stamp: 1749091000704 };
    const cases: Array<{ node: string; msg: Record<string, unknown>; fault?: Parameters<Sandbox['addFault']>[0] }> = [
      { node: 'read', msg: { payload: readPayload } },
      { node: 'read', msg: { payload: readPayload, session: MSG_SESSION } },
      { node: 'read', msg: { payload: { num_iids: { nested: 'not-a-number' } } } }, // validation
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'top-error', code: 27, count: 1 } }, // invalid session
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'http502', count: 2 } },
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'reset', count: 2 } },
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'malformed', count: 2 } },
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'latency', latencyMs: 600, count: 2 } }, // timeout
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'throttle', banSeconds: 60, count: 1 } },
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'tbk-throttle', count: 2 } },
      { node: 'read', msg: { payload: readPayload }, fault: { kind: 'isp', count: 2 } },
      { node: 'write', msg: { payload: writePayload }, fault: { kind: 'business', count: 1 } },
      { node: 'write', msg: { payload: writePayload, session: MSG_SESSION }, fault: { kind: 'truncated', count: 1 } },
      { node: 'api', msg: { method: 'taobao.tbk.item.info.get', payload: readPayload } },
      { node: 'api', msg: { method: 'taobao.tbk.no.such.method', payload: {} } },
      { node: 'api', msg: { payload: {} } }, // no method
      { node: 'wrong', msg: { payload: readPayload } }, // invalid signature, signed with the wrong secret
    ];
    for (const c of cases) {
      sandbox.clearFaults();
      if (c.fault) sandbox.addFault(c.fault);
      const before = outputs.length;
      helper.getNode(c.node).receive(c.msg);
      const until = Date.now() + 5000;
      while (outputs.length === before && Date.now() < until) await delay(10);
      assert.ok(outputs.length > before, `no output for ${JSON.stringify(c)}`);
    }
    sandbox.clearFaults();
    await delay(700); // let the debug nodes publish
    const kinds = new Set(
      outputs
        .map((m) => (m as { error?: { kind?: string; cause?: { kind?: string } } }).error)
        .filter(Boolean)
        .map((e) => e!.kind ?? e!.cause?.kind),
    );
    for (const kind of ['validation', 'top', 'transport', 'timeout', 'throttled', 'business'])
      assert.ok(kinds.has(kind), `no ${kind} error was produced (${[...kinds].join(', ')})`);

    const internals = helper as unknown as {
      _NodePrototype: Record<string, { args?: unknown[][] }>;
      _logSpy?: { args: unknown[][] };
      _redNodes: { getFlows(): unknown };
    };
    const logLines = internals._logSpy?.args ?? [];
    const statuses = internals._NodePrototype.status?.args ?? [];
    const nodeErrors = internals._NodePrototype.error?.args ?? [];
    const nodeWarnings = internals._NodePrototype.warn?.args ?? [];
    const flows = internals._redNodes.getFlows();
    const debugMessages = comms.filter((c) => (c as { topic?: string }).topic === 'debug');
    await helper.unload();
    events.off('comms', onComms);

    assert.ok(
      logLines.length > 0 && statuses.length > 0 && debugMessages.length >= cases.length && nodeErrors.length > 0,
      'the capture saw something',
    );
    const signatures = sandbox
      .requests()
      .map((r) => r.params.sign!)
      .filter(Boolean);
    assert.ok(signatures.length >= 10);
    const places: Record<string, unknown> = {
      outputs,
      logLines,
      statuses,
      nodeErrors,
      nodeWarnings,
      flows,
      debugMessages,
    };
    for (const [place, value] of Object.entries(places)) {
      const all = text(value);
      for (const secret of SECRETS)
        assert.ok(
          !all.includes(secret),
          `${place} contains a secret or session: …${all.slice(Math.max(0, all.indexOf(secret) - 120), all.indexOf(secret) + 40)}…`,
        );
    }
    const tbkAndErrors = text(
      outputs.map((m) => ({ tbk: (m as { tbk?: unknown }).tbk, error: (m as { error?: unknown }).error })),
    );
    for (const sign of signatures)
      assert.ok(!tbkAndErrors.includes(sign), 'a request signature reached msg.tbk or msg.error');
    for (const secret of [...SECRETS, MSG_SESSION]) {
      assert.ok(!tbkAndErrors.includes(secret), 'a secret or session in msg.tbk or msg.error');
      assert.ok(!text(statuses).includes(secret), 'a session in a status');
    }
    assert.ok(!/"sign"\s*:/.test(tbkAndErrors), 'no sign field in msg.tbk or msg.error');
  });
});
