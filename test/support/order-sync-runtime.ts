/**
 * A child process for test/reliability/order-sync-instances.test.ts: one Node-RED runtime with a tbk-config
 * (Redis URL set) and a tbk-order-sync node, like one of an HA pair. The job comes in env
 * TBK_SYNC_JOB (JSON). Each order the node emits is appended to `ordersFile` at once (a process
 * killed a moment later still leaves it there); each run report goes to the parent over IPC.
 * On 'stop' it stops Node-RED (giving up its lease) and exits.
 */
import { appendFileSync } from 'node:fs';
import { orderFingerprint } from '../../lib/sync';
import { helper } from './node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import syncNode = require('../../nodes/tbk-order-sync');

export interface SyncRuntimeJob {
  endpoint: string;
  redisUrl: string;
  appKey: string;
  appSecret: string;
  ordersFile: string;
  userDir: string;
  leaseSeconds: number;
  intervalMinutes: number;
  lookbackMinutes: number;
  pageSize: number;
}

export type SyncRuntimeMessage =
  | { type: 'ready' }
  | { type: 'report'; standby: boolean; emitted: number; gaps: number; cursor?: number }
  | { type: 'stopped' };

function send(message: SyncRuntimeMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.TBK_SYNC_JOB ?? '') as SyncRuntimeJob;
  helper.settings({ userDir: job.userDir });
  await new Promise<void>((resolve, reject) => helper.startServer((err) => (err ? reject(err as Error) : resolve())));
  const flow = [
    { id: 'f1', type: 'tab' },
    {
      id: 'cfg',
      type: 'tbk-config',
      z: 'f1',
      endpoint: job.endpoint,
      timeout: 10_000,
      retries: 0,
      rateLimit: 0,
      concurrency: 1,
      redisUrl: job.redisUrl,
    },
    {
      id: 'sync',
      type: 'tbk-order-sync',
      z: 'f1',
      x: 0,
      y: 0,
      config: 'cfg',
      queryType: '4',
      interval: job.intervalMinutes,
      windowMinutes: 20,
      lookbackMinutes: job.lookbackMinutes,
      pageSize: job.pageSize,
      leaseSeconds: job.leaseSeconds,
      errorMode: 'output',
      wires: [['orders'], ['reports']],
    },
    { id: 'orders', type: 'helper', z: 'f1', x: 0, y: 0 },
    { id: 'reports', type: 'helper', z: 'f1', x: 0, y: 0 },
  ];
  await helper.load([configNode, syncNode], flow, { cfg: { appKey: job.appKey, appSecret: job.appSecret } });
  helper.getNode('orders').on('input', (msg: Record<string, any>) => {
    appendFileSync(job.ordersFile, `${String(msg.payload.trade_id)}|${orderFingerprint(msg.payload)}\n`);
  });
  helper.getNode('reports').on('input', (msg: Record<string, any>) => {
    const p = msg.payload ?? {};
    void send({
      type: 'report',
      standby: p.standby === true,
      emitted: (p.emitted?.new ?? 0) + (p.emitted?.changed ?? 0),
      gaps: p.gaps?.length ?? 0,
      cursor: p.cursor,
    });
  });
  await send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  await send({ type: 'stopped' });
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
