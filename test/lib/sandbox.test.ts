import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Agent, FormData, request } from 'undici';
import { sign, type SignMethod } from '../../lib/top/sign';
import { topTimestamp } from '../../lib/top/time';
import { parseJsonLossless } from '../../lib/top/json';
import { detectBusinessFailure, responseKey } from '../../lib/top/response';
import { loadSpecs } from '../../lib/method-specs';
import type { MethodSpec, ParamSpec } from '../../lib/method-specs/types';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../lib/sandbox';

const APP = { appKey: 'test-app', appSecret: 'test-secret' };
const OTHER_APP = { appKey: 'other-app', appSecret: 'other-secret' };

function param(name: string, kind: ParamSpec['kind'], required = false): ParamSpec {
  return { name, kind, docType: kind, required, description: name };
}

function methodSpec(method: string, params: ParamSpec[], extra: Partial<MethodSpec> = {}): MethodSpec {
  return {
    version: 1,
    method,
    type: 'tbk-' + method.replace(/^taobao\.tbk\./, '').replace(/\./g, '-'),
    title: { zh: method, en: method },
    label: { zh: method, en: method },
    role: 'promoter',
    catalogRole: 'promoter',
    status: 'resolved',
    confidence: 'doc',
    auth: 'none',
    writes: false,
    validate: true,
    params,
    response: [],
    errors: [],
    sources: [],
    ...extra,
  };
}

const SPECS: MethodSpec[] = [
  methodSpec(
    'taobao.tbk.item.info.get',
    [
      param('num_iids', 'string', true),
      param('platform', 'number'),
      param('is_tmall', 'boolean'),
      param('start_time', 'date'),
      param('options', 'json'),
    ],
    {
      responseExample: {
        tbk_item_info_get_response: {
          results: { n_tbk_item: [{ num_iid: '123', title: '连衣裙', small_images: { string: ['a.jpg', 'b.jpg'] } }] },
          total_results: 1,
        },
      },
    },
  ),
  methodSpec('taobao.tbk.dg.punish.order.get', [], {
    responseExample: {
      tbk_dg_punish_order_get_response: {
        result: {
          data: {
            results: {
              result: [
                {
                  tb_trade_id: '581552321112183166',
                  tb_trade_parent_id: Number('124211643674220941'),
                  relation_id: 122344,
                },
              ],
            },
          },
          result_code: 200,
          biz_error_code: 0,
        },
      },
    },
  }),
  methodSpec('taobao.tbk.sc.publisher.info.get', [param('info_type', 'number', true)], { auth: 'required' }),
  methodSpec('taobao.tbk.sandbox.upload', [param('image', 'file', true), param('title', 'string', true)]),
  methodSpec('taobao.tbk.loose.get', [param('anything', 'number', true)], { validate: false }),
];

interface CallOptions {
  secret?: string;
  signMethod?: SignMethod;
  /** params sent in the query string instead of the body */
  query?: string[];
  headers?: Record<string, string>;
  http?: 'GET' | 'POST';
  dispatcher?: Agent;
  skipSign?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  text: string;
  json: any;
}

function baseParams(
  method: string,
  extra: Record<string, string> = {},
  signMethod: SignMethod = 'md5',
): Record<string, string> {
  return {
    method,
    app_key: APP.appKey,
    timestamp: topTimestamp(),
    v: '2.0',
    format: 'json',
    sign_method: signMethod,
    ...extra,
  };
}

function signed(params: Record<string, string>, options: CallOptions = {}): Record<string, string> {
  if (options.skipSign) return params;
  return {
    ...params,
    sign: sign(
      params,
      options.secret ?? APP.appSecret,
      (params.sign_method as SignMethod) ?? options.signMethod ?? 'md5',
    ),
  };
}

async function answerOf(res: Awaited<ReturnType<typeof request>>): Promise<Answer> {
  const raw = Buffer.from(await res.body.arrayBuffer());
  const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  let json: any;
  try {
    json = parseJsonLossless(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, raw, text, json };
}

async function send(sandbox: Sandbox, params: Record<string, string>, options: CallOptions = {}): Promise<Answer> {
  const all = signed(params, options);
  const query = new URLSearchParams();
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(all))
    (options.http === 'GET' || options.query?.includes(k) ? query : body).append(k, v);
  const url = sandbox.url + (query.size > 0 ? '?' + query.toString() : '');
  const res =
    options.http === 'GET'
      ? await request(url, { method: 'GET', headers: options.headers, dispatcher: options.dispatcher })
      : await request(url, {
          method: 'POST',
          body: body.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...options.headers },
          dispatcher: options.dispatcher,
        });
  return answerOf(res);
}

function call(
  sandbox: Sandbox,
  method: string,
  extra: Record<string, string> = {},
  options: CallOptions = {},
): Promise<Answer> {
  return send(sandbox, baseParams(method, extra, options.signMethod), options);
}

function assertTopError(answer: Answer, code: number, subCode?: string): void {
  assert.equal(answer.status, 200);
  assert.ok(answer.json?.error_response, `expected an error_response, got ${answer.text}`);
  assert.equal(answer.json.error_response.code, code, answer.text);
  assert.equal(typeof answer.json.error_response.msg, 'string');
  assert.match(answer.json.error_response.request_id, /^[0-9a-z]+$/);
  if (subCode !== undefined) assert.equal(answer.json.error_response.sub_code, subCode);
}

describe('sandbox gateway', function () {
  let sandbox: Sandbox;
  const logLines: string[] = [];

  before(async function () {
    sandbox = await startSandbox({
      apps: [APP, OTHER_APP],
      specs: SPECS,
      sessions: ['good-session'],
      log: (line) => logLines.push(line),
    });
  });
  after(async function () {
    await sandbox.close();
  });
  beforeEach(function () {
    sandbox.clearFaults();
    sandbox.clearResponses();
    sandbox.resetStats();
  });

  describe('success', function () {
    it('answers the documented example with a fresh request_id inside the wrapper', async function () {
      const a = await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '123' });
      assert.equal(a.status, 200);
      assert.match(String(a.headers['content-type']), /^application\/json/);
      const inner = a.json.tbk_item_info_get_response;
      assert.equal(inner.results.n_tbk_item[0].title, '连衣裙');
      assert.match(inner.request_id, /^[0-9a-z]{6,}$/);
      const b = await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '123' });
      assert.notEqual(b.json.tbk_item_info_get_response.request_id, inner.request_id);
    });

    it('echoes the business params of a method without example, and of sandbox.echo', async function () {
      const a = await call(sandbox, 'taobao.tbk.sc.publisher.info.get', {
        info_type: '1',
        session: 'good-session',
        extra: 'kept',
      });
      assert.deepEqual(a.json.tbk_sc_publisher_info_get_response.echo, { info_type: '1', extra: 'kept' });
      const e = await call(sandbox, 'sandbox.echo', { q: '女装 夏', page_size: '20' });
      assert.deepEqual(e.json.sandbox_echo_response.echo, { q: '女装 夏', page_size: '20' });
      assert.equal(typeof e.json.sandbox_echo_response.request_id, 'string');
    });

    for (const signMethod of ['md5', 'hmac', 'hmac-sha256'] as const) {
      it(`accepts sign_method ${signMethod} and refuses a signature made with another secret`, async function () {
        const ok = await call(sandbox, 'sandbox.echo', { x: '1' }, { signMethod });
        assert.ok(ok.json.sandbox_echo_response, ok.text);
        assertTopError(await call(sandbox, 'sandbox.echo', { x: '1' }, { signMethod, secret: 'wrong' }), 25);
      });
    }

    it('accepts a timestamp 9 minutes off either way and refuses 11 minutes (code 31)', async function () {
      const at = (minutes: number): string => topTimestamp(minutes * 60_000);
      for (const minutes of [9, -9])
        assert.ok((await call(sandbox, 'sandbox.echo', { timestamp: at(minutes) })).json.sandbox_echo_response);
      for (const minutes of [11, -11])
        assertTopError(await call(sandbox, 'sandbox.echo', { timestamp: at(minutes) }), 31);
    });

    it('merges query-string params with body params (system params in the query, as the Java SDK sends them)', async function () {
      const a = await call(
        sandbox,
        'taobao.tbk.item.info.get',
        { num_iids: '9' },
        { query: ['method', 'app_key', 'timestamp', 'v', 'format', 'sign_method', 'sign'] },
      );
      assert.ok(a.json.tbk_item_info_get_response, a.text);
      const rec = sandbox.requests().at(-1)!;
      assert.deepEqual(rec.queryKeys.sort(), ['app_key', 'format', 'method', 'sign', 'sign_method', 'timestamp', 'v']);
      assert.equal(rec.params.num_iids, '9');
      assert.match(rec.params.sign!, /^[0-9A-F]{32}$/);
    });

    it('answers GET with everything in the query string', async function () {
      const a = await call(sandbox, 'sandbox.echo', { k: 'v' }, { http: 'GET' });
      assert.deepEqual(a.json.sandbox_echo_response.echo, { k: 'v' });
    });

    it('accepts multipart/form-data with a file part that is not signed', async function () {
      const params = signed(baseParams('taobao.tbk.sandbox.upload', { title: '图片' }));
      const form = new FormData();
      for (const [k, v] of Object.entries(params)) form.append(k, v);
      form.append('image', new Blob([Buffer.from('PNGDATA')], { type: 'image/png' }), 'a.png');
      const res = await request(sandbox.url, { method: 'POST', body: form });
      const a = await answerOf(res);
      assert.ok(a.json.tbk_sandbox_upload_response, a.text);
      assert.deepEqual(a.json.tbk_sandbox_upload_response.echo.image, {
        filename: 'a.png',
        size: 7,
        content_type: 'image/png',
      });
      assert.match(String(sandbox.requests().at(-1)!.contentType), /^multipart\/form-data/);
      // the same call without the file part misses a required argument
      const form2 = new FormData();
      for (const [k, v] of Object.entries(params)) form2.append(k, v);
      assertTopError(
        await answerOf(await request(sandbox.url, { method: 'POST', body: form2 })),
        40,
        'isv.missing-parameter:image',
      );
    });

    it('parses the Java SDK multipart form (charset before boundary, text/plain text parts)', async function () {
      const params = signed(baseParams('sandbox.echo', { title: '中文' }, 'hmac'));
      const boundary = 'TOP-boundary';
      let body = '';
      for (const [k, v] of Object.entries(params))
        body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n${v}\r\n`;
      body += `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="x.jpg"\r\nContent-Type: application/octet-stream\r\n\r\nBIN\r\n--${boundary}--\r\n`;
      const res = await request(sandbox.url, {
        method: 'POST',
        body,
        headers: { 'content-type': `multipart/form-data;charset=UTF-8;boundary=${boundary}` },
      });
      const a = await answerOf(res);
      assert.deepEqual(a.json.sandbox_echo_response.echo, {
        title: '中文',
        image: { filename: 'x.jpg', size: 3, content_type: 'application/octet-stream' },
      });
    });

    it('simplify=true drops the wrapper and the list wrappers; errors stay wrapped', async function () {
      const a = await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '1', simplify: 'true' });
      assert.equal(a.json.tbk_item_info_get_response, undefined);
      assert.equal(a.json.total_results, 1);
      assert.ok(Array.isArray(a.json.results), a.text);
      assert.deepEqual(a.json.results[0].small_images, ['a.jpg', 'b.jpg']);
      assert.equal(typeof a.json.request_id, 'string');
      assertTopError(await call(sandbox, 'taobao.tbk.item.info.get', { simplify: 'true' }), 40);
    });

    it('emits order ids beyond 2^53 as exact bare JSON literals', async function () {
      const a = await call(sandbox, 'taobao.tbk.dg.punish.order.get');
      assert.match(a.text, /"tb_trade_id":581552321112183166[,}]/);
      // held as an already rounded number: still a bare 18-digit literal
      assert.match(a.text, /"tb_trade_parent_id":\d{18}[,}]/);
      assert.doesNotMatch(a.text, /"tb_trade_id":"/);
      const row = a.json.tbk_dg_punish_order_get_response.result.data.results.result[0];
      assert.equal(row.tb_trade_id, '581552321112183166');
      assert.equal(row.relation_id, 122344);
    });

    it('setResponse overrides an answer (bigint values go out bare, functions see the params, error bodies pass)', async function () {
      sandbox.setResponse('taobao.tbk.item.info.get', (p: Record<string, string>) => ({
        results: { n_tbk_item: [{ num_iid: p.num_iids, trade_id: 294159887445064307n }] },
      }));
      const a = await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '77' });
      assert.match(a.text, /"trade_id":294159887445064307[,}]/);
      assert.equal(a.json.tbk_item_info_get_response.results.n_tbk_item[0].num_iid, '77');
      sandbox.setResponse('taobao.tbk.item.info.get', {
        error_response: { code: 15, msg: 'Remote service error', sub_code: '10000', sub_msg: '宝贝已下架或非淘客宝贝' },
      });
      assertTopError(await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '77' }), 15, '10000');
    });

    it('gzips answers above 1 KB when the client accepts gzip, and keeps connections alive', async function () {
      sandbox.setResponse('sandbox.echo', { blob: 'x'.repeat(4000) });
      const big = await call(sandbox, 'sandbox.echo', {}, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(big.headers['content-encoding'], 'gzip');
      assert.ok(big.raw.length < 1000);
      assert.equal(big.json.sandbox_echo_response.blob.length, 4000);
      const plain = await call(sandbox, 'sandbox.echo', {});
      assert.equal(plain.headers['content-encoding'], undefined);
      sandbox.clearResponses();
      const small = await call(sandbox, 'sandbox.echo', {}, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(small.headers['content-encoding'], undefined);
      assert.equal(small.headers.connection, 'keep-alive');
    });
  });

  describe('gateway errors', function () {
    const without = (key: string): Record<string, string> => {
      const p = baseParams('sandbox.echo');
      delete p[key];
      return p;
    };
    const cases: Array<[string, () => Record<string, string>, number, CallOptions?]> = [
      ['method missing', () => without('method'), 21],
      ['app_key missing', () => without('app_key'), 28],
      ['app_key unknown', () => baseParams('sandbox.echo', { app_key: 'nobody' }), 29],
      ['format xml', () => baseParams('sandbox.echo', { format: 'xml' }), 23],
      ['format missing', () => without('format'), 23],
      ['v missing', () => without('v'), 32],
      ['v not 2.0', () => baseParams('sandbox.echo', { v: '1.0' }), 33],
      ['sign_method unknown', () => baseParams('sandbox.echo', { sign_method: 'sha1' }), 25, { signMethod: 'md5' }],
      ['timestamp missing', () => without('timestamp'), 30],
      ['timestamp malformed', () => baseParams('sandbox.echo', { timestamp: '2024-13-01 00:00:00' }), 31],
      ['timestamp in epoch ms', () => baseParams('sandbox.echo', { timestamp: String(Date.now()) }), 31],
      ['sign missing', () => baseParams('sandbox.echo'), 24, { skipSign: true }],
      ['method unknown', () => baseParams('taobao.tbk.nope.get'), 22],
      [
        'session missing for an auth-required method',
        () => baseParams('taobao.tbk.sc.publisher.info.get', { info_type: '1' }),
        26,
      ],
      [
        'session not among the valid ones',
        () => baseParams('taobao.tbk.sc.publisher.info.get', { info_type: '1', session: 'stale' }),
        27,
      ],
    ];
    for (const [name, params, code, options] of cases) {
      it(`${name} -> ${code}`, async function () {
        const p = params();
        // sign with md5 even when sign_method is bogus, so that only the checked field is wrong
        const a = options?.skipSign
          ? await send(sandbox, p, options)
          : await send(sandbox, { ...p, sign: sign(p, APP.appSecret, 'md5') }, { skipSign: true });
        assertTopError(a, code);
      });
    }

    it('a wrong signature -> 25 with the real message', async function () {
      const p = baseParams('sandbox.echo');
      const a = await send(sandbox, { ...p, sign: '0'.repeat(32) }, { skipSign: true });
      assertTopError(a, 25);
      assert.equal(a.json.error_response.msg, 'Invalid signature');
    });

    it('a signature over a different value -> 25 (the sandbox signs what it received)', async function () {
      const p = baseParams('sandbox.echo', { q: 'a' });
      const s = sign(p, APP.appSecret, 'md5');
      assertTopError(await send(sandbox, { ...p, q: 'b', sign: s }, { skipSign: true }), 25);
    });

    it('missing required business param -> 40 isv.missing-parameter:<name>', async function () {
      const a = await call(sandbox, 'taobao.tbk.item.info.get', {});
      assertTopError(a, 40, 'isv.missing-parameter:num_iids');
      assert.equal(a.json.error_response.msg, 'Missing required arguments:num_iids');
      assertTopError(await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '   ' }), 40);
    });

    for (const [name, value] of [
      ['platform', 'two'],
      ['is_tmall', 'yes'],
      ['start_time', '2024/01/01'],
      ['options', '{bad'],
    ] as const) {
      it(`wrongly typed ${name}=${value} -> 41 isv.invalid-parameter:${name}`, async function () {
        const a = await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '1', [name]: value });
        assertTopError(a, 41, `isv.invalid-parameter:${name}`);
        assert.equal(a.json.error_response.msg, `Invalid arguments:${name}`);
      });
    }

    it('well typed values and unknown extra params pass; validate=false specs are not checked', async function () {
      const a = await call(sandbox, 'taobao.tbk.item.info.get', {
        num_iids: '1',
        platform: '2',
        is_tmall: 'false',
        start_time: '2024-01-31 23:59:59',
        options: '{"a":1}',
        unknown_extra: 'z',
      });
      assert.ok(a.json.tbk_item_info_get_response, a.text);
      assert.ok(
        (await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '1', start_time: '2024-01-31' })).json
          .tbk_item_info_get_response,
      );
      assert.ok((await call(sandbox, 'taobao.tbk.loose.get', {})).json.tbk_loose_get_response);
    });

    it('a body declared in another charset -> 47', async function () {
      const a = await call(
        sandbox,
        'sandbox.echo',
        {},
        { headers: { 'content-type': 'application/x-www-form-urlencoded;charset=GBK' } },
      );
      assertTopError(a, 47);
    });

    it('other paths answer a 404 HTML page; other HTTP verbs answer code 9', async function () {
      const res = await request(sandbox.origin + '/router/nothing', { method: 'POST', body: 'x' });
      const a = await answerOf(res);
      assert.equal(a.status, 404);
      assert.match(String(a.headers['content-type']), /text\/html/);
      const put = await answerOf(await request(sandbox.url, { method: 'PUT', body: 'x' }));
      assertTopError(put, 9);
    });
  });

  describe('faults', function () {
    it('latency delays, then answers normally', async function () {
      sandbox.setFaults([{ kind: 'latency', latencyMs: 150 }]);
      const started = Date.now();
      const a = await call(sandbox, 'sandbox.echo', { x: '1' });
      assert.ok(Date.now() - started >= 140);
      assert.ok(a.json.sandbox_echo_response);
      assert.equal(sandbox.stats().faultsByKind.latency, 1);
    });

    for (const [kind, status] of [
      ['http500', 500],
      ['http502', 502],
    ] as const) {
      it(`${kind} answers HTTP ${status} with an HTML page`, async function () {
        sandbox.setFaults([{ kind }]);
        const a = await call(sandbox, 'sandbox.echo');
        assert.equal(a.status, status);
        assert.match(String(a.headers['content-type']), /text\/html/);
        assert.match(a.text, new RegExp(`<h1>${status} `));
      });
    }

    it('reset destroys the socket without answering', async function () {
      sandbox.setFaults([{ kind: 'reset', count: 1 }]);
      await assert.rejects(call(sandbox, 'sandbox.echo'), (err: Error & { code?: string }) =>
        /UND_ERR_SOCKET|ECONNRESET/.test(String(err.code)),
      );
      assert.ok((await call(sandbox, 'sandbox.echo')).json.sandbox_echo_response);
    });

    it('malformed answers 200 with a JSON body cut in the middle', async function () {
      sandbox.setFaults([{ kind: 'malformed' }]);
      const a = await call(sandbox, 'sandbox.echo');
      assert.equal(a.status, 200);
      assert.ok(a.text.startsWith('{"sandbox_echo_response":'), a.text);
      assert.throws(() => JSON.parse(a.text), SyntaxError);
    });

    it('truncated announces more bytes than it sends, then closes', async function () {
      sandbox.setFaults([{ kind: 'truncated' }]);
      const res = await request(sandbox.url, {
        method: 'POST',
        body: new URLSearchParams(signed(baseParams('sandbox.echo'))).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.statusCode, 200);
      assert.ok(Number(res.headers['content-length']) > 0);
      await assert.rejects(res.body.text());
    });

    it('empty answers 200 with an empty body', async function () {
      sandbox.setFaults([{ kind: 'empty' }]);
      const a = await call(sandbox, 'sandbox.echo');
      assert.equal(a.status, 200);
      assert.equal(a.text, '');
    });

    it('throttle answers code 7 with the ban length', async function () {
      sandbox.setFaults([{ kind: 'throttle', banSeconds: 3 }]);
      const a = await call(sandbox, 'sandbox.echo');
      assertTopError(a, 7, 'accesscontrol.limited-by-app-access-count');
      assert.equal(a.json.error_response.msg, 'App Call Limited');
      assert.equal(a.json.error_response.sub_msg, 'This ban will last for 3 more seconds');
    });

    it('isp answers code 15 with isp.tbkapi-service-unavailable or the given sub_code', async function () {
      sandbox.setFaults([
        { kind: 'isp', count: 1 },
        { kind: 'isp', subCode: 'isp.sys-error' },
      ]);
      assertTopError(await call(sandbox, 'sandbox.echo'), 15, 'isp.tbkapi-service-unavailable');
      assertTopError(await call(sandbox, 'sandbox.echo'), 15, 'isp.sys-error');
    });

    it('tbk-throttle answers code 15 sub_code 9100 with the 限流 message', async function () {
      sandbox.setFaults([{ kind: 'tbk-throttle' }]);
      const a = await call(sandbox, 'sandbox.echo');
      assertTopError(a, 15, '9100');
      assert.match(a.json.error_response.sub_msg, /限流/);
    });

    it('top-error answers the given code and sub_code', async function () {
      sandbox.setFaults([
        { kind: 'top-error', code: 11, subCode: 'isv.permission-api-package-limit', subMsg: 'scope ids is 11655' },
      ]);
      const a = await call(sandbox, 'sandbox.echo');
      assertTopError(a, 11, 'isv.permission-api-package-limit');
      assert.equal(a.json.error_response.msg, 'Insufficient ISV Permissions');
    });

    it('business answers a success whose body reports failure, after the gateway checks', async function () {
      sandbox.setFaults([{ kind: 'business', subCode: 'E1', subMsg: '失败' }]);
      const echo = await call(sandbox, 'sandbox.echo', { q: '1' });
      const inner = echo.json.sandbox_echo_response;
      assert.deepEqual(inner.result, { success: false, msg_code: 'E1', msg_info: '失败' });
      assert.deepEqual(detectBusinessFailure(inner), { code: 'E1', message: '失败' });
      const punish = (await call(sandbox, 'taobao.tbk.dg.punish.order.get')).json.tbk_dg_punish_order_get_response;
      assert.ok(detectBusinessFailure(punish), JSON.stringify(punish));
      // an invalid call still answers the gateway error
      assertTopError(await call(sandbox, 'taobao.tbk.item.info.get', {}), 40);
    });

    it("rules match by method, by app key, and by an app's own fault list", async function () {
      sandbox.setFaults([
        { kind: 'isp', method: 'taobao.tbk.item.info.get' },
        { kind: 'throttle', appKey: OTHER_APP.appKey },
      ]);
      assert.ok((await call(sandbox, 'sandbox.echo')).json.sandbox_echo_response);
      assertTopError(await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '1' }), 15);
      const other = await call(sandbox, 'sandbox.echo', { app_key: OTHER_APP.appKey }, { secret: OTHER_APP.appSecret });
      assertTopError(other, 7);

      const own = await startSandbox({ apps: [APP, { ...OTHER_APP, faults: [{ kind: 'http502' }] }], specs: [] });
      try {
        assert.ok((await call(own, 'sandbox.echo')).json.sandbox_echo_response);
        assert.equal(
          (await call(own, 'sandbox.echo', { app_key: OTHER_APP.appKey }, { secret: OTHER_APP.appSecret })).status,
          502,
        );
      } finally {
        await own.close();
      }
    });

    it('count applies a rule to the next N matching calls only', async function () {
      sandbox.setFaults([{ kind: 'http500', count: 2, method: 'sandbox.echo' }]);
      assert.ok((await call(sandbox, 'taobao.tbk.item.info.get', { num_iids: '1' })).json.tbk_item_info_get_response);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(sandbox, 'sandbox.echo')).status);
      assert.deepEqual(statuses, [500, 500, 200, 200]);
      assert.equal(sandbox.stats().faultsByKind.http500, 2);
    });

    it('probability is drawn from a seeded random: same seed, same sequence', async function () {
      const run = async (seed: number): Promise<number[]> => {
        sandbox.setFaults([{ kind: 'http502', probability: 0.5 }], seed);
        const out: number[] = [];
        for (let i = 0; i < 30; i++) out.push((await call(sandbox, 'sandbox.echo')).status);
        return out;
      };
      const first = await run(42);
      assert.deepEqual(await run(42), first);
      const faulted = first.filter((s) => s === 502).length;
      assert.ok(faulted > 3 && faulted < 27, `502 in ${faulted} of 30`);
      assert.notDeepEqual(await run(7), first);
      sandbox.setFaults([{ kind: 'http502', probability: 0 }]);
      assert.equal((await call(sandbox, 'sandbox.echo')).status, 200);
    });

    it('refuses unknown fault kinds', function () {
      assert.throws(() => sandbox.addFault({ kind: 'meteor' as never }), /Unknown fault kind/);
      assert.throws(() => sandbox.setFaults([{ kind: 'isp', probability: 2 }]), /probability/);
    });
  });

  describe('control endpoint, stats and records', function () {
    const control = async (
      httpMethod: 'GET' | 'POST' | 'DELETE',
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: any }> => {
      const res = await request(sandbox.origin + path, {
        method: httpMethod,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      return { status: res.statusCode, json: await res.body.json() };
    };

    it('POST /__sandbox/faults replaces the rules, DELETE clears them, reset clears stats', async function () {
      assert.equal(
        (await control('POST', '/__sandbox/faults', [{ kind: 'http502', method: 'sandbox.echo' }])).status,
        200,
      );
      assert.equal((await call(sandbox, 'sandbox.echo')).status, 502);
      assert.equal((await control('POST', '/__sandbox/faults', { rules: [{ kind: 'empty' }], seed: 3 })).status, 200);
      assert.equal((await call(sandbox, 'sandbox.echo')).text, '');
      const stats = (await control('GET', '/__sandbox/stats')).json;
      assert.equal(stats.callsByMethod['sandbox.echo'], 2);
      assert.deepEqual(stats.faultsByKind, { http502: 1, empty: 1 });
      assert.equal((await control('DELETE', '/__sandbox/faults')).status, 200);
      assert.ok((await call(sandbox, 'sandbox.echo')).json.sandbox_echo_response);
      assert.equal((await control('POST', '/__sandbox/faults', [{ kind: 'nonsense' }])).status, 400);
      assert.equal((await control('POST', '/__sandbox/reset')).status, 200);
      assert.equal((await control('GET', '/__sandbox/stats')).json.totalCalls, 0);
    });

    it('GET /__sandbox/requests masks sessions', async function () {
      await call(sandbox, 'taobao.tbk.sc.publisher.info.get', { info_type: '1', session: 'good-session' });
      const list = (await control('GET', '/__sandbox/requests')).json;
      assert.equal(list.at(-1).params.session, '***');
      assert.equal(sandbox.requests().at(-1)!.params.session, 'good-session');
    });

    it('counts calls by method, errors by code, calls per second and the peak concurrency', async function () {
      sandbox.setFaults([{ kind: 'latency', latencyMs: 100, method: 'sandbox.echo' }]);
      await Promise.all([1, 2, 3, 4, 5].map(() => call(sandbox, 'sandbox.echo')));
      await call(sandbox, 'taobao.tbk.item.info.get', {});
      await call(sandbox, 'taobao.tbk.nope.get');
      const stats = sandbox.stats();
      assert.equal(stats.totalCalls, 7);
      assert.equal(stats.callsByMethod['sandbox.echo'], 5);
      assert.deepEqual(stats.errorsByCode, { '40': 1, '22': 1 });
      assert.equal(stats.maxConcurrent, 5);
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.callStarts.length, 7);
      assert.equal(
        Object.values(stats.callsPerSecond).reduce((a, b) => a + b, 0),
        7,
      );
      assert.ok(stats.maxCallsPerSecond >= 2);
    });

    it('records requests as received (sign included) and never logs sessions or secrets', async function () {
      await call(sandbox, 'taobao.tbk.sc.publisher.info.get', { info_type: '1', session: 'good-session' });
      const rec = sandbox.requests().at(-1)!;
      assert.equal(rec.method, 'taobao.tbk.sc.publisher.info.get');
      assert.equal(rec.appKey, APP.appKey);
      assert.equal(rec.httpMethod, 'POST');
      assert.match(rec.params.sign!, /^[0-9A-F]{32}$/);
      assert.ok(logLines.length > 0);
      const log = logLines.join('\n');
      assert.ok(!log.includes('good-session') && !log.includes(APP.appSecret) && !log.includes(rec.params.sign!));
    });

    it('keeps the last recordLimit requests', async function () {
      const small = await startSandbox({ apps: [APP], specs: [], recordLimit: 3 });
      try {
        for (let i = 0; i < 5; i++) await call(small, 'sandbox.echo', { i: String(i) });
        assert.deepEqual(
          small.requests().map((r) => r.params.i),
          ['2', '3', '4'],
        );
      } finally {
        await small.close();
      }
    });
  });

  describe('lifecycle', function () {
    it('listens on 127.0.0.1 only', async function () {
      assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+\/router\/rest$/);
      await assert.rejects(startSandbox({ host: '0.0.0.0' } as SandboxOptions), /127\.0\.0\.1 only/);
    });

    it('close() leaves no listening socket, connection or timer behind', async function () {
      const count = (type: string): number => process.getActiveResourcesInfo().filter((t) => t === type).length;
      const snapshot = (): { servers: number; sockets: number; timers: number } => ({
        servers: count('TCPServerWrap'),
        sockets: count('TCPSocketWrap'),
        timers: count('Timeout'),
      });
      // handles closed by earlier tests leave the list on a later tick: wait for a stable baseline
      let before = snapshot();
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = snapshot();
        if (now.servers === before.servers && now.sockets === before.sockets && now.timers === before.timers) break;
        before = now;
      }
      const agent = new Agent();
      const agent2 = new Agent();
      const box = await startSandbox({ apps: [APP], specs: [] });
      assert.equal(count('TCPServerWrap'), before.servers + 1);
      await call(box, 'sandbox.echo', {}, { dispatcher: agent }); // leaves a kept-alive connection
      box.setFaults([{ kind: 'latency', latencyMs: 60_000 }]);
      const pending = call(box, 'sandbox.echo', {}, { dispatcher: agent }).catch((err: Error) => err);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(box.stats().inFlight, 1);
      await box.close();
      assert.ok((await pending) instanceof Error);
      await agent.close();
      // closed handles leave the list on a later tick, and undici's own timer tick stops within ~1 s
      const settled = (): boolean =>
        count('TCPServerWrap') <= before.servers &&
        count('TCPSocketWrap') <= before.sockets &&
        count('Timeout') <= before.timers;
      for (let i = 0; i < 40 && !settled(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(count('TCPServerWrap') <= before.servers, `servers ${count('TCPServerWrap')} > ${before.servers}`);
      assert.ok(count('TCPSocketWrap') <= before.sockets, `sockets ${count('TCPSocketWrap')} > ${before.sockets}`);
      // and nothing listens on the port any more
      await assert.rejects(
        request(box.url, { method: 'POST', body: 'x', dispatcher: agent2 }),
        (err: Error & { code?: string }) => err.code === 'ECONNREFUSED',
      );
      await agent2.close();
      assert.ok(count('Timeout') <= before.timers, `timers ${count('Timeout')} > ${before.timers}`);
      await box.close(); // twice is harmless
    });
  });

  describe('with the generated specs', function () {
    it('restores ids an example holds rounded, from the documented field example', async function () {
      const rounded = methodSpec('taobao.tbk.rounded.get', [], {
        responseExample: {
          tbk_rounded_get_response: { results: { row: [{ tb_trade_id: Number('581552321112183166') }] } },
        },
        response: [
          {
            name: 'results',
            docType: 'Row[]',
            description: '',
            children: [{ name: 'tb_trade_id', docType: 'Number', description: '', example: '581552321112183166' }],
          },
        ],
      });
      const box = await startSandbox({ apps: [APP], specs: [rounded] });
      try {
        const a = await call(box, 'taobao.tbk.rounded.get');
        assert.match(a.text, /"tb_trade_id":581552321112183166[,}]/);
      } finally {
        await box.close();
      }
    });

    it('answers every generated spec that has an example, given its required params', async function () {
      let specs: MethodSpec[];
      try {
        specs = loadSpecs();
      } catch {
        specs = [];
      }
      const usable = specs.filter(
        (s) => s.responseExample && s.auth !== 'required' && !s.params.some((p) => p.required && p.kind === 'file'),
      );
      if (usable.length === 0) return this.skip();
      const box = await startSandbox({ apps: [APP], specs: usable });
      const sample: Record<string, string> = {
        number: '1',
        'number[]': '1,2',
        boolean: 'true',
        date: '2024-01-01 00:00:00',
        json: '{}',
        string: 'x',
        'string[]': 'x,y',
      };
      try {
        for (const spec of usable) {
          const extra: Record<string, string> = {};
          for (const p of spec.params) if (p.required) extra[p.name] = sample[p.kind] ?? 'x';
          const a = await call(box, spec.method, extra);
          assert.ok(a.json?.[responseKey(spec.method)], `${spec.method}: ${a.text.slice(0, 300)}`);
        }
      } finally {
        await box.close();
      }
    });

    it('taobao.tbk.dg.punish.order.get answers tb_trade_id 581552321112183166 exactly', async function () {
      let specs: MethodSpec[];
      try {
        specs = loadSpecs();
      } catch {
        specs = [];
      }
      const punish = specs.find((s) => s.method === 'taobao.tbk.dg.punish.order.get');
      if (!punish?.responseExample) return this.skip();
      const box = await startSandbox({ apps: [APP], specs: [punish] });
      try {
        const a = await call(box, 'taobao.tbk.dg.punish.order.get', { af_order_option: '{}' });
        assert.ok(a.json.tbk_dg_punish_order_get_response, a.text);
        assert.match(a.text, /"tb_trade_id":581552321112183166[,}]/);
      } finally {
        await box.close();
      }
    });
  });
});
