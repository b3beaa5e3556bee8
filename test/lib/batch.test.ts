import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { request } from 'undici';
import {
  BATCH_SEPARATOR_HEADER,
  DEFAULT_BATCH_SEPARATOR,
  batchUrlFor,
  checkSeparator,
  encodeBatchBody,
  parseBatchBody,
  splitBatchAnswer,
} from '../../lib/top/batch-wire';
import { batchInChunks } from '../../lib/top/batch-chunks';
import { TopClient, type BatchCallResult } from '../../lib/top/client';
import { TopError } from '../../lib/top/errors';
import { sign, type SignMethod } from '../../lib/top/sign';
import { specForMethod } from '../../lib/method-specs/index';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { topTimestamp } from '../../lib/top/time';
import { REFERENCE_DIR } from '../support/paths';
import { Collector, countDone, delay, helper, type TestNode, useSandboxAndRuntime } from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
import { rejection } from '../support/assertions';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');

interface BatchVector {
  id: string;
  params: Record<string, string>;
  secret: string;
  sign_method: SignMethod;
  body: string;
  expected_sign: string;
}
const vectors = (
  JSON.parse(readFileSync(resolve(REFERENCE_DIR, 'top-vectors.json'), 'utf8')) as { signature_vectors: BatchVector[] }
).signature_vectors;

const APP_KEY = 'batch-app';
const APP_SECRET = 'c0ffee-batch-secret';
const ITEM_INFO = 'taobao.tbk.item.info.get';
const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 };

function okResult(result: BatchCallResult | undefined): Extract<BatchCallResult, { ok: true }> {
  assert.ok(result, 'a result');
  if (!result.ok) assert.fail(`expected success, got ${result.error.message}`);
  return result;
}

function failedResult(result: BatchCallResult | undefined): TopError {
  assert.ok(result, 'a result');
  if (result.ok) assert.fail('expected a failure');
  return result.error;
}

describe('batch calls (/router/batch)', function () {
  describe('wire format', function () {
    for (const id of ['batch-md5', 'batch-hmac']) {
      it(`${id}: the encoder writes the vector's body and the client signs it to the vector's sign`, async function () {
        const vector = vectors.find((v) => v.id === id);
        assert.ok(vector, `vector ${id} in top-vectors.json`);
        const body = encodeBatchBody('taobao.tbk.item.info.upgrade.get', [
          { item_id: '123' },
          { item_id: '456', platform: '2' },
        ]);
        assert.equal(body, vector.body);
        const client = new TopClient({
          appKey: vector.params.app_key!,
          appSecret: vector.secret,
          signMethod: vector.sign_method,
          partnerId: vector.params.partner_id!,
          rateLimit: false,
        });
        try {
          const query = client.signedBatchQuery(body, undefined, vector.params.timestamp);
          const { sign: sent, ...rest } = query;
          assert.deepEqual(rest, vector.params, 'the URL carries exactly the system parameters, no method');
          assert.equal(sent, vector.expected_sign);
          // the body is part of what is signed: change one character and the sign changes
          assert.notEqual(
            sign(rest, vector.secret, vector.sign_method, body.replace('456', '457')),
            vector.expected_sign,
          );
        } finally {
          await client.close();
        }
      });
    }

    it('encodes values so that no separator, & or = inside them can split a call', function () {
      const tricky = { q: `手机 & a=b %20 ${DEFAULT_BATCH_SEPARATOR} end`, n: '1' };
      const body = encodeBatchBody('sandbox.echo', [tricky, {}, { x: 'y' }]);
      assert.equal(body.split(DEFAULT_BATCH_SEPARATOR).length, 4);
      assert.ok(body.split(DEFAULT_BATCH_SEPARATOR)[2] === 'N', 'a call without parameters is N');
      const parsed = parseBatchBody(body);
      assert.deepEqual(parsed.shared, { method: 'sandbox.echo' });
      assert.deepEqual(parsed.calls, [tricky, {}, { x: 'y' }]);
    });

    it('derives the batch URL from a /router/rest endpoint only', function () {
      assert.equal(batchUrlFor('https://eco.taobao.com/router/rest'), 'https://eco.taobao.com/router/batch');
      assert.equal(batchUrlFor('http://127.0.0.1:8787/router/rest?x=1'), 'http://127.0.0.1:8787/router/batch?x=1');
      assert.equal(batchUrlFor('https://example.test/top/api'), undefined);
    });

    it('accepts only separators that cannot occur inside a call or an answer', function () {
      assert.doesNotThrow(() => checkSeparator('@@\t@@'));
      // whitespace at either end of a header value is dropped on the way
      assert.throws(() => checkSeparator('\t@@\t'), TopError);
      assert.throws(
        () => checkSeparator('|'),
        (err: unknown) => err instanceof TopError && err.kind === 'validation' && err.param === 'separator',
      );
      assert.throws(() => checkSeparator('###'), TopError);
      // it travels in an HTTP header, where CR and LF cannot go
      assert.throws(() => checkSeparator('\r\n##\r\n'), TopError);
    });

    it('splits an answer into one piece per call, or reports a verdict on the whole batch', function () {
      const split = splitBatchAnswer(`{"a":1}${DEFAULT_BATCH_SEPARATOR}{"b":2}`, 2);
      assert.deepEqual(split, { pieces: ['{"a":1}', '{"b":2}'], whole: false });
      assert.deepEqual(splitBatchAnswer('{"error_response":{"code":25}}', 3), {
        first: '{"error_response":{"code":25}}',
        whole: true,
      });
    });
  });

  describe('against the sandbox', function () {
    let sandbox: Sandbox;
    const clients: TopClient[] = [];
    const make = (extra: Partial<ConstructorParameters<typeof TopClient>[0]> = {}): TopClient => {
      const client = new TopClient({
        appKey: APP_KEY,
        appSecret: APP_SECRET,
        endpoint: sandbox.url,
        retry: FAST_RETRY,
        ...extra,
      });
      clients.push(client);
      return client;
    };

    before(async function () {
      sandbox = await startSandbox({
        apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }],
        specs: [specForMethod(ITEM_INFO)!],
      });
    });
    afterEach(async function () {
      sandbox.clearFaults();
      sandbox.clearResponses();
      sandbox.resetStats();
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    after(async function () {
      await sandbox.close();
    });

    it('answers each call in order, signed over the URL parameters and the body', async function () {
      const list = Array.from({ length: 25 }, (_, i) => ({ n: i, q: `第${i}件 & =%` }));
      const result = await make().batch('sandbox.echo', list);
      assert.equal(result.requests, 1);
      assert.equal(result.results.length, 25);
      result.results.forEach((r, i) => {
        const ok = okResult(r);
        assert.deepEqual(ok.response.echo, { n: String(i), q: `第${i}件 & =%` });
        assert.equal(typeof ok.request_id, 'string');
        assert.equal(ok.attempts, 1);
      });
      const [recorded] = sandbox.requests();
      assert.equal(recorded!.path, '/router/batch');
      assert.match(String(recorded!.contentType), /^text\/plain;charset=utf-8$/i);
      assert.ok(!('method' in recorded!.params), 'the method travels in the body');
      assert.ok(recorded!.body!.startsWith('#PUBLIC#method=sandbox.echo' + DEFAULT_BATCH_SEPARATOR));
      const stats = sandbox.stats();
      assert.equal(stats.batchRequests, 1);
      assert.equal(stats.callsByMethod['sandbox.echo'], 25);
    });

    it('gives each call its own outcome: success, error_response, business failure, local validation', async function () {
      sandbox.setResponse(ITEM_INFO, (p: Record<string, string>) => {
        if (p.num_iids === '404')
          return {
            error_response: {
              code: 15,
              msg: 'Remote service error',
              sub_code: 'isv.item-not-exist',
              sub_msg: '商品不存在',
            },
          };
        if (p.num_iids === '500') return { result: { is_success: false, msg_info: '转链失败' } };
        return { results: { n_tbk_item: [{ num_iid: p.num_iids, title: `item ${p.num_iids}` }] } };
      });
      const result = await make().batch(ITEM_INFO, [
        { num_iids: '1' },
        { num_iids: '404' },
        { platform: 2 },
        { num_iids: '500' },
        { num_iids: '2', platform: Number.NaN },
        { num_iids: '3' },
      ]);
      assert.equal(result.results.length, 6);
      assert.deepEqual((okResult(result.results[0]).response.results as { n_tbk_item: unknown[] }).n_tbk_item, [
        { num_iid: '1', title: 'item 1' },
      ]);
      const notFound = failedResult(result.results[1]);
      assert.equal(notFound.kind, 'top');
      assert.equal(notFound.sub_code, 'isv.item-not-exist');
      assert.equal(notFound.method, ITEM_INFO);
      const missing = failedResult(result.results[2]);
      assert.equal(missing.code, 40, "the gateway checks each call's required parameters");
      assert.equal(missing.sub_code, 'isv.missing-parameter:num_iids');
      assert.equal(failedResult(result.results[3]).kind, 'business');
      const invalid = failedResult(result.results[4]);
      assert.equal(invalid.kind, 'validation');
      assert.equal(invalid.param, 'platform');
      okResult(result.results[5]);
      assert.equal(sandbox.stats().callsByMethod[ITEM_INFO], 5, 'the call that failed validation was not sent');
      assert.equal(result.requests, 1, 'no error here is retryable');
    });

    it('retries the throttled calls of a batch in a further batch, and only them', async function () {
      sandbox.setFaults([
        { kind: 'tbk-throttle', method: 'sandbox.echo', count: 1 },
        { kind: 'isp', method: 'sandbox.echo', count: 1, subCode: 'isp.relation-id-not-corrent' },
      ]);
      const result = await make().batch('sandbox.echo', [{ n: 0 }, { n: 1 }, { n: 2 }]);
      const first = okResult(result.results[0]);
      assert.equal(first.attempts, 2, 'the throttled call went again');
      assert.equal((first.response.echo as Record<string, string>).n, '0');
      const notRetried = failedResult(result.results[1]);
      assert.equal(notRetried.sub_code, 'isp.relation-id-not-corrent');
      assert.equal(notRetried.attempts, 1);
      assert.equal(okResult(result.results[2]).attempts, 1);
      assert.equal(result.requests, 2);
      assert.equal(sandbox.stats().totalCalls, 4, '3 calls, then the throttled one alone');
    });

    it('uses a custom separator (top-api-separator header) both ways', async function () {
      const separator = '@@\tbatch\t@@';
      const result = await make().batch('sandbox.echo', [{ a: '@@ batch @@' }, { a: 'two' }], { separator });
      assert.equal((okResult(result.results[0]).response.echo as Record<string, string>).a, '@@ batch @@');
      assert.equal((okResult(result.results[1]).response.echo as Record<string, string>).a, 'two');
      const [recorded] = sandbox.requests();
      assert.equal(recorded!.headers[BATCH_SEPARATOR_HEADER], separator);
      assert.equal(recorded!.body!.split(separator).length, 3);
      assert.ok(!recorded!.body!.includes(DEFAULT_BATCH_SEPARATOR));
      await assert.rejects(
        make().batch('sandbox.echo', [{}], { separator: '|' }),
        (err: unknown) => err instanceof TopError && err.param === 'separator',
      );
    });

    it('a wrong secret fails the batch as a whole: one error_response, code 25', async function () {
      const err = await rejection(
        make({ appSecret: 'not-the-secret' }).batch('sandbox.echo', [{ n: 1 }, { n: 2 }, { n: 3 }]),
      );
      assert.equal(err.kind, 'top');
      assert.equal(err.code, 25);
      assert.equal(err.attempts, 1, 'a signature error is not retried');
      assert.equal(sandbox.stats().batchRequests, 1);
      // on the wire: a single error_response, no separator
      const body = encodeBatchBody('sandbox.echo', [{ n: '1' }, { n: '2' }]);
      const query = new URLSearchParams({
        app_key: APP_KEY,
        timestamp: topTimestamp(),
        format: 'json',
        v: '2.0',
        sign_method: 'md5',
      });
      query.set('sign', sign(Object.fromEntries(query), APP_SECRET, 'md5', body + 'tampered'));
      const res = await request(`${sandbox.origin}/router/batch?${query.toString()}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=utf-8' },
        body,
      });
      const text = await res.body.text();
      assert.ok(!text.includes(DEFAULT_BATCH_SEPARATOR));
      assert.equal((JSON.parse(text) as { error_response: { code: number } }).error_response.code, 25);
      query.set('sign', sign(Object.fromEntries([...query].filter(([k]) => k !== 'sign')), APP_SECRET, 'md5', body));
      const good = await request(`${sandbox.origin}/router/batch?${query.toString()}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=utf-8' },
        body,
      });
      assert.equal(
        (await good.body.text()).split(DEFAULT_BATCH_SEPARATOR).length,
        2,
        'the same body signed right is answered per call',
      );
    });

    it('a clock off by an hour fails the batch as a whole: code 31', async function () {
      const err = await rejection(make({ clockOffsetMs: -3600_000 }).batch('sandbox.echo', [{ n: 1 }, { n: 2 }]));
      assert.equal(err.code, 31);
    });

    it('a failed transport is retried for reads, never for writes that may have run', async function () {
      sandbox.setFaults([{ kind: 'http500', count: 1 }]);
      const read = await make().batch('sandbox.echo', [{ n: 1 }, { n: 2 }]);
      assert.equal(read.requests, 2);
      okResult(read.results[1]);
      sandbox.resetStats();
      sandbox.setFaults([{ kind: 'http500', count: 1 }]);
      const err = await rejection(make().batch('sandbox.echo', [{ n: 1 }, { n: 2 }], { writes: true }));
      assert.equal(err.kind, 'transport');
      assert.equal(err.status, 500);
      assert.equal(err.attempts, 1);
      assert.equal(sandbox.stats().batchRequests, 1, 'the write batch was sent once');
      sandbox.resetStats();
      sandbox.setFaults([{ kind: 'reset', count: 1 }]);
      await rejection(make().batch('sandbox.echo', [{ n: 1 }], { writes: true }));
      assert.equal(sandbox.stats().batchRequests, 1);
    });

    it('a throttled write call is retried: the gateway refused it', async function () {
      sandbox.setFaults([{ kind: 'throttle', banSeconds: 0, count: 1 }]);
      const result = await make().batch('sandbox.echo', [{ n: 1 }, { n: 2 }], { writes: true });
      assert.equal(okResult(result.results[0]).attempts, 2);
      assert.equal(result.requests, 2);
    });

    it('chunks a long list and keeps the input order; every chunk failing throws', async function () {
      const list = Array.from({ length: 45 }, (_, i) => ({ n: i }));
      const chunked = await batchInChunks(make(), 'sandbox.echo', list, { batchSize: 20 });
      assert.deepEqual(
        chunked.chunks.map((c) => [c.from, c.calls]),
        [
          [0, 20],
          [20, 20],
          [40, 5],
        ],
      );
      assert.deepEqual(
        chunked.results.map((r) => (okResult(r).response.echo as Record<string, string>).n),
        list.map((x) => String(x.n)),
      );
      assert.equal(sandbox.stats().batchRequests, 3);
      const err = await rejection(batchInChunks(make({ appSecret: 'wrong' }), 'sandbox.echo', list, { batchSize: 20 }));
      assert.equal(err.code, 25);
    });

    it('a chunk failing as a whole gives its error to its own calls only', async function () {
      sandbox.setFaults([{ kind: 'http502', count: 1 }]);
      const list = Array.from({ length: 4 }, (_, i) => ({ n: i }));
      const chunked = await batchInChunks(
        make({ retry: false, rateLimit: { concurrency: 1, perSecond: 0 } }),
        'sandbox.echo',
        list,
        { batchSize: 2 },
      );
      assert.equal(failedResult(chunked.results[0]).status, 502);
      assert.equal(failedResult(chunked.results[1]).status, 502);
      okResult(chunked.results[2]);
      okResult(chunked.results[3]);
      assert.equal(chunked.chunks[0]!.error?.status, 502);
    });

    it('refuses what cannot be batched', async function () {
      const client = make();
      await assert.rejects(
        client.batch('sandbox.echo', 'nope' as unknown as unknown[]),
        (err: unknown) => err instanceof TopError && err.kind === 'validation',
      );
      const result = await client.batch('sandbox.echo', [
        { file: Buffer.from('x') },
        { method: 'other.method' },
        'text',
        { ok: 1 },
      ]);
      assert.equal(failedResult(result.results[0]).param, 'file');
      assert.equal(failedResult(result.results[1]).param, 'method');
      assert.equal(failedResult(result.results[2]).kind, 'validation');
      okResult(result.results[3]);
      const noBatchUrl = new TopClient({
        appKey: APP_KEY,
        appSecret: APP_SECRET,
        endpoint: `${sandbox.origin}/custom`,
        rateLimit: false,
      });
      clients.push(noBatchUrl);
      assert.equal(noBatchUrl.batchEndpoint, undefined);
      await assert.rejects(
        noBatchUrl.batch('sandbox.echo', [{}]),
        (err: unknown) => err instanceof TopError && err.param === 'batchEndpoint',
      );
    });
  });

  describe('tbk-api node in batch mode', function () {
    let sandbox: Sandbox;
    useSandboxAndRuntime(
      { apps: [{ appKey: APP_KEY, appSecret: APP_SECRET }], specs: [] },
      (started) => (sandbox = started),
    );

    async function load(
      apiProps: Record<string, unknown>,
      secret = APP_SECRET,
    ): Promise<{ api: TestNode; ok: Collector; err: Collector }> {
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
          wires: [['ok'], ['err']],
        },
        { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
        { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
      ];
      await helper.load([configNode, apiNode], flow, { cfg: { appKey: APP_KEY, appSecret: secret } });
      return {
        api: helper.getNode('api'),
        ok: new Collector(helper.getNode('ok')),
        err: new Collector(helper.getNode('err')),
      };
    }

    it('sends an array payload as batches and outputs one result per call, in order', async function () {
      sandbox.setResponse('sandbox.echo', (p: Record<string, string>) =>
        p.n === '1'
          ? {
              error_response: {
                code: 15,
                msg: 'Remote service error',
                sub_code: 'isv.item-not-exist',
                sub_msg: '商品不存在',
              },
            }
          : { echo: { n: p.n } },
      );
      const { api, ok, err } = await load({ batch: true, batchSize: '2' });
      const done = countDone(api);
      api.receive({ payload: [{ n: 0 }, { n: 1 }, { n: 2 }], topic: 'links' });
      const [msg] = await ok.waitFor(1);
      assert.equal(msg!.topic, 'links');
      const payload = msg!.payload as Array<Record<string, any>>;
      assert.equal(payload.length, 3);
      assert.deepEqual(payload[0]!.response.echo, { n: '0' });
      assert.equal(payload[0]!.ok, true);
      assert.equal(payload[1]!.ok, false);
      assert.equal(payload[1]!.error.sub_code, 'isv.item-not-exist');
      assert.equal(payload[1]!.error.source.id, 'api');
      assert.ok(!(payload[1]!.error instanceof Error), 'errors are plain data in the message');
      assert.deepEqual(payload[2]!.response.echo, { n: '2' });
      assert.equal(msg!.tbk.method, 'sandbox.echo');
      assert.deepEqual({ ...msg!.tbk.batch }, { calls: 3, chunks: 2, batchSize: 2, failed: 1, requests: 2 });
      assert.equal(sandbox.stats().batchRequests, 2);
      await delay(20);
      assert.equal(err.messages.length, 0);
      assert.equal(done.count, 1);
    });

    it('an object payload in batch mode is a single call; an array without batch mode is refused', async function () {
      const { api, ok, err } = await load({ batch: true });
      api.receive({ payload: { n: 7 } });
      const [msg] = await ok.waitFor(1);
      assert.deepEqual(msg!.payload.echo, { n: '7' });
      assert.equal(sandbox.stats().batchRequests, 0);
      await helper.unload();
      const plain = await load({ batch: false });
      plain.api.receive({ payload: [{ n: 1 }] });
      const [failed] = await plain.err.waitFor(1);
      assert.equal(failed!.error.kind, 'validation');
      assert.equal(err.messages.length, 0);
    });

    it('a batch rejected as a whole goes to the error output; so does a malformed element', async function () {
      const { api, ok, err } = await load({ batch: true }, 'wrong-secret');
      api.receive({ payload: [{ n: 1 }, { n: 2 }] });
      const [failed] = await err.waitFor(1);
      assert.equal(failed!.error.code, 25);
      assert.equal(failed!.tbk.batch.calls, 2);
      api.receive({ payload: [{ n: 1 }, 'not an object'] });
      const [, malformed] = await err.waitFor(2);
      assert.equal(malformed!.error.kind, 'validation');
      assert.match(malformed!.error.message, /msg\.payload\[1\]/);
      assert.equal(ok.messages.length, 0);
    });
  });
});
