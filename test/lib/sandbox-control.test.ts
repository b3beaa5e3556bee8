/**
 * The sandbox's control endpoints (/__sandbox/...) answer only requests whose Host is a loopback
 * name or address, that carry no foreign Origin and, when one is set, the control token (DNS
 * rebinding, cross-origin forms). The tbk-sandbox CLI takes its secrets from the environment or a
 * file, so that they never show in ps; on the command line they still work, with a warning.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopClient } from '../../lib/top/client';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { parseArgs } from '../../lib/sandbox/cli';
import { rejection } from '../support/assertions';

interface Reply {
  status: number;
  text: string;
}

/** A request to 127.0.0.1:port with exactly these headers (Host included: what a browser sends after DNS rebinding). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('sandbox control endpoints: loopback Host, no foreign Origin, optional token', function () {
  let sandbox: Sandbox;
  let port: number;
  const ownHost = (): string => `127.0.0.1:${port}`;
  before(async function () {
    sandbox = await startSandbox({ specs: [] });
    port = sandbox.port;
  });
  after(async function () {
    await sandbox.close();
  });
  beforeEach(async function () {
    sandbox.clearFaults();
    sandbox.resetStats();
    // a recorded call, signature and parameters included: what the attacks want to read
    const client = new TopClient({
      appKey: 'sandbox-app',
      appSecret: 'sandbox-secret',
      endpoint: sandbox.url,
      retry: false,
    });
    await client.call('sandbox.echo', { secret_param: 'p-1f2e' });
    await client.close();
  });

  it('answers a loopback Host: 127.0.0.1, localhost, [::1], 127.x.y.z', async function () {
    for (const host of [
      ownHost(),
      `localhost:${port}`,
      `[::1]:${port}`,
      '127.0.0.1',
      `127.1.2.3:${port}`,
      `LOCALHOST:${port}`,
    ]) {
      const reply = await raw(port, 'GET', '/__sandbox/stats', { host });
      assert.equal(reply.status, 200, host);
    }
  });

  it('refuses a foreign Host (DNS rebinding): GET /__sandbox/requests reveals nothing', async function () {
    for (const host of [
      `rebind.attacker.example:${port}`,
      'attacker.example',
      `localhost.attacker.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `0.0.0.0:${port}`,
      '',
    ]) {
      const reply = await raw(port, 'GET', '/__sandbox/requests', { host });
      assert.equal(reply.status, 403, `Host "${host}"`);
      assert.doesNotMatch(reply.text, /p-1f2e|sign/, 'no recorded parameter or signature');
      assert.match(reply.text, /Host/);
    }
    const write = await raw(
      port,
      'POST',
      '/__sandbox/faults',
      { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' },
      '[{"kind":"http502"}]',
    );
    assert.equal(write.status, 403);
    assert.deepEqual(sandbox.faults(), []);
  });

  it('refuses a cross-origin text/plain POST to /__sandbox/faults, and any foreign Origin', async function () {
    const post = await raw(
      port,
      'POST',
      '/__sandbox/faults',
      { host: ownHost(), origin: 'http://attacker.example', 'content-type': 'text/plain' },
      '[{"kind":"http502"}]',
    );
    assert.equal(post.status, 403);
    assert.match(post.text, /cross-origin/);
    assert.deepEqual(sandbox.faults(), [], 'the faults are unchanged');
    for (const origin of [
      'null',
      `http://localhost:${port + 1}`,
      `https://127.0.0.1:${port}`,
      'http://attacker.example',
      'not a url',
    ]) {
      assert.equal(
        (await raw(port, 'GET', '/__sandbox/requests', { host: ownHost(), origin })).status,
        403,
        `Origin ${origin}`,
      );
    }
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      assert.equal(
        (await raw(port, 'GET', '/__sandbox/stats', { host: ownHost(), origin })).status,
        200,
        `its own origin ${origin}`,
      );
    }
  });

  it('the gateway itself still answers whatever the Host (clients behind proxies)', async function () {
    const client = new TopClient({
      appKey: 'sandbox-app',
      appSecret: 'sandbox-secret',
      endpoint: `http://localhost:${port}/router/rest`,
      retry: false,
    });
    assert.ok(await client.call('sandbox.echo', {}));
    await client.close();
  });

  it('with a control token, answers only requests that carry it', async function () {
    const guarded = await startSandbox({ specs: [], controlToken: 'tok-7d1e2a' });
    try {
      const host = `127.0.0.1:${guarded.port}`;
      assert.equal((await raw(guarded.port, 'GET', '/__sandbox/stats', { host })).status, 401);
      assert.equal(
        (await raw(guarded.port, 'GET', '/__sandbox/stats', { host, authorization: 'Bearer wrong-token' })).status,
        401,
      );
      assert.equal(
        (await raw(guarded.port, 'GET', '/__sandbox/stats', { host, authorization: 'Bearer tok-7d1e2a' })).status,
        200,
      );
      assert.equal(
        (await raw(guarded.port, 'GET', '/__sandbox/stats', { host, 'x-sandbox-token': 'tok-7d1e2a' })).status,
        200,
      );
      assert.equal(
        (
          await raw(guarded.port, 'GET', '/__sandbox/stats', {
            host: `evil.example:${guarded.port}`,
            'x-sandbox-token': 'tok-7d1e2a',
          })
        ).status,
        403,
        'the token does not replace the Host check',
      );
    } finally {
      await guarded.close();
    }
  });
});

describe('tbk-sandbox CLI secrets', function () {
  const CLI = join(__dirname, '..', '..', 'lib', 'sandbox', 'cli.js');

  it('reads the app, sessions and token from TBK_SANDBOX_* or a --secrets-file; the command line wins, with a warning', function () {
    const env = {
      TBK_SANDBOX_APP_KEY: 'env-app',
      TBK_SANDBOX_APP_SECRET: 'env-secret',
      TBK_SANDBOX_SESSIONS: 's1, s2',
      TBK_SANDBOX_TOKEN: 'env-token',
    };
    const fromEnv = parseArgs([], env);
    assert.deepEqual(
      [fromEnv.appKey, fromEnv.appSecret, fromEnv.sessions, fromEnv.token, fromEnv.secretFlags],
      ['env-app', 'env-secret', ['s1', 's2'], 'env-token', []],
    );
    const dir = mkdtempSync(join(tmpdir(), 'tbk-sandbox-secrets-'));
    try {
      const file = join(dir, 'secrets.json');
      writeFileSync(
        file,
        JSON.stringify({ appKey: 'file-app', appSecret: 'file-secret', sessions: ['f1'], token: 'file-token' }),
      );
      const fromFile = parseArgs(['--secrets-file', file], env);
      assert.deepEqual(
        [fromFile.appKey, fromFile.appSecret, fromFile.sessions, fromFile.token, fromFile.secretFlags],
        ['file-app', 'file-secret', ['f1'], 'file-token', []],
      );
      const fromArgv = parseArgs(
        ['--secrets-file', file, '--app-secret', 'argv-secret', '--session', 'a1', '--session', 'a2'],
        env,
      );
      assert.deepEqual(
        [fromArgv.appKey, fromArgv.appSecret, fromArgv.sessions, fromArgv.secretFlags],
        ['file-app', 'argv-secret', ['a1', 'a2'], ['--app-secret', '--session']],
      );
      writeFileSync(file, '{"appSecret": 5}');
      assert.throws(() => parseArgs(['--secrets-file', file], {}), /"appSecret" must be a non-empty string/);
      assert.throws(() => parseArgs(['--secrets-file', join(dir, 'missing.json')], {}), /--secrets-file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const defaults = parseArgs([], {});
    assert.deepEqual(
      [defaults.appKey, defaults.appSecret, defaults.token],
      ['sandbox-app', 'sandbox-secret', undefined],
    );
  });

  /** The CLI started with these arguments and environment, once it printed its URL. */
  async function startCli(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, '--port', '0', '--quiet', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const found = /TOP sandbox gateway: (\S+)/.exec(stdout);
        if (found && stdout.includes('Control:')) resolve(found[1]!);
      });
      child.once('exit', (code) => reject(new Error(`tbk-sandbox exited (${code}): ${stderr}`)));
    });
    return { child, url, stderr: () => stderr };
  }

  it('takes its secrets from the environment: none of them in its command line (ps), none printed', async function () {
    const { child, url, stderr } = await startCli([], {
      TBK_SANDBOX_APP_KEY: 'cli-app',
      TBK_SANDBOX_APP_SECRET: 'cli-secret-0c4f',
      TBK_SANDBOX_TOKEN: 'cli-token-91ab',
    });
    try {
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      assert.doesNotMatch(cmdline, /cli-secret-0c4f|cli-token-91ab/);
      const client = new TopClient({ appKey: 'cli-app', appSecret: 'cli-secret-0c4f', endpoint: url, retry: false });
      assert.ok(await client.call('sandbox.echo', {}), 'the secret from the environment signs');
      await client.close();
      const wrong = new TopClient({ appKey: 'cli-app', appSecret: 'sandbox-secret', endpoint: url, retry: false });
      assert.equal((await rejection(wrong.call('sandbox.echo', {}))).code, 25);
      await wrong.close();
      const origin = new URL(url).origin;
      assert.equal(
        (await fetch(`${origin}/__sandbox/stats`)).status,
        401,
        'the token from the environment guards the control endpoints',
      );
      assert.equal(
        (await fetch(`${origin}/__sandbox/stats`, { headers: { authorization: 'Bearer cli-token-91ab' } })).status,
        200,
      );
      assert.equal(stderr(), '', 'no warning');
    } finally {
      child.kill();
    }
  });

  it('still takes --app-secret on the command line, and warns that ps shows it', async function () {
    const { child, url, stderr } = await startCli(['--app-key', 'argv-app', '--app-secret', 'argv-secret-77'], {});
    try {
      const client = new TopClient({ appKey: 'argv-app', appSecret: 'argv-secret-77', endpoint: url, retry: false });
      assert.ok(await client.call('sandbox.echo', {}));
      await client.close();
      assert.match(stderr(), /--app-secret is visible to every user of this machine .*TBK_SANDBOX_APP_SECRET/);
      assert.doesNotMatch(stderr(), /argv-secret-77/);
    } finally {
      child.kill();
    }
  });
});
