/**
 * tbk-order-sync: keeps a local view of 淘宝客 orders current with the order sync engine
 * (lib/order-sync.ts). The checkpoint lives in a file under the Node-RED user directory, in Redis
 * (with a lease: one instance syncs at a time) or in a persistent context store; see
 * order-sync-checkpoint.ts.
 *
 * Output 1: the new and changed orders (one message per order, or one per page).
 * Output 2: the run report after every run (msg.error set when the run left a gap and errors go
 * to the output), and the failures of input messages (a bad backfill range, no config node).
 *
 * Runs never overlap (lib/sync/run-queue.ts). Every input message is finished (done) once, when the
 * run it asked for has ended.
 */
import { TopError, type TopErrorKind } from '../lib/top/errors';
import type { TopClient } from '../lib/index';
import { OrderSync, type PageInfo, type PublisherOrder, type RunReport, type SyncStatus } from '../lib/sync';
import { checkpointKey } from '../lib/sync/checkpoint-key';
import { RunQueue, type QueuedRun } from '../lib/sync/run-queue';
import { formatGmt8 } from '../lib/top/time';
import { redisHostPort, type TbkConfigNode } from './config-settings';
import { contextCheckpoint, locateCheckpoint, oneRunAtATime, type CheckpointLocation } from './order-sync-checkpoint';
import { parseInstant, readOrderSyncSettings, type OrderSyncDef, type OrderSyncSettings } from './order-sync-settings';
import type { NodeAPI, NodeAPISettingsWithData, NodeMessage, NodeStatus } from 'node-red';
import { localMessage, nodeMessageFields, nodeSetNamespace, runtimeText, statusText } from './runtime-text';
import { resolveConfigClient } from './calls';
import {
  catchableError,
  errorForMessage,
  errorsToOutput,
  reportFailure,
  type DoneFunction,
  type SendFunction,
  type WiredNode,
} from './failure';
import { asTopError, isPlainObject, messageSession, validationError } from './input';
import { localLimitStatus, StatusReporter, watchLimitMode } from './status';
import { migrateNode } from './migrations';

/** The runtime settings (settings.js) read here beyond Node-RED's own. */
interface SyncRuntimeSettings extends NodeAPISettingsWithData {
  /** a clock (epoch ms) for simulations against the sandbox's order book */
  tbkOrderSyncNow?: () => number;
}

type SyncRED = NodeAPI<SyncRuntimeSettings>;

interface PendingInput {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
}

interface Job extends QueuedRun<PendingInput> {
  trigger: 'start' | 'interval' | 'input' | 'takeover';
  from?: number;
  until?: number;
}

const MINUTE = 60_000;
/** a run at deploy, once the flows have started */
const START_DELAY_MS = 1000;
/** at most this many runs wait behind the current one (sync triggers merge, so these are backfills) */
const MAX_QUEUED = 10;
const CLOSE_GUARD_MS = 10_000;
/** windows read at once when the config node sets no concurrency */
const DEFAULT_WINDOW_CONCURRENCY = 16;

const hhmm = (ms: number): string => formatGmt8(ms).slice(11, 16);
const TOP_ERROR_KINDS: readonly string[] = [
  'validation',
  'top',
  'business',
  'transport',
  'timeout',
  'aborted',
  'throttled',
];

/** This node's own catalogue (status texts). */
const NAMESPACE = nodeSetNamespace('tbk-order-sync');

/** The failure a run with gaps stands for: its first gap, with the range in the message. */
function gapError(gaps: RunReport['gaps'], method: string): TopError {
  const gap = gaps[0]!;
  const e = gap.error;
  const kind: TopErrorKind =
    e.kind === 'retention' ? 'validation' : TOP_ERROR_KINDS.includes(e.kind ?? '') ? (e.kind as TopErrorKind) : 'top';
  const range = { start: formatGmt8(gap.start), end: formatGmt8(gap.end) };
  return new TopError({
    kind,
    method,
    ...nodeMessageFields(
      'sync.gap',
      e.messageKey ? { ...e.messageArgs, ...range, reason_key: e.messageKey } : { ...range, reason: e.message },
    ),
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.sub_code !== undefined ? { sub_code: e.sub_code } : {}),
    ...(e.sub_msg !== undefined ? { sub_msg: e.sub_msg } : {}),
    ...(e.request_id !== undefined ? { request_id: e.request_id } : {}),
  });
}

export = function (RED: SyncRED): void {
  function TbkOrderSync(this: WiredNode, saved: OrderSyncDef): void {
    RED.nodes.createNode(this, saved);
    const def = migrateNode('tbk-order-sync', saved);
    new OrderSyncNode(RED, this, readOrderSyncSettings(def), def.config).start();
  }
  RED.nodes.registerType('tbk-order-sync', TbkOrderSync);
};

/** One deployed tbk-order-sync node: its queue of runs, its checkpoints, timers and status. */
class OrderSyncNode {
  private readonly queue: RunQueue<PendingInput, Job>;
  private readonly locations = new Map<string, Promise<CheckpointLocation>>();
  private readonly hostNow: () => number;
  private readonly status: StatusReporter;
  private current: AbortController | undefined;
  private closing = false;
  private runs = 0;
  private startedAt = 0;
  private startTimer: NodeJS.Timeout | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private localFallback = false;
  private standby = false;
  private checkpointKind: CheckpointLocation['kind'] | undefined;
  private stopWatchingLimit: () => void = () => undefined;

  constructor(
    private readonly RED: SyncRED,
    private readonly node: WiredNode,
    private readonly settings: OrderSyncSettings,
    private readonly configId: unknown,
  ) {
    this.queue = new RunQueue<PendingInput, Job>({
      execute: (job) => this.execute(job),
      maxQueued: MAX_QUEUED,
      onRefused: (job) => {
        const err = validationError('topic', { key: 'sync.queueFull', args: { count: MAX_QUEUED } });
        for (const input of job.inputs) this.failInput(input, err);
      },
      // only reached if reporting itself failed: finish the messages once anyway
      onError: (job, err) => {
        for (const input of job.inputs) input.done(asTopError(err));
      },
    });
    this.status = new StatusReporter(node);
    // a clock for simulations against the sandbox's order book (settings.js: tbkOrderSyncNow)
    const configuredClock = RED.settings?.tbkOrderSyncNow;
    this.hostNow = typeof configuredClock === 'function' ? (): number => Number(configuredClock()) : Date.now;
  }

  start(): void {
    const { node, settings } = this;
    this.startedAt = Date.now();
    this.stopWatchingLimit = watchLimitMode(this.RED, this.configId, (mode) => {
      this.localFallback = mode === 'local-fallback';
      if (!this.queue.busy) this.idleStatus();
    });
    node.on('input', (msg, send, done) => this.onInput(msg, send, done));
    node.on('close', (_removed: boolean, done: () => void) => this.close(done));
    this.idleStatus();
    // the checkpoint of the config's account is found (and, with Redis, its lease taken) at once
    void this.locationFor(undefined).then(
      () => this.idleStatus(),
      () => undefined,
    );
    if (settings.intervalMinutes > 0) {
      const tick = (trigger: Job['trigger']) => (): void =>
        void this.queue.enqueue({ kind: 'sync', trigger, inputs: [] });
      this.startTimer = setTimeout(tick('start'), START_DELAY_MS);
      this.intervalTimer = setInterval(tick('interval'), Math.max(1000, settings.intervalMinutes * MINUTE));
    }
  }

  private text(key: string, fallback: string, substitutions: Record<string, unknown> = {}): string {
    return statusText(this.RED, `${NAMESPACE}:tbk-order-sync.status.${key}`, fallback, substitutions);
  }

  private setStatus(status: NodeStatus): void {
    if (!this.closing) this.status.set(status, true);
  }

  private idleStatus(): void {
    if (this.localFallback) return this.setStatus(localLimitStatus(this.RED));
    if (this.standby) return this.setStatus(this.standbyStatus());
    const minutes = this.settings.intervalMinutes;
    const when =
      minutes > 0 ? this.text('every', `every ${minutes} min`, { minutes }) : this.text('onInput', 'runs on input');
    const kind = this.checkpointKind;
    const text = kind ? `${when} · ${this.text(`checkpoint.${kind}`, kind === 'redis' ? 'Redis' : kind)}` : when;
    this.setStatus({ fill: 'grey', shape: 'ring', text });
  }

  private standbyStatus(): NodeStatus {
    return { fill: 'grey', shape: 'dot', text: this.text('standby', 'standby: another instance syncs') };
  }

  private gapStatus(start: number, end: number, reason: string): NodeStatus {
    return {
      fill: 'red',
      shape: 'ring',
      text: this.text('gap', `gap ${hhmm(start)}-${hhmm(end)}: ${reason}`, {
        start: hhmm(start),
        end: hhmm(end),
        reason,
      }),
    };
  }

  private onStatus(status: SyncStatus): void {
    switch (status.phase) {
      case 'window':
      case 'page':
        this.setStatus({
          fill: 'blue',
          shape: 'dot',
          text: this.text('syncing', `syncing ${hhmm(status.windowEnd)}, ${status.emitted} new`, {
            time: hhmm(status.windowEnd),
            count: status.emitted,
          }),
        });
        break;
      case 'throttled': {
        const seconds = Math.max(1, Math.ceil(status.delayMs / 1000));
        this.setStatus({
          fill: 'yellow',
          shape: 'ring',
          text: this.text('throttled', `throttled, retry in ${seconds}s`, { seconds }),
        });
        break;
      }
      case 'gap':
        this.setStatus(
          this.gapStatus(
            status.gap.start,
            status.gap.end,
            status.gap.error.sub_code ?? status.gap.error.kind ?? 'error',
          ),
        );
        break;
      case 'reset':
        this.node.warn(runtimeText(this.RED, 'sync.invalidCheckpoint', { problem: status.problem }));
        this.setStatus({
          fill: 'yellow',
          shape: 'ring',
          text: this.text('reset', 'checkpoint invalid: started afresh'),
        });
        break;
      default:
        break;
    }
  }

  private doneStatus(report: RunReport): NodeStatus {
    const gap = report.gaps[report.gaps.length - 1];
    if (gap) return this.gapStatus(gap.start, gap.end, gap.error.sub_code ?? gap.error.kind ?? 'error');
    const time = hhmm(report.cursor);
    const { new: added, changed } = report.emitted;
    const summary =
      changed > 0
        ? this.text('syncedChanged', `synced ${time}, ${added} new, ${changed} changed`, {
            time,
            count: added,
            changed,
          })
        : this.text('synced', `synced ${time}, ${added} new`, { time, count: added });
    return { fill: 'green', shape: 'dot', text: summary };
  }

  /** An input that could not be run: the error output or Catch, then done. */
  private failInput(input: PendingInput, err: TopError): void {
    reportFailure(this.RED, this.node, this.settings.errorMode, input.msg, err, input);
  }

  /** The checkpoint (and lease) of one account: msg.session is another account, with its own. */
  private locationFor(session: string | undefined): Promise<CheckpointLocation> {
    const config =
      typeof this.configId === 'string' && this.configId !== ''
        ? (this.RED.nodes.getNode(this.configId) as TbkConfigNode | null)
        : null;
    const account = config?.syncAccount?.();
    if (!account) return Promise.reject(validationError('config', { key: 'node.noConfig' }));
    const { settings } = this;
    const key = checkpointKey({
      appKey: account.appKey,
      method: settings.method,
      queryType: settings.queryType,
      session,
      filters: settings.extraParams,
      name: settings.contextKey,
    });
    let found = this.locations.get(key);
    if (!found) {
      found = this.newLocation(key, session, account.redisUrl, session === undefined);
      this.locations.set(key, found);
      found.catch(() => this.locations.delete(key));
    }
    return found;
  }

  private async newLocation(
    key: string,
    session: string | undefined,
    redisUrl: string,
    isDefault: boolean,
  ): Promise<CheckpointLocation> {
    const { settings, node } = this;
    let legacyKey = settings.contextKey || (settings.scope === 'node' ? 'tbkOrderSync' : `tbkOrderSync_${node.id}`);
    if (session) legacyKey += `_${key.split('.')[3]!.slice(1, 13)}`;
    const context = node.context();
    const target = settings.scope === 'flow' ? context.flow : settings.scope === 'global' ? context.global : context;
    const location = locateCheckpoint({
      key,
      redisUrl,
      redisWhere: redisUrl ? `Redis ${redisHostPort(redisUrl)}` : '',
      contextStorage: this.RED.settings?.contextStorage,
      storeName: settings.store,
      userDir: typeof this.RED.settings?.userDir === 'string' ? this.RED.settings.userDir : undefined,
      legacy: contextCheckpoint(target, legacyKey, settings.store),
      legacyName: `${settings.scope} context${settings.scope === 'global' ? '' : ` of ${settings.scope === 'flow' ? String(node.z) : node.id}`}, key ${legacyKey}`,
      leaseMs: settings.leaseMs,
      ...(isDefault ? { onLeaseChange: (held: boolean) => this.onLeaseChange(held) } : {}),
    });
    if (location.kind === 'file')
      node.warn(
        runtimeText(this.RED, 'sync.checkpointFile', { store: settings.store || 'default', where: location.where }),
      );
    else node.log(runtimeText(this.RED, 'sync.checkpointAt', { where: location.where }));
    if (isDefault) this.checkpointKind = location.kind;
    if (this.closing) {
      await location.lease?.close();
      throw new TopError({ kind: 'aborted', message: 'node closed' });
    }
    await location.lease?.start();
    return location;
  }

  private onLeaseChange(held: boolean): void {
    if (this.closing) return;
    const wasStandby = this.standby;
    this.standby = !held;
    if (!this.queue.busy) this.idleStatus();
    // the holder died or left: this instance goes on from the checkpoint at once
    if (held && wasStandby && this.settings.intervalMinutes > 0 && Date.now() - this.startedAt > START_DELAY_MS) {
      this.queue.enqueue({ kind: 'sync', trigger: 'takeover', inputs: [] });
    }
  }

  private emitOrders(orders: PublisherOrder[], info: PageInfo, run: number): void {
    // nothing is handed on once the node is closing: the page then counts as unread
    if (this.closing) throw new TopError({ kind: 'aborted', message: 'node closed: orders not handed on' });
    const base = {
      method: info.method,
      queryType: info.queryType,
      window: { start: formatGmt8(info.windowStart), end: formatGmt8(info.windowEnd) },
      page: info.page,
      run,
      ...(info.request_id ? { request_id: info.request_id } : {}),
    };
    if (this.settings.output === 'page') {
      this.node.send([
        { topic: 'orders', payload: orders, tbk: { ...base, kinds: info.kinds, count: orders.length } },
        null,
      ]);
      return;
    }
    orders.forEach((order, i) => {
      this.node.send([{ topic: order.trade_id, payload: order, tbk: { ...base, kind: info.kinds[i] } }, null]);
    });
  }

  private async execute(job: Job): Promise<void> {
    const { settings } = this;
    const run = ++this.runs;
    const controller = new AbortController();
    this.current = controller;
    let report: (RunReport & Record<string, unknown>) | undefined;
    let failure: TopError | undefined;
    this.setStatus({ fill: 'blue', shape: 'dot', text: this.text('starting', 'syncing…') });
    try {
      const client: TopClient = resolveConfigClient(this.RED, this.configId);
      const location = await this.locationFor(job.session);
      if (location.lease && !location.lease.mayEmit()) {
        this.current = undefined;
        return this.reportStandby(job, run);
      }
      const concurrency =
        (this.RED.nodes.getNode(String(this.configId)) as TbkConfigNode | null)?.settings?.concurrency ||
        DEFAULT_WINDOW_CONCURRENCY;
      const sync = new OrderSync({
        client,
        method: settings.method,
        ...(job.session ? { session: job.session } : {}),
        queryType: settings.queryType,
        windowMinutes: settings.windowMinutes,
        overlapMinutes: settings.overlapMinutes,
        lagSeconds: settings.lagSeconds,
        initialLookbackMinutes: settings.lookbackMinutes,
        pageSize: settings.pageSize,
        concurrency,
        extraParams: settings.extraParams,
        store: location.store,
        onOrders: (orders, info) => this.emitOrders(orders, info, run),
        onStatus: (status) => this.onStatus(status),
        now: () => client.gatewayNow(this.hostNow()),
        clockCalibrated: () => client.clockCalibrated,
        ...(location.lease ? { mayEmit: () => location.lease!.mayEmit() } : {}),
      });
      const result = await oneRunAtATime(location.where, () =>
        sync.run({
          ...(job.from !== undefined ? { from: job.from } : {}),
          ...(job.until !== undefined ? { until: job.until } : {}),
          signal: controller.signal,
        }),
      );
      report = { ...result, checkpoint: location.kind, gatewaySkewMs: Math.round(client.gatewaySkewMs) };
    } catch (err) {
      failure = asTopError(err, settings.method);
    }
    this.current = undefined;

    if (this.closing || report?.aborted) {
      for (const input of job.inputs) input.done();
      return;
    }
    if (failure || !report)
      return this.reportFailure(
        job,
        failure ?? new TopError({ kind: 'transport', message: 'the order sync ended without a report' }),
      );
    if (report.stoppedByLease) this.standby = true;
    this.setStatus(report.stoppedByLease ? this.standbyStatus() : this.doneStatus(report));
    this.sendReport(job, run, report, {
      window: { start: formatGmt8(report.from), end: formatGmt8(report.to) },
      cursor: formatGmt8(report.cursor),
    });
  }

  /** The report of a run on output 2; a run with gaps also raises its first gap, per errorMode. */
  private sendReport(
    job: Job,
    run: number,
    payload: Record<string, unknown> & { gaps?: RunReport['gaps'] },
    extra: Record<string, unknown>,
  ): void {
    const [first, ...others] = job.inputs;
    const out: NodeMessage = first ? first.msg : {};
    out.topic = 'report';
    out.payload = payload;
    out.tbk = {
      method: this.settings.method,
      queryType: this.settings.queryType,
      trigger: job.kind === 'backfill' ? 'backfill' : job.trigger,
      run,
      ...extra,
    };
    const gapped = payload.gaps && payload.gaps.length > 0 ? gapError(payload.gaps, this.settings.method) : undefined;
    const toOutput = errorsToOutput(this.node, this.settings.errorMode);
    if (gapped && toOutput) out.error = errorForMessage(this.node, gapped, this.RED);
    if (first) first.send([null, out]);
    else this.node.send([null, out]);
    if (gapped && !toOutput) {
      const caught = catchableError(this.RED, gapped);
      Object.assign(caught.cause as object, { gaps: payload.gaps });
      if (first) first.done(caught);
      else this.node.error(caught, out);
    } else first?.done();
    for (const input of others) input.done();
  }

  /** Another instance holds the lease: nothing is read here; an input still gets its report. */
  private reportStandby(job: Job, run: number): void {
    this.standby = true;
    this.setStatus(this.standbyStatus());
    if (job.inputs.length === 0) return;
    this.sendReport(job, run, { standby: true, checkpoint: 'redis' }, {});
  }

  private reportFailure(job: Job, err: TopError): void {
    this.setStatus({ fill: 'red', shape: 'ring', text: `${err.kind}: ${localMessage(this.RED, err)}` });
    // a run of the node's own (deploy, interval) reports on its own message
    if (job.inputs.length === 0)
      reportFailure(this.RED, this.node, this.settings.errorMode, { topic: 'error', payload: undefined }, err);
    for (const input of job.inputs) this.failInput(input, err);
  }

  private backfillJob(msg: NodeMessage, session: string | undefined, input: PendingInput): Job {
    const { settings } = this;
    if (msg.payload !== undefined && msg.payload !== null && msg.payload !== '' && !isPlainObject(msg.payload)) {
      throw validationError('payload', { key: 'sync.backfillPayload' });
    }
    const payload = isPlainObject(msg.payload) ? msg.payload : {};
    const from =
      payload.from !== undefined && payload.from !== ''
        ? parseInstant(payload.from)
        : (settings.backfillFrom ?? Number.NaN);
    if (Number.isNaN(from)) throw validationError('from', { key: 'sync.backfillFrom' });
    const to = payload.to !== undefined && payload.to !== '' ? parseInstant(payload.to) : settings.backfillTo;
    if (to !== undefined && Number.isNaN(to)) throw validationError('to', { key: 'sync.backfillTo' });
    if (to !== undefined && to <= from) throw validationError('to', { key: 'sync.backfillOrder' });
    return {
      kind: 'backfill',
      trigger: 'input',
      from,
      ...(to !== undefined ? { until: to } : {}),
      ...(session ? { session } : {}),
      inputs: [input],
    };
  }

  private onInput(msg: NodeMessage, send: SendFunction, done: DoneFunction): void {
    let finished = false;
    const input: PendingInput = {
      msg,
      send,
      done: (err) => {
        if (finished) return;
        finished = true;
        done(err);
      },
    };
    if (this.closing) return input.done();
    try {
      const session = messageSession(msg);
      if (msg.topic === 'backfill') this.queue.enqueue(this.backfillJob(msg, session, input));
      else this.queue.enqueue({ kind: 'sync', trigger: 'input', ...(session ? { session } : {}), inputs: [input] });
    } catch (err) {
      this.failInput(input, asTopError(err, this.settings.method));
    }
  }

  private close(done: () => void): void {
    this.closing = true;
    this.stopWatchingLimit();
    clearTimeout(this.startTimer);
    clearInterval(this.intervalTimer);
    for (const job of this.queue.close()) for (const input of job.inputs) input.done();
    this.current?.abort(new TopError({ kind: 'aborted', message: 'node closed during an order sync run' }));
    this.status.close();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      done();
    };
    // the engine stops at once on abort, checkpoint saved; the timer only guards the 15 s limit
    const guard = setTimeout(finish, CLOSE_GUARD_MS);
    void (async () => {
      await this.queue.idle();
      // leases are given up last, after the run's final checkpoint write
      const locations = await Promise.allSettled([...this.locations.values()]);
      await Promise.allSettled(locations.map((l) => (l.status === 'fulfilled' ? l.value.lease?.close() : undefined)));
    })().finally(finish);
  }
}
