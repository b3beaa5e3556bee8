import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INSTALL_HINT = 'apt-get update && apt-get install -y --no-install-recommends redis-server';

/** True when a redis-server binary answers --version. */
export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/**
 * For a `before` hook of tests that need Redis: skips them only when TBK_SKIP_REDIS=1 says so,
 * and fails them when redis-server is missing otherwise.
 */
export function requireRedisServer(context: Mocha.Context): void {
  if (redisServerInstalled()) return;
  if (process.env.TBK_SKIP_REDIS === '1') context.skip();
  throw new Error(`redis-server is not installed (${INSTALL_HINT}); set TBK_SKIP_REDIS=1 to skip the tests that need it`);
}

/** A port nobody listens on right now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on 127.0.0.1: no persistence, its own temp dir, stoppable and restartable on the same port. */
export class RedisServer {
  readonly port: number;
  private readonly dir: string;
  private process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'tbk-redis-'));
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    try {
      await server.restart();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** (Re)starts the server on its port; resolves once it accepts connections. */
  restart(): Promise<void> {
    if (this.process) return Promise.resolve();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    return new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        this.process = undefined;
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.slice(-2000)}`));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', onExit);
      child.once('error', (err) => {
        this.process = undefined;
        reject(err);
      });
    });
  }

  /** Kills the server (SIGKILL: like a crash, no goodbye to the clients); resolves once it has exited. */
  kill(): Promise<void> {
    const child = this.process;
    if (!child) return Promise.resolve();
    this.process = undefined;
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Kills the server and removes its temp dir. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
