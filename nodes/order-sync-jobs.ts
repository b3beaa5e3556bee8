/**
 * The runs a tbk-order-sync node queues (lib/sync/run-queue.ts) and the messages waiting for them:
 * the run an input message asks for (a sync, or with topic 'backfill' a range read again, checked
 * here) and the message's done(), called once.
 */
import type { NodeMessage } from 'node-red';
import type { QueuedRun } from '../lib/sync/run-queue';
import type { DoneFunction, SendFunction } from './failure';
import { isPlainObject, messageSession, validationError } from './input';
import { parseInstant, type OrderSyncSettings } from './order-sync-settings';

/** An input message waiting for the run it asked for. */
export interface PendingInput {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
}

export interface Job extends QueuedRun<PendingInput> {
  trigger: 'start' | 'interval' | 'input' | 'takeover';
  from?: number;
  until?: number;
}

/** An input message whose done() ends it once, however many times it is called. */
export function pendingInput(msg: NodeMessage, send: SendFunction, done: DoneFunction): PendingInput {
  let finished = false;
  return {
    msg,
    send,
    done: (err) => {
      if (finished) return;
      finished = true;
      done(err);
    },
  };
}

/** The run an input message asks for; throws a validation TopError for a bad session or range. */
export function inputJob(msg: NodeMessage, input: PendingInput, settings: OrderSyncSettings): Job {
  const session = messageSession(msg);
  if (msg.topic === 'backfill') return backfillJob(msg, session, input, settings);
  return { kind: 'sync', trigger: 'input', ...(session ? { session } : {}), inputs: [input] };
}

function backfillJob(
  msg: NodeMessage,
  session: string | undefined,
  input: PendingInput,
  settings: OrderSyncSettings,
): Job {
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
