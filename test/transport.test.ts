import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, FormData } from 'undici';
import { post } from '../lib/transport';

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
    const answer = await post(agent, url, 'k=v&n=1', { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' });
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
    assert.match(received[0]!, /^POST \/router\/rest\?x=1 multipart\/form-data; boundary=\S+ .*name="image"; filename="a.png".*PNG/s);
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
    await assert.rejects(post(agent, `http://127.0.0.1:${port}/router/rest`, 'k=v', {}), (err: { code?: string }) => err.code === 'ECONNREFUSED');
    await assert.rejects(post(agent, url, 'k=v', { 'bad header\n': 'x' }));
  });
});
