/**
 * What a tbk-order-sync node sends: the orders on output 1 (a message per order, or one per page), the
 * report of each run on output 2 (on the input message that asked for the run, if any), and a run
 * with gaps raised as its first gap, on the report or to a Catch node per errorMode.
 */
import type { NodeAPI, NodeMessage } from 'node-red';
import type { PageInfo, PublisherOrder, RunReport } from '../lib/sync';
import { TopError, type TopErrorKind } from '../lib/top/errors';
import { formatGmt8 } from '../lib/top/time';
import { catchableError, errorForMessage, errorsToOutput, type WiredNode } from './failure';
import type { Job } from './order-sync-jobs';
import type { OrderSyncSettings, OutputMode } from './order-sync-settings';
import { nodeMessageFields } from './runtime-text';

const TOP_ERROR_KINDS: readonly string[] = [
  'validation',
  'top',
  'business',
  'transport',
  'timeout',
  'aborted',
  'throttled',
];

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

/** One page of orders of run `run` on output 1. */
export function sendOrders(
  node: WiredNode,
  output: OutputMode,
  orders: PublisherOrder[],
  info: PageInfo,
  run: number,
): void {
  const base = {
    method: info.method,
    queryType: info.queryType,
    window: { start: formatGmt8(info.windowStart), end: formatGmt8(info.windowEnd) },
    page: info.page,
    run,
    ...(info.request_id ? { request_id: info.request_id } : {}),
  };
  if (output === 'page') {
    node.send([{ topic: 'orders', payload: orders, tbk: { ...base, kinds: info.kinds, count: orders.length } }, null]);
    return;
  }
  orders.forEach((order, i) => {
    node.send([{ topic: order.trade_id, payload: order, tbk: { ...base, kind: info.kinds[i] } }, null]);
  });
}

/** The report of a run on output 2; a run with gaps also raises its first gap, per errorMode. */
export function sendReport(
  RED: NodeAPI,
  node: WiredNode,
  settings: OrderSyncSettings,
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
    method: settings.method,
    queryType: settings.queryType,
    trigger: job.kind === 'backfill' ? 'backfill' : job.trigger,
    run,
    ...extra,
  };
  const gapped = payload.gaps && payload.gaps.length > 0 ? gapError(payload.gaps, settings.method) : undefined;
  const toOutput = errorsToOutput(node, settings.errorMode);
  if (gapped && toOutput) out.error = errorForMessage(node, gapped, RED);
  if (first) first.send([null, out]);
  else node.send([null, out]);
  if (gapped && !toOutput) {
    const caught = catchableError(RED, gapped);
    Object.assign(caught.cause as object, { gaps: payload.gaps });
    if (first) first.done(caught);
    else node.error(caught, out);
  } else first?.done();
  for (const input of others) input.done();
}
