/**
 * A benchmark child process: `node worker.js <role> <sandbox url> [json options]`.
 * Contender roles answer `cell` commands until `close`; `micro` and `memory` run once and report.
 */
import { CONTENDERS, createContender, type ContenderName } from './contenders';
import { fetchBodies, measureMemory, measureParse, measureSigning } from './micro';
import type { CellResult, RunResult, WorkerCommand, WorkerFailure, WorkerReady } from './protocol';

type Message = WorkerReady | WorkerFailure | CellResult | RunResult<unknown>;

function send(message: Message): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('run me with child_process.fork');
    process.send(message, () => resolve());
  });
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export interface MicroOptions {
  signIterations: number;
  parseRounds: number;
  rounds: number;
}

export interface MemoryOptions {
  warmupCalls: number;
  calls: number;
  concurrency: number;
}

async function runContender(name: ContenderName, url: string): Promise<void> {
  const contender = await createContender(name, url);
  process.on('message', (command: WorkerCommand) => {
    if (command.type === 'close') {
      void contender.close().finally(() => process.exit(0));
      return;
    }
    if (command.type !== 'cell') return;
    const cpuBefore = cpuMicros();
    contender.cell(command.concurrency, command.calls).then(
      (outcome) => {
        const cpu = cpuMicros() - cpuBefore;
        void send({
          type: 'cell',
          ok: outcome.ok,
          errors: outcome.errors,
          ...(outcome.firstError ? { firstError: outcome.firstError } : {}),
          ms: outcome.ms,
          perSecond: (outcome.ok * 1000) / outcome.ms,
          cpuMicrosPerCall: cpu / command.calls,
        });
      },
      (err: unknown) => void send({ type: 'failed', message: String(err) }),
    );
  });
  await send({ type: 'ready' });
}

async function main(): Promise<void> {
  const [role, url, json] = process.argv.slice(2);
  if (!role || !url) throw new Error('usage: worker.js <role> <sandbox url> [json options]');
  if ((CONTENDERS as readonly string[]).includes(role)) return runContender(role as ContenderName, url);
  if (role === 'micro') {
    const options = JSON.parse(json ?? '{}') as MicroOptions;
    const bodies = await fetchBodies(url);
    const signing = measureSigning(options.signIterations, options.rounds);
    const parsing = (['items20', 'tpwd', 'large', 'ids18'] as const).map((body) =>
      measureParse(body, bodies[body], options.parseRounds),
    );
    await send({ type: 'result', result: { signing, parsing } });
    process.exit(0);
  }
  if (role === 'memory') {
    const options = JSON.parse(json ?? '{}') as MemoryOptions;
    await send({
      type: 'result',
      result: await measureMemory(url, options.warmupCalls, options.calls, options.concurrency),
    });
    process.exit(0);
  }
  throw new Error(`unknown role ${role}`);
}

main().catch(async (err: unknown) => {
  await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).catch(
    () => undefined,
  );
  process.exit(1);
});
