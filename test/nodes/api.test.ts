import { strict as assert } from 'node:assert';
import type { Sandbox } from '../../lib/sandbox';
import {
  Collector,
  assertNoSecrets,
  catchNode,
  countDone,
  delay,
  helper,
  type TestNode,
  useSandboxAndRuntime,
} from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');

const APP_KEY = 'nodes-api-app';
const APP_SECRET = 'a9f3c1e7-nodes-api-secret';
const SESSION = 'cfg-session-77c2d0b4';

interface Loaded {
  api: TestNode;
  ok: Collector;
  err: Collector;
  caught: Collector;
  statuses: Array<Record<string, unknown>>;
}

describe('tbk-api node', function () {
  let sandbox: Sandbox;
  useSandboxAndRuntime(
    { apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }], specs: [] },
    (started) => (sandbox = started),
  );

  async function load(
    apiProps: Record<string, unknown> = {},
    options: { wireErrors?: boolean; config?: Record<string, unknown>; creds?: Record<string, string> | null } = {},
  ): Promise<Loaded> {
    const wireErrors = options.wireErrors ?? true;
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'cfg',
        type: 'tbk-config',
        z: 'f1',
        name: 'sandbox',
        endpoint: sandbox.url,
        signMethod: 'md5',
        timeout: 5000,
        retries: 0,
        rateLimit: 0,
        concurrency: 0,
        ...options.config,
      },
      {
        id: 'api',
        type: 'tbk-api',
        z: 'f1',
        x: 0,
        y: 0,
        name: 'api',
        config: 'cfg',
        method: 'sandbox.echo',
        errorMode: 'auto',
        ...apiProps,
        wires: [['ok'], wireErrors ? ['err'] : []],
      },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'catch', type: 'catch', z: 'f1', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    const creds: Record<string, Record<string, string>> = options.creds === null
      ? {}
      : { cfg: { appKey: APP_KEY, appSecret: APP_SECRET, session: SESSION, ...options.creds } };
    await helper.load([configNode, apiNode, catchNode], flow, creds);
    const api = helper.getNode('api');
    const statuses: Array<Record<string, unknown>> = [];
    api.on('call:status', (call: { args: Array<Record<string, unknown>> }) => statuses.push(call.args[0]!));
    return {
      api,
      ok: new Collector(helper.getNode('ok')),
      err: new Collector(helper.getNode('err')),
      caught: new Collector(helper.getNode('caught')),
      statuses,
    };
  }

  it('sends the unwrapped response and msg.tbk on output 1', async function () {
    const { api, ok, err, statuses } = await load();
    const done = countDone(api);
    api.receive({ payload: { q: '手机', page_size: 20 }, topic: 'keep' });
    const [msg] = await ok.waitFor(1);
    assert.deepEqual(msg!.payload.echo, { q: '手机', page_size: '20' });
    assert.equal(msg!.topic, 'keep');
    assert.equal(msg!.tbk.method, 'sandbox.echo');
    assert.equal(msg!.tbk.attempts, 1);
    assert.equal(typeof msg!.tbk.request_id, 'string');
    assert.equal(typeof msg!.tbk.duration_ms, 'number');
    await delay(250); // routine status updates are coalesced to one per 200 ms
    assert.equal(err.messages.length, 0);
    assert.equal(done.count, 1);
    assert.deepEqual(done.errors, []);
    assert.equal(statuses.at(-1)!.fill, 'green');
    assert.equal(statuses[0]!.text, '1 in flight');
  });

  it('takes msg.method only when the node has none', async function () {
    const { api, ok } = await load({ method: '' });
    api.receive({ method: 'sandbox.echo', payload: { a: 1 } });
    const [msg] = await ok.waitFor(1);
    assert.equal(msg!.tbk.method, 'sandbox.echo');

    await helper.unload();
    const second = await load({ method: 'sandbox.echo' });
    second.api.receive({ method: 'taobao.tbk.nothing.here', payload: {} });
    const [msg2] = await second.ok.waitFor(1);
    assert.equal(msg2!.tbk.method, 'sandbox.echo');
  });

  it('fails with a validation error when there is no method at all', async function () {
    const { api, err } = await load({ method: '' });
    api.receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'method');
    assert.deepEqual(msg!.error.source, { id: 'api', type: 'tbk-api', name: 'api' });
  });

  for (const [label, payload] of [
    ['an array', [1, 2]],
    ['a string', 'q=phone'],
    ['a number', 42],
  ] as const) {
    it(`rejects ${label} as msg.payload, naming payload, before any request`, async function () {
      const { api, err, ok } = await load();
      const before = sandbox.stats().totalCalls;
      api.receive({ payload });
      const [msg] = await err.waitFor(1);
      assert.equal(msg!.error.kind, 'validation');
      assert.equal(msg!.error.param, 'payload');
      assert.deepEqual(msg!.payload, payload, 'payload untouched');
      assert.equal(sandbox.stats().totalCalls, before);
      assert.equal(ok.messages.length, 0);
    });
  }

  it('calls without parameters when msg.payload is empty', async function () {
    const { api, ok } = await load();
    api.receive({ payload: '' });
    const [msg] = await ok.waitFor(1);
    assert.deepEqual(msg!.payload.echo, {});
  });

  it('refuses prototype keys in msg.payload', async function () {
    const { api, err } = await load();
    api.receive({ payload: JSON.parse('{"q":"x","__proto__":{"polluted":true}}') });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, '__proto__');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('reports a wrong secret as TOP error 25', async function () {
    const { api, err } = await load({}, { creds: { appSecret: 'not-the-secret' } });
    api.receive({ payload: { q: 'x' } });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'top');
    assert.equal(msg!.error.code, 25);
    assert.equal(msg!.error.method, 'sandbox.echo');
    assert.deepEqual(msg!.payload, { q: 'x' });
  });

  const faults: Array<[string, Record<string, unknown>, string, Record<string, unknown>?]> = [
    ['throttled', { kind: 'throttle', banSeconds: 1 }, 'throttled'],
    ['transport', { kind: 'http502' }, 'transport'],
    ['timeout', { kind: 'latency', latencyMs: 1500 }, 'timeout', { timeout: 200 }],
    ['business', { kind: 'business' }, 'business'],
  ];
  for (const [label, fault, kind, config] of faults) {
    it(`routes a ${label} failure to output 2 with kind ${kind}`, async function () {
      sandbox.addFault(fault as never);
      const { api, err, ok, caught, statuses } = await load({}, { config: config ?? {} });
      const done = countDone(api);
      api.receive({ payload: { q: 'x' } });
      const [msg] = await err.waitFor(1);
      assert.equal(msg!.error.kind, kind);
      assert.equal(msg!.error.source.id, 'api');
      await delay(20);
      assert.equal(ok.messages.length, 0);
      assert.equal(caught.messages.length, 0, 'a wired error output means no Catch');
      assert.equal(done.count, 1);
      assert.deepEqual(done.errors, []);
      const last = statuses.at(-1)!;
      assert.equal(last.fill, 'red');
      assert.ok(String(last.text).startsWith(`${kind}:`), String(last.text));
    });
  }

  it('shows a throttled status while it waits to retry, then succeeds', async function () {
    sandbox.addFault({ kind: 'throttle', banSeconds: 1, count: 1 });
    const { api, ok, statuses } = await load({}, { config: { retries: 1 } });
    api.receive({ payload: {} });
    const [msg] = await ok.waitFor(1);
    assert.equal(msg!.tbk.attempts, 2);
    const throttled = statuses.find((s) => s.fill === 'yellow');
    assert.ok(throttled, JSON.stringify(statuses));
    assert.match(String(throttled.text), /^throttled, retry in \d+s$/);
    await delay(250);
    assert.equal(statuses.at(-1)!.fill, 'green');
  });

  describe('error routing', function () {
    it('auto, error output unwired: a Catch node receives the error exactly once', async function () {
      const { api, caught, err } = await load({}, { wireErrors: false, creds: { appSecret: 'wrong' } });
      const done = countDone(api);
      api.receive({ payload: { q: 'x' } });
      const [msg] = await caught.waitFor(1);
      await delay(50);
      assert.equal(caught.messages.length, 1);
      assert.equal(err.messages.length, 0);
      assert.equal(msg!.error.source.id, 'api');
      // Node-RED 4 copies the error's code into msg.error; 3.1 copies only message, stack and cause
      if (msg!.error.code !== undefined) assert.equal(msg!.error.code, 25);
      assert.equal(msg!.error.cause.code, 25);
      assert.equal(msg!.error.cause.kind, 'top');
      assert.equal(done.count, 1);
    });

    it('auto, error output wired: Catch does not fire', async function () {
      const { api, caught, err } = await load({}, { creds: { appSecret: 'wrong' } });
      api.receive({ payload: {} });
      await err.waitFor(1);
      await delay(50);
      assert.equal(caught.messages.length, 0);
    });

    it('catch: goes to Catch even when output 2 is wired', async function () {
      const { api, caught, err } = await load({ errorMode: 'catch' }, { creds: { appSecret: 'wrong' } });
      api.receive({ payload: {} });
      await caught.waitFor(1);
      await delay(50);
      assert.equal(caught.messages.length, 1);
      assert.equal(err.messages.length, 0);
    });

    it('output: never reports to Catch, even unwired', async function () {
      const { api, caught } = await load({ errorMode: 'output' }, { wireErrors: false, creds: { appSecret: 'wrong' } });
      const done = countDone(api);
      api.receive({ payload: {} });
      await delay(300);
      assert.equal(caught.messages.length, 0);
      assert.equal(done.count, 1);
      assert.deepEqual(done.errors, []);
    });
  });

  it('sends msg.session instead of the configured session, and the configured one otherwise', async function () {
    const { api, ok } = await load();
    api.receive({ payload: {}, session: 'user-session-1' });
    await ok.waitFor(1);
    assert.equal(sandbox.requests().at(-1)!.params.session, 'user-session-1');
    api.receive({ payload: {} });
    await ok.waitFor(2);
    assert.equal(sandbox.requests().at(-1)!.params.session, SESSION);
  });

  it('rejects a non-string msg.session', async function () {
    const { api, err } = await load();
    api.receive({ payload: {}, session: { token: 1 } });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.param, 'session');
  });

  it('never shows the secret or the session in messages or status', async function () {
    sandbox.addFault({ kind: 'http500', count: 1 });
    const { api, ok, err, caught, statuses } = await load({ errorMode: 'output' });
    api.receive({ payload: { q: 'a' } });
    api.receive({ payload: { q: 'b' } });
    api.receive({ payload: [1] });
    await delay(10);
    await Promise.all([ok.waitFor(1), err.waitFor(2)]);
    assertNoSecrets([ok.messages, err.messages, caught.messages, statuses], [APP_SECRET, SESSION]);
  });

  it('fails each message when the config node has no App Key, without crashing', async function () {
    const { api, err } = await load({}, { creds: { appKey: '' } });
    const done = countDone(api);
    api.receive({ payload: {} });
    api.receive({ payload: {} });
    const msgs = await err.waitFor(2);
    for (const msg of msgs) {
      assert.equal(msg.error.kind, 'validation');
      assert.match(msg.error.message, /no App Key/);
    }
    assert.equal(done.count, 2);
  });

  it('fails with kind validation naming config when no config node is set', async function () {
    const { api, err } = await load({ config: '' });
    api.receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'config');
  });

  it('aborts in-flight calls on close: each ends once as aborted, and close completes', async function () {
    sandbox.addFault({ kind: 'latency', latencyMs: 5000 });
    const { api } = await load({ errorMode: 'catch' });
    const done = countDone(api);
    for (let i = 0; i < 3; i++) api.receive({ payload: { i } });
    for (let i = 0; i < 100 && sandbox.stats().inFlight < 3; i++) await delay(20);
    assert.equal(sandbox.stats().inFlight, 3);
    await helper.unload();
    assert.equal(done.count, 3);
    assert.equal(done.errors.length, 3);
    for (const e of done.errors) assert.equal((e as { kind: string }).kind, 'aborted');
  });
});
