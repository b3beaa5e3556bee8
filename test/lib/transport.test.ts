import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Agent, FormData } from 'undici';
import { TopError } from '../../lib/top/errors';
import { formatByteSize, post } from '../../lib/top/transport';

describe('transport (undici dispatch)', function () {
  let server: Server;
  let url: string;
  let agent: Agent;
  const received: string[] = [];
  let handle: (req: IncomingMessage, res: ServerResponse) => void;

  before(function (done) {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        handle(req, res);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/router/rest?x=1`;
      done();
    });
  });
  beforeEach(function () {
    received.length = 0;
    agent = new Agent({ keepAliveTimeout: 1000 });
  });
  afterEach(async function () {
    await agent.destroy();
  });
  after(function (done) {
    server.close(() => done());
  });

  it('posts the body with its headers and collects status, headers and every chunk of the answer', async function () {
    const big = '女装'.repeat(40_000);
    handle = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json;charset=UTF-8', 'x-extra': 'yes' });
      res.write('{"a":"');
      setTimeout(() => res.end(`${big}"}`), 5);
    };
    const answer = await post(agent, url, 'k=v&n=1', {
      'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['x-extra'], 'yes');
    assert.equal(answer.body.toString('utf8'), `{"a":"${big}"}`);
    assert.deepEqual(received, ['POST /router/rest?x=1 application/x-www-form-urlencoded;charset=utf-8 k=v&n=1']);
  });

  it('sends FormData as multipart', async function () {
    handle = (_req, res) => res.end('{}');
    const form = new FormData();
    form.append('image', new Blob([Buffer.from('PNG')], { type: 'image/png' }), 'a.png');
    await post(agent, url, form, {});
    assert.match(
      received[0]!,
      /^POST \/router\/rest\?x=1 multipart\/form-data; boundary=\S+ .*name="image"; filename="a.png".*PNG/s,
    );
  });

  it('rejects with the signal reason when aborted in flight, and before sending', async function () {
    handle = () => undefined; // never answers
    const controller = new AbortController();
    const pending = post(agent, url, 'k=v', {}, controller.signal);
    setTimeout(() => controller.abort(new Error('stop here')), 20);
    await assert.rejects(pending, /stop here/);

    const early = new AbortController();
    early.abort(new Error('too late'));
    await assert.rejects(post(agent, url, 'k=v', {}, early.signal), /too late/);
    assert.equal(received.length, 1, 'the pre-aborted call was sent');
  });

  it('rejects on a refused connection and on a header undici refuses', async function () {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      post(agent, `http://127.0.0.1:${port}/router/rest`, 'k=v', {}),
      (err: { code?: string }) => err.code === 'ECONNREFUSED',
    );
    await assert.rejects(post(agent, url, 'k=v', { 'bad header\n': 'x' }));
  });

  it('inflates gzip, x-gzip, deflate, br and stacked codings as the chunks arrive; passes unknown codings through', async function () {
    const text = JSON.stringify({ ok: '女装'.repeat(5000) });
    const cases: Array<[string, Buffer]> = [
      ['gzip', gzipSync(text)],
      ['x-gzip', gzipSync(text)],
      ['deflate', deflateSync(text)],
      ['br', brotliCompressSync(text)],
      ['deflate, gzip', gzipSync(deflateSync(text))],
      ['identity', Buffer.from(text)],
      ['utf-8', Buffer.from(text)],
    ];
    for (const [encoding, body] of cases) {
      handle = (_req, res) => {
        res.writeHead(200, { 'content-encoding': encoding });
        res.write(body.subarray(0, 10));
        setTimeout(() => res.end(body.subarray(10)), 5);
      };
      const answer = await post(agent, url, 'k=v', {});
      assert.equal(answer.body.toString('utf8'), text, encoding);
    }
  });

  it('rejects an answer over maxBytes, raw or inflated, with a non-retryable transport TopError', async function () {
    handle = (_req, res) => res.end(Buffer.alloc(5000, 0x20));
    await assert.rejects(
      post(agent, url, 'k=v', {}, { maxBytes: 4999 }),
      (err: TopError) =>
        err instanceof TopError &&
        err.kind === 'transport' &&
        !err.retryable &&
        /answer larger than 4999 bytes from/.test(err.message),
    );
    assert.equal((await post(agent, url, 'k=v', {}, { maxBytes: 5000 })).body.length, 5000);
    handle = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.alloc(3 * 1024 * 1024)));
    };
    await assert.rejects(
      post(agent, url, 'k=v', {}, { maxBytes: 2 * 1024 * 1024 }),
      /answer larger than 2 MiB once inflated \(gzip\)/,
    );
  });

  it('stops inflating when the signal aborts', async function () {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.write(gzipSync('{"a":1}').subarray(0, 12)); // and the rest never comes
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('time is up')), 30);
    await assert.rejects(post(agent, url, 'k=v', {}, { signal: controller.signal }), /time is up/);
  });

  it('formats byte sizes as a user sets them', function () {
    assert.equal(formatByteSize(16 * 1024 * 1024), '16 MiB');
    assert.equal(formatByteSize(64 * 1024), '64 KiB');
    assert.equal(formatByteSize(1000), '1000 bytes');
    assert.equal(formatByteSize(1536 * 1024 + 1), '1.5 MiB');
  });
});
