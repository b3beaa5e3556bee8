/**
 * 万能转链 of chat text (lib/link-convert.ts) and the sandbox's material-by-material answers
 * (lib/sandbox/link-convert.ts), with a real TopClient over loopback HTTP.
 */
import { strict as assert } from 'node:assert';
import { TopClient } from '../../lib/top/client';
import {
  answerEntries,
  convertText,
  DG_LINK_CONVERT,
  matchEntries,
  materialParam,
  MAX_MATERIALS_PER_CALL,
  replacementFor,
  SC_LINK_CONVERT,
} from '../../lib/links/convert';
import { findMaterials } from '../../lib/links/materials';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox';
import { materialAnswer } from '../../lib/sandbox/link-convert';
import { rejection } from '../support/assertions';

const LONG_FORM = '47￥ CZ3457 p7lYdesjTCG￥ https://m.tb.cn/h.UQ4ceEA';
/** Materials whose sandbox fate the tests rely on (checked in the first test). */
const REFUSED = '￥zRmVdesjTCu￥';
const WITH_COUPON = 'https://s.click.taobao.com/abc';
const WITHOUT_COUPON = 'https://s.click.taobao.com/pQBDhNu';

const call = (params: Record<string, string>) => ({ params, files: [], now: Date.now() });

describe('万能转链 of chat text', function () {
  let sandbox: Sandbox;
  let client: TopClient;

  before(async function () {
    sandbox = await startSandbox();
    client = new TopClient({ ...DEFAULT_APP, endpoint: sandbox.url, retry: false, session: 'sandbox-user-session' });
  });
  after(async function () {
    await client.close();
    await sandbox.close();
  });
  beforeEach(function () {
    sandbox.resetStats();
    sandbox.clearFaults();
  });

  describe('the sandbox answers material by material', function () {
    it('decides each material by a hash of it: refused (1001), with a coupon, or without', function () {
      assert.deepEqual(materialAnswer(REFUSED, call({}), DG_LINK_CONVERT), {
        code: 1001,
        msg: '无权限',
        input_material_url: REFUSED,
      });
      const coupon = materialAnswer(WITH_COUPON, call({ adzone_id: '1' }), DG_LINK_CONVERT);
      assert.ok(coupon.coupon_info_dto);
      assert.match((coupon.link_info_dto as any).coupon_short_url, /^https:\/\/s\.click\.taobao\.com\/[0-9A-Za-z]{7}$/);
      const plain = materialAnswer(WITHOUT_COUPON, call({ adzone_id: '1' }), DG_LINK_CONVERT);
      assert.equal(plain.coupon_info_dto, undefined);
      assert.equal((plain.link_info_dto as any).coupon_short_url, undefined);
    });

    it('refuses about 15 % and gives a coupon to about 40 % of materials', function () {
      let refused = 0;
      let coupons = 0;
      for (let i = 0; i < 2000; i++) {
        const entry = materialAnswer(`https://m.tb.cn/h.m${i}`, call({}), DG_LINK_CONVERT);
        if (entry.code === 1001) refused++;
        else if (entry.coupon_info_dto) coupons++;
      }
      assert.ok(refused > 200 && refused < 400, `refused ${refused} of 2000`);
      assert.ok(coupons > 650 && coupons < 950, `coupons ${coupons} of 2000`);
    });

    it('answers both methods over HTTP, one entry per material in order, the same for the same material', async function () {
      for (const method of [DG_LINK_CONVERT, SC_LINK_CONVERT]) {
        const params = {
          adzone_id: '12345678',
          site_id: '123456',
          material_list: [WITH_COUPON, REFUSED, LONG_FORM].join(','),
        };
        const first = answerEntries((await client.request(method, params)).response);
        const again = answerEntries((await client.request(method, params)).response);
        assert.deepEqual(first, again);
        assert.deepEqual(
          first.map((e) => e.input_material_url),
          [WITH_COUPON, REFUSED, LONG_FORM],
        );
        assert.equal(first[1]!.code, 1001);
        const link = first[2]!.link_info_dto as Record<string, string | number>;
        assert.match(String(link.cps_short_tpwd), /^￥[0-9A-Za-z]{11}￥$/);
        assert.match(
          String(link.cps_full_tpwd),
          /^\d{2}￥ CZ\d{4} [0-9A-Za-z]{11}￥ https:\/\/m\.tb\.cn\/h\.[0-9A-Za-z]{7} {2}\S/,
        );
        assert.match(String(link.material_id), /^6\d{11}$/);
        assert.equal(link.tk_biz_type, 2, 'a 淘口令 input is told apart');
        assert.match(String((first[0]!.promotion_info_dto as Record<string, string>).commission_rate), /^\d+\.\d{2}$/);
      }
    });

    it('makes other links for another ad zone, with the same fate', async function () {
      const a = materialAnswer(WITH_COUPON, call({ adzone_id: '1' }), DG_LINK_CONVERT);
      const b = materialAnswer(WITH_COUPON, call({ adzone_id: '2' }), DG_LINK_CONVERT);
      assert.notEqual((a.link_info_dto as any).cps_short_url, (b.link_info_dto as any).cps_short_url);
      assert.deepEqual(a.coupon_info_dto, b.coupon_info_dto);
    });

    it('gives coupons that run from today (GMT+8) for 1 to 14 days', function () {
      const entry = materialAnswer(WITH_COUPON, call({}), DG_LINK_CONVERT);
      const coupon = entry.coupon_info_dto as Record<string, string>;
      assert.match(coupon.coupon_start_time!, / 00:00:00$/);
      assert.match(coupon.coupon_end_time!, / 23:59:59$/);
      assert.match(coupon.coupon_desc!, /^满\d+元减\d+元$/);
      assert.ok(coupon.coupon_end_time! > coupon.coupon_start_time!);
    });

    it('refuses more than 20 materials in one call (code 41 on material_list)', async function () {
      const list = Array.from({ length: 21 }, (_, i) => `https://m.tb.cn/h.x${i}`).join(',');
      const err = await rejection(client.request(DG_LINK_CONVERT, { adzone_id: '1', material_list: list }));
      assert.equal(err.code, 41);
      assert.equal(err.sub_code, 'isv.invalid-parameter:material_list');
    });

    it('keeps the documented example for calls without material_list', async function () {
      const result = await client.request(DG_LINK_CONVERT, { adzone_id: '1', item_id_list: '688401422805' });
      const entries = answerEntries(result.response);
      assert.equal(
        (entries[0]!.link_info_dto as Record<string, string>).coupon_short_url,
        'https://s.click.taobao.com/DvHjOPu',
      );
    });

    it('answers simplified lists when asked', async function () {
      const simple = new TopClient({ ...DEFAULT_APP, endpoint: sandbox.url, retry: false, simplify: true });
      try {
        const result = await simple.request(DG_LINK_CONVERT, { adzone_id: '1', material_list: WITH_COUPON });
        assert.ok(Array.isArray((result.response.data as Record<string, unknown>).material_url_list));
        assert.equal(answerEntries(result.response).length, 1);
      } finally {
        await simple.close();
      }
    });
  });

  describe('matching answers to materials', function () {
    it('by input_material_url, whatever the order', function () {
      const matched = matchEntries(
        ['a', 'b', 'c'],
        [
          { input_material_url: 'c', n: 3 },
          { input_material_url: 'a', n: 1 },
          { input_material_url: 'b', n: 2 },
        ],
      );
      assert.deepEqual(
        matched.map((e) => e?.n),
        [1, 2, 3],
      );
    });

    it('by a normal form of the link (scheme, case, trailing slash, percent-encoding)', function () {
      const matched = matchEntries(
        ['https://M.TB.CN/h.X1/', 'https://item.taobao.com/x?a=1,2'],
        [
          { input_material_url: 'm.tb.cn/h.x1', n: 1 },
          { input_material_url: 'https://item.taobao.com/x?a=1%2C2', n: 2 },
        ],
      );
      assert.deepEqual(
        matched.map((e) => e?.n),
        [1, 2],
      );
    });

    it('by order when the entries name no input', function () {
      const matched = matchEntries(['a', 'b'], [{ n: 1 }, { n: 2 }]);
      assert.deepEqual(
        matched.map((e) => e?.n),
        [1, 2],
      );
    });

    it('leaves a material without an entry unmatched', function () {
      const matched = matchEntries(['a', 'b'], [{ input_material_url: 'b', n: 2 }]);
      assert.deepEqual(
        matched.map((e) => e?.n),
        [undefined, 2],
      );
    });

    it('encodes commas of a link for the comma-joined material_list', function () {
      assert.equal(materialParam(' https://item.taobao.com/x?a=1,2 '), 'https://item.taobao.com/x?a=1%2C2');
    });
  });

  describe('what replaces a material', function () {
    const link = {
      cps_short_url: 'https://s.click.taobao.com/cps',
      coupon_short_url: 'https://s.click.taobao.com/coupon',
      cps_short_tpwd: '￥cpsCode1234￥',
      coupon_short_tpwd: '￥couponCode1￥',
      cps_full_tpwd: '39￥ CZ3457 cpsCode1234￥ https://m.tb.cn/h.cps  标题',
      coupon_full_tpwd: '47￥ CZ3457 couponCode1￥ https://m.tb.cn/h.cpn  标题',
    };
    const [url] = findMaterials('https://m.tb.cn/h.a');
    const [tpwd] = findMaterials('￥zRmVdesjTCu￥');
    const [full] = findMaterials(LONG_FORM);

    it('a 淘口令 of the same form (tpwd), the coupon one first', function () {
      assert.equal(replacementFor(url!, link, 'tpwd', true), '￥couponCode1￥');
      assert.equal(replacementFor(tpwd!, link, 'tpwd', true), '￥couponCode1￥');
      assert.equal(
        replacementFor(full!, link, 'tpwd', true),
        '47￥ CZ3457 couponCode1￥ https://m.tb.cn/h.cpn',
        'the long form without its title',
      );
      assert.equal(replacementFor(full!, link, 'tpwd', false), '39￥ CZ3457 cpsCode1234￥ https://m.tb.cn/h.cps');
    });

    it('the short link (url)', function () {
      assert.equal(replacementFor(full!, link, 'url', true), 'https://s.click.taobao.com/coupon');
      assert.equal(replacementFor(tpwd!, link, 'url', false), 'https://s.click.taobao.com/cps');
    });

    it('the other form when the answer lacks the one asked for, nothing when it has none', function () {
      assert.equal(
        replacementFor(url!, { cps_short_url: 'https://s.click.taobao.com/cps' }, 'tpwd', true),
        'https://s.click.taobao.com/cps',
      );
      assert.equal(replacementFor(url!, { cps_short_tpwd: '￥cpsCode1234￥' }, 'url', true), '￥cpsCode1234￥');
      assert.equal(replacementFor(url!, {}, 'tpwd', true), undefined);
    });
  });

  describe('convertText against the sandbox', function () {
    const options = { method: DG_LINK_CONVERT, adzoneId: '12345678' } as const;

    it('replaces each converted material in place, lists every material in text order, leaves the refused one', async function () {
      const text = `好物：${LONG_FORM}  麻酱爆肚粉；${REFUSED}；${WITH_COUPON} 和 https://item.jd.com/1.html`;
      const result = await convertText(client, text, options);
      assert.equal(result.calls, 1);
      assert.deepEqual(
        result.links.map((l) => l.input),
        [LONG_FORM, REFUSED, WITH_COUPON],
      );
      assert.deepEqual(
        result.links.map((l) => l.ok),
        [true, false, true],
      );
      assert.deepEqual(result.links[1]!.error, { code: 1001, msg: '无权限' });
      assert.equal(result.links[1]!.output, REFUSED);
      assert.match(
        result.links[0]!.output,
        /^\d{2}￥ CZ\d{4} [0-9A-Za-z]{11}￥ https:\/\/m\.tb\.cn\/h\.[0-9A-Za-z]{7}$/,
      );
      assert.match(result.links[2]!.output, /^￥[0-9A-Za-z]{11}￥$/);
      assert.ok(result.links[2]!.coupon && /^\d+\.00$/.test(result.links[2]!.coupon.amount));
      assert.match(result.links[2]!.item_id!, /^6\d{11}$/);
      assert.equal(
        result.text,
        `好物：${result.links[0]!.output}  麻酱爆肚粉；${REFUSED}；${result.links[2]!.output} 和 https://item.jd.com/1.html`,
      );
      const sent = sandbox.requests().filter((r) => r.method === DG_LINK_CONVERT);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.params.material_list, [LONG_FORM, REFUSED, WITH_COUPON].join(','));
      assert.equal(sent[0]!.params.adzone_id, '12345678');
    });

    it(`sends at most ${MAX_MATERIALS_PER_CALL} materials a call, the calls side by side, each material once`, async function () {
      sandbox.addFault({ kind: 'latency', latencyMs: 150, method: DG_LINK_CONVERT });
      const links = Array.from({ length: 45 }, (_, i) => `https://m.tb.cn/h.T${i}x`);
      const text = links.map((l, i) => `第${i}件 ${l}`).join('\n') + `\n重复 ${links[0]}`;
      const result = await convertText(client, text, options);
      assert.equal(result.calls, 3);
      assert.equal(result.links.length, 46);
      assert.equal(result.links[45]!.output, result.links[0]!.output, 'the same material, the same answer');
      const sent = sandbox
        .requests()
        .filter((r) => r.method === DG_LINK_CONVERT)
        .map((r) => r.params.material_list!.split(','));
      assert.deepEqual(sent.map((s) => s.length).sort(), [20, 20, 5]);
      assert.deepEqual(sent.flat().sort(), [...links].sort());
      assert.ok(sandbox.stats().maxConcurrent >= 2, `calls side by side (peak ${sandbox.stats().maxConcurrent})`);
      for (const [i, l] of result.links.entries())
        if (l.ok) assert.ok(result.text.includes(l.output), `link ${i} replaced`);
    });

    it('a text of 240 links on a caller\'s signal: 12 calls side by side, no "possible memory leak" warning', async function () {
      sandbox.addFault({ kind: 'latency', latencyMs: 100, method: DG_LINK_CONVERT });
      const text = Array.from({ length: 240 }, (_, i) => `第${i}件 https://m.tb.cn/h.W${i}x`).join('\n');
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
      process.on('warning', onWarning);
      try {
        const result = await convertText(client, text, {
          ...options,
          call: { signal: new AbortController().signal },
        });
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(result.calls, 12);
        assert.equal(result.links.length, 240);
      } finally {
        process.off('warning', onWarning);
      }
      assert.ok(sandbox.stats().maxConcurrent > 10, `${sandbox.stats().maxConcurrent} calls at once`);
      assert.deepEqual(
        warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
        [],
      );
    });

    it('makes no call for a text without materials', async function () {
      const result = await convertText(client, '今天没有链接 https://item.jd.com/1.html', options);
      assert.deepEqual(result.links, []);
      assert.equal(result.calls, 0);
      assert.equal(result.text, '今天没有链接 https://item.jd.com/1.html');
      assert.equal(sandbox.stats().totalCalls, 0);
    });

    it('passes site_id, relation_id and special_id, and the session for 服务商', async function () {
      await convertText(client, WITH_COUPON, {
        method: SC_LINK_CONVERT,
        adzoneId: '1',
        siteId: '2',
        relationId: '3',
        specialId: '4',
        call: { session: 'user-session' },
      });
      const [sent] = sandbox.requests().filter((r) => r.method === SC_LINK_CONVERT);
      assert.equal(sent!.params.site_id, '2');
      assert.equal(sent!.params.relation_id, '3');
      assert.equal(sent!.params.special_id, '4');
      assert.equal(sent!.params.session, 'user-session');
    });

    it('fails as a whole with the first call that fails, and aborts the others', async function () {
      // the chunk holding h.F0 is refused at once; the other one would answer after 3 s
      sandbox.setResponse(DG_LINK_CONVERT, async (params: Record<string, string>) => {
        if (params.material_list!.split(',').includes('https://m.tb.cn/h.F0'))
          return { error_response: { code: 25, msg: 'Invalid signature' } };
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return { data: {} };
      });
      try {
        const text = Array.from({ length: 30 }, (_, i) => `https://m.tb.cn/h.F${i}`).join(' ');
        const started = Date.now();
        const err = await rejection(convertText(client, text, options));
        assert.equal(err.code, 25);
        assert.ok(Date.now() - started < 2000, 'the slow call was aborted, not waited for');
        assert.equal(sandbox.requests().filter((r) => r.method === DG_LINK_CONVERT).length, 2);
      } finally {
        sandbox.clearResponses();
      }
    });

    it("is aborted by the caller's signal", async function () {
      sandbox.addFault({ kind: 'latency', latencyMs: 2000, method: DG_LINK_CONVERT });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await rejection(
        convertText(client, WITH_COUPON, { ...options, call: { signal: controller.signal } }),
      );
      assert.equal(err.kind, 'aborted');
    });
  });
});
