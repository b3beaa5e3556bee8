/**
 * The gateway of the backfill benchmark, in a process of its own: the sandbox answering both order
 * methods from a fixed order book holding two days of orders, every answer delayed by the latency
 * asked for (the real gateway's time to answer an order query). Driven over IPC by backfill.ts.
 */
import { DEFAULT_APP, startSandbox } from '../lib/sandbox/index';
import { OrderBook, installOrderBook } from '../lib/sandbox/order-book';
import { orderFingerprint } from '../lib/sync';
import { parseGmt8 } from '../lib/top/time';

export interface BackfillGatewayOptions {
  latencyMs: number;
  ordersPerHour: number;
  days: number;
}

export type BackfillGatewayMessage =
  | { type: 'ready'; url: string; now: number }
  | { type: 'count'; totalCalls: number; errorsByCode: Record<string, number> }
  | { type: 'oracle'; keys: string[]; fewestCalls: number };

export type BackfillGatewayCommand =
  | { type: 'reset' }
  | { type: 'count' }
  | { type: 'oracle'; from: number; to: number; pageSize: number; maxWindowMs: number }
  | { type: 'close' };

const HOUR = 3_600_000;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as BackfillGatewayOptions;
  const book = new OrderBook({
    seed: 2026,
    start: parseGmt8('2026-11-01 00:00:00'),
    ordersPerHour: options.ordersPerHour,
    lateChance: 0,
    minDwellMs: 6 * HOUR,
    maxDwellMs: 30 * HOUR,
  });
  book.advance((options.days * 24 + 2) * HOUR);
  const sandbox = await startSandbox({ port: 0, apps: [DEFAULT_APP], recordLimit: 1 });
  installOrderBook(sandbox, book);
  for (const method of ['taobao.tbk.order.details.get', 'taobao.tbk.sc.order.details.get'])
    sandbox.addFault({ kind: 'latency', method, latencyMs: options.latencyMs });
  const send = (message: BackfillGatewayMessage): void => {
    process.send?.(message);
  };
  process.on('message', (command: BackfillGatewayCommand) => {
    if (command.type === 'reset') {
      sandbox.resetStats();
      send({ type: 'count', totalCalls: 0, errorsByCode: {} });
    } else if (command.type === 'count') {
      const stats = sandbox.stats();
      send({ type: 'count', totalCalls: stats.totalCalls, errorsByCode: stats.errorsByCode });
    } else if (command.type === 'oracle') {
      // what one reading can see: the version of each order the API shows now, by modified_time
      const changes = book
        .visibleOrders()
        .filter((order) => {
          const t = parseGmt8(String(order.modified_time));
          return t >= command.from && t <= command.to;
        })
        .map((order) => ({ tradeId: order.trade_id, order }));
      // the API's bounds: at most maxWindowMs per query, at most pageSize orders per page, one call per window at least
      let fewestCalls = 0;
      for (let start = command.from; start < command.to; start += command.maxWindowMs) {
        const end = Math.min(start + command.maxWindowMs, command.to);
        const inWindow = changes.filter((c) => {
          const t = parseGmt8(String(c.order.modified_time));
          return t >= start && (t < end || end === command.to);
        }).length;
        fewestCalls += Math.max(1, Math.ceil(inWindow / command.pageSize));
      }
      send({ type: 'oracle', keys: changes.map((c) => `${c.tradeId}|${orderFingerprint(c.order)}`), fewestCalls });
    } else if (command.type === 'close') {
      void sandbox.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void sandbox.close().then(() => process.exit(0)));
  send({ type: 'ready', url: sandbox.url, now: book.now });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
