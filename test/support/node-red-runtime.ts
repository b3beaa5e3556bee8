/**
 * A child process for test/nodes/redis-limit.test.ts: one Node-RED runtime (node-red-node-test-helper,
 * its own HTTP server on an ephemeral port) with a tbk-config and a tbk-item-info-get node, like one of
 * several Node-RED instances sharing an App Key. The job comes in env TBK_RUNTIME_JOB (JSON).
 *
 * It loads the flow, waits until the config's rate limit is shared (or has fallen back) and says
 * { type: 'ready', mode }, waits for 'go', pushes `messages` messages through the method node and says
 * { type: 'done', ok, failed, errors, modes } once every message is answered; then it stops Node-RED,
 * lets go of the IPC channel and exits.
 */
import type { LimitMode, TbkConfigNode } from '../../nodes/config-settings';
import { helper } from './node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');

export interface RuntimeJob {
  endpoint: string;
  redisUrl: string;
  appKey: string;
  appSecret: string;
  rateLimit: number;
  concurrency: number;
  messages: number;
  /** the num_iids of the first message; the next ones count up from it */
  firstItem: number;
}

export type RuntimeMessage =
  | { type: 'ready'; mode: LimitMode }
  | { type: 'done'; ok: number; failed: number; errors: string[]; modes: LimitMode[] };

function send(message: RuntimeMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.TBK_RUNTIME_JOB ?? '') as RuntimeJob;
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
      rateLimit: job.rateLimit,
      concurrency: job.concurrency,
    },
    {
      id: 'm',
      type: 'tbk-item-info-get',
      z: 'f1',
      x: 0,
      y: 0,
      config: 'cfg',
      version: 1,
      params: {},
      errorMode: 'output',
      wires: [['ok'], ['err']],
    },
    { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
    { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
  ];
  await helper.load([configNode, commonSet], flow, {
    cfg: { appKey: job.appKey, appSecret: job.appSecret, redisUrl: job.redisUrl },
  });

  const modes: LimitMode[] = [];
  let settled: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (settled = resolve));
  const config = helper.getNode('cfg') as unknown as TbkConfigNode;
  config.watchLimit!((mode) => {
    modes.push(mode);
    if (mode !== 'connecting') settled();
  });
  await ready;
  await send({ type: 'ready', mode: modes.at(-1)! });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const errors: string[] = [];
  let ok = 0;
  let answered = 0;
  let allAnswered: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allAnswered = resolve));
  const count = () => {
    if (++answered === job.messages) allAnswered();
  };
  helper.getNode('ok').on('input', () => {
    ok++;
    count();
  });
  helper.getNode('err').on('input', (msg: Record<string, any>) => {
    errors.push(`${String(msg.seq)}: ${String(msg.error?.message)}`);
    count();
  });
  const node = helper.getNode('m');
  for (let seq = 0; seq < job.messages; seq++)
    node.receive({ seq, payload: { num_iids: String(job.firstItem + seq) } });
  await finished;
  await send({ type: 'done', ok, failed: errors.length, errors: errors.slice(0, 5), modes });
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
