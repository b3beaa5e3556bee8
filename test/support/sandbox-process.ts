/**
 * The sandbox gateway in a child process, for tests that measure when calls reach the gateway:
 * in the test's own process the sandbox would stamp a call's arrival only when the event loop that
 * also runs Node-RED and the client gets to it, so a busy moment there would bunch arrivals that
 * were sent apart. A real gateway does not share the caller's event loop; neither does this one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { RecordedRequest, SandboxOptions, SandboxStats } from '../../lib/sandbox';

type Reply =
  | { type: 'ready'; url: string }
  | { type: 'stats'; stats: SandboxStats }
  | { type: 'requests'; requests: RecordedRequest[] }
  | { type: 'done' };

export class SandboxProcess {
  private readonly waiting: Array<(reply: Reply) => void> = [];
  readonly origin: string;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.origin = new URL(url).origin;
    child.on('message', (reply: Reply) => this.waiting.shift()?.(reply));
  }

  static async start(options: Pick<SandboxOptions, 'recordLimit' | 'seed'> = {}): Promise<SandboxProcess> {
    const child = fork(__filename, ['--child'], {
      env: { ...process.env, TBK_SANDBOX_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<Reply>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the sandbox process exited (${code})`)));
    });
    if (ready.type !== 'ready') throw new Error('the sandbox process did not start');
    return new SandboxProcess(child, ready.url);
  }

  private ask(type: 'stats' | 'requests' | 'reset' | 'close'): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send({ type });
    });
  }

  async stats(): Promise<SandboxStats> {
    const reply = await this.ask('stats');
    if (reply.type !== 'stats') throw new Error('unexpected reply');
    return reply.stats;
  }

  async requests(): Promise<RecordedRequest[]> {
    const reply = await this.ask('requests');
    if (reply.type !== 'requests') throw new Error('unexpected reply');
    return reply.requests;
  }

  async resetStats(): Promise<void> {
    await this.ask('reset');
  }

  async close(): Promise<void> {
    if (!this.child.connected) return;
    await this.ask('close');
  }
}

async function runChild(): Promise<void> {
  const { startSandbox } = await import('../../lib/sandbox');
  const sandbox = await startSandbox(JSON.parse(process.env.TBK_SANDBOX_OPTIONS ?? '{}') as SandboxOptions);
  process.on('message', (command: { type: string }) => {
    if (command.type === 'stats') process.send!({ type: 'stats', stats: sandbox.stats() });
    else if (command.type === 'requests') process.send!({ type: 'requests', requests: sandbox.requests() });
    else if (command.type === 'reset') {
      sandbox.resetStats();
      process.send!({ type: 'done' });
    } else if (command.type === 'close') {
      void sandbox.close().then(() => {
        process.send!({ type: 'done' }, () => process.exit(0));
      });
    }
  });
  process.on('disconnect', () => void sandbox.close().then(() => process.exit(0)));
  process.send!({ type: 'ready', url: sandbox.url });
}

if (process.argv.includes('--child')) {
  runChild().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
