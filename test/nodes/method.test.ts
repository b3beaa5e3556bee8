import { strict as assert } from 'node:assert';
import type { Sandbox } from '../../lib/sandbox';
import { loadSpecs } from '../../lib/method-specs/index';
import type { MethodSpec } from '../../lib/method-specs/types';
import { MIGRATIONS, createMethodNode, migrate, readMethodConfig } from '../../nodes/method-node';
import type { NodeAPI } from 'node-red';
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
import { everyMethodFlow, METHOD_NODE_SETS } from '../support/every-method-flow';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');

const APP_KEY = 'nodes-method-app';
const APP_SECRET = 'c41d9e02-nodes-method-secret';
const SESSION = 'cfg-session-0b8e11aa';
const METHOD = 'taobao.tbk.nodetest.material.search';
const TYPE = 'tbk-nodetest-material-search';

function param(
  name: string,
  kind: MethodSpec['params'][number]['kind'],
  required: boolean,
  extra: Record<string, unknown> = {},
): MethodSpec['params'][number] {
  return { name, kind, docType: kind, required, description: name, ...extra };
}

const SPEC: MethodSpec = {
  version: 1,
  method: METHOD,
  type: TYPE,
  title: { zh: '测试搜索', en: 'Test search' },
  label: { zh: '测试搜索', en: 'test search' },
  role: 'promoter',
  catalogRole: 'promoter',
  status: 'resolved',
  confidence: 'high',
  auth: 'optional',
  writes: false,
  validate: true,
  params: [
    param('q', 'string', true),
    param('adzone_id', 'number', true),
    param('page_no', 'number', false, { default: '1' }),
    param('page_size', 'number', false, { default: '20' }),
    param('start_time', 'date', false),
    param('has_coupon', 'boolean', false),
  ],
  response: [],
  errors: [],
  paging: {
    style: 'page',
    pageParam: 'page_no',
    sizeParam: 'page_size',
    listPath: 'result_list.map_data',
    totalPath: 'total_results',
  },
  sources: [],
};

const testNodes = function (RED: NodeAPI): void {
  RED.nodes.registerType(TYPE, createMethodNode(RED, SPEC));
};

/** 5 items in all; pages of page_size; page 2 fails when failPage is set. */
let failPage: string | undefined;
function pagedAnswer(params: Record<string, string>): unknown {
  if (params.page_no === failPage)
    return {
      error_response: { code: 15, msg: 'Remote service error', sub_code: 'isp.remote-failure', sub_msg: 'page failed' },
    };
  const size = Number(params.page_size ?? 20);
  const page = Number(params.page_no ?? 1);
  const items = [];
  for (let i = (page - 1) * size; i < Math.min(page * size, 5); i++) items.push({ item_id: `i${i}` });
  return { total_results: 5, result_list: { map_data: items } };
}

describe('method nodes', function () {
  let sandbox: Sandbox;
  useSandboxAndRuntime(
    { apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }], specs: [SPEC] },
    (started) => (sandbox = started),
  );
  beforeEach(function () {
    failPage = undefined;
  });

  async function load(
    props: Record<string, unknown>,
  ): Promise<{ node: TestNode; ok: Collector; err: Collector; caught: Collector }> {
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'cfg',
        type: 'tbk-config',
        z: 'f1',
        endpoint: sandbox.url,
        timeout: 5000,
        retries: 0,
        rateLimit: 0,
        concurrency: 0,
      },
      {
        id: 'm',
        type: TYPE,
        z: 'f1',
        x: 0,
        y: 0,
        name: 'search',
        config: 'cfg',
        version: 1,
        errorMode: 'auto',
        ...props,
        wires: [['ok'], ['err']],
      },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'catch', type: 'catch', z: 'f1', x: 0, y: 0, scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    await helper.load([configNode, testNodes, catchNode], flow, {
      cfg: { appKey: APP_KEY, appSecret: APP_SECRET, session: SESSION },
    });
    return {
      node: helper.getNode('m'),
      ok: new Collector(helper.getNode('ok')),
      err: new Collector(helper.getNode('err')),
      caught: new Collector(helper.getNode('caught')),
    };
  }

  const lastParams = (): Record<string, string> => sandbox.requests().at(-1)!.params;

  it('evaluates editor rows (str, num, msg, jsonata, date, env) and lets msg.payload override them', async function () {
    process.env.TBK_NODETEST_ADZONE = '9988';
    const { node, ok } = await load({
      params: {
        q: { value: '手机', type: 'str' },
        adzone_id: { value: 'TBK_NODETEST_ADZONE', type: 'env' },
        page_size: { value: 'size', type: 'msg' },
        page_no: { value: '1 + 2', type: 'jsonata' },
        start_time: { value: '2024-03-01 10:00:00', type: 'date' },
        has_coupon: { value: 'true', type: 'bool' },
      },
    });
    const done = countDone(node);
    node.receive({ size: 7, payload: { q: '耳机' } });
    const [msg] = await ok.waitFor(1);
    const sent = lastParams();
    assert.equal(sent.q, '耳机', 'payload overrides the editor');
    assert.equal(sent.adzone_id, '9988');
    assert.equal(sent.page_size, '7');
    assert.equal(sent.page_no, '3');
    assert.equal(sent.start_time, '2024-03-01 10:00:00');
    assert.equal(sent.has_coupon, 'true');
    assert.equal(msg!.tbk.method, METHOD);
    assert.equal(msg!.tbk.attempts, 1);
    assert.equal(done.count, 1);
  });

  it('skips empty rows and never falls back to msg.payload for them', async function () {
    const { node, err } = await load({
      params: { q: { value: '', type: 'str' }, adzone_id: { value: '1', type: 'num' } },
    });
    const before = sandbox.stats().totalCalls;
    node.receive({ payload: 'just a string trigger' });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'payload');
    node.receive({ payload: 1700000000000 }); // an Inject timestamp: no parameters
    const [, msg2] = await err.waitFor(2);
    assert.equal(msg2!.error.param, 'q');
    assert.equal(sandbox.stats().totalCalls, before);
  });

  it('reports a missing required parameter on output 2, naming it, and sends nothing', async function () {
    const { node, err, ok } = await load({ params: { q: { value: 'phone', type: 'str' } } });
    const done = countDone(node);
    const before = sandbox.stats().totalCalls;
    node.receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'adzone_id');
    assert.equal(msg!.error.method, METHOD);
    await delay(20);
    assert.equal(sandbox.stats().totalCalls, before, 'the sandbox saw no request');
    assert.equal(ok.messages.length, 0);
    assert.equal(done.count, 1);
  });

  it('rejects an undocumented parameter naming it, and passes it with allowExtra', async function () {
    const rows = { q: { value: 'phone', type: 'str' }, adzone_id: { value: '1', type: 'num' } };
    const first = await load({ params: rows });
    first.node.receive({ payload: { material_idd: '123' } });
    const [msg] = await first.err.waitFor(1);
    assert.equal(msg!.error.param, 'material_idd');

    await helper.unload();
    const second = await load({ params: rows, allowExtra: true });
    second.node.receive({ payload: { material_idd: '123' } });
    await second.ok.waitFor(1);
    assert.equal(lastParams().material_idd, '123');
  });

  it('reports a bad JSON row as a validation error naming the parameter', async function () {
    const { node, err } = await load({
      params: { q: { value: '{nope', type: 'json' }, adzone_id: { value: '1', type: 'num' } },
    });
    node.receive({ payload: {} });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'q');
  });

  it('sends msg.session, and never shows the configured session or secret', async function () {
    const { node, ok } = await load({
      params: { q: { value: 'x', type: 'str' }, adzone_id: { value: '1', type: 'num' } },
    });
    node.receive({ payload: {}, session: 'user-auth-55' });
    await ok.waitFor(1);
    assert.equal(lastParams().session, 'user-auth-55');
    node.receive({ payload: {} });
    await ok.waitFor(2);
    assert.equal(lastParams().session, SESSION);
    assertNoSecrets(ok.messages, [APP_SECRET, SESSION]);
  });

  it('runs a node saved before versions existed (no version, no params)', async function () {
    const { node, ok } = await load({ version: undefined, params: undefined });
    node.receive({ payload: { q: 'x', adzone_id: 5 } });
    const [msg] = await ok.waitFor(1);
    assert.equal(msg!.tbk.method, METHOD);
    assert.equal(lastParams().adzone_id, '5');
  });

  describe('paging', function () {
    const rows = {
      q: { value: 'x', type: 'str' },
      adzone_id: { value: '1', type: 'num' },
      page_size: { value: '2', type: 'num' },
    };

    it('merge: one message with every page concatenated', async function () {
      sandbox.setResponse(METHOD, pagedAnswer);
      const { node, ok } = await load({ params: rows, paging: 'merge', maxPages: 10 });
      const done = countDone(node);
      node.receive({ payload: {} });
      const [msg] = await ok.waitFor(1);
      assert.deepEqual(
        msg!.payload.map((i: { item_id: string }) => i.item_id),
        ['i0', 'i1', 'i2', 'i3', 'i4'],
      );
      assert.equal(msg!.tbk.pages, 3);
      assert.equal(msg!.tbk.total, 5);
      assert.equal(msg!.tbk.partial, undefined);
      await delay(20);
      assert.equal(ok.messages.length, 1);
      assert.equal(done.count, 1);
    });

    it('each: one message per page, the last marked', async function () {
      sandbox.setResponse(METHOD, pagedAnswer);
      const { node, ok } = await load({ params: rows, paging: 'each' });
      node.receive({ payload: {} });
      const msgs = await ok.waitFor(3);
      assert.deepEqual(
        msgs.map((m) => m.tbk.page.index),
        [0, 1, 2],
      );
      assert.deepEqual(
        msgs.map((m) => m.tbk.page.last),
        [false, false, true],
      );
      assert.deepEqual(
        msgs.map((m) => m.tbk.page.page_no),
        [1, 2, 3],
      );
      assert.equal(msgs[2]!.payload.result_list.map_data.length, 1);
    });

    it('stops at maxPages', async function () {
      sandbox.setResponse(METHOD, pagedAnswer);
      const { node, ok } = await load({ params: rows, paging: 'merge', maxPages: 2 });
      const before = sandbox.stats().callsByMethod[METHOD] ?? 0;
      node.receive({ payload: {} });
      const [msg] = await ok.waitFor(1);
      assert.equal(msg!.payload.length, 4);
      assert.equal(msg!.tbk.pages, 2);
      assert.equal((sandbox.stats().callsByMethod[METHOD] ?? 0) - before, 2);
    });

    it('merge: a failing later page gives one partial success message with the error', async function () {
      failPage = '2';
      sandbox.setResponse(METHOD, pagedAnswer);
      const { node, ok, err } = await load({ params: rows, paging: 'merge' });
      const done = countDone(node);
      node.receive({ payload: {} });
      const [msg] = await ok.waitFor(1);
      assert.equal(msg!.payload.length, 2);
      assert.equal(msg!.tbk.partial, true);
      assert.equal(msg!.tbk.error.kind, 'top');
      assert.equal(msg!.tbk.error.code, 15);
      await delay(20);
      assert.equal(err.messages.length, 0);
      assert.equal(done.count, 1);
    });

    it('each: a failing later page delivers the pages before it, then one error', async function () {
      failPage = '2';
      sandbox.setResponse(METHOD, pagedAnswer);
      const { node, ok, err } = await load({ params: rows, paging: 'each' });
      const done = countDone(node);
      node.receive({ payload: {} });
      const [msg] = await err.waitFor(1);
      assert.equal(msg!.error.kind, 'top');
      assert.equal(msg!.tbk.partial, true);
      assert.equal(ok.messages.length, 1);
      assert.equal(ok.messages[0]!.tbk.page.last, false);
      assert.equal(done.count, 1);
    });
  });

  describe('migrate', function () {
    it('has ordered migrations', function () {
      const versions = MIGRATIONS.map((m) => m.version);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
    });

    it('version 0/absent -> 1: missing params become {}', function () {
      const out = migrate({ id: 'n1', type: TYPE, config: 'cfg' }, SPEC);
      assert.deepEqual(out.params, {});
      assert.equal(out.version, 1);
      assert.equal(out.config, 'cfg');
    });

    it('version 0 -> 1: bare string rows become str rows, broken rows are dropped', function () {
      const out = migrate(
        {
          version: 0,
          params: {
            q: 'phone',
            adzone_id: { value: 12, type: 'num' },
            bad: { type: 'str' },
            odd: { value: 'x', type: 'weird' },
          },
        },
        SPEC,
      );
      assert.deepEqual(out.params, {
        q: { value: 'phone', type: 'str' },
        adzone_id: { value: '12', type: 'num' },
        odd: { value: 'x', type: 'str' },
      });
    });

    it('leaves a current configuration alone and does not mutate its input', function () {
      const input = { version: 1, params: { q: { value: 'a', type: 'str' } }, paging: 'merge' };
      const copy = structuredClone(input);
      const out = migrate(input, SPEC);
      assert.deepEqual(input, copy);
      assert.deepEqual(out.params, input.params);
    });

    it('readMethodConfig fills defaults', function () {
      const config = readMethodConfig({ id: 'x', type: TYPE }, SPEC);
      assert.equal(config.paging, 'one');
      assert.equal(config.errorMode, 'auto');
      assert.equal(config.allowExtra, false);
      assert.equal(config.maxPages, 10);
      assert.equal(
        readMethodConfig({ paging: 'merge' }, { ...SPEC, paging: undefined }).paging,
        'one',
        'no paging for a method without it',
      );
    });
  });
});

describe('generated node sets', function () {
  let sandbox: Sandbox;
  useSandboxAndRuntime({ apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }] }, (started) => (sandbox = started));

  it('register and start one node of every spec, and a real method answers through its node', async function () {
    const specs = loadSpecs();
    assert.ok(specs.length > 0, 'specs/methods is there');
    const flow = everyMethodFlow(specs, { endpoint: sandbox.url, timeout: 5000, retries: 0 });
    await helper.load(METHOD_NODE_SETS, flow, {
      cfg: { appKey: APP_KEY, appSecret: APP_SECRET },
    });
    for (const spec of specs) assert.ok(helper.getNode(`n-${spec.type}`), `${spec.type} started`);

    const ok = new Collector(helper.getNode('ok'));
    const err = new Collector(helper.getNode('err'));
    helper.getNode('n-tbk-item-info-get').receive({ payload: { num_iids: '123,456' } });
    await Promise.race([ok.waitFor(1), err.waitFor(1)]);
    assert.equal(err.messages.length, 0, JSON.stringify(err.messages[0]?.error));
    assert.equal(ok.messages[0]!.tbk.method, 'taobao.tbk.item.info.get');
    assert.equal(sandbox.requests().at(-1)!.params.num_iids, '123,456');
  });
});
