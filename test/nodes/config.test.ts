import { strict as assert } from 'node:assert';
import { TopError } from '../../lib/top/errors';
import type { Sandbox } from '../../lib/sandbox';
import { DEFAULT_ENDPOINT, expandEnv, readSettings } from '../../nodes/config-settings';
import type { Node, NodeAPI } from 'node-red';
import {
  Collector,
  assertNoSecrets,
  delay,
  type FlowNode,
  helper,
  requireFromNodeRed,
  useSandboxAndRuntime,
} from '../support/node-red';
import { freePort } from '../support/redis';
import type { TbkConfigNode } from '../../nodes/config-settings';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');

const APP_KEY = 'nodes-config-app';
const APP_SECRET = 'e5b7a210-nodes-config-secret';
const SESSION = 'cfg-session-3f1c9a2e';

// the real evaluateNodeProperty of the installed Node-RED
const redUtil = (requireFromNodeRed('@node-red/util') as { util: NodeAPI['util'] }).util;
const RED = { util: redUtil } as NodeAPI;
/** The node the settings belong to: outside a flow, Node-RED's env lookup reads nothing of it. */
const NODE = {} as Node;

describe('tbk-config settings', function () {
  it('defaults every setting', function () {
    const s = readSettings(RED, NODE, {});
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
      maxResponseBytes: 16 * 1024 * 1024,
    });
  });

  it('reads strings from the editor, keeps 0 for rate limit, converts the clock offset to ms', function () {
    const s = readSettings(RED, NODE, {
      signMethod: 'hmac-sha256',
      timeout: '2500',
      retries: '0',
      retryWrites: true,
      rateLimit: '0',
      concurrency: '4',
      clockOffset: '-1.5',
      partnerId: ' top-sdk ',
      simplify: 'true',
    });
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
    const s = readSettings(RED, NODE, { signMethod: 'sha1', timeout: 'soon', retries: '-3', rateLimit: 'x' });
    assert.equal(s.signMethod, 'md5');
    assert.equal(s.timeoutMs, 15000);
    assert.equal(s.retries, 2);
    assert.equal(s.rateLimit, 40);
  });

  it('expands ${VAR} inside strings once, and leaves plain text alone', function () {
    process.env.TBK_CFG_TEST_HOST = '127.0.0.1:9';
    process.env.TBK_CFG_TEST_NESTED = '${TBK_CFG_TEST_HOST}';
    assert.equal(expandEnv(RED, NODE, 'http://${TBK_CFG_TEST_HOST}/router/rest'), 'http://127.0.0.1:9/router/rest');
    assert.equal(expandEnv(RED, NODE, 'PATH'), 'PATH', 'a bare name is not an env reference');
    assert.equal(expandEnv(RED, NODE, undefined), '');
    assert.equal(expandEnv(RED, NODE, '${TBK_CFG_TEST_NESTED}'), '${TBK_CFG_TEST_HOST}', 'no double expansion');
  });

  it('a ${VAR} that is not set is an error naming it, never an empty string', function () {
    delete process.env.TBK_CFG_TEST_UNSET;
    process.env.TBK_CFG_TEST_EMPTY = '';
    assert.throws(
      () => expandEnv(RED, NODE, 'http://${TBK_CFG_TEST_UNSET}/router/rest', 'endpoint'),
      (err: TopError) =>
        err.kind === 'validation' &&
        err.param === 'endpoint' &&
        /^TBK_CFG_TEST_UNSET is not set/.test(err.message) &&
        err.messageKey === 'config.envNotSet',
    );
    assert.equal(expandEnv(RED, NODE, 'x${TBK_CFG_TEST_EMPTY}y'), 'xy', 'set but empty is a value');
    assert.throws(
      () => readSettings(RED, NODE, { endpoint: '${TBK_CFG_TEST_UNSET}' }),
      /TBK_CFG_TEST_UNSET is not set/,
    );
    assert.throws(
      () => readSettings(RED, NODE, { endpoint: '${TBK_CFG_TEST_EMPTY}' }),
      /endpoint \$\{TBK_CFG_TEST_EMPTY\} is empty/,
      'no fallback to production',
    );
    const problems: TopError[] = [];
    const s = readSettings(
      RED,
      NODE,
      { timeout: '${TBK_CFG_TEST_UNSET}', maxResponseBytes: '${TBK_CFG_TEST_UNSET}' },
      problems,
    );
    assert.deepEqual(
      problems.map((p) => p.param),
      ['timeout', 'maxResponseBytes'],
    );
    assert.equal(s.timeoutMs, 15000);
  });

  it('reads maxResponseBytes (default 16 MiB, ${ENV} works)', function () {
    process.env.TBK_CFG_TEST_MAX = '2048';
    assert.equal(readSettings(RED, NODE, { maxResponseBytes: '1048576' }).maxResponseBytes, 1048576);
    assert.equal(readSettings(RED, NODE, { maxResponseBytes: '${TBK_CFG_TEST_MAX}' }).maxResponseBytes, 2048);
    assert.equal(readSettings(RED, NODE, { maxResponseBytes: '' }).maxResponseBytes, 16 * 1024 * 1024);
  });
});

/** What the config node logged in this test. */
function configLog(): Array<{ level?: number; id?: string; msg?: unknown }> {
  return ((helper as any).log().args as unknown[][])
    .map((a) => a[0] as { level?: number; id?: string; msg?: unknown })
    .filter((entry) => entry.id === 'cfg');
}

describe('tbk-config node', function () {
  let sandbox: Sandbox;
  useSandboxAndRuntime(
    { apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }], specs: [] },
    (started) => (sandbox = started),
  );

  function flow(config: Record<string, unknown>, apis = 1): FlowNode[] {
    const nodes: FlowNode[] = [
      { id: 'f1', type: 'tab' },
      { id: 'cfg', type: 'tbk-config', z: 'f1', endpoint: sandbox.url, timeout: 5000, retries: 0, ...config },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    for (let i = 1; i <= apis; i++)
      nodes.push({
        id: `api${i}`,
        type: 'tbk-api',
        z: 'f1',
        x: 0,
        y: 0,
        config: 'cfg',
        method: 'sandbox.echo',
        wires: [['ok'], ['err']],
      });
    return nodes;
  }

  /** Sends one message through api1 and asserts it succeeds; the gateway's record of that call. */
  async function callSucceeds(): Promise<ReturnType<Sandbox['requests']>[number]> {
    const ok = new Collector(helper.getNode('ok'));
    const err = new Collector(helper.getNode('err'));
    helper.getNode('api1').receive({ payload: { q: 'x' } });
    await Promise.race([ok.waitFor(1), err.waitFor(1)]);
    assert.equal(err.messages.length, 0, JSON.stringify(err.messages[0]?.error));
    return sandbox.requests().at(-1)!;
  }

  it('expands ${VAR} in credentials and properties', async function () {
    const port = new URL(sandbox.url).port;
    process.env.TBK_CFG_TEST_KEY = APP_KEY;
    process.env.TBK_CFG_TEST_SECRET = APP_SECRET;
    process.env.TBK_CFG_TEST_PORT = port;
    await helper.load([configNode, apiNode], flow({ endpoint: 'http://127.0.0.1:${TBK_CFG_TEST_PORT}/router/rest' }), {
      cfg: { appKey: '${TBK_CFG_TEST_KEY}', appSecret: '${TBK_CFG_TEST_SECRET}' },
    });
    assert.equal((await callSucceeds()).appKey, APP_KEY);
  });

  it('falls back to TBK_APP_KEY / TBK_APP_SECRET / TBK_SESSION when a credential is empty, and says so', async function () {
    process.env.TBK_APP_KEY = APP_KEY;
    process.env.TBK_APP_SECRET = APP_SECRET;
    process.env.TBK_SESSION = 'env-session-1';
    try {
      await helper.load([configNode, apiNode], flow({}), {});
      const request = await callSucceeds();
      assert.equal(request.appKey, APP_KEY);
      assert.equal(request.params.session, 'env-session-1');
      const cfg = helper.getNode('cfg') as unknown as TbkConfigNode;
      assert.deepEqual(cfg.configStatus!(), {
        fill: 'blue',
        shape: 'ring',
        text: 'from env: TBK_APP_KEY, TBK_APP_SECRET, TBK_SESSION',
      });
      const lines = configLog().filter((entry) => /environment variables/.test(String(entry.msg)));
      assert.equal(lines.length, 1, 'one log line');
      assert.match(String(lines[0]!.msg), /TBK_APP_KEY, TBK_APP_SECRET, TBK_SESSION/);
      assertNoSecrets(configLog(), [APP_SECRET, 'env-session-1']);
    } finally {
      delete process.env.TBK_APP_KEY;
      delete process.env.TBK_APP_SECRET;
      delete process.env.TBK_SESSION;
    }
  });

  it('a filled credential does not fall back: ${NOPE_SECRET} not set fails every call, even with TBK_APP_SECRET set', async function () {
    delete process.env.NOPE_SECRET;
    process.env.TBK_APP_SECRET = APP_SECRET;
    try {
      await helper.load([configNode, apiNode], flow({}, 2), { cfg: { appKey: APP_KEY, appSecret: '${NOPE_SECRET}' } });
      const err = new Collector(helper.getNode('err'));
      helper.getNode('api1').receive({ payload: {} });
      helper.getNode('api2').receive({ payload: {} });
      const failed = await err.waitFor(2);
      for (const msg of failed) {
        assert.equal(msg.error.kind, 'validation');
        assert.equal(msg.error.param, 'appSecret');
        assert.match(msg.error.message, /NOPE_SECRET is not set/);
      }
      assert.equal(sandbox.stats().totalCalls, 0, 'nothing was sent');
      const cfg = helper.getNode('cfg') as unknown as TbkConfigNode;
      assert.equal(cfg.configStatus!().fill, 'red');
      assert.match(String(cfg.configStatus!().text), /NOPE_SECRET is not set/);
      assertNoSecrets([configLog(), failed], [APP_SECRET]);
    } finally {
      delete process.env.TBK_APP_SECRET;
    }
  });

  for (const endpoint of ['${TBK_GATEWAY}', 'http://${TBK_GATEWAY}/router/rest']) {
    it(`an endpoint ${endpoint} whose variable is not set is the config node's error: status, one log line, every call fails with "TBK_GATEWAY is not set"`, async function () {
      delete process.env.TBK_GATEWAY;
      await helper.load([configNode, apiNode], flow({ endpoint }, 2), {
        cfg: { appKey: APP_KEY, appSecret: APP_SECRET },
      });
      const cfg = helper.getNode('cfg') as unknown as TbkConfigNode;
      assert.equal(cfg.settings.endpoint, DEFAULT_ENDPOINT, 'the settings only show the default');
      assert.deepEqual(cfg.configStatus!(), { fill: 'red', shape: 'ring', text: 'TBK_GATEWAY is not set' });
      const errors = configLog().filter((entry) => entry.level === 20);
      assert.equal(errors.length, 1, `one log line: ${JSON.stringify(errors)}`);
      assert.match(String(errors[0]!.msg), /^TBK_GATEWAY is not set/);
      const err = new Collector(helper.getNode('err'));
      for (let i = 0; i < 3; i++) helper.getNode(i % 2 ? 'api1' : 'api2').receive({ payload: {} });
      const failed = await err.waitFor(3);
      for (const msg of failed) {
        assert.equal(msg.error.kind, 'validation');
        assert.equal(msg.error.param, 'endpoint');
        assert.match(msg.error.message, /TBK_GATEWAY is not set/);
      }
      assert.equal(sandbox.stats().totalCalls, 0);
      assert.throws(() => cfg.getClient(), /TBK_GATEWAY is not set/, 'no client, so no call can reach eco.taobao.com');
    });
  }

  it('names every variable that is not set in its one log line', async function () {
    for (const name of ['TBK_GATEWAY', 'NOPE_KEY', 'NOPE_SECRET']) delete process.env[name];
    await helper.load([configNode, apiNode], flow({ endpoint: '${TBK_GATEWAY}' }), {
      cfg: { appKey: '${NOPE_KEY}', appSecret: '${NOPE_SECRET}' },
    });
    const errors = configLog().filter((entry) => entry.level === 20);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]!.msg), /^TBK_GATEWAY is not set .*; NOPE_KEY is not set .*; NOPE_SECRET is not set/);
  });

  it('takes a variable from the flow environment as Node-RED does (not only process.env)', async function () {
    delete process.env.TBK_GATEWAY;
    const nodes = flow({ endpoint: '${TBK_GATEWAY}' });
    nodes[0] = { id: 'f1', type: 'tab', env: [{ name: 'TBK_GATEWAY', value: sandbox.url, type: 'str' }] };
    await helper.load([configNode, apiNode], nodes, { cfg: { appKey: APP_KEY, appSecret: '${TBK_FLOW_SECRET}' } });
    // the flow's env is also where a credential's reference is looked up
    const cfg = helper.getNode('cfg') as unknown as TbkConfigNode;
    assert.equal(cfg.configStatus!().text, 'TBK_FLOW_SECRET is not set');
    await helper.unload();
    nodes[0] = {
      id: 'f1',
      type: 'tab',
      env: [
        { name: 'TBK_GATEWAY', value: sandbox.url, type: 'str' },
        { name: 'TBK_FLOW_SECRET', value: APP_SECRET, type: 'str' },
      ],
    };
    await helper.load([configNode, apiNode], nodes, { cfg: { appKey: APP_KEY, appSecret: '${TBK_FLOW_SECRET}' } });
    const ok = new Collector(helper.getNode('ok'));
    helper.getNode('api1').receive({ payload: {} });
    await ok.waitFor(1);
    assert.equal(sandbox.stats().totalCalls, 1);
  });

  it('maxResponseBytes bounds the answers of the nodes using the config, without retrying', async function () {
    sandbox.setResponse('sandbox.echo', { sandbox_echo_response: { pad: 'a'.repeat(5000) } });
    await helper.load([configNode, apiNode], flow({ maxResponseBytes: '4096', retries: 2 }), {
      cfg: { appKey: APP_KEY, appSecret: APP_SECRET },
    });
    const err = new Collector(helper.getNode('err'));
    helper.getNode('api1').receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'transport');
    assert.match(msg!.error.message, /answer larger than 4 KiB/);
    assert.equal(msg!.error.retryable, false);
    assert.equal(sandbox.stats().totalCalls, 1, 'not retried');
  });

  describe('the Redis URL is a credential', function () {
    async function loadWithRedis(property: string | undefined, credential: string | undefined): Promise<void> {
      await helper.load(
        [configNode, apiNode],
        flow({ rateLimit: 5, ...(property !== undefined ? { redisUrl: property } : {}) }),
        {
          cfg: {
            appKey: APP_KEY,
            appSecret: APP_SECRET,
            ...(credential !== undefined ? { redisUrl: credential } : {}),
          },
        },
      );
    }
    /** The config's limit state once Redis has been tried: a URL nobody answers means the shared limit was set up from it. */
    async function limitWarning(): Promise<string> {
      for (let i = 0; i < 100; i++) {
        const warning = configLog().find((entry) => /rate limit is local/.test(String(entry.msg)));
        if (warning) return String(warning.msg);
        await delay(50);
      }
      assert.fail('the config node never tried Redis');
    }

    it('is read from the credentials (flows_cred.json), ${ENV} expanded, its password never logged', async function () {
      const port = await freePort();
      process.env.TBK_CFG_TEST_REDIS_PASSWORD = 'redis-pw-55e1c';
      await loadWithRedis(undefined, `redis://tbk:\${TBK_CFG_TEST_REDIS_PASSWORD}@127.0.0.1:${port}/0`);
      assert.match(await limitWarning(), new RegExp(`Redis 127\\.0\\.0\\.1:${port}`));
      assert.ok(!configLog().some((entry) => /stored in the flow/.test(String(entry.msg))), 'no migration warning');
      assertNoSecrets([configLog(), (helper.getNode('cfg') as unknown as TbkConfigNode).settings], ['redis-pw-55e1c']);
    });

    it('flows that still carry the property redisUrl keep working, with one warning to move it', async function () {
      const port = await freePort();
      await loadWithRedis(`redis://tbk:old-pw-2b9@127.0.0.1:${port}/0`, undefined);
      assert.match(await limitWarning(), new RegExp(`Redis 127\\.0\\.0\\.1:${port}`));
      const moves = configLog().filter((entry) =>
        /stored in the flow \(flows\.json\) in plain text/.test(String(entry.msg)),
      );
      assert.equal(moves.length, 1);
      assertNoSecrets(configLog(), ['old-pw-2b9']);
    });

    it('the credential wins over a leftover property', async function () {
      const [credentialPort, propertyPort] = [await freePort(), await freePort()];
      await loadWithRedis(`redis://127.0.0.1:${propertyPort}/0`, `redis://127.0.0.1:${credentialPort}/0`);
      assert.match(await limitWarning(), new RegExp(`:${credentialPort}`));
    });

    it('a ${VAR} in it that is not set is an error, not "no shared limit"', async function () {
      delete process.env.TBK_REDIS_URL;
      await loadWithRedis(undefined, '${TBK_REDIS_URL}');
      const err = new Collector(helper.getNode('err'));
      helper.getNode('api1').receive({ payload: {} });
      const [msg] = await err.waitFor(1);
      assert.equal(msg!.error.param, 'redisUrl');
      assert.match(msg!.error.message, /TBK_REDIS_URL is not set/);
    });
  });

  it('shares one client (one rate limiter) between the nodes that use it', async function () {
    sandbox.addFault({ kind: 'latency', latencyMs: 150 });
    sandbox.resetStats();
    await helper.load([configNode, apiNode], flow({ rateLimit: 0, concurrency: 1 }, 2), {
      cfg: { appKey: APP_KEY, appSecret: APP_SECRET },
    });
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
    assert.ok(
      logged.some((entry: { msg?: unknown }) => /no App Secret/.test(String(entry.msg))),
      'the config node logs an error',
    );
    assertNoSecrets([logged, msg], [SESSION]);
  });

  it('keeps the secret out of its own properties and logs', async function () {
    await helper.load([configNode, apiNode], flow({}), {
      cfg: { appKey: APP_KEY, appSecret: APP_SECRET, session: SESSION },
    });
    const cfg = helper.getNode('cfg');
    const { credentials: _credentials, ...visible } = cfg;
    const own = Object.fromEntries(Object.entries(visible).filter(([k]) => !k.startsWith('_')));
    assertNoSecrets(own, [APP_SECRET, SESSION]);
    const ok = new Collector(helper.getNode('ok'));
    helper.getNode('api1').receive({ payload: {} });
    await ok.waitFor(1);
    await delay(10);
    assertNoSecrets((helper as any).log().args, [APP_SECRET, SESSION]);
  });
});
