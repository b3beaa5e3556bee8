/**
 * Batch calls vs parallel single calls: 40 link conversions (taobao.tbk.item.info.get, one item
 * per call) sent as /router/batch requests or as 40 single calls side by side, through TopClient,
 * against the package's sandbox gateway in a child process (signature and timestamp checked on
 * every request, the documented example answered). Each round is timed from the first call to the
 * last answer; medians of BENCH_BATCH_ROUNDS rounds (default 15) per cell, cells interleaved.
 *
 * The sandbox answers at once; the 50 ms cells add a fixed delay per HTTP request to stand for
 * the network round trip to the real gateway. The client's per-second limit is off in every cell
 * (with the default 40 calls/s, 40 single calls take a whole second's budget while a batch takes
 * one slot: how the real gateway counts a batch is not documented).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/batch.js
 */
import { fork, type ChildProcess } from 'node:child_process';
import { batchInChunks } from '../lib/top/batch-chunks';
import { TopClient } from '../lib/top/client';
import { DEFAULT_APP, startSandbox } from '../lib/sandbox/index';

const METHOD = 'taobao.tbk.item.info.get';
const CALLS = 40;
const ROUNDS = Math.max(3, Number(process.env.BENCH_BATCH_ROUNDS) || 15);
const LATENCIES_MS = [0, 50];

interface ChildMessage {
  type: 'ready' | 'ok';
  url?: string;
  totalCalls?: number;
}

interface Cell {
  name: string;
  concurrency: number;
  run(client: TopClient, params: Array<Record<string, unknown>>): Promise<number>;
}

/** Each returns how many of the calls succeeded. */
const CELLS: Cell[] = [
  {
    name: 'batch, 1 request of 40',
    concurrency: 16,
    run: async (client, params) => (await client.batch(METHOD, params)).results.filter((r) => r.ok).length,
  },
  {
    name: 'batch, 2 requests of 20 (node default)',
    concurrency: 16,
    run: async (client, params) =>
      (await batchInChunks(client, METHOD, params, { batchSize: 20 })).results.filter((r) => r.ok).length,
  },
  {
    name: '40 single calls, 16 in flight (default)',
    concurrency: 16,
    run: async (client, params) =>
      (await Promise.allSettled(params.map((p) => client.request(METHOD, p)))).filter((r) => r.status === 'fulfilled')
        .length,
  },
  {
    name: '40 single calls, 40 in flight',
    concurrency: 40,
    run: async (client, params) =>
      (await Promise.allSettled(params.map((p) => client.request(METHOD, p)))).filter((r) => r.status === 'fulfilled')
        .length,
  },
];

async function sandboxChild(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, apps: [DEFAULT_APP], recordLimit: 1 });
  process.on('message', (message: { type: string; latencyMs?: number }) => {
    if (message.type === 'latency') {
      sandbox.setFaults(message.latencyMs ? [{ kind: 'latency', latencyMs: message.latencyMs }] : []);
      sandbox.resetStats();
      process.send?.({ type: 'ok' });
    } else if (message.type === 'count') {
      process.send?.({ type: 'ok', totalCalls: sandbox.stats().totalCalls });
    } else if (message.type === 'close') {
      void sandbox.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void sandbox.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', url: sandbox.url });
}

function ask(child: ChildProcess, message: Record<string, unknown>): Promise<ChildMessage> {
  return new Promise((resolve) => {
    child.once('message', (reply: ChildMessage) => resolve(reply));
    child.send(message);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fixed = (n: number): string => n.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const child = fork(__filename, ['--sandbox'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<ChildMessage>((resolve, reject) => {
    child.once('message', (m: ChildMessage) => resolve(m));
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  const endpoint = ready.url!;
  const params = Array.from({ length: CALLS }, (_, i) => ({ num_iids: String(600_000_000_000 + i), platform: 2 }));
  console.log(
    `${CALLS} x ${METHOD}, ${ROUNDS} rounds per cell, medians (ms per round of ${CALLS} calls); sandbox in a child process`,
  );
  try {
    for (const latencyMs of LATENCIES_MS) {
      await ask(child, { type: 'latency', latencyMs });
      const clients = CELLS.map(
        (cell) =>
          new TopClient({
            ...DEFAULT_APP,
            endpoint,
            retry: false,
            rateLimit: { perSecond: 0, concurrency: cell.concurrency },
          }),
      );
      const times: number[][] = CELLS.map(() => []);
      let calls = 0;
      try {
        for (let round = -1; round < ROUNDS; round++) {
          for (let c = 0; c < CELLS.length; c++) {
            const started = performance.now();
            const ok = await CELLS[c]!.run(clients[c]!, params);
            const elapsed = performance.now() - started;
            if (ok !== CALLS) throw new Error(`${CELLS[c]!.name}: ${ok} of ${CALLS} calls succeeded`);
            calls += CALLS;
            if (round >= 0) times[c]!.push(elapsed); // round -1 warms up the connections
          }
        }
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
      const counted = await ask(child, { type: 'count' });
      if (counted.totalCalls !== calls)
        throw new Error(`the sandbox counted ${counted.totalCalls} calls, the bench made ${calls}`);
      console.log(`\nadded latency per HTTP request: ${latencyMs} ms`);
      console.log(`${'cell'.padEnd(42)} median     min     max   vs 40 singles (default)`);
      const reference = median(times[2]!);
      CELLS.forEach((cell, c) => {
        const m = median(times[c]!);
        console.log(
          `${cell.name.padEnd(42)}${fixed(m)} ${fixed(Math.min(...times[c]!))} ${fixed(Math.max(...times[c]!))}   ${(reference / m).toFixed(2)}x`,
        );
      });
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'close' });
    const timer = setTimeout(() => child.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

if (process.argv.includes('--sandbox')) {
  sandboxChild().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
