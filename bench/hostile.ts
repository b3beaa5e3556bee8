/**
 * `npm run bench:hostile`: what a hostile gateway costs one Node-RED process. Each case runs in a
 * fresh child process (clean RSS) against a gateway in another: a gzip bomb (about 1 MB inflating
 * to 1 GiB), the same with 4 calls in flight, and an endless chunked body. TopClient as the config
 * node makes it (3 s timeout here, 2 retries, the default 16 MiB maxResponseBytes). Prints, per
 * case: the call's duration, the requests the gateway got (1 = not retried), the outcome, and the
 * growth of RSS and of Buffer memory (arrayBuffers) over the process's baseline, sampled every 5 ms.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TopClient } from '../lib/top/client';
import { gzipBomb, writeEndlessBody } from '../test/support/hostile-gateway';

type CaseName = 'gzip-bomb' | 'gzip-bomb-x4' | 'endless-body';
const CASES: Array<{ name: CaseName; label: string; body: 'bomb' | 'endless'; calls: number }> = [
  { name: 'gzip-bomb', label: 'gzip bomb, 1 MB -> 1 GiB', body: 'bomb', calls: 1 },
  { name: 'gzip-bomb-x4', label: 'gzip bomb, 4 calls in flight', body: 'bomb', calls: 4 },
  { name: 'endless-body', label: 'endless chunked body', body: 'endless', calls: 1 },
];
const TIMEOUT_MS = 3000;
const MiB = 1024 * 1024;

interface CaseResult {
  name: CaseName;
  durationMs: number;
  requests: number;
  outcome: string;
  rssGrowthMiB: number;
  arrayBuffersGrowthMiB: number;
}

/** The gateway: every request gets the bomb or an endless body. Reports its request count on 'count'. */
function runGateway(body: 'bomb' | 'endless'): void {
  const bomb = gzipBomb(64);
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    if (body === 'bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
      return;
    }
    writeEndlessBody(res);
  });
  server.listen(0, '127.0.0.1', () =>
    process.send!({ type: 'listening', port: (server.address() as AddressInfo).port, bombBytes: bomb.length }),
  );
  process.on('message', (message: { type: string }) => {
    if (message.type === 'count') process.send!({ type: 'count', requests });
  });
  process.on('disconnect', () => process.exit(0));
}

/** One case in this (fresh) process: the calls, with RSS and arrayBuffers sampled every 5 ms. */
async function runCase(name: CaseName): Promise<void> {
  const spec = CASES.find((c) => c.name === name)!;
  const gateway = fork(__filename, ['gateway', spec.body], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) =>
    gateway.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const client = new TopClient({
    appKey: 'bench-app',
    appSecret: 'bench-secret',
    endpoint: `http://127.0.0.1:${port}/router/rest`,
    timeoutMs: TIMEOUT_MS,
    retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 500 },
  });
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakBuffers = base.arrayBuffers;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
  }, 5);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: spec.calls }, () =>
      client.call('taobao.tbk.item.info.get', { num_iids: '1' }).then(
        () => 'answer',
        (err: Error) => err.message,
      ),
    ),
  );
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  const requests = await new Promise<number>((resolve) => {
    gateway.once('message', (m: { requests: number }) => resolve(m.requests));
    gateway.send({ type: 'count' });
  });
  gateway.kill();
  await client.close();
  const result: CaseResult = {
    name,
    durationMs: Math.round(durationMs),
    requests,
    outcome: [...new Set(outcomes)].join(' | '),
    rssGrowthMiB: Math.round((peakRss - base.rss) / MiB),
    arrayBuffersGrowthMiB: Math.round((peakBuffers - base.arrayBuffers) / MiB),
  };
  process.send!(result);
}

async function main(): Promise<void> {
  console.log(
    `Hostile gateway, TopClient with a ${TIMEOUT_MS} ms timeout and 2 retries (each case in a fresh process)\n`,
  );
  console.log(
    `${'case'.padEnd(30)} ${'time'.padStart(8)} ${'requests'.padStart(9)} ${'RSS +'.padStart(9)} ${'Buffers +'.padStart(10)}  outcome`,
  );
  for (const spec of CASES) {
    const child = fork(__filename, ['case', spec.name], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
    });
    const result = await new Promise<CaseResult | undefined>((resolve) => {
      child.once('message', (m: CaseResult) => resolve(m));
      child.once('exit', () => resolve(undefined));
    });
    if (!result) {
      console.log(`${spec.label.padEnd(30)} the process died`);
      continue;
    }
    console.log(
      `${spec.label.padEnd(30)} ${`${result.durationMs} ms`.padStart(8)} ${String(result.requests).padStart(9)} ${`${result.rssGrowthMiB} MiB`.padStart(9)} ${`${result.arrayBuffersGrowthMiB} MiB`.padStart(10)}  ${result.outcome}`,
    );
  }
}

const [role, arg] = process.argv.slice(2);
if (role === 'gateway') runGateway(arg as 'bomb' | 'endless');
else if (role === 'case') void runCase(arg as CaseName);
else void main();
