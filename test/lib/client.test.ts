import { getEventListeners } from 'node:events';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sign, TopClient, parseGmt8 } from '../../lib';
import { rejection } from '../support/assertions';
import { json, useScriptedClient } from '../support/scripted-server';

const APP = { appKey: 'k123', appSecret: 'secret-xyz' };
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 };

function topError(code: number, msg: string, sub_code?: string, sub_msg?: string) {
  return json({ error_response: { code, msg, sub_code, sub_msg, request_id: 'req-err' } });
}

describe('TopClient', function () {
  const { server, make, current } = useScriptedClient({ ...APP, retry: FAST_RETRY });

  it('signs every sent parameter and unwraps the response, keeping request_id', async function () {
    server.script(
      json({ tbk_item_info_get_response: { results: { n_tbk_item: [{ num_iid: '1' }] }, request_id: 'abc' } }),
    );
    const result = await make({ session: 'sess-1', partnerId: 'p1' }).request('taobao.tbk.item.info.get', {
      num_iids: ['1', '2'],
      platform: 2,
      flag: true,
      empty: '',
    });
    assert.deepEqual(result.response, { results: { n_tbk_item: [{ num_iid: '1' }] }, request_id: 'abc' });
    assert.equal(result.request_id, 'abc');
    assert.equal(result.attempts, 1);
    const { params, headers } = server.received[0]!;
    assert.match(String(headers['content-type']), /^application\/x-www-form-urlencoded;charset=utf-8$/);
    assert.equal(params.num_iids, '1,2');
    assert.equal(params.flag, 'true');
    assert.ok(!('empty' in params));
    assert.equal(params.session, 'sess-1');
    assert.equal(params.partner_id, 'p1');
    assert.equal(params.v, '2.0');
    assert.equal(params.format, 'json');
    const { sign: sent, ...rest } = params;
    assert.equal(sent, sign(rest, APP.appSecret, 'md5'));
    assert.ok(Math.abs(parseGmt8(params.timestamp!) - Date.now()) < 5000, 'timestamp is now, in GMT+8');
  });

  for (const method of ['hmac', 'hmac-sha256'] as const) {
    it(`signs with ${method}`, async function () {
      server.script(json({ tbk_spread_get_response: { results: {} } }));
      await make({ signMethod: method }).call('taobao.tbk.spread.get', { requests: '[]' });
      const { sign: sent, ...rest } = server.received[0]!.params;
      assert.equal(rest.sign_method, method);
      assert.equal(sent, sign(rest, APP.appSecret, method));
    });
  }

  it('a per-call session overrides the configured one', async function () {
    server.script(json({ tbk_sc_adzone_create_response: {} }));
    await make({ session: 'default' }).call('taobao.tbk.sc.adzone.create', {}, { session: 'user-2' });
    assert.equal(server.received[0]!.params.session, 'user-2');
  });

  it('keeps 18-digit ids exact', async function () {
    server.script(
      json(
        '{"tbk_dg_punish_order_get_response":{"result":{"data":{"results":{"result":[{"tb_trade_id":581552321112183166}]}}}}}',
      ),
    );
    const response = await make().call('taobao.tbk.dg.punish.order.get', {});
    assert.equal((response as any).result.data.results.result[0].tb_trade_id, '581552321112183166');
  });

  it('accepts gzip', async function () {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ tbk_tpwd_create_response: { data: { model: '￥AbC￥' } } })));
    });
    assert.deepEqual(await make().call('taobao.tbk.tpwd.create', { url: 'https://s.click.taobao.com/x' }), {
      data: { model: '￥AbC￥' },
    });
    assert.match(String(server.received[0]!.headers['accept-encoding']), /gzip/);
  });

  it('understands simplify=true answers', async function () {
    server.script(json({ results: [{ num_iid: '1' }], request_id: 'r1' }));
    const result = await make({ simplify: true }).request('taobao.tbk.item.info.get', {});
    assert.equal(server.received[0]!.params.simplify, 'true');
    assert.deepEqual(result.response.results, [{ num_iid: '1' }]);
    assert.equal(result.request_id, 'r1');
  });

  it('sends files as multipart, unsigned', async function () {
    server.script(json({ tbk_material_upload_response: {} }));
    await make().call(
      'taobao.tbk.material.upload',
      { name: 'pic', image: { data: Buffer.from('PNGDATA'), filename: 'a.png' } },
      { writes: true },
    );
    const { headers, body } = server.received[0]!;
    assert.match(String(headers['content-type']), /^multipart\/form-data; ?boundary=/);
    const text = body.toString('latin1');
    assert.match(text, /name="image"; filename="a.png"/);
    assert.match(text, /PNGDATA/);
    const fields: Record<string, string> = {};
    for (const m of text.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)) fields[m[1]!] = m[2]!;
    const { sign: sent, ...rest } = fields;
    assert.ok(!('image' in rest));
    assert.equal(sent, sign(rest, APP.appSecret, 'md5'));
  });

  describe('errors', function () {
    it('invalid signature (25) is a top error with advice, not retried', async function () {
      server.script(topError(25, 'Invalid signature'));
      const err = await rejection(make().call('taobao.tbk.item.info.get', {}));
      assert.equal(err.kind, 'top');
      assert.equal(err.code, 25);
      assert.equal(err.message, 'Invalid signature (25): check the App Secret and sign method');
      assert.equal(err.request_id, 'req-err');
      assert.equal(err.attempts, 1);
      assert.equal(server.received.length, 1);
    });
    it('invalid timestamp (31) says what to do', async function () {
      server.script(topError(31, 'Invalid timestamp'));
      const err = await rejection(make().call('taobao.tbk.item.info.get', {}));
      assert.match(err.message, /^Invalid timestamp \(31\): .*clock/);
    });
    it('isv.* parameter errors are not retried', async function () {
      server.script(topError(15, 'Remote service error', 'isv.invalid-parameter:adzone_id', 'adzone_id不正确'));
      const err = await rejection(make().call('taobao.tbk.item.info.get', {}));
      assert.equal(err.sub_code, 'isv.invalid-parameter:adzone_id');
      assert.equal(err.retryable, false);
      assert.equal(server.received.length, 1);
    });
    it('isp.* errors are retried, boundedly, each attempt freshly signed', async function () {
      server.script(topError(15, 'Remote service error', 'isp.tbkapi-service-unavailable'));
      const err = await rejection(
        make({ retry: { ...FAST_RETRY, retries: 5, maxIspRetries: 2 } }).call('taobao.tbk.item.info.get', {}),
      );
      assert.equal(err.attempts, 3);
      assert.equal(server.received.length, 3);
      const signs = new Set(server.received.map((r) => r.params.sign));
      for (const r of server.received) {
        const { sign: sent, ...rest } = r.params;
        assert.equal(sent, sign(rest, APP.appSecret, 'md5'));
      }
      assert.ok(signs.size >= 1);
    });
    it('recovers from a transient failure', async function () {
      server.script(
        json('<html><title>502 Bad Gateway</title></html>', 502),
        json({ tbk_item_info_get_response: { ok: 1 } }),
      );
      const result = await make().request('taobao.tbk.item.info.get', {});
      assert.equal(result.attempts, 2);
      assert.deepEqual(result.response, { ok: 1 });
    });
    it('HTTP 502 with an HTML page is a transport error', async function () {
      server.script(json('<html><head><title>502 Bad Gateway</title></head></html>', 502));
      const err = await rejection(make({ retry: false }).call('taobao.tbk.item.info.get', {}));
      assert.equal(err.kind, 'transport');
      assert.equal(err.status, 502);
      assert.match(err.message, /HTTP 502.*502 Bad Gateway/);
      assert.equal(err.retryable, true);
    });
    it('empty, HTML-with-200 and truncated bodies are transport errors', async function () {
      for (const [body, pattern] of [
        ['', /Empty answer/],
        ['<html>oops</html>', /HTML page/],
        ['{"tbk_item_info_get_response":{"a":', /malformed or truncated/],
      ] as const) {
        server.script(json(body));
        const err = await rejection(make({ retry: false }).call('taobao.tbk.item.info.get', {}));
        assert.equal(err.kind, 'transport');
        assert.match(err.message, pattern);
        await current().close();
      }
    });
    it('a connection reset is a transport error', async function () {
      server.script((req) => req.socket.destroy());
      const err = await rejection(make({ retry: false }).call('taobao.tbk.item.info.get', {}));
      assert.equal(err.kind, 'transport');
    });
    it('times out per attempt', async function () {
      server.script((_req, res) =>
        setTimeout(() => json({ tbk_item_info_get_response: {} })(_req, res, undefined as never), 500),
      );
      const err = await rejection(
        make({ timeoutMs: 50, retry: { ...FAST_RETRY, retries: 1 } }).call('taobao.tbk.item.info.get', {}),
      );
      assert.equal(err.kind, 'timeout');
      assert.equal(err.attempts, 2);
    });
    it('aborts with the caller signal', async function () {
      server.script((_req, res) =>
        setTimeout(() => json({ tbk_item_info_get_response: {} })(_req, res, undefined as never), 500),
      );
      const controller = new AbortController();
      const pending = make().call('taobao.tbk.item.info.get', {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      const err = await rejection(pending);
      assert.equal(err.kind, 'aborted');
      assert.equal(err.retryable, false);
    });
    it('close() ends in-flight and queued calls with aborted errors', async function () {
      server.script((_req, res) =>
        setTimeout(() => json({ tbk_item_info_get_response: {} })(_req, res, undefined as never), 1000),
      );
      const c = make({ rateLimit: { perSecond: 0, concurrency: 1 } });
      const calls = [c.call('taobao.tbk.item.info.get', {}), c.call('taobao.tbk.item.info.get', {})].map(rejection);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(c.inFlight, 1);
      assert.equal(c.queued, 1);
      await c.close();
      const errors = await Promise.all(calls);
      assert.deepEqual(
        errors.map((e) => e.kind),
        ['aborted', 'aborted'],
      );
    });
    it('code 7 with a short ban waits it out and retries; a long ban is reported', async function () {
      server.script(
        topError(
          7,
          'App Call Limited',
          'accesscontrol.limited-by-api-access-count',
          'This ban will last for 1 more seconds',
        ),
        json({ tbk_item_info_get_response: { ok: true } }),
      );
      const retries: number[] = [];
      const started = Date.now();
      const result = await make().request(
        'taobao.tbk.item.info.get',
        {},
        {
          onRetry: ({ delayMs, error }) => {
            retries.push(delayMs);
            assert.equal(error.kind, 'throttled');
          },
        },
      );
      assert.equal(result.attempts, 2);
      assert.ok(Date.now() - started >= 1000, 'waited for the ban');
      assert.ok(retries[0]! >= 1000);
      await current().close();
      server.script(
        topError(
          7,
          'App Call Limited',
          'accesscontrol.limited-by-app-access-count',
          'This ban will last for 31062 more seconds',
        ),
      );
      const err = await rejection(make().call('taobao.tbk.item.info.get', {}));
      assert.equal(err.kind, 'throttled');
      assert.equal(err.ban_seconds, 31062);
      assert.equal(err.retryable, false);
      assert.equal(server.received.length, 1);
    });
    it('sub code 9100 is throttling and retried', async function () {
      server.script(
        topError(15, 'Remote service error', '9100', '您的账号因调用不符合要求,当前触发限流'),
        json({ tbk_item_info_get_response: {} }),
      );
      const result = await make().request('taobao.tbk.item.info.get', {});
      assert.equal(result.attempts, 2);
    });
    it('business failures inside a success answer are errors of kind business', async function () {
      server.script(
        json({
          tbk_dg_vegas_tlj_create_response: {
            result: { success: false, msg_code: 'FAIL_CHECK_TLJ_MIN_FACE_ERROR', msg_info: '淘礼金面额低于下限' },
          },
        }),
      );
      const err = await rejection(make().call('taobao.tbk.dg.vegas.tlj.create', {}, { writes: true }));
      assert.equal(err.kind, 'business');
      assert.equal(err.sub_code, 'FAIL_CHECK_TLJ_MIN_FACE_ERROR');
      assert.equal(err.msg, '淘礼金面额低于下限');
      assert.match(err.message, /淘礼金面额低于下限/);
    });
    it('is_success: false is a business error', async function () {
      server.script(
        json({
          tbk_sf_group_activity_callback_response: { is_success: false, biz_error_code: 21, biz_error_desc: '无权限' },
        }),
      );
      const err = await rejection(make().call('taobao.tbk.sf.group.activity.callback', {}));
      assert.equal(err.kind, 'business');
      assert.equal(err.code, 21);
      assert.equal(err.msg, '无权限');
    });
  });

  describe('writes', function () {
    it('are not retried after the request may have reached the server', async function () {
      server.script((req) => req.socket.destroy());
      const err = await rejection(make().call('taobao.tbk.dg.vegas.tlj.create', {}, { writes: true }));
      assert.equal(err.kind, 'transport');
      assert.equal(err.attempts, 1);
      assert.equal(server.received.length, 1);
    });
    it('are retried when the gateway refused them (throttling)', async function () {
      server.script(
        topError(15, 'Remote service error', '9100', '限流'),
        json({ tbk_dg_vegas_tlj_create_response: { result: { success: true } } }),
      );
      const result = await make().request('taobao.tbk.dg.vegas.tlj.create', {}, { writes: true });
      assert.equal(result.attempts, 2);
    });
    it('are retried when the connection was never made', async function () {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const err = await rejection(
        make({ endpoint: `http://127.0.0.1:${port}/router/rest` }).call(
          'taobao.tbk.dg.vegas.tlj.create',
          {},
          { writes: true },
        ),
      );
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /ECONNREFUSED/);
      assert.equal(err.attempts, 3);
    });
    it('can be retried when the user turns that on', async function () {
      server.script(
        (req) => req.socket.destroy(),
        json({ tbk_dg_vegas_tlj_create_response: { result: { success: true } } }),
      );
      const result = await make({ retry: { ...FAST_RETRY, retryWrites: true } }).request(
        'taobao.tbk.dg.vegas.tlj.create',
        {},
        { writes: true },
      );
      assert.equal(result.attempts, 2);
    });
  });

  describe('rate limiting', function () {
    it('queues calls so no one-second window holds more than the limit', async function () {
      this.timeout(10000);
      const starts: number[] = [];
      server.script((_req, res) => {
        starts.push(Date.now());
        json({ tbk_item_info_get_response: {} })(_req, res, undefined as never);
      });
      const c = make({ rateLimit: { perSecond: 5, concurrency: 3 } });
      await Promise.all(Array.from({ length: 12 }, () => c.call('taobao.tbk.item.info.get', {})));
      assert.equal(starts.length, 12);
      for (const t of starts)
        assert.ok(starts.filter((s) => s >= t && s < t + 1000).length <= 5, 'at most 5 calls in any second');
    });
  });

  describe("a caller's signal", function () {
    it('20 calls in flight on one signal: one listener on it, no "possible memory leak" warning, all aborted with it', async function () {
      // the gateway never answers: every call stays in flight until the signal is aborted
      server.script(() => undefined);
      const c = make({ rateLimit: { perSecond: 0, concurrency: 0 }, timeoutMs: 10_000 });
      const caller = new AbortController();
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning.name);
      process.on('warning', onWarning);
      try {
        const calls = Array.from({ length: 20 }, () =>
          rejection(c.call('taobao.tbk.item.info.get', {}, { signal: caller.signal })),
        );
        while (server.received.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(getEventListeners(caller.signal, 'abort').length, 1);
        caller.abort();
        const errors = await Promise.all(calls);
        assert.deepEqual(new Set(errors.map((e) => e.kind)), new Set(['aborted']));
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepEqual(warnings, []);
    });

    it('lets go of the signal when its last call ends', async function () {
      server.script(json({ tbk_item_info_get_response: {} }));
      const c = make();
      const caller = new AbortController();
      await Promise.all(
        Array.from({ length: 3 }, () => c.call('taobao.tbk.item.info.get', {}, { signal: caller.signal })),
      );
      assert.equal(getEventListeners(caller.signal, 'abort').length, 0);
    });
  });

  it('validates its options and method names', async function () {
    assert.throws(() => new TopClient({ appKey: '', appSecret: 'x' }), /App Key/);
    assert.throws(() => new TopClient({ appKey: 'k', appSecret: '' }), /App Secret/);
    assert.throws(() => new TopClient({ appKey: 'k', appSecret: 's', signMethod: 'sha1' as never }), /sign method/);
    assert.throws(() => new TopClient({ appKey: 'k', appSecret: 's', endpoint: 'ftp://x' }), /http or https/);
    const err = await rejection(make().call('not a method', {}));
    assert.equal(err.kind, 'validation');
    assert.equal(err.param, 'method');
  });

  it('never puts the secret in an error', async function () {
    server.script(topError(25, 'Invalid signature'));
    const err = await rejection(make().call('taobao.tbk.item.info.get', {}));
    assert.ok(!JSON.stringify(err).includes(APP.appSecret));
    assert.ok(!String(err.stack).includes(APP.appSecret));
  });
});
