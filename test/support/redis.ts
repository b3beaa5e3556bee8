import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools';

/**
 * For a `before` hook of tests that need Redis: skips (and counts) them when redis-server is not
 * installed, fails them under CI=true (test/support/tools.ts).
 */
export function requireRedisServer(context: Mocha.Context): void {
  requireTool(context, 'redis-server');
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
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--loglevel',
      'notice',
    ];
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
