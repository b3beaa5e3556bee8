/**
 * A child process for test/lib/redis-limiter.test.ts: one TopClient with a RedisCallLimiter, like one
 * Node-RED runtime among several sharing an App Key. The job comes in env TBK_LIMITED_JOB (JSON).
 *
 * mode 'calls': opens its connections with `warmup` calls, says { type: 'ready', state }, waits for 'go',
 * makes `calls` calls to sandbox.echo and says { type: 'done', ok, failed, errors, states }.
 * mode 'close': takes one start, closes the limiter and says { type: 'closed', resources } (what
 * still keeps the process alive). Either way it then lets go of the IPC channel and must exit by itself.
 * mode 'hold': takes `calls` entries, says { type: 'held', count } and keeps them until it is killed
 * (a runtime that dies with calls in flight).
 */
import { TopClient } from '../../lib/top/client';
import { RedisCallLimiter } from '../../lib/limits/redis-limiter';

export interface LimitedClientJob {
  mode: 'calls' | 'close' | 'hold';
  redisUrl: string;
  keyPrefix: string;
  appKey: string;
  appSecret?: string;
  endpoint?: string;
  perSecond: number;
  concurrency: number;
  windowMs?: number;
  maxCallMs?: number;
  calls?: number;
  warmup?: number;
}

export type LimitedClientMessage =
  | { type: 'ready'; state: string }
  | { type: 'done'; ok: number; failed: number; errors: string[]; states: string[] }
  | { type: 'closed'; resources: string[] }
  | { type: 'held'; count: number };

function send(message: LimitedClientMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
  );
}

function untilSettled(limiter: RedisCallLimiter): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (limiter.state === 'connecting' ? setTimeout(check, 10) : resolve());
    check();
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.TBK_LIMITED_JOB ?? '') as LimitedClientJob;
  const states: string[] = [];
  const limiter = new RedisCallLimiter({
    redis: job.redisUrl,
    keyPrefix: job.keyPrefix,
    appKey: job.appKey,
    perSecond: job.perSecond,
    concurrency: job.concurrency,
    windowMs: job.windowMs,
    maxCallMs: job.maxCallMs,
    onStateChange: (state) => states.push(state),
  });
  await untilSettled(limiter);

  if (job.mode === 'close') {
    (await limiter.acquire())();
    await limiter.close();
    await send({ type: 'closed', resources: process.getActiveResourcesInfo() });
    process.disconnect();
    return;
  }

  if (job.mode === 'hold') {
    const held = [];
    for (let i = 0; i < (job.calls ?? 0); i++) held.push(await limiter.acquire());
    await send({ type: 'held', count: held.length });
    setInterval(() => undefined, 60_000);
    return;
  }

  const client = new TopClient({ appKey: job.appKey, appSecret: job.appSecret!, endpoint: job.endpoint, limiter });
  await Promise.all(Array.from({ length: job.warmup ?? 0 }, (_, i) => client.call('sandbox.echo', { warmup: i })));
  await send({ type: 'ready', state: limiter.state });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const results = await Promise.allSettled(
    Array.from({ length: job.calls ?? 0 }, (_, i) => client.call('sandbox.echo', { i })),
  );
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  await client.close();
  await limiter.close();
  await send({
    type: 'done',
    ok: results.length - errors.length,
    failed: errors.length,
    errors: errors.slice(0, 5),
    states,
  });
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
