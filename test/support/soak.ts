/**
 * The fault soak: messages through two method nodes (a read and a write) in a Node-RED runtime
 * (node-red-node-test-helper), against the sandbox injecting a mix of faults on about 10% of calls.
 * Shared by the short form in `npm test` (test/reliability/soak.test.ts) and `npm run soak`.
 *
 * Every invariant break is collected in `violations` (nothing throws mid-run), so a caller
 * prints the figures and then asserts there are none.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { seededRandom as seeded, startSandbox, type FaultRule, type Sandbox } from '../../lib/sandbox';
import { catchNode, helper, type TestNode } from './node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');

export const READ_METHOD = 'taobao.tbk.item.info.get';
export const READ_TYPE = 'tbk-item-info-get';
export const WRITE_METHOD = 'taobao.tbk.sf.group.activity.callback';
export const WRITE_TYPE = 'tbk-sf-group-activity-callback';

export const SOAK_APP = { appKey: 'soak-app', appSecret: 'soak-secret-7f3a9c21d04e' };
export const SOAK_SESSION = 'soak-session-51b0e8aa92';

/** The config node's knobs in the soak: small timeout, short bans retried, long ones reported. */
export const SOAK_CONFIG = { timeout: 300, retries: 2, maxBanSeconds: 1, rateLimit: 0, concurrency: 0 };
export const LATENCY_MS = 600;
const LONG_BAN_SECONDS = 3600;

export interface SoakOptions {
  messages: number;
  /** messages in flight at once (default 8: the sandbox shares the process and the CPU) */
  window?: number;
  /** share of messages that go to the write node (default 0.25) */
  writeShare?: number;
  seed?: number;
  /** told every tenth of the run */
  progress?: (line: string) => void;
  /** called at each tenth of the run, after a GC (e.g. to take a heap snapshot) */
  onSample?: (finished: number) => void;
}

export interface SoakReport {
  messages: number;
  reads: number;
  writes: number;
  gatewayCalls: number;
  /** faults the sandbox injected, by kind (write-method throttles included as throttle/tbk-throttle) */
  faultsByKind: Record<string, number>;
  /** share of gateway calls that got a fault */
  faultRate: number;
  outputs: { success: number; errorOutput: number; caught: number };
  errorsByKind: Record<string, number>;
  /** gateway calls beyond the first, over all messages */
  retries: number;
  maxCallsPerMessage: number;
  writeRetriesAfterThrottle: number;
  doneCalls: number;
  unhandled: string[];
  memory: {
    peakRssMB: number;
    peakHeapMB: number;
    heapAfterWarmupMB: number;
    heapAtEndMB: number;
    samplesMB: number[];
  };
  durationMs: number;
  violations: string[];
}

/** Faults on roughly 10% of calls. Throttles of the write method come from its answer function instead. */
export function soakFaults(): FaultRule[] {
  return [
    { kind: 'latency', latencyMs: LATENCY_MS, probability: 0.01 },
    { kind: 'http500', probability: 0.01 },
    { kind: 'http502', probability: 0.01 },
    { kind: 'reset', probability: 0.01 },
    { kind: 'truncated', probability: 0.01 },
    { kind: 'malformed', probability: 0.01 },
    { kind: 'throttle', method: READ_METHOD, banSeconds: 1, probability: 0.003 },
    { kind: 'throttle', method: READ_METHOD, banSeconds: LONG_BAN_SECONDS, probability: 0.006 },
    { kind: 'isp', probability: 0.012 },
    { kind: 'tbk-throttle', method: READ_METHOD, probability: 0.01 },
    { kind: 'business', probability: 0.01 },
  ];
}

/** gc() without --expose-gc on the command line. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/**
 * Drops the helper's sinon spies on Node.prototype and RED.log: they keep every call (with its
 * arguments and stack), which a soak must not. A wired node holds its own reference to send,
 * taken when it was created: point it back at the restored prototype method.
 */
function restoreHelperSpies(nodeIds: string[]): void {
  const internals = helper as unknown as {
    _sandbox: { restore(): void };
    _logSpy?: { restore(): void };
    _NodePrototype: { send: TestNode['send'] };
  };
  internals._logSpy?.restore();
  internals._sandbox.restore();
  for (const id of nodeIds) {
    const node = helper.getNode(id) as TestNode | null;
    if (node && Object.prototype.hasOwnProperty.call(node, 'send') && node._wireCount > 0)
      node.send = internals._NodePrototype.send;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const total = options.messages;
  const windowSize = options.window ?? 8;
  const writeShare = options.writeShare ?? 0.25;
  const maxCalls = SOAK_CONFIG.retries + 1;
  const violations: string[] = [];
  const violate = (text: string): void => {
    if (violations.length < 50) violations.push(text);
  };
  const unhandled: string[] = [];
  const onRejection = (reason: unknown): void =>
    void unhandled.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  const onException = (err: Error): void => void unhandled.push(`uncaughtException: ${String(err?.stack ?? err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const gc = collector();
  let writeRandom = seeded((options.seed ?? 1) ^ 0x5eed);
  const throttledSigns = new Set<string>();
  const writeThrottles = { short: 0, tbk: 0, long: 0 };
  const sandbox: Sandbox = await startSandbox({
    apps: [SOAK_APP],
    recordLimit: 20_000,
    faults: soakFaults(),
    seed: options.seed ?? 1,
  });
  sandbox.setResponse(WRITE_METHOD, (params: Record<string, string>) => {
    const r = writeRandom();
    let error: Record<string, unknown> | undefined;
    if (r < 0.004) {
      writeThrottles.short++;
      error = {
        code: 7,
        msg: 'App Call Limited',
        sub_code: 'accesscontrol.limited-by-app-access-count',
        sub_msg: 'This ban will last for 1 more seconds',
      };
    } else if (r < 0.014) {
      writeThrottles.tbk++;
      error = {
        code: 15,
        msg: 'Remote service error',
        sub_code: '9100',
        sub_msg: '您的账号因调用不符合要求,当前触发限流。',
      };
    } else if (r < 0.018) {
      writeThrottles.long++;
      error = {
        code: 7,
        msg: 'App Call Limited',
        sub_code: 'accesscontrol.limited-by-app-access-count',
        sub_msg: `This ban will last for ${LONG_BAN_SECONDS} more seconds`,
      };
    }
    if (error) {
      throttledSigns.add(params.sign!);
      return { error_response: error };
    }
    return { is_success: true };
  });

  const outcomes = new Uint8Array(total);
  const dones = new Uint8Array(total);
  const isWrite = new Uint8Array(total);
  const callsPerMessage = new Uint8Array(total);
  const lastWriteSign = new Map<number, string>();
  const errorsByKind: Record<string, number> = {};
  const faultsByKind: Record<string, number> = {};
  const reportedAttempts = new Int8Array(total);
  const outputs = { success: 0, errorOutput: 0, caught: 0 };
  let gatewayCalls = 0;
  let retries = 0;
  let maxCallsPerMessage = 0;
  let writeRetriesAfterThrottle = 0;
  let doneCalls = 0;
  let sent = 0;
  let finished = 0;
  let peakRss = 0;
  let peakHeap = 0;
  const samples: number[] = [];
  const started = Date.now();

  const flow = [
    { id: 'soak', type: 'tab' },
    {
      id: 'cfg',
      type: 'tbk-config',
      z: 'soak',
      name: 'soak',
      endpoint: sandbox.url,
      signMethod: 'md5',
      ...SOAK_CONFIG,
    },
    {
      id: 'read',
      type: READ_TYPE,
      z: 'soak',
      x: 0,
      y: 0,
      config: 'cfg',
      version: 1,
      errorMode: 'auto',
      params: {},
      wires: [['ok'], []],
    },
    {
      id: 'write',
      type: WRITE_TYPE,
      z: 'soak',
      x: 0,
      y: 0,
      config: 'cfg',
      version: 1,
      errorMode: 'output',
      params: {},
      wires: [['ok'], ['err']],
    },
    { id: 'catch', type: 'catch', z: 'soak', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'ok', type: 'helper', z: 'soak', x: 0, y: 0 },
    { id: 'err', type: 'helper', z: 'soak', x: 0, y: 0 },
    { id: 'caught', type: 'helper', z: 'soak', x: 0, y: 0 },
  ];

  /**
   * Takes the requests the sandbox recorded since the last drain and attributes them to messages
   * (by num_iids / msg_id). A request that timed out on the client may reach the gateway late:
   * counts are kept per message for the whole run, checked at the end.
   */
  const drain = (): void => {
    const stats = sandbox.stats();
    const requests = sandbox.requests();
    sandbox.resetStats();
    gatewayCalls += stats.totalCalls;
    for (const [kind, n] of Object.entries(stats.faultsByKind))
      faultsByKind[kind] = (faultsByKind[kind] ?? 0) + (n ?? 0);
    if (requests.length !== stats.totalCalls)
      violate(`the sandbox recorded ${requests.length} of ${stats.totalCalls} calls: raise recordLimit`);
    for (const request of requests) {
      const write = request.method === WRITE_METHOD;
      const seq = write ? Number(request.params.msg_id?.slice(1)) : Number(request.params.num_iids) - 1_000_000;
      if (!(seq >= 0 && seq < total) || isWrite[seq] !== (write ? 1 : 0)) {
        violate(`gateway call for an unknown message: ${request.method} ${seq}`);
        continue;
      }
      const calls = ++callsPerMessage[seq]!;
      if (calls > 1) {
        retries++;
        if (write) {
          const previous = lastWriteSign.get(seq);
          if (previous !== undefined && throttledSigns.has(previous)) writeRetriesAfterThrottle++;
          else
            violate(
              `write message ${seq} reached the gateway again although its previous request was not refused by throttling`,
            );
        }
      }
      if (write) lastWriteSign.set(seq, request.params.sign!);
      if (calls > maxCalls) violate(`message ${seq} made ${calls} gateway calls (bound ${maxCalls})`);
      maxCallsPerMessage = Math.max(maxCallsPerMessage, calls);
    }
  };

  const sampleMemory = (): void => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };

  let wake: (() => void) | undefined;
  const record = (msg: Record<string, any>, path: 'success' | 'errorOutput' | 'caught'): void => {
    const seq = msg.seq as number;
    if (typeof seq !== 'number' || seq < 0 || seq >= total) {
      violate(`an output without a known seq: ${JSON.stringify(msg).slice(0, 120)}`);
      return;
    }
    outputs[path]++;
    outcomes[seq]!++;
    if (outcomes[seq]! > 1) violate(`message ${seq} produced ${outcomes[seq]} outputs/Catch events`);
    if (path === 'success') {
      reportedAttempts[seq] = msg.tbk?.attempts ?? -1;
    } else {
      const error = path === 'caught' ? msg.error?.cause : msg.error;
      const kind = String(error?.kind ?? 'unknown');
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
      // a validation error or an abort before any attempt reports 0 attempts; both would be violations here
      reportedAttempts[seq] = typeof error?.attempts === 'number' ? error.attempts : -1;
      if (kind === 'validation' || kind === 'aborted' || kind === 'unknown')
        violate(
          `message ${seq} failed with an unexpected kind ${kind}: ${String(error?.message ?? msg.error?.message)}`,
        );
    }
    finished++;
    wake?.();
  };

  const drainTimer = setInterval(() => {
    drain();
    sampleMemory();
  }, 250);

  try {
    await new Promise<void>((resolve, reject) => helper.startServer((err) => (err ? reject(err as Error) : resolve())));
    await helper.load([configNode, commonSet, otherSet, catchNode], flow, {
      cfg: { ...SOAK_APP, session: SOAK_SESSION },
    });
    restoreHelperSpies(flow.map((n) => n.id));
    const read: TestNode = helper.getNode('read');
    const write: TestNode = helper.getNode('write');
    for (const node of [read, write]) {
      const original = node._complete as (msg: unknown, err?: unknown) => unknown;
      node._complete = function (msg: Record<string, any>, err?: unknown) {
        doneCalls++;
        const seq = msg?.seq as number;
        if (typeof seq === 'number' && seq >= 0 && seq < total) {
          dones[seq]!++;
          if (dones[seq]! > 1) violate(`done() ran ${dones[seq]} times for message ${seq}`);
        } else violate('done() for a message without a seq');
        return original.call(this, msg, err);
      };
    }
    helper.getNode('ok').on('input', (msg: Record<string, any>) => record(msg, 'success'));
    helper.getNode('err').on('input', (msg: Record<string, any>) => record(msg, 'errorOutput'));
    helper.getNode('caught').on('input', (msg: Record<string, any>) => record(msg, 'caught'));

    let writes = 0;
    const pick = seeded((options.seed ?? 1) * 7919);
    const sendOne = (): void => {
      const seq = sent++;
      const write = pick() < writeShare;
      isWrite[seq] = write ? 1 : 0;
      if (write) {
        writes++;
        const payload = {
          group_id: 'R:15323432',
          res_code: 1,
          msg_id: `w${seq}`,
          offset_code: `off-${seq}`,
          time_stamp: 1749091000704 + seq,
        };
        helper.getNode('write').receive({ seq, payload });
      } else {
        helper.getNode('read').receive({ seq, payload: { num_iids: String(1_000_000 + seq), platform: 2 } });
      }
    };

    const tenth = Math.max(1, Math.floor(total / 10));
    let nextMark = tenth;
    const deadline = (): number => Date.now() + 60_000;
    let stallLimit = deadline();
    while (finished < total) {
      while (sent < total && sent - finished < windowSize) sendOne();
      const before = finished;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
      wake = undefined;
      if (finished !== before) stallLimit = deadline();
      else if (Date.now() > stallLimit) {
        violate(`stalled: ${total - finished} messages never produced an output or Catch event`);
        break;
      }
      if (finished >= nextMark) {
        drain();
        gc();
        const heap = process.memoryUsage().heapUsed;
        samples.push(mb(heap));
        sampleMemory();
        options.onSample?.(finished);
        options.progress?.(`${finished}/${total} messages, ${gatewayCalls} gateway calls, heap ${mb(heap)} MB`);
        nextMark += tenth;
      }
    }
    // late duplicates would show up here
    await new Promise((resolve) => setTimeout(resolve, 300));
    drain();
    drain();

    for (let seq = 0; seq < total; seq++) {
      if (outcomes[seq] !== 1) violate(`message ${seq} produced ${outcomes[seq]} outputs/Catch events`);
      if (dones[seq] !== 1) violate(`done() ran ${dones[seq]} times for message ${seq}`);
      const reported = reportedAttempts[seq]!;
      // a request that timed out before it reached the gateway is an attempt the gateway never saw
      if (reported < 1 || reported > maxCalls || callsPerMessage[seq]! > reported)
        violate(`message ${seq} reports ${reported} attempts, the gateway saw ${callsPerMessage[seq]}`);
    }
    if (unhandled.length > 0) violate(`${unhandled.length} unhandled rejections/exceptions, first: ${unhandled[0]}`);
    gc();
    sampleMemory();
    const heapAtEnd = mb(process.memoryUsage().heapUsed);
    const afterWarmup = samples.length > 1 ? Math.min(...samples.slice(1)) : heapAtEnd;
    // flat: 2 MB of slack plus 0.25 KB per message (retaining one message context per call is about 2 KB)
    const allowedGrowthMB = 2 + (total * 0.25) / 1024;
    if (heapAtEnd - afterWarmup > allowedGrowthMB) violate(`heap grew from ${afterWarmup} MB to ${heapAtEnd} MB`);

    faultsByKind['throttle (write, short ban)'] = writeThrottles.short;
    faultsByKind['throttle (write, long ban)'] = writeThrottles.long;
    faultsByKind['tbk-throttle (write)'] = writeThrottles.tbk;
    const faultCount = Object.values(faultsByKind).reduce((a, b) => a + b, 0);
    return {
      messages: total,
      reads: total - writes,
      writes,
      gatewayCalls,
      faultsByKind,
      faultRate: gatewayCalls > 0 ? faultCount / gatewayCalls : 0,
      outputs,
      errorsByKind,
      retries,
      maxCallsPerMessage,
      writeRetriesAfterThrottle,
      doneCalls,
      unhandled,
      memory: {
        peakRssMB: mb(peakRss),
        peakHeapMB: mb(peakHeap),
        heapAfterWarmupMB: afterWarmup,
        heapAtEndMB: heapAtEnd,
        samplesMB: samples,
      },
      durationMs: Date.now() - started,
      violations,
    };
  } finally {
    clearInterval(drainTimer);
    writeRandom = () => 1;
    await helper.unload().catch(() => undefined);
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await sandbox.close();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}

/** The figures as text, for the console and docs/reliability.md. */
export function formatReport(report: SoakReport): string {
  const lines = [
    `messages            ${report.messages} (${report.reads} read ${READ_METHOD}, ${report.writes} write ${WRITE_METHOD})`,
    `gateway calls       ${report.gatewayCalls}`,
    `faults              ${Object.values(report.faultsByKind).reduce((a, b) => a + b, 0)} (${(report.faultRate * 100).toFixed(1)}% of calls)`,
    ...Object.entries(report.faultsByKind)
      .sort()
      .map(([kind, n]) => `  ${kind.padEnd(28)}${n}`),
    `outputs             ${report.outputs.success} success, ${report.outputs.errorOutput} on the error output (write), ${report.outputs.caught} Catch events (read)`,
    `errors by kind      ${Object.entries(report.errorsByKind)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `retries             ${report.retries} (max ${report.maxCallsPerMessage} calls per message; write retries, all after a throttle refusal: ${report.writeRetriesAfterThrottle})`,
    `done() calls        ${report.doneCalls}`,
    `unhandled           ${report.unhandled.length}`,
    `memory              peak RSS ${report.memory.peakRssMB} MB, peak heap ${report.memory.peakHeapMB} MB; heap after GC ${report.memory.samplesMB.join(' / ')} MB`,
    `duration            ${(report.durationMs / 1000).toFixed(1)} s`,
    `violations          ${report.violations.length === 0 ? 'none' : report.violations.join('\n  ')}`,
  ];
  return lines.join('\n');
}
