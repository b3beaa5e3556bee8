/**
 * tbk-order-sync: keeps a local view of 淘宝客 orders current with the order sync engine
 * (lib/sync/engine.ts). The checkpoint lives in a file under the Node-RED user directory, in Redis
 * (with a lease: one instance syncs at a time) or in a persistent context store; see
 * order-sync-checkpoint.ts and order-sync-locations.ts.
 *
 * Output 1: the new and changed orders (one message per order, or one per page).
 * Output 2: the run report after every run (msg.error set when the run left a gap and errors go
 * to the output), and the failures of input messages (a bad backfill range, no config node).
 * See order-sync-output.ts; the status texts are in order-sync-status.ts.
 *
 * Runs never overlap (lib/sync/run-queue.ts). Every input message is finished (done) once, when the
 * run it asked for has ended (order-sync-jobs.ts).
 */
import { TopError } from '../lib/top/errors';
import type { TopClient } from '../lib/index';
import { OrderSync, type PageInfo, type PublisherOrder, type RunReport, type SyncStatus } from '../lib/sync';
import { RunQueue } from '../lib/sync/run-queue';
import { formatGmt8 } from '../lib/top/time';
import type { TbkConfigNode } from './config-settings';
import { oneRunAtATime } from './order-sync-checkpoint';
import { inputJob, pendingInput, type Job, type PendingInput } from './order-sync-jobs';
import { SyncLocations } from './order-sync-locations';
import { sendOrders, sendReport } from './order-sync-output';
import { readOrderSyncSettings, type OrderSyncDef, type OrderSyncSettings } from './order-sync-settings';
import { OrderSyncStatusTexts } from './order-sync-status';
import type { NodeAPI, NodeAPISettingsWithData, NodeMessage, NodeStatus } from 'node-red';
import { runtimeText, rememberRuntime } from './runtime-text';
import { resolveConfigClient } from './calls';
import { reportFailure, type DoneFunction, type SendFunction, type WiredNode } from './failure';
import { asTopError, validationError } from './input';
import { StatusReporter, watchLimitMode } from './status';
import { migrateNode } from './migrations';

/** The runtime settings (settings.js) read here beyond Node-RED's own. */
interface SyncRuntimeSettings extends NodeAPISettingsWithData {
  /** a clock (epoch ms) for simulations against the sandbox's order book */
  tbkOrderSyncNow?: () => number;
}

type SyncRED = NodeAPI<SyncRuntimeSettings>;

const MINUTE = 60_000;
/** a run at deploy, once the flows have started */
const START_DELAY_MS = 1000;
/** at most this many runs wait behind the current one (sync triggers merge, so these are backfills) */
const MAX_QUEUED = 10;
const CLOSE_GUARD_MS = 10_000;
/** windows read at once when the config node sets no concurrency */
const DEFAULT_WINDOW_CONCURRENCY = 16;

export = function (RED: SyncRED): void {
  rememberRuntime(RED);
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
  private readonly locations: SyncLocations;
  private readonly hostNow: () => number;
  private readonly status: StatusReporter;
  private readonly texts: OrderSyncStatusTexts;
  private current: AbortController | undefined;
  private closing = false;
  private runs = 0;
  private startedAt = 0;
  private startTimer: NodeJS.Timeout | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private localFallback = false;
  private standby = false;
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
    this.locations = new SyncLocations(RED, node, settings, configId, {
      closing: () => this.closing,
      onLeaseChange: (held) => this.onLeaseChange(held),
    });
    this.status = new StatusReporter(node);
    this.texts = new OrderSyncStatusTexts(RED);
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
    void this.locations.locationFor(undefined).then(
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

  private setStatus(status: NodeStatus): void {
    if (!this.closing) this.status.set(status, true);
  }

  private idleStatus(): void {
    this.setStatus(
      this.texts.idle({
        localFallback: this.localFallback,
        standby: this.standby,
        intervalMinutes: this.settings.intervalMinutes,
        checkpointKind: this.locations.defaultKind,
      }),
    );
  }

  private onStatus(status: SyncStatus): void {
    if (status.phase === 'reset')
      this.node.warn(runtimeText(this.RED, 'sync.invalidCheckpoint', { problem: status.problem }));
    const shown = this.texts.progress(status);
    if (shown) this.setStatus(shown);
  }

  /** An input that could not be run: the error output or Catch, then done. */
  private failInput(input: PendingInput, err: TopError): void {
    reportFailure(this.node, this.settings.errorMode, input.msg, err, input);
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
    sendOrders(this.node, this.settings.output, orders, info, run);
  }

  private async execute(job: Job): Promise<void> {
    const { settings } = this;
    const run = ++this.runs;
    const controller = new AbortController();
    this.current = controller;
    let report: (RunReport & Record<string, unknown>) | undefined;
    let failure: TopError | undefined;
    this.setStatus(this.texts.starting());
    try {
      const client: TopClient = resolveConfigClient(this.RED, this.configId);
      const location = await this.locations.locationFor(job.session);
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
    this.setStatus(report.stoppedByLease ? this.texts.standby() : this.texts.done(report));
    sendReport(this.RED, this.node, settings, job, run, report, {
      window: { start: formatGmt8(report.from), end: formatGmt8(report.to) },
      cursor: formatGmt8(report.cursor),
    });
  }

  /** Another instance holds the lease: nothing is read here; an input still gets its report. */
  private reportStandby(job: Job, run: number): void {
    this.standby = true;
    this.setStatus(this.texts.standby());
    if (job.inputs.length === 0) return;
    sendReport(this.RED, this.node, this.settings, job, run, { standby: true, checkpoint: 'redis' }, {});
  }

  private reportFailure(job: Job, err: TopError): void {
    this.setStatus(this.texts.failure(err));
    // a run of the node's own (deploy, interval) reports on its own message
    if (job.inputs.length === 0)
      reportFailure(this.node, this.settings.errorMode, { topic: 'error', payload: undefined }, err);
    for (const input of job.inputs) this.failInput(input, err);
  }

  private onInput(msg: NodeMessage, send: SendFunction, done: DoneFunction): void {
    const input = pendingInput(msg, send, done);
    if (this.closing) return input.done();
    try {
      this.queue.enqueue(inputJob(msg, input, this.settings));
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
      await this.locations.close();
    })().finally(finish);
  }
}
