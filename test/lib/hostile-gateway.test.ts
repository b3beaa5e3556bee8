/**
 * The client against a hostile or broken gateway and careless input (issue 12): answers bounded by
 * maxResponseBytes, raw and inflated, and not retried; inputs that cannot be encoded refused before
 * anything is sent; Dates of any realm in GMT+8; error messages that read sensibly whatever JSON
 * types the gateway puts in an error_response.
 */
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { brotliCompressSync, constants as zlibConstants, deflateSync, gzipSync } from 'node:zlib';
import { TopClient, TopError } from '../../lib';
import { encodeParams, encodeValue } from '../../lib/top/encode';
import { loadSpecs } from '../../lib/method-specs';
import { validateParams } from '../../lib/method-specs/schema';
import { dateTime, formatGmt8 } from '../../lib/top/time';
import { rejection } from '../support/assertions';
import { gzipBomb, writeEndlessBody } from '../support/hostile-gateway';
import { json, useScriptedClient, type Step } from '../support/scripted-server';

const APP = { appKey: 'k-hostile', appSecret: 'secret-hostile' };
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, retries: 3 };
const MiB = 1024 * 1024;
const METHOD = 'taobao.tbk.item.info.get';

const encoded =
  (encoding: string, body: Buffer): Step =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-encoding': encoding });
    res.end(body);
  };

describe('hostile gateways and careless input (issue 12)', function () {
  const { server, make, current, endpoint } = useScriptedClient({ ...APP, retry: FAST_RETRY, rateLimit: false });

  describe('bounded answers', function () {
    it('a gzip bomb (1 MB inflating to 1 GiB) fails at once as a transport error "answer larger than 16 MiB", not retried', async function () {
      this.timeout(30_000);
      const bomb = gzipBomb(64);
      assert.ok(bomb.length < 2 * MiB, `the bomb is ${bomb.length} bytes`);
      server.script(encoded('gzip', bomb));
      const started = performance.now();
      const err = await rejection(make({ timeoutMs: 3000 }).call(METHOD, {}));
      const elapsed = performance.now() - started;
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /answer larger than 16 MiB/);
      assert.equal(err.retryable, false);
      assert.equal(err.attempts, 1);
      assert.equal(err.method, METHOD);
      assert.equal(err.status, 200);
      assert.equal(err.messageKey, 'transport.tooLargeInflated');
      assert.deepEqual(err.messageArgs, { limit: '16 MiB', encoding: 'gzip' });
      assert.equal(server.received.length, 1, 'not retried');
      assert.ok(elapsed < 3000, `the 3 s timeout covers inflating: ${Math.round(elapsed)} ms`);
    });

    it('deflate and br bombs stop at the cap too', async function () {
      this.timeout(30_000);
      const zeros = Buffer.alloc(24 * MiB);
      for (const [encoding, body] of [
        ['deflate', deflateSync(zeros, { level: 9 })],
        ['br', brotliCompressSync(zeros, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } })],
      ] as const) {
        server.script(encoded(encoding, body));
        const err = await rejection(make().call(METHOD, {}));
        assert.equal(err.kind, 'transport', encoding);
        assert.match(err.message, /answer larger than 16 MiB once inflated/, encoding);
        assert.equal(server.received.length, 1, `${encoding}: not retried`);
        await current().close();
      }
    });

    it('an endless chunked body fails once the cap is read, not retried', async function () {
      server.script((_req, res) => writeEndlessBody(res));
      const err = await rejection(make({ timeoutMs: 5000, maxResponseBytes: MiB }).call(METHOD, {}));
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /answer larger than 1 MiB/);
      assert.equal(err.messageKey, 'transport.tooLarge');
      assert.equal(err.attempts, 1);
      assert.equal(server.received.length, 1);
    });

    it('a Content-Length above the cap fails before the body is read', async function () {
      server.script((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * MiB) });
        res.write('{"tbk_item_info_get_response":{'); // and never more: only the declared length can fail it
      });
      const err = await rejection(make({ timeoutMs: 5000 }).call(METHOD, {}));
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /answer larger than 16 MiB/);
    });

    it('maxResponseBytes is the exact limit, raw and inflated', async function () {
      const head = '{"tbk_item_info_get_response":{"pad":"';
      const tail = '"}}';
      const answer = (size: number): Buffer => Buffer.from(head + 'a'.repeat(size - head.length - tail.length) + tail);
      const cap = 64 * 1024;
      for (const encoding of ['identity', 'gzip'] as const) {
        const wrap = (body: Buffer): Step =>
          encoding === 'gzip' ? encoded('gzip', gzipSync(body)) : json(body.toString());
        server.script(wrap(answer(cap)));
        const response = await make({ maxResponseBytes: cap }).call(METHOD, {});
        assert.equal(
          String(response.pad).length,
          cap - head.length - tail.length,
          `${encoding}: an answer of exactly the cap is read`,
        );
        server.script(wrap(answer(cap + 1)));
        const err = await rejection(current().call(METHOD, {}));
        assert.match(err.message, /answer larger than 64 KiB/, encoding);
        await current().close();
      }
    });

    it('the per-attempt timeout covers a body trickled slowly, and inflating it', async function () {
      const gz = gzipSync(Buffer.from(JSON.stringify({ tbk_item_info_get_response: { pad: 'a'.repeat(10_000) } })));
      server.script((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent >= gz.length) return clearInterval(timer);
          res.write(gz.subarray(sent, sent + 8));
          sent += 8;
        }, 20);
        res.on('close', () => clearInterval(timer));
      });
      const started = performance.now();
      const err = await rejection(make({ timeoutMs: 300, retry: false }).call(METHOD, {}));
      assert.equal(err.kind, 'timeout');
      assert.ok(performance.now() - started < 1300, 'ended by the timeout');
    });

    it('a corrupt gzip body is a retryable transport error', async function () {
      const gz = gzipSync(Buffer.from('{"tbk_item_info_get_response":{}}'));
      gz[12] = gz[12]! ^ 0xff;
      server.script(encoded('gzip', gz), json({ tbk_item_info_get_response: { ok: 1 } }));
      const result = await make().request(METHOD, {});
      assert.equal(result.attempts, 2);
      server.script(encoded('gzip', gz));
      const err = await rejection(make({ retry: false }).call(METHOD, {}));
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /Corrupt gzip body/);
      assert.equal(err.retryable, true);
    });

    it('a batch answer is bounded as well', async function () {
      server.script(encoded('gzip', gzipBomb(2)));
      const err = await rejection(make({ maxResponseBytes: MiB }).batch(METHOD, [{ num_iids: '1' }]));
      assert.equal(err.kind, 'transport');
      assert.match(err.message, /answer larger than 1 MiB/);
      assert.equal(server.received.length, 1);
    });

    it('refuses a maxResponseBytes that is not a positive number', function () {
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '16MiB']) {
        assert.throws(
          () => new TopClient({ ...APP, endpoint: endpoint(), maxResponseBytes: bad as number }),
          (err: TopError) => err.kind === 'validation' && err.param === 'maxResponseBytes',
        );
      }
    });
  });

  describe('inputs refused early', function () {
    it('a lone surrogate in a value is a validation error naming the parameter, with nothing sent', async function () {
      server.script(json({ tbk_item_info_get_response: {} }));
      for (const params of [
        { q: 'x\uD800y' },
        { q: '\uDC00' },
        { q: ['ok', 'x\uDBFF'] },
        { q: { nested: ['a\uD83D'] } },
        { q: { ['k\uDE00']: 1 } },
      ]) {
        const err = await rejection(make().call(METHOD, params));
        assert.equal(err.kind, 'validation', JSON.stringify(params));
        assert.equal(err.param, 'q');
        assert.equal(err.attempts, 0);
        assert.equal(err.method, METHOD);
        assert.match(err.message, /Parameter "q" cannot be sent: it has a lone surrogate \(U\+D[89AB-F][0-9A-F]{2}\)/);
        assert.equal(err.messageKey, 'validation.loneSurrogate');
        assert.doesNotThrow(() => encodeURIComponent(err.message), 'the message itself is well-formed text');
      }
      assert.equal(server.received.length, 0, 'nothing was sent');
    });

    it('a lone surrogate in a parameter name, the session or a batch call is refused too', async function () {
      server.script(json({ tbk_item_info_get_response: {} }));
      const named = await rejection(make().call(METHOD, { ['q\uD800']: 'x' }));
      assert.equal(named.kind, 'validation');
      assert.equal(named.param, 'q\uD800');
      assert.match(named.message, /Parameter "q\\ud800"/);
      const session = await rejection(current().call(METHOD, {}, { session: 'user\uDC00' }));
      assert.equal(session.param, 'session');
      const batch = await current().batch(METHOD, [{ q: 'fine' }, { q: 'x\uD800' }]);
      assert.equal(batch.results[1]!.ok, false);
      assert.equal((batch.results[1] as { error: TopError }).error.param, 'q');
      assert.equal(server.received.length, 1, 'only the batch of the good call was sent');
      assert.throws(
        () => new TopClient({ ...APP, appSecret: 'secret\uD800', endpoint: endpoint() }),
        (err: TopError) =>
          err.kind === 'validation' && err.param === 'appSecret' && !err.message.includes('secret\uD800'),
      );
    });

    it('well-formed text of every plane goes through unchanged', async function () {
      server.script(json({ tbk_item_info_get_response: {} }));
      await make().call(METHOD, { q: '女装 😀 \u{10FFFF} é' });
      assert.equal(server.received[0]!.params.q, '女装 😀 \u{10FFFF} é');
    });

    it('a Date of another realm (a vm context, a Function node) is sent as GMT+8 text', async function () {
      const foreign = runInNewContext('new Date(Date.UTC(2024, 0, 1, 0, 0, 0))') as Date;
      assert.ok(!(foreign instanceof Date), 'the test Date comes from another realm');
      server.script(json({ tbk_item_info_get_response: {} }));
      await make().call(METHOD, { start_time: foreign, end_time: new Date(Date.UTC(2024, 0, 1, 16, 30, 5)) });
      assert.equal(server.received[0]!.params.start_time, '2024-01-01 08:00:00');
      assert.equal(server.received[0]!.params.end_time, '2024-01-02 00:30:05');
      assert.equal(formatGmt8(foreign), '2024-01-01 08:00:00');
    });

    it("a method node's validation takes a Date of another realm for a date parameter", function () {
      const spec = loadSpecs().find((candidate) => candidate.method === 'taobao.tbk.dg.newuser.order.get')!;
      const foreign = runInNewContext('new Date(Date.UTC(2024, 0, 1, 0, 0, 0))') as Date;
      const valid = validateParams(spec, { activity_id: '119013_2', start_time: foreign });
      assert.equal(encodeParams(valid).text.start_time, '2024-01-01 08:00:00');
    });

    it('anything whose Object.prototype.toString is [object Date] counts as a Date', function () {
      const invalid = runInNewContext('new Date(NaN)') as Date;
      assert.throws(
        () => encodeValue('t', invalid),
        (err: TopError) => err.kind === 'validation' && err.param === 't' && /invalid date/.test(err.message),
      );
      const pretender = { [Symbol.toStringTag]: 'Date', getTime: () => Date.UTC(2024, 5, 1) };
      assert.equal(encodeValue('t', pretender), '2024-06-01 08:00:00');
      const hollow = { [Symbol.toStringTag]: 'Date' };
      assert.throws(
        () => encodeValue('t', hollow),
        (err: TopError) => err.kind === 'validation' && err.param === 't',
      );
      assert.equal(dateTime({}), undefined);
      assert.equal(dateTime('2024-01-01'), undefined);
      assert.deepEqual(encodeParams({ when: runInNewContext('new Date(0)') }).text, { when: '1970-01-01 08:00:00' });
    });
  });

  describe('error messages whatever types the gateway sends', function () {
    const cases: Array<[Record<string, unknown>, RegExp, Partial<TopError>]> = [
      [{ code: 'seven', msg: 7 }, /^7 \(seven\)$/, { code: undefined, msg: '7' }],
      [{ code: '27', msg: 'Invalid session' }, /^Invalid session \(27\): .*authorize again/, { code: 27 }],
      [{ code: 7.5, msg: null }, /^TOP error \(7\.5\)$/, { code: undefined }],
      [
        { code: null, msg: { text: 'boom' }, sub_code: 42, sub_msg: ['a', 'b'] },
        /^\{"text":"boom"\} \[42: \["a","b"\]\]$/,
        { sub_code: '42', sub_msg: '["a","b"]' },
      ],
      [{ code: { n: 1 }, msg: '' }, /^TOP error \(\{"n":1\}\)$/, {}],
      [{ code: true, msg: '  ', sub_code: '', sub_msg: '   ' }, /^TOP error \(true\)$/, {}],
      [
        { code: 15, msg: 'Remote service error', sub_code: 'isv.x', sub_msg: 'x'.repeat(5000) },
        /^Remote service error \(15\) \[isv\.x: x+\]$/,
        { code: 15 },
      ],
      [{ msg: 'no code', request_id: 12345 }, /^no code$/, { request_id: '12345' }],
    ];
    for (const [body, pattern, fields] of cases) {
      it(`error_response ${JSON.stringify(body).slice(0, 60)}`, async function () {
        server.script(json({ error_response: body }));
        const err = await rejection(make({ retry: false }).call(METHOD, {}));
        assert.equal(err.kind, 'top');
        assert.match(err.message, pattern);
        assert.doesNotMatch(err.message, /NaN|\[object Object\]|undefined|null/);
        for (const [key, value] of Object.entries(fields)) assert.deepEqual(err[key as keyof TopError], value, key);
      });
    }

    it('business failures with codes of any type', async function () {
      server.script(json({ tbk_item_info_get_response: { result: { success: false, msg_code: { x: 1 } } } }));
      let err = await rejection(make({ retry: false }).call(METHOD, {}));
      assert.equal(err.kind, 'business');
      assert.equal(err.message, 'Business failure ({"x":1}): The call reported failure');
      server.script(json({ tbk_item_info_get_response: { result_code: [500], result_msg: 'bad' } }));
      err = await rejection(current().call(METHOD, {}));
      assert.equal(err.message, 'Business failure ([500]): bad');
    });
  });
});
