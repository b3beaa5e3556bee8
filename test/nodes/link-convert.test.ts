/** The tbk-link-convert node in a real Node-RED, against the sandbox over loopback HTTP. */
import { strict as assert } from 'node:assert';
import { findMaterials } from '../../lib/links/materials';
import { DG_LINK_CONVERT, SC_LINK_CONVERT } from '../../lib/links/convert';
import type { Sandbox } from '../../lib/sandbox';
import {
  assertNoSecrets,
  catchNode,
  Collector,
  countDone,
  delay,
  helper,
  type TestNode,
  useSandboxAndRuntime,
} from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import linkConvertNode = require('../../nodes/tbk-link-convert');

const SECRET = 'sandbox-secret';
const CONFIG_SESSION = 'config-session-2b7f90d1';
const USER_SESSION = 'user-session-c81e44a0';
const LONG_FORM = '47￥ CZ3457 p7lYdesjTCG￥ https://m.tb.cn/h.UQ4ceEA';
/** refused by the sandbox (1001) */
const REFUSED = '￥zRmVdesjTCu￥';
/** converted with a coupon by the sandbox */
const WITH_COUPON = 'https://s.click.taobao.com/abc';
/** converted without a coupon */
const WITHOUT_COUPON = 'https://s.click.taobao.com/pQBDhNu';
const CHAT = `今日好物👇\n1️⃣ ${LONG_FORM}  我的天呐麻酱爆肚粉\n2️⃣ 煮茶器 ${REFUSED}\n3️⃣ 九分裤 ${WITH_COUPON}，手慢无！\n京东的不转：https://item.jd.com/1.html`;

interface Loaded {
  node: TestNode;
  ok: Collector;
  err: Collector;
  caught: Collector;
  statuses: Array<Record<string, unknown>>;
}

describe('tbk-link-convert node', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  useSandboxAndRuntime({}, (started) => (sandbox = started));

  async function load(
    props: Record<string, unknown> = {},
    options: { wireErrors?: boolean; config?: Record<string, unknown> } = {},
  ): Promise<Loaded> {
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
        rateLimit: 40,
        concurrency: 16,
        ...options.config,
      },
      {
        id: 'conv',
        type: 'tbk-link-convert',
        z: 'f1',
        x: 0,
        y: 0,
        name: '',
        config: 'cfg',
        adzoneId: '12345678',
        provider: false,
        siteId: '',
        replaceWith: 'tpwd',
        preferCoupon: true,
        relationId: '',
        specialId: '',
        errorMode: 'auto',
        version: 1,
        ...props,
        wires: [['ok'], options.wireErrors === false ? [] : ['err']],
      },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'catch', type: 'catch', z: 'f1', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    await helper.load([configNode, linkConvertNode, catchNode], flow, {
      cfg: { appKey: 'sandbox-app', appSecret: SECRET, session: CONFIG_SESSION },
    });
    const node = helper.getNode('conv');
    const statuses: Array<Record<string, unknown>> = [];
    node.on('call:status', (call: { args: Array<Record<string, unknown>> }) => statuses.push(call.args[0]!));
    return {
      node,
      ok: new Collector(helper.getNode('ok')),
      err: new Collector(helper.getNode('err')),
      caught: new Collector(helper.getNode('caught')),
      statuses,
    };
  }

  const convertCalls = (method: string = DG_LINK_CONVERT) => sandbox.requests().filter((r) => r.method === method);

  it('converts every link and 淘口令 of a chat message in place and lists them in text order', async function () {
    const { node, ok, err, statuses } = await load();
    const done = countDone(node);
    node.receive({ payload: CHAT, topic: 'group-1', chat: { from: 'alice' } });
    const [msg] = await ok.waitFor(1);
    const links = msg!.tbk.links as Array<Record<string, any>>;
    assert.deepEqual(
      links.map((l) => l.input),
      [LONG_FORM, REFUSED, WITH_COUPON],
    );
    assert.deepEqual(
      links.map((l) => l.ok),
      [true, false, true],
    );

    // the long form stays a long form, without the title (which stays in the text once)
    assert.match(links[0]!.output, /^\d{2}￥ CZ\d{4} [0-9A-Za-z]{11}￥ https:\/\/m\.tb\.cn\/h\.[0-9A-Za-z]{7}$/);
    assert.equal(links[0]!.error, undefined);
    assert.match(links[0]!.item_id, /^6\d{11}$/);
    // refused: as it was, with the gateway's code and msg
    assert.deepEqual(links[1], { input: REFUSED, ok: false, output: REFUSED, error: { code: 1001, msg: '无权限' } });
    // a link with a coupon: the coupon 淘口令, and the coupon's facts
    assert.match(links[2]!.output, /^￥[0-9A-Za-z]{11}￥$/);
    assert.deepEqual(Object.keys(links[2]!.coupon).sort(), ['amount', 'desc', 'end_time']);
    assert.match(links[2]!.coupon.amount, /^\d+\.00$/);
    assert.match(links[2]!.coupon.desc, /^满\d+元减\d+元$/);
    assert.match(links[2]!.coupon.end_time, /^\d{4}-\d{2}-\d{2} 23:59:59$/);
    assert.match(links[2]!.commission_rate, /^\d+\.\d{2}$/);
    assert.match(links[2]!.item_id, /^6\d{11}$/);

    assert.equal(
      msg!.payload,
      `今日好物👇\n1️⃣ ${links[0]!.output}  我的天呐麻酱爆肚粉\n2️⃣ 煮茶器 ${REFUSED}\n3️⃣ 九分裤 ${links[2]!.output}，手慢无！\n京东的不转：https://item.jd.com/1.html`,
    );
    assert.equal(msg!.topic, 'group-1');
    assert.deepEqual(msg!.chat, { from: 'alice' });
    assert.equal(msg!.tbk.method, DG_LINK_CONVERT);
    assert.equal(msg!.tbk.calls, 1);
    assert.equal(typeof msg!.tbk.duration_ms, 'number');

    const [sent] = convertCalls();
    assert.equal(sent!.params.material_list, [LONG_FORM, REFUSED, WITH_COUPON].join(','));
    assert.equal(sent!.params.adzone_id, '12345678');
    await delay(250);
    assert.equal(err.messages.length, 0);
    assert.equal(done.count, 1);
    assert.deepEqual(done.errors, []);
    assert.equal(statuses.at(-1)!.fill, 'yellow', 'some material was refused');
    assert.match(String(statuses.at(-1)!.text), /^2\/3 converted, \d+ ms$/);
  });

  it('passes a message without any material unchanged, with msg.tbk.links = [] and no call', async function () {
    const { node, ok, statuses } = await load();
    for (const payload of ['今天没有链接，只有京东的 https://item.jd.com/1.html 和价格 $100$', '']) {
      node.receive({ payload });
    }
    const [first, second] = await ok.waitFor(2);
    assert.equal(first!.payload, '今天没有链接，只有京东的 https://item.jd.com/1.html 和价格 $100$');
    assert.deepEqual(first!.tbk.links, []);
    assert.equal(first!.tbk.calls, 0);
    assert.equal(second!.payload, '');
    assert.deepEqual(second!.tbk.links, []);
    assert.equal(sandbox.stats().totalCalls, 0);
    await delay(250);
    assert.equal(statuses.at(-1)!.text, 'no link to convert');
  });

  it('replaceWith url puts the short link in place of every kind of material', async function () {
    const { node, ok } = await load({ replaceWith: 'url' });
    node.receive({ payload: `${LONG_FORM} 标题 ${WITH_COUPON}` });
    const [msg] = await ok.waitFor(1);
    const links = msg!.tbk.links as Array<Record<string, any>>;
    for (const link of links) assert.match(link.output, /^https:\/\/s\.click\.taobao\.com\/[0-9A-Za-z]{7}$/);
    assert.equal(msg!.payload, `${links[0]!.output} 标题 ${links[1]!.output}`);
  });

  it('preferCoupon picks the coupon link when there is one; off, the plain CPS link', async function () {
    const withCoupon = await load({ replaceWith: 'url' });
    withCoupon.node.receive({ payload: `${WITH_COUPON} ${WITHOUT_COUPON}` });
    const [a] = await withCoupon.ok.waitFor(1);
    await helper.unload();
    const plain = await load({ replaceWith: 'url', preferCoupon: false });
    plain.node.receive({ payload: `${WITH_COUPON} ${WITHOUT_COUPON}` });
    const [b] = await plain.ok.waitFor(1);
    assert.notEqual(a!.tbk.links[0].output, b!.tbk.links[0].output, 'with a coupon: coupon link vs CPS link');
    assert.equal(a!.tbk.links[1].output, b!.tbk.links[1].output, 'without a coupon: the CPS link either way');
    assert.ok(a!.tbk.links[0].coupon && b!.tbk.links[0].coupon, 'the coupon is reported either way');
  });

  it('sends 25 materials as two calls side by side and answers with one message', async function () {
    sandbox.addFault({ kind: 'latency', latencyMs: 200, method: DG_LINK_CONVERT });
    const { node, ok } = await load();
    const links = Array.from({ length: 25 }, (_, i) => `https://m.tb.cn/h.N${i}q`);
    const started = Date.now();
    node.receive({ payload: links.map((l, i) => `${i + 1}. ${l}`).join('\n') });
    const [msg] = await ok.waitFor(1);
    const elapsed = Date.now() - started;
    assert.equal(msg!.tbk.links.length, 25);
    assert.equal(msg!.tbk.calls, 2);
    assert.equal(msg!.tbk.request_ids.length, 2);
    assert.deepEqual(
      convertCalls()
        .map((r) => r.params.material_list!.split(',').length)
        .sort(),
      [20, 5],
    );
    assert.ok(elapsed < 380, `side by side: ${elapsed} ms for two calls of 200 ms each`);
    assert.equal(findMaterials(msg!.payload).length, 25, 'every material is still a material, converted or not');
  });

  it('服务商: taobao.tbk.sc.general.link.convert with siteId and the session of msg.session, never shown', async function () {
    const { node, ok } = await load({ provider: true, siteId: '7654321' });
    node.receive({ payload: WITH_COUPON, session: USER_SESSION });
    node.receive({ payload: WITHOUT_COUPON });
    const [first, second] = await ok.waitFor(2);
    const sent = convertCalls(SC_LINK_CONVERT);
    assert.equal(sent.length, 2);
    assert.equal(sent[0]!.params.site_id, '7654321');
    assert.deepEqual(sent.map((r) => r.params.session).sort(), [CONFIG_SESSION, USER_SESSION].sort());
    assert.equal(first!.tbk.method, SC_LINK_CONVERT);
    assert.equal(first!.tbk.links[0].ok, true);
    assertNoSecrets([first!.payload, first!.tbk, second!.tbk], [USER_SESSION, CONFIG_SESSION, SECRET]);
  });

  it('takes ${ENV} in adzoneId, siteId and relationId, and a whole PID in adzoneId', async function () {
    process.env.TBK_TEST_ADZONE = '99887766';
    process.env.TBK_TEST_RELATION = '5550001';
    try {
      const { node, ok } = await load({
        adzoneId: '${TBK_TEST_ADZONE}',
        relationId: '${TBK_TEST_RELATION}',
        specialId: '42',
      });
      node.receive({ payload: WITH_COUPON });
      await ok.waitFor(1);
      const [sent] = convertCalls();
      assert.equal(sent!.params.adzone_id, '99887766');
      assert.equal(sent!.params.relation_id, '5550001');
      assert.equal(sent!.params.special_id, '42');
    } finally {
      delete process.env.TBK_TEST_ADZONE;
      delete process.env.TBK_TEST_RELATION;
    }
    await helper.unload();
    sandbox.resetStats();
    const pid = await load({ adzoneId: 'mm_123_456_789', provider: true });
    pid.node.receive({ payload: WITH_COUPON });
    await pid.ok.waitFor(1);
    const [sent] = convertCalls(SC_LINK_CONVERT);
    assert.equal(sent!.params.adzone_id, '789');
    assert.equal(sent!.params.site_id, '456', 'the PID gives the site id too');
  });

  it('refuses a missing or malformed adzoneId, and a 服务商 node without siteId, on the error output before any call', async function () {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ adzoneId: '' }, 'adzoneId', /adzoneId is required/],
      [
        { adzoneId: '${TBK_UNSET_ADZONE_VARIABLE}' },
        'adzoneId',
        /^TBK_UNSET_ADZONE_VARIABLE is not set \(adzoneId refers to \$\{TBK_UNSET_ADZONE_VARIABLE\}\)$/,
      ],
      [{ adzoneId: 'abc' }, 'adzoneId', /adzoneId must be an ad zone id .*"abc"/],
      [{ provider: true, siteId: '' }, 'siteId', /siteId is required/],
      [{ provider: true, siteId: 'x1' }, 'siteId', /siteId must be a site id/],
    ];
    for (const [props, param, message] of cases) {
      const { node, err } = await load(props);
      // set in the constructor, before load() could listen: read the helper's spy on Node.prototype.status
      const statusSpy = (
        helper as unknown as {
          _NodePrototype: {
            status: { getCalls(): Array<{ thisValue: { id: string }; args: Array<Record<string, unknown>> }> };
          };
        }
      )._NodePrototype.status;
      const atDeploy = statusSpy
        .getCalls()
        .filter((c) => c.thisValue.id === 'conv')
        .at(-1);
      assert.equal(atDeploy?.args[0]!.fill, 'red', 'shown at deploy');
      const done = countDone(node);
      node.receive({ payload: WITH_COUPON });
      const [msg] = await err.waitFor(1);
      assert.equal(msg!.error.kind, 'validation');
      assert.equal(msg!.error.param, param);
      assert.match(msg!.error.message, message);
      assert.equal(msg!.payload, WITH_COUPON, 'the message is left as it came');
      assert.equal(done.count, 1);
      await helper.unload();
    }
    assert.equal(sandbox.stats().totalCalls, 0);
  });

  it('refuses a payload that is not text', async function () {
    const { node, err } = await load();
    for (const payload of [{ text: WITH_COUPON }, 42, null, Buffer.from(WITH_COUPON), [WITH_COUPON]])
      node.receive({ payload });
    const messages = await err.waitFor(5);
    for (const msg of messages) {
      assert.equal(msg.error.kind, 'validation');
      assert.equal(msg.error.param, 'payload');
      assert.match(
        msg.error.message,
        /^msg\.payload must be the chat text \(a string\), not (an object|a number|null|a Buffer|an array)$/,
      );
    }
    assert.equal(sandbox.stats().totalCalls, 0);
  });

  it('takes the error output only when the whole call fails (signature), and Catch when it is not wired', async function () {
    sandbox.addFault({ kind: 'top-error', code: 25, method: DG_LINK_CONVERT });
    const wired = await load();
    wired.node.receive({ payload: CHAT });
    const [msg] = await wired.err.waitFor(1);
    assert.equal(msg!.error.kind, 'top');
    assert.equal(msg!.error.code, 25);
    assert.equal(msg!.error.method, DG_LINK_CONVERT);
    assert.equal(msg!.payload, CHAT, 'the text is left as it came');
    assert.equal(msg!.tbk, undefined);
    assert.equal(wired.ok.messages.length, 0);
    await helper.unload();

    const unwired = await load({}, { wireErrors: false });
    const done = countDone(unwired.node);
    unwired.node.receive({ payload: CHAT });
    const [caught] = await unwired.caught.waitFor(1);
    // Node-RED 4 copies the error's code into msg.error; 3.1 copies only message, stack and cause
    assert.equal(caught!.error.cause.code, 25);
    assert.equal(caught!.error.cause.kind, 'top');
    assert.equal(caught!.error.source.type, 'tbk-link-convert');
    await delay(50);
    assert.equal(done.count, 1);
  });

  it('reports a transport failure once (HTTP 502, no retries)', async function () {
    sandbox.addFault({ kind: 'http502', method: DG_LINK_CONVERT });
    const { node, err, ok } = await load();
    const done = countDone(node);
    node.receive({ payload: WITH_COUPON });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'transport');
    await delay(100);
    assert.equal(ok.messages.length, 0);
    assert.equal(done.count, 1);
  });

  it('ends a message in flight once when the flow stops', async function () {
    sandbox.addFault({ kind: 'latency', latencyMs: 3000, method: DG_LINK_CONVERT });
    const { node } = await load({ errorMode: 'output' });
    const done = countDone(node);
    node.receive({ payload: WITH_COUPON });
    await delay(100);
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 2000, 'the call was aborted, not waited for');
    assert.equal(done.count, 1);
  });
});
