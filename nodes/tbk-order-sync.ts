/**
 * tbk-order-sync: keeps a local view of 淘宝客 orders current with the order sync engine
 * (lib/order-sync.ts), its checkpoint kept in Node-RED context.
 *
 * Output 1: the new and changed orders (one message per order, or one per page).
 * Output 2: the run report after every run (msg.error set when the run left a gap and errors go
 * to the output), and the failures of input messages (a bad backfill range, no config node).
 *
 * Runs never overlap: a trigger that arrives during a run is queued. Sync triggers waiting together
 * (input messages, interval ticks) are merged into one run after the current one; backfills queue
 * in order. Every input message is finished (done) once, when the run it asked for has ended.
 */
import { createHash } from 'node:crypto';
import { TopError, type TopErrorKind } from '../lib/errors';
import type { TopClient } from '../lib/index';
import { MAX_WINDOW_MINUTES, OrderSync, type CheckpointStore, type OrderDetailsMethod, type OrderQueryType, type PageInfo, type PublisherOrder, type RunReport, type SyncState, type SyncStatus } from '../lib/order-sync';
import { formatGmt8, parseGmt8 } from '../lib/time';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, NodeStatus, SendFunction } from './red-types';
import { asTopError, errorForMessage, errorModeOf, isPlainObject, localLimitStatus, messageSession, resolveConfigClient, validationError, watchLimitMode, type ErrorMode } from './shared';

type ContextCallback = (err: Error | null | undefined, value?: unknown) => void;

/** The part of a Node-RED context (node, flow or global) the checkpoint uses. */
interface ContextTarget {
  get(key: string, storeOrCallback: string | ContextCallback, callback?: ContextCallback): void;
  set(key: string, value: unknown, storeOrCallback: string | ContextCallback, callback?: ContextCallback): void;
}

type SyncNode = Node & { context(): ContextTarget & { flow: ContextTarget; global: ContextTarget } };

type SyncRED = NodeAPI & { settings?: Record<string, unknown> };

type OutputMode = 'order' | 'page';
type ContextScope = 'node' | 'flow' | 'global';

interface OrderSyncSettings {
  method: OrderDetailsMethod;
  queryType: OrderQueryType;
  /** minutes between runs; 0: only on input */
  intervalMinutes: number;
  windowMinutes: number;
  overlapMinutes: number;
  lagSeconds: number;
  lookbackMinutes: number;
  pageSize: number;
  output: OutputMode;
  scope: ContextScope;
  /** context store name; '' for the default store */
  store: string;
  contextKey: string;
  extraParams: Record<string, unknown>;
  backfillFrom?: number;
  backfillTo?: number;
  errorMode: ErrorMode;
}

const MINUTE = 60_000;
/** a run at deploy, once the flows have started */
const START_DELAY_MS = 1000;
/** at most this many runs wait behind the current one (sync triggers merge, so these are backfills) */
const MAX_QUEUED = 10;
const CLOSE_GUARD_MS = 10_000;

function numberOr(value: unknown, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (value === '' || value === undefined || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

/**
 * An instant: epoch ms, a Date, 'yyyy-MM-dd HH:mm:ss' / 'yyyy-MM-dd HH:mm' / 'yyyy-MM-dd' (GMT+8,
 * the API's zone) or an ISO 8601 text with its zone. NaN when it is none of these.
 */
function parseInstant(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const local = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2})?)?$/.exec(text);
  if (local) return parseGmt8(`${local[1]} ${local[2] ?? '00:00'}${local[3] ?? ':00'}`);
  return /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
}

/** The editor properties, defaulted and clamped. */
function readOrderSyncSettings(def: Record<string, unknown>): OrderSyncSettings {
  const provider = def.provider === true || def.provider === 'true';
  const queryType = Number(def.queryType);
  const scope = def.scope === 'flow' || def.scope === 'global' ? def.scope : 'node';
  const extraParams: Record<string, unknown> = {};
  const orderScene = Number(def.orderScene);
  if ([1, 2, 3].includes(orderScene)) extraParams.order_scene = orderScene;
  const memberType = Number(def.memberType);
  if ([2, 3].includes(memberType)) extraParams.member_type = memberType;
  const backfillFrom = parseInstant(def.backfillFrom);
  const backfillTo = parseInstant(def.backfillTo);
  return {
    method: provider ? 'taobao.tbk.sc.order.details.get' : 'taobao.tbk.order.details.get',
    queryType: ([1, 2, 3, 4].includes(queryType) ? queryType : 4) as OrderQueryType,
    intervalMinutes: numberOr(def.interval, 5, 0),
    windowMinutes: numberOr(def.windowMinutes, 20, 1 / 60, MAX_WINDOW_MINUTES),
    overlapMinutes: numberOr(def.overlapMinutes, 10, 0),
    lagSeconds: numberOr(def.lagSeconds, 60, 0),
    lookbackMinutes: numberOr(def.lookbackMinutes, 60, 0),
    pageSize: Math.floor(numberOr(def.pageSize, 100, 1, 100)),
    output: def.output === 'page' ? 'page' : 'order',
    scope,
    store: typeof def.store === 'string' ? def.store.trim() : '',
    contextKey: typeof def.contextKey === 'string' ? def.contextKey.trim() : '',
    extraParams,
    ...(Number.isNaN(backfillFrom) ? {} : { backfillFrom }),
    ...(Number.isNaN(backfillTo) ? {} : { backfillTo }),
    errorMode: errorModeOf(def.errorMode),
  };
}

/** The checkpoint in a Node-RED context, copied in and out (the memory store keeps references). */
function contextCheckpoint(target: ContextTarget, key: string, store: string): CheckpointStore {
  const call = (run: (callback: ContextCallback) => void): Promise<unknown> =>
    new Promise((resolve, reject) => {
      run((err, value) => (err ? reject(err) : resolve(value)));
    });
  return {
    async load() {
      const value = await call((cb) => (store ? target.get(key, store, cb) : target.get(key, cb)));
      return value === undefined || value === null ? undefined : (JSON.parse(JSON.stringify(value)) as SyncState);
    },
    async save(state) {
      const copy = JSON.parse(JSON.stringify(state)) as unknown;
      await call((cb) => (store ? target.set(key, copy, store, cb) : target.set(key, copy, cb)));
    },
  };
}

const hhmm = (ms: number): string => formatGmt8(ms).slice(11, 16);
const TOP_ERROR_KINDS: readonly string[] = ['validation', 'top', 'business', 'transport', 'timeout', 'aborted', 'throttled'];

/** The failure a run with gaps stands for: its first gap, with the range in the message. */
function gapError(report: RunReport, method: string): TopError {
  const gap = report.gaps[0]!;
  const e = gap.error;
  const kind: TopErrorKind = e.kind === 'retention' ? 'validation' : TOP_ERROR_KINDS.includes(e.kind ?? '') ? (e.kind as TopErrorKind) : 'top';
  return new TopError({
    kind,
    method,
    message: `order sync gap ${formatGmt8(gap.start)} - ${formatGmt8(gap.end)}: ${e.message}`,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.sub_code !== undefined ? { sub_code: e.sub_code } : {}),
    ...(e.sub_msg !== undefined ? { sub_msg: e.sub_msg } : {}),
    ...(e.request_id !== undefined ? { request_id: e.request_id } : {}),
  });
}

interface PendingInput {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
}

interface Job {
  kind: 'sync' | 'backfill';
  trigger: 'start' | 'interval' | 'input';
  from?: number;
  until?: number;
  session?: string;
  inputs: PendingInput[];
}

export = function (RED: SyncRED): void {
  function TbkOrderSync(this: SyncNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    setUp(this, def);
  }

  function setUp(node: SyncNode, def: NodeDef): void {
    const settings = readOrderSyncSettings(def);
    const queue: Job[] = [];
    let running: Promise<void> | undefined;
    let current: AbortController | undefined;
    let closing = false;
    let runs = 0;
    let startTimer: NodeJS.Timeout | undefined;
    let intervalTimer: NodeJS.Timeout | undefined;

    // a clock for simulations against the sandbox's order book (settings.js: tbkOrderSyncNow)
    const configuredClock = RED.settings?.tbkOrderSyncNow;
    const now = typeof configuredClock === 'function' ? (): number => Number((configuredClock as () => unknown)()) : Date.now;

    const text = (key: string, fallback: string, substitutions: Record<string, unknown> = {}): string => {
      try {
        const full = `tbk-order-sync.status.${key}`;
        const value = RED._?.(full, substitutions);
        if (typeof value === 'string' && value !== '' && !value.endsWith(full)) return value;
      } catch {
        // no catalogue: the English text
      }
      return fallback;
    };
    const setStatus = (status: NodeStatus): void => {
      if (!closing) node.status(status);
    };
    // a config node has no status of its own: show here that its rate limit fell back to local
    let localFallback = false;
    const idleStatus = (): void => {
      if (localFallback) return setStatus(localLimitStatus(RED));
      const minutes = settings.intervalMinutes;
      setStatus({ fill: 'grey', shape: 'ring', text: minutes > 0 ? text('every', `every ${minutes} min`, { minutes }) : text('onInput', 'runs on input') });
    };
    const stopWatchingLimit = watchLimitMode(RED, def.config, (mode) => {
      localFallback = mode === 'local-fallback';
      if (!running) idleStatus();
    });

    const resolveClient = (): TopClient => resolveConfigClient(RED, def.config);

    const checkpointFor = (session: string | undefined): CheckpointStore => {
      let key = settings.contextKey || (settings.scope === 'node' ? 'tbkOrderSync' : `tbkOrderSync_${node.id}`);
      // a session from msg.session is another account: its own checkpoint (named by a hash, never the session)
      if (session) key += `_${createHash('sha256').update(session).digest('hex').slice(0, 12)}`;
      const context = node.context();
      const target = settings.scope === 'flow' ? context.flow : settings.scope === 'global' ? context.global : context;
      return contextCheckpoint(target, key, settings.store);
    };

    const onStatus = (status: SyncStatus): void => {
      switch (status.phase) {
        case 'window':
        case 'page':
          setStatus({ fill: 'blue', shape: 'dot', text: text('syncing', `syncing ${hhmm(status.windowEnd)}, ${status.emitted} new`, { time: hhmm(status.windowEnd), count: status.emitted }) });
          break;
        case 'throttled': {
          const seconds = Math.max(1, Math.ceil(status.delayMs / 1000));
          setStatus({ fill: 'yellow', shape: 'ring', text: text('throttled', `throttled, retry in ${seconds}s`, { seconds }) });
          break;
        }
        case 'gap':
          setStatus(gapStatus(status.gap.start, status.gap.end, status.gap.error.sub_code ?? status.gap.error.kind ?? 'error'));
          break;
        default:
          break;
      }
    };
    const gapStatus = (start: number, end: number, reason: string): NodeStatus => ({
      fill: 'red',
      shape: 'ring',
      text: text('gap', `gap ${hhmm(start)}-${hhmm(end)}: ${reason}`, { start: hhmm(start), end: hhmm(end), reason }),
    });
    const doneStatus = (report: RunReport): NodeStatus => {
      const gap = report.gaps[report.gaps.length - 1];
      if (gap) return gapStatus(gap.start, gap.end, gap.error.sub_code ?? gap.error.kind ?? 'error');
      const time = hhmm(report.cursor);
      const { new: added, changed } = report.emitted;
      const summary = changed > 0 ? text('syncedChanged', `synced ${time}, ${added} new, ${changed} changed`, { time, count: added, changed }) : text('synced', `synced ${time}, ${added} new`, { time, count: added });
      return { fill: 'green', shape: 'dot', text: summary };
    };

    const wiredToSecondOutput = (): boolean => (node.wires?.[1]?.length ?? 0) > 0;
    const errorsToOutput = (): boolean => settings.errorMode === 'output' || (settings.errorMode === 'auto' && wiredToSecondOutput());

    /** An input that could not be queued: the error output or Catch, then done. */
    const failInput = (input: PendingInput, err: TopError): void => {
      if (errorsToOutput()) {
        input.msg.error = errorForMessage(node, err);
        input.send([null, input.msg]);
        input.done();
      } else {
        input.done(err);
      }
    };

    const emitOrders = (orders: PublisherOrder[], info: PageInfo, run: number): void => {
      if (closing) return;
      const base = {
        method: info.method,
        queryType: info.queryType,
        window: { start: formatGmt8(info.windowStart), end: formatGmt8(info.windowEnd) },
        page: info.page,
        run,
        ...(info.request_id ? { request_id: info.request_id } : {}),
      };
      if (settings.output === 'page') {
        node.send([{ topic: 'orders', payload: orders, tbk: { ...base, kinds: info.kinds, count: orders.length } }, null]);
        return;
      }
      orders.forEach((order, i) => {
        node.send([{ topic: order.trade_id, payload: order, tbk: { ...base, kind: info.kinds[i] } }, null]);
      });
    };

    async function runJob(job: Job): Promise<void> {
      const run = ++runs;
      const controller = new AbortController();
      current = controller;
      let report: RunReport | undefined;
      let failure: TopError | undefined;
      setStatus({ fill: 'blue', shape: 'dot', text: text('starting', 'syncing…') });
      try {
        const client = resolveClient();
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
          extraParams: settings.extraParams,
          store: checkpointFor(job.session),
          onOrders: (orders, info) => emitOrders(orders, info, run),
          onStatus,
          now,
        });
        report = await sync.run({ ...(job.from !== undefined ? { from: job.from } : {}), ...(job.until !== undefined ? { until: job.until } : {}), signal: controller.signal });
      } catch (err) {
        failure = asTopError(err, settings.method);
      }
      current = undefined;

      if (closing || report?.aborted) {
        for (const input of job.inputs) input.done();
        return;
      }
      if (failure || !report) {
        const err = failure ?? new TopError({ kind: 'transport', message: 'the order sync ended without a report' });
        setStatus({ fill: 'red', shape: 'ring', text: `${err.kind}: ${err.message}`.slice(0, 40) });
        if (job.inputs.length === 0) {
          if (errorsToOutput()) node.send([null, { topic: 'error', payload: undefined, error: errorForMessage(node, err) }]);
          else node.error(err, { topic: 'error', payload: undefined });
        }
        for (const input of job.inputs) failInput(input, err);
        return;
      }

      setStatus(doneStatus(report));
      const [first, ...others] = job.inputs;
      const out: NodeMessage = first ? first.msg : {};
      out.topic = 'report';
      out.payload = report;
      out.tbk = {
        method: settings.method,
        queryType: settings.queryType,
        trigger: job.kind === 'backfill' ? 'backfill' : job.trigger,
        run,
        window: { start: formatGmt8(report.from), end: formatGmt8(report.to) },
        cursor: formatGmt8(report.cursor),
      };
      const gapped = report.gaps.length > 0 ? gapError(report, settings.method) : undefined;
      const toOutput = errorsToOutput();
      if (gapped && toOutput) out.error = errorForMessage(node, gapped);
      if (first) first.send([null, out]);
      else node.send([null, out]);
      if (gapped && !toOutput) {
        if (first) {
          Object.defineProperty(gapped, 'cause', { value: { ...gapped.toJSON(), gaps: report.gaps }, configurable: true, writable: true, enumerable: false });
          first.done(gapped);
        } else node.error(gapped, out);
      } else first?.done();
      for (const input of others) input.done();
    }

    function drain(): void {
      if (running || closing) return;
      const job = queue.shift();
      if (!job) return;
      running = runJob(job)
        .catch((err: unknown) => {
          // only reached if reporting itself failed: finish the messages once anyway
          for (const input of job.inputs) input.done(asTopError(err));
        })
        .finally(() => {
          running = undefined;
          drain();
        });
    }

    /** Queues a run; a sync joins a sync already waiting (same session): one run serves both. */
    function enqueue(job: Job): void {
      if (job.kind === 'sync') {
        const waiting = queue.find((j) => j.kind === 'sync' && j.session === job.session);
        if (waiting) {
          waiting.inputs.push(...job.inputs);
          return;
        }
      }
      if (queue.length >= MAX_QUEUED) {
        const err = new TopError({ kind: 'validation', param: 'topic', message: `too many order sync runs waiting (${MAX_QUEUED})` });
        for (const input of job.inputs) failInput(input, err);
        return;
      }
      queue.push(job);
      drain();
    }

    function backfillJob(msg: NodeMessage, session: string | undefined, input: PendingInput): Job {
      const payload = isPlainObject(msg.payload) ? msg.payload : {};
      if (msg.payload !== undefined && msg.payload !== null && msg.payload !== '' && !isPlainObject(msg.payload)) {
        throw validationError('payload', 'a backfill takes msg.payload = {from, to}');
      }
      const from = payload.from !== undefined && payload.from !== '' ? parseInstant(payload.from) : (settings.backfillFrom ?? Number.NaN);
      if (Number.isNaN(from)) throw validationError('from', 'a backfill needs msg.payload.from (or the node\'s Backfill from): epoch ms, a Date or "yyyy-MM-dd HH:mm:ss" (GMT+8)');
      const to = payload.to !== undefined && payload.to !== '' ? parseInstant(payload.to) : settings.backfillTo;
      if (to !== undefined && Number.isNaN(to)) throw validationError('to', 'msg.payload.to is not a time: epoch ms, a Date or "yyyy-MM-dd HH:mm:ss" (GMT+8)');
      if (to !== undefined && to <= from) throw validationError('to', 'a backfill needs from < to');
      return { kind: 'backfill', trigger: 'input', from, ...(to !== undefined ? { until: to } : {}), ...(session ? { session } : {}), inputs: [input] };
    }

    node.on('input', (msg, send, done) => {
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
      if (closing) return input.done();
      try {
        const session = messageSession(msg);
        if (msg.topic === 'backfill') enqueue(backfillJob(msg, session, input));
        else enqueue({ kind: 'sync', trigger: 'input', ...(session ? { session } : {}), inputs: [input] });
      } catch (err) {
        failInput(input, asTopError(err, settings.method));
      }
    });

    node.on('close', (_removed, done) => {
      closing = true;
      stopWatchingLimit();
      clearTimeout(startTimer);
      clearInterval(intervalTimer);
      for (const job of queue.splice(0)) for (const input of job.inputs) input.done();
      current?.abort(new TopError({ kind: 'aborted', message: 'node closed during an order sync run' }));
      node.status({});
      if (!running) return done();
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(guard);
        done();
      };
      // the engine stops at once on abort, checkpoint saved; the timer only guards the 15 s limit
      const guard = setTimeout(finish, CLOSE_GUARD_MS);
      void running.finally(finish);
    });

    idleStatus();
    if (settings.intervalMinutes > 0) {
      const tick = (trigger: Job['trigger']) => (): void => enqueue({ kind: 'sync', trigger, inputs: [] });
      startTimer = setTimeout(tick('start'), START_DELAY_MS);
      intervalTimer = setInterval(tick('interval'), Math.max(1000, settings.intervalMinutes * MINUTE));
    }
  }
  RED.nodes.registerType('tbk-order-sync', TbkOrderSync);
};
