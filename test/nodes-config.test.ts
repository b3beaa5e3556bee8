import { strict as assert } from 'node:assert';
import type { Sandbox } from '../lib/sandbox';
import { DEFAULT_ENDPOINT, expandEnv, readSettings } from '../nodes/config-settings';
import type { NodeAPI } from '../nodes/red-types';
import { Collector, assertNoSecrets, delay, helper, requireFromNodeRed, useSandboxAndRuntime } from './support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../nodes/tbk-api');

const APP_KEY = 'nodes-config-app';
const APP_SECRET = 'e5b7a210-nodes-config-secret';
const SESSION = 'cfg-session-3f1c9a2e';

// the real evaluateNodeProperty of the installed Node-RED
const redUtil = (requireFromNodeRed('@node-red/util') as { util: NodeAPI['util'] }).util;
const RED = { util: redUtil } as NodeAPI;

describe('tbk-config settings', function () {
  it('defaults every setting', function () {
    const s = readSettings(RED, {}, { id: 'c', type: 'tbk-config' });
    assert.deepEqual(s, {
      endpoint: DEFAULT_ENDPOINT,
      signMethod: 'md5',
      timeoutMs: 15000,
      retries: 2,
      retryWrites: false,
      maxBanSeconds: 60,
      rateLimit: 40,
      concurrency: 16,
      simplify: false,
      clockOffsetMs: 0,
    });
  });

  it('reads strings from the editor, keeps 0 for rate limit, converts the clock offset to ms', function () {
    const s = readSettings(RED, {}, { id: 'c', type: 'tbk-config', signMethod: 'hmac-sha256', timeout: '2500', retries: '0', retryWrites: true, rateLimit: '0', concurrency: '4', clockOffset: '-1.5', partnerId: ' top-sdk ', simplify: 'true' });
    assert.equal(s.signMethod, 'hmac-sha256');
    assert.equal(s.timeoutMs, 2500);
    assert.equal(s.retries, 0);
    assert.equal(s.retryWrites, true);
    assert.equal(s.rateLimit, 0);
    assert.equal(s.concurrency, 4);
    assert.equal(s.clockOffsetMs, -1500);
    assert.equal(s.partnerId, 'top-sdk');
    assert.equal(s.simplify, true);
  });

  it('falls back to defaults for nonsense', function () {
    const s = readSettings(RED, {}, { id: 'c', type: 'tbk-config', signMethod: 'sha1', timeout: 'soon', retries: '-3', rateLimit: 'x' });
    assert.equal(s.signMethod, 'md5');
    assert.equal(s.timeoutMs, 15000);
    assert.equal(s.retries, 2);
    assert.equal(s.rateLimit, 40);
  });

  it('expands ${VAR} inside strings once, and leaves plain text alone', function () {
    process.env.TBK_CFG_TEST_HOST = '127.0.0.1:9';
    process.env.TBK_CFG_TEST_NESTED = '${TBK_CFG_TEST_HOST}';
    assert.equal(expandEnv(RED, {}, 'http://${TBK_CFG_TEST_HOST}/router/rest'), 'http://127.0.0.1:9/router/rest');
    assert.equal(expandEnv(RED, {}, 'PATH'), 'PATH', 'a bare name is not an env reference');
    assert.equal(expandEnv(RED, {}, undefined), '');
    assert.equal(expandEnv(RED, {}, '${TBK_CFG_TEST_NESTED}'), '${TBK_CFG_TEST_HOST}', 'no double expansion');
  });
});

describe('tbk-config node', function () {
  let sandbox: Sandbox;
  useSandboxAndRuntime({ apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }], specs: [] }, (started) => (sandbox = started));

  function flow(config: Record<string, unknown>, apis = 1): Array<Record<string, unknown>> {
    const nodes: Array<Record<string, unknown>> = [
      { id: 'f1', type: 'tab' },
      { id: 'cfg', type: 'tbk-config', z: 'f1', endpoint: sandbox.url, timeout: 5000, retries: 0, ...config },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    for (let i = 1; i <= apis; i++) nodes.push({ id: `api${i}`, type: 'tbk-api', z: 'f1', x: 0, y: 0, config: 'cfg', method: 'sandbox.echo', wires: [['ok'], ['err']] });
    return nodes;
  }

  it('expands ${VAR} in credentials and properties', async function () {
    const port = new URL(sandbox.url).port;
    process.env.TBK_CFG_TEST_KEY = APP_KEY;
    process.env.TBK_CFG_TEST_SECRET = APP_SECRET;
    process.env.TBK_CFG_TEST_PORT = port;
    await helper.load([configNode, apiNode], flow({ endpoint: 'http://127.0.0.1:${TBK_CFG_TEST_PORT}/router/rest' }), {
      cfg: { appKey: '${TBK_CFG_TEST_KEY}', appSecret: '${TBK_CFG_TEST_SECRET}' },
    });
    const ok = new Collector(helper.getNode('ok'));
    const err = new Collector(helper.getNode('err'));
    helper.getNode('api1').receive({ payload: { q: 'x' } });
    await Promise.race([ok.waitFor(1), err.waitFor(1)]);
    assert.equal(err.messages.length, 0, JSON.stringify(err.messages[0]?.error));
    assert.equal(sandbox.requests().at(-1)!.appKey, APP_KEY);
  });

  it('falls back to TBK_APP_KEY / TBK_APP_SECRET / TBK_SESSION when a credential is empty', async function () {
    process.env.TBK_APP_KEY = APP_KEY;
    process.env.TBK_APP_SECRET = APP_SECRET;
    process.env.TBK_SESSION = 'env-session-1';
    try {
      await helper.load([configNode, apiNode], flow({}), {});
      const ok = new Collector(helper.getNode('ok'));
      const err = new Collector(helper.getNode('err'));
      helper.getNode('api1').receive({ payload: { q: 'x' } });
      await Promise.race([ok.waitFor(1), err.waitFor(1)]);
      assert.equal(err.messages.length, 0, JSON.stringify(err.messages[0]?.error));
      assert.equal(sandbox.requests().at(-1)!.appKey, APP_KEY);
      assert.equal(sandbox.requests().at(-1)!.params.session, 'env-session-1');
    } finally {
      delete process.env.TBK_APP_KEY;
      delete process.env.TBK_APP_SECRET;
      delete process.env.TBK_SESSION;
    }
  });

  it('shares one client (one rate limiter) between the nodes that use it', async function () {
    sandbox.addFault({ kind: 'latency', latencyMs: 150 });
    sandbox.resetStats();
    await helper.load([configNode, apiNode], flow({ rateLimit: 0, concurrency: 1 }, 2), { cfg: { appKey: APP_KEY, appSecret: APP_SECRET } });
    const ok = new Collector(helper.getNode('ok'));
    for (let i = 0; i < 2; i++) {
      helper.getNode('api1').receive({ payload: {} });
      helper.getNode('api2').receive({ payload: {} });
    }
    await ok.waitFor(4);
    assert.equal(sandbox.stats().maxConcurrent, 1);
  });

  it('reports missing credentials clearly, and never logs or exposes the secret or session', async function () {
    await helper.load([configNode, apiNode], flow({}), { cfg: { appKey: APP_KEY, session: SESSION } });
    const err = new Collector(helper.getNode('err'));
    helper.getNode('api1').receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'appSecret');
    const logged = (helper as any).log().args.map((a: unknown[]) => a[0]);
    assert.ok(logged.some((entry: { msg?: unknown }) => /no App Secret/.test(String(entry.msg))), 'the config node logs an error');
    assertNoSecrets([logged, msg], [SESSION]);
  });

  it('keeps the secret out of its own properties and logs', async function () {
    await helper.load([configNode, apiNode], flow({}), { cfg: { appKey: APP_KEY, appSecret: APP_SECRET, session: SESSION } });
    const cfg = helper.getNode('cfg');
    const { credentials: _credentials, ...visible } = cfg as Record<string, unknown>;
    const own = Object.fromEntries(Object.entries(visible).filter(([k]) => !k.startsWith('_')));
    assertNoSecrets(own, [APP_SECRET, SESSION]);
    const ok = new Collector(helper.getNode('ok'));
    helper.getNode('api1').receive({ payload: {} });
    await ok.waitFor(1);
    await delay(10);
    assertNoSecrets((helper as any).log().args, [APP_SECRET, SESSION]);
  });
});
