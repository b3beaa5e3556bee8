/**
 * The order sync's backfill against the account's rate limit: two days of orders read through
 * OrderSync and TopClient (40 calls/s) from a gateway that takes 120 ms to answer, in its own
 * process. Prints the calls made, the fewest calls the range needs under the API's limits (3-hour
 * windows, 100 orders a page), the wall time, and the share of the rate limit used:
 * calls / (40 per second x wall seconds). Checks that no order was missed or repeated.
 *
 * `node dist/bench/backfill.js` alone, or part of `npm run bench`. BACKFILL_DAYS, BACKFILL_LATENCY_MS
 * and BACKFILL_ORDERS_PER_HOUR change the set-up.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { TopClient } from '../lib/top/client';
import { MemoryCheckpointStore, OrderSync, orderFingerprint } from '../lib/sync';
import { DEFAULT_APP } from '../lib/sandbox/index';
import type { BackfillGatewayCommand, BackfillGatewayMessage, BackfillGatewayOptions } from './backfill-gateway';

export interface BackfillCell {
  label: string;
  windowMinutes: number;
  concurrency: number;
  calls: number;
  fewestCalls: number;
  wallSeconds: number;
  /** calls / (rate limit x wall seconds) */
  utilisation: number;
  orders: number;
  missing: number;
  repeated: number;
}

export interface BackfillResult {
  days: number;
  latencyMs: number;
  ordersPerHour: number;
  rateLimit: number;
  cells: BackfillCell[];
}

const RATE_LIMIT = 40;
const MINUTE = 60_000;

export async function runBackfillBench(
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<BackfillResult> {
  const options: BackfillGatewayOptions = {
    days: Number(process.env.BACKFILL_DAYS) || 2,
    latencyMs: Number(process.env.BACKFILL_LATENCY_MS) || 120,
    ordersPerHour: Number(process.env.BACKFILL_ORDERS_PER_HOUR) || 300,
  };
  const child = fork(join(__dirname, 'backfill-gateway.js'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: BackfillGatewayMessage[] = [];
  const waiters: Array<(m: BackfillGatewayMessage) => void> = [];
  child.on('message', (m: BackfillGatewayMessage) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else inbox.push(m);
  });
  const next = <T extends BackfillGatewayMessage>(command?: BackfillGatewayCommand): Promise<T> =>
    new Promise((resolve) => {
      if (command) child.send(command);
      const queued = inbox.shift();
      if (queued) resolve(queued as T);
      else waiters.push((m) => resolve(m as T));
    });
  try {
    const ready = await next<Extract<BackfillGatewayMessage, { type: 'ready' }>>();
    const until = ready.now - MINUTE;
    const from = until - options.days * 24 * 60 * MINUTE;
    const oracle = await next<Extract<BackfillGatewayMessage, { type: 'oracle' }>>({
      type: 'oracle',
      from,
      to: until,
      pageSize: 100,
      maxWindowMs: 180 * MINUTE,
    });
    const cells: BackfillCell[] = [];
    const setups: Array<[string, number, number]> = [
      ['windows side by side (default: 180 min, concurrency 16)', 180, 16],
      ['one window after another (before: 20 min, concurrency 1)', 20, 1],
    ];
    for (const [label, windowMinutes, concurrency] of setups) {
      const client = new TopClient({
        ...DEFAULT_APP,
        endpoint: ready.url,
        rateLimit: { perSecond: RATE_LIMIT, concurrency: 16 },
        retry: { retries: 2 },
      });
      const emitted: string[] = [];
      const sync = new OrderSync({
        client,
        queryType: 4,
        store: new MemoryCheckpointStore(),
        windowMinutes,
        concurrency,
        lagSeconds: 60,
        now: () => ready.now,
        onOrders: (orders) => {
          for (const order of orders) emitted.push(`${order.trade_id}|${orderFingerprint(order)}`);
        },
      });
      await next({ type: 'reset' });
      const started = performance.now();
      const report = await sync.run({ from, until });
      const wallSeconds = (performance.now() - started) / 1000;
      const count = await next<Extract<BackfillGatewayMessage, { type: 'count' }>>({ type: 'count' });
      await client.close();
      if (report.gaps.length > 0) throw new Error(`${label}: gaps ${JSON.stringify(report.gaps)}`);
      const wanted = new Set(oracle.keys);
      const got = new Set(emitted);
      const cell: BackfillCell = {
        label,
        windowMinutes,
        concurrency,
        calls: count.totalCalls,
        fewestCalls: oracle.fewestCalls,
        wallSeconds: Math.round(wallSeconds * 100) / 100,
        utilisation: Math.round((count.totalCalls / (RATE_LIMIT * wallSeconds)) * 1000) / 1000,
        orders: emitted.length,
        missing: oracle.keys.filter((k) => !got.has(k)).length,
        repeated: emitted.length - got.size + emitted.filter((k) => !wanted.has(k)).length,
      };
      cells.push(cell);
      log(
        `backfill ${label}: ${cell.calls} calls (fewest ${cell.fewestCalls}) in ${cell.wallSeconds} s, ${cell.utilisation} of ${RATE_LIMIT}/s; ${cell.orders} orders, ${cell.missing} missing, ${cell.repeated} repeated`,
      );
    }
    return { ...options, rateLimit: RATE_LIMIT, cells };
  } finally {
    if (child.connected) child.send({ type: 'close' });
  }
}

export function formatBackfill(result: BackfillResult): string {
  const lines = [
    `Order sync backfill: ${result.days} days, gateway answering in ${result.latencyMs} ms, rate limit ${result.rateLimit} calls/s, ${result.ordersPerHour} orders/h`,
    '',
    '| set-up | calls | fewest calls | wall s | share of the rate limit | orders | missing | repeated |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.cells.map(
      (c) =>
        `| ${c.label} | ${c.calls} | ${c.fewestCalls} | ${c.wallSeconds} | ${c.utilisation} | ${c.orders} | ${c.missing} | ${c.repeated} |`,
    ),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  runBackfillBench()
    .then((result) => console.log(formatBackfill(result)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
