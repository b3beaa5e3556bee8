/**
 * `npm run bench`: throughput of this package's client and method node against the undici limit
 * and two peers, CPU cost of signing and parsing, and memory growth, all against a local sandbox
 * gateway running in its own process. Prints a table, writes bench/results/latest.json,
 * docs/bench.json and docs/bench.svg.
 *
 * Then the order sync's 2-day backfill against the rate limit (backfill.ts).
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_SCALE (multiplies every call count, default 1),
 * BENCH_CPU_PROF=1 (workers write .cpuprofile files to bench/results/profiles).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { runBackfillBench } from './backfill';
import { CONTENDERS, CONTENDER_LABELS, type ContenderName } from './contenders';
import type { MemoryResult, ParseResult, SignResult } from './micro';
import type { CellResult, RunResult, SandboxCount, SandboxReady, WorkerFailure } from './protocol';
import {
  CONCURRENCIES,
  chartSvg,
  formatTable,
  median,
  ratios,
  targets,
  type BenchResults,
  type CellFigures,
  type Throughput,
} from './report';
import type { MemoryOptions, MicroOptions } from './worker';
import { packageRoot } from '../lib/package-root';

const REPO_ROOT = packageRoot();
const WORKER = join(__dirname, 'worker.js');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS) || 5);
const SCALE = Math.max(0.01, Number(process.env.BENCH_SCALE) || 1);
const PROFILE_DIR = process.env.BENCH_CPU_PROF === '1' ? join(REPO_ROOT, 'bench', 'results', 'profiles') : undefined;

/** Calls per measured cell, by concurrency: a few seconds each on the 2-core reference machine. */
const CELL_CALLS: Record<number, number> = { 1: 300, 16: 1500, 64: 1500 };
// enough for V8 to settle its optimised code and young-generation size in every contender process
const WARMUP_CALLS = 1000;
/** Unmeasured calls right before every measured cell. */
const REWARM_CALLS: Record<number, number> = { 1: 50, 16: 300, 64: 300 };
const MEMORY: MemoryOptions = { warmupCalls: 5000, calls: 50_000, concurrency: 16 };
const MICRO: MicroOptions = { signIterations: 50_000, parseRounds: 5, rounds: 5 };

const scaled = (n: number): number => Math.max(10, Math.round(n * SCALE));

/** A child process spoken to over IPC, one request at a time. */
class Child {
  private waiting: ((message: unknown) => void) | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (message) => {
      const waiter = this.waiting;
      this.waiting = undefined;
      waiter?.(message);
    });
    this.exited = new Promise((resolveExit) => process.once('exit', () => resolveExit()));
    process.once('exit', (code) => {
      const waiter = this.waiting;
      this.waiting = undefined;
      waiter?.({ type: 'failed', message: `${name} exited with code ${code}` });
    });
  }

  /** The next message from the child (after sending `command`, if given). */
  async next<T>(command?: object): Promise<T> {
    const message = await new Promise<unknown>((resolveMessage) => {
      this.waiting = resolveMessage;
      if (command) this.process.send(command);
    });
    if ((message as WorkerFailure).type === 'failed')
      throw new Error(`${this.name}: ${(message as WorkerFailure).message}`);
    return message as T;
  }

  async close(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.send({ type: 'close' });
    const timer = setTimeout(() => this.process.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function forkChild(
  name: string,
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Child {
  const execArgv = [...(options.execArgv ?? [])];
  if (PROFILE_DIR)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`);
  return new Child(
    name,
    fork(script, args, { env: options.env ?? process.env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
}

function log(text: string): void {
  process.stderr.write(text + '\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAverageBefore = loadavg();
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  log(`bench: ${ROUNDS} rounds, scale ${SCALE}, load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`);

  const sandbox = forkChild('sandbox', join(__dirname, 'sandbox-process.js'), []);
  const { url } = await sandbox.next<SandboxReady>();
  log(`sandbox gateway (own process) at ${url}`);
  const children: Child[] = [sandbox];
  try {
    // signing and parsing first, while nothing else runs
    log('CPU: signing + encoding, lossless parsing ...');
    const micro = forkChild('micro', WORKER, [
      'micro',
      url,
      JSON.stringify({ ...MICRO, signIterations: scaled(MICRO.signIterations) }),
    ]);
    const { signing, parsing } = (await micro.next<RunResult<{ signing: SignResult; parsing: ParseResult[] }>>())
      .result;

    log('starting the contenders ...');
    const workers = {} as Record<ContenderName, Child>;
    for (const name of CONTENDERS) {
      // node-taobao-topclient stamps requests in the host's local time: give it the gateway's zone
      const env = name === 'peer' ? { ...process.env, TZ: 'Asia/Shanghai' } : process.env;
      workers[name] = forkChild(name, WORKER, [name, url], { env });
      children.push(workers[name]);
      await workers[name].next();
    }

    const cell = async (
      name: ContenderName,
      concurrency: number,
      calls: number,
    ): Promise<CellResult & { gatewayCpu: number }> => {
      // A contender sits idle while the others run, long enough for V8's memory reducer to shrink
      // its heap; unmeasured calls first let it grow back, as it is in a process that keeps working.
      await workers[name].next<CellResult>({ type: 'cell', concurrency, calls: scaled(REWARM_CALLS[concurrency]!) });
      await sandbox.next<SandboxCount>({ type: 'reset' });
      const result = await workers[name].next<CellResult>({ type: 'cell', concurrency, calls });
      const count = await sandbox.next<SandboxCount>({ type: 'count' });
      if (count.totalCalls !== calls)
        throw new Error(`${name}: the gateway counted ${count.totalCalls} calls, expected ${calls}`);
      const refused = Object.entries(count.errorsByCode);
      if (refused.length > 0)
        throw new Error(`${name}: the gateway refused calls: ${JSON.stringify(count.errorsByCode)}`);
      return { ...result, gatewayCpu: count.cpuMicros / calls };
    };

    log('warm-up ...');
    for (const name of CONTENDERS) for (const c of CONCURRENCIES) await cell(name, c, scaled(WARMUP_CALLS));

    const raw = {} as Record<ContenderName, Record<string, Array<CellResult & { gatewayCpu: number }>>>;
    for (const name of CONTENDERS) raw[name] = Object.fromEntries(CONCURRENCIES.map((c) => [String(c), []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CONCURRENCIES) {
        // a different order each round, so no contender always runs right after the same one
        const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]!);
        for (const name of order) {
          const result = await cell(name, c, scaled(CELL_CALLS[c]!));
          raw[name][String(c)]!.push(result);
          log(
            `round ${round + 1}/${ROUNDS} c=${String(c).padEnd(2)} ${CONTENDER_LABELS[name].padEnd(28)} ${result.perSecond.toFixed(0).padStart(6)} calls/s  ${result.cpuMicrosPerCall.toFixed(0).padStart(5)} µs CPU/call${result.errors ? `  ${result.errors} errors: ${result.firstError}` : ''}`,
          );
        }
      }
    }
    for (const name of CONTENDERS) await workers[name].close();

    log(`memory: ${MEMORY.calls.toLocaleString('en')} TopClient calls (--expose-gc child) ...`);
    await sandbox.next<SandboxCount>({ type: 'reset' });
    const memoryChild = forkChild('memory', WORKER, ['memory', url, JSON.stringify(MEMORY)], {
      execArgv: ['--expose-gc'],
    });
    children.push(memoryChild);
    const memory = (await memoryChild.next<RunResult<MemoryResult>>()).result;

    log('order sync backfill against the rate limit (gateway in its own process) ...');
    const backfill = await runBackfillBench(log);

    const throughput = {} as Throughput;
    for (const name of CONTENDERS) {
      throughput[name] = {};
      for (const c of CONCURRENCIES) {
        const cells = raw[name][String(c)]!;
        const firstError = cells.find((r) => r.firstError)?.firstError;
        const figures: CellFigures = {
          calls: scaled(CELL_CALLS[c]!),
          rounds: cells.map((r) => Math.round(r.perSecond * 10) / 10),
          median: median(cells.map((r) => r.perSecond)),
          cpuMicrosPerCall: median(cells.map((r) => r.cpuMicrosPerCall)),
          gatewayCpuMicrosPerCall: median(cells.map((r) => r.gatewayCpu)),
          errors: cells.reduce((sum, r) => sum + r.errors, 0),
          ...(firstError ? { firstError } : {}),
        };
        throughput[name][String(c)] = figures;
      }
    }
    const partial: Omit<BenchResults, 'targets'> = {
      meta: {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverageBefore,
        loadAverageAfter: loadavg(),
        rounds: ROUNDS,
        durationSeconds: Math.round((Date.now() - started) / 1000),
        notes: [
          'Every contender makes the same taobao.tbk.dg.material.optional.upgrade call (20-item answer, about 80 KB) against the sandbox gateway in its own process on 127.0.0.1; rate limiting off.',
          'The gateway checks the signature and timestamp of every call and answers uncompressed (not every contender asks for gzip).',
          'CPU µs/call is the CPU time of the contender process per call; the gateway process has its own.',
          'Memory: TopClient calls to taobao.tbk.tpwd.create (1 KB answer) at concurrency 16, RSS measured after a forced GC.',
        ],
      },
      throughput,
      ...ratios(throughput),
      signing,
      parsing,
      memory,
      backfill,
    };
    const results: BenchResults = { ...partial, targets: targets(partial) };
    const json = JSON.stringify(results, null, 2) + '\n';
    mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'bench', 'results', 'latest.json'), json);
    mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'docs', 'bench.json'), json);
    writeFileSync(join(REPO_ROOT, 'docs', 'bench.svg'), chartSvg(results));
    console.log(formatTable(results));
    log(`\nwrote bench/results/latest.json, docs/bench.json, docs/bench.svg (${results.meta.durationSeconds} s)`);
  } finally {
    for (const child of children.reverse()) await child.close().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
