/**
 * Input handling shared by tbk-api and the method nodes: config lookup, msg.session, one
 * AbortController per message, in-flight status, error routing (output 2 or Catch), and the
 * promise that every input ends in exactly one output or one Catch event and one done().
 */
import { isPlainObject } from '../lib/top/objects';
export { isPlainObject };
import { TopError, isTopError, type TopErrorFields } from '../lib/top/errors';
import type { MessageArgs } from '../lib/top/messages';
import type { CallOptions, TopClient } from '../lib/index';
import type { LimitMode, TbkConfigNode } from './config-settings';
import type { DoneFunction, Node, NodeAPI, NodeMessage, NodeStatus, SendFunction } from './red-types';
import { localMessage, nodeMessageFields, packageName, runtimeText, statusText } from './runtime-text';
export { localMessage, nodeMessageFields, runtimeText, statusText };

export type ErrorMode = 'auto' | 'output' | 'catch';

export function errorModeOf(value: unknown): ErrorMode {
  return value === 'output' || value === 'catch' ? value : 'auto';
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A validation error naming `param`; its text a plain message, or a message key of the nodes (NODE_MESSAGES) and its values. */
export function validationError(param: string, text: string | { key: string; args?: MessageArgs }, method?: string): TopError {
  const fields = typeof text === 'string' ? { message: text } : nodeMessageFields(text.key, text.args);
  return new TopError({ kind: 'validation', param, ...fields, ...(method ? { method } : {}) });
}

/** How a value that is not a parameter object is named in a message ("not an array"). */
function kindOf(value: unknown): MessageArgs {
  if (Array.isArray(value)) return { what_key: 'validation.value.array' };
  if (Buffer.isBuffer(value)) return { what_key: 'node.value.buffer' };
  const type = typeof value;
  return { what_key: type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' ? `node.value.${type}` : `validation.value.${type === 'object' ? 'object' : type}` };
}

/**
 * The business parameters carried by msg.payload: a plain object, or nothing (undefined, null, '').
 * With `ignoreScalars` a number or boolean (an Inject node's timestamp) also means nothing.
 * Keys that could reach an object's prototype are refused.
 */
export function payloadParams(payload: unknown, options: { ignoreScalars?: boolean; method?: string; where?: string } = {}): Record<string, unknown> | undefined {
  if (payload === undefined || payload === null || payload === '') return undefined;
  if (options.ignoreScalars && (typeof payload === 'number' || typeof payload === 'boolean')) return undefined;
  const where = options.where ?? 'msg.payload';
  if (!isPlainObject(payload)) throw validationError('payload', { key: 'node.payloadNotObject', args: { where, ...kindOf(payload) } }, options.method);
  rejectForbiddenKeys(payload, where, options.method);
  return payload;
}

/** Refuses parameter names that could reach an object's prototype; `where` is 'the node' or the msg property they came in. */
export function rejectForbiddenKeys(params: Record<string, unknown>, where: string, method?: string): void {
  for (const key of Object.keys(params)) {
    if (!FORBIDDEN_KEYS.has(key)) continue;
    throw validationError(key, where === 'the node' ? { key: 'node.forbiddenInNode', args: { param: key } } : { key: 'node.forbiddenIn', args: { where, param: key } }, method);
  }
}

/** msg.session, when it is set: a non-empty string (a user's authorization for 服务商 methods). */
export function messageSession(msg: NodeMessage): string | undefined {
  const session = msg.session;
  if (session === undefined || session === null || session === '') return undefined;
  if (typeof session !== 'string') throw validationError('session', { key: 'node.sessionNotString' });
  return session.trim() || undefined;
}

/** Any failure as a TopError; what is not one already is reported as a transport failure. */
export function asTopError(err: unknown, method?: string): TopError {
  if (isTopError(err)) {
    if (method && !err.method) err.method = method;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TopError({ kind: 'transport', message, ...(method ? { method } : {}) }, { cause: err });
}

export interface CallContext {
  msg: NodeMessage;
  client: TopClient;
  signal: AbortSignal;
  /** client.request options: session (msg.session, else the config's), signal, status on retries */
  options(extra?: Pick<CallOptions, 'writes' | 'business'>): CallOptions;
  /** Sends a success message on output 1 (use a clone for all but the last of several). */
  emit(msg: NodeMessage): void;
  /** The status to show when this message ends well and no other is in flight (default: ok and the duration). */
  doneStatus(status: NodeStatus): void;
}

export interface CallHandler {
  /** id of the tbk-config node */
  configId: unknown;
  errorMode: ErrorMode;
  /** performs the calls and emits the success messages; throws to report a failure */
  run(ctx: CallContext): Promise<void>;
}

const MAX_STATUS_TEXT = 40;

function shorten(text: string): string {
  return text.length > MAX_STATUS_TEXT ? text.slice(0, MAX_STATUS_TEXT - 1) + '…' : text;
}

/** Status updates at most every STATUS_INTERVAL_MS per node; the latest one always shows. */
const STATUS_INTERVAL_MS = 200;

/**
 * Error JSON as it goes in msg.error: the TopError fields plus the reporting node; with RED, the
 * message in Node-RED's language.
 */
export function errorForMessage(node: Node, err: TopError, RED?: NodeAPI): Record<string, unknown> {
  return { ...err.toJSON(), ...(RED ? { message: localMessage(RED, err) } : {}), source: { id: node.id, type: node.type, name: node.name ?? '' } };
}

/** The fields of an error as plain values, for Catch nodes and the debug sidebar. */
type PlainFields = Omit<TopErrorFields, 'message' | 'messageKey' | 'messageArgs'>;

/**
 * The error to hand to done(err) for Catch nodes. Node-RED builds their msg.error itself and takes
 * only message, code and cause from the error: the message is in Node-RED's language, code is the
 * TOP code, and cause holds kind, code, sub_code, sub_msg, request_id ... as plain values, which the
 * debug sidebar shows (its own log line of the error shows cause as text: "kind: top, code: 25 ...").
 */
export function catchableError(RED: NodeAPI, err: TopError): TopError {
  const { name: _name, message: _message, ...fields } = err.toJSON();
  const cause: PlainFields = fields;
  Object.defineProperty(cause, 'toString', {
    value: () => Object.entries(fields).map(([key, value]) => `${key}: ${String(value)}`).join(', '),
    enumerable: false,
  });
  const reported = new TopError({ ...fields, message: localMessage(RED, err) });
  Object.defineProperty(reported, 'cause', { value: cause, configurable: true, writable: true, enumerable: false });
  if (err.stack) reported.stack = err.stack.replace(err.message, reported.message);
  return reported;
}

/**
 * Follows where the rate limit of a config node is kept (TbkConfigNode.watchLimit): a config node has
 * no status in the editor, so the nodes that use it show its fallback. Returns the function that stops.
 */
export function watchLimitMode(RED: NodeAPI, configId: unknown, onChange: (mode: LimitMode) => void): () => void {
  const config = typeof configId === 'string' && configId !== '' ? (RED.nodes.getNode(configId) as TbkConfigNode | null) : null;
  return typeof config?.watchLimit === 'function' ? config.watchLimit(onChange) : () => undefined;
}

let localLimitText: string | undefined;

/** The status of a node whose config keeps the rate limit locally because Redis is unreachable. */
export function localLimitStatus(RED: NodeAPI): NodeStatus {
  if (localLimitText === undefined) {
    localLimitText = 'local limit: Redis unreachable';
    try {
      const key = 'tbk-config.status.localLimit';
      const text = RED._?.(`${packageName()}/tbk-config:${key}`);
      if (typeof text === 'string' && text !== '' && !text.endsWith(key)) localLimitText = text;
    } catch {
      // no catalogue: the English text
    }
  }
  return { fill: 'yellow', shape: 'ring', text: localLimitText };
}

/** The shared client of the tbk-config node a node refers to; a validation error when there is none. */
export function resolveConfigClient(RED: NodeAPI, configId: unknown): TopClient {
  const config = typeof configId === 'string' && configId !== '' ? (RED.nodes.getNode(configId) as TbkConfigNode | null) : null;
  if (!config || typeof config.getClient !== 'function') throw validationError('config', { key: 'node.noConfig' });
  return config.getClient();
}

/** Wires up input and close handling on a node. */
export function handleCalls(RED: NodeAPI, node: Node, handler: CallHandler): void {
  const inFlight = new Map<AbortController, Promise<void>>();
  let closing = false;

  let lastStatusAt = 0;
  let pendingStatus: NodeStatus | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  const flushStatus = (): void => {
    statusTimer = undefined;
    if (closing || !pendingStatus) return;
    lastStatusAt = Date.now();
    node.status(pendingStatus);
    pendingStatus = undefined;
  };
  /** Routine updates (in flight, ok) are coalesced; `urgent` ones (errors, throttling) show at once. */
  const setStatus = (status: NodeStatus, urgent = false): void => {
    if (closing) return;
    pendingStatus = status;
    if (urgent || Date.now() - lastStatusAt >= STATUS_INTERVAL_MS) {
      if (statusTimer) clearTimeout(statusTimer);
      flushStatus();
    } else if (!statusTimer) {
      statusTimer = setTimeout(flushStatus, STATUS_INTERVAL_MS - (Date.now() - lastStatusAt));
    }
  };
  const showInFlight = (): void => {
    const count = inFlight.size;
    setStatus({ fill: 'blue', shape: 'dot', text: statusText(RED, 'tbk-api.status.inflight', `${count} in flight`, { count }) });
  };
  const showError = (err: TopError): void => {
    setStatus({ fill: 'red', shape: 'ring', text: shorten(`${err.kind}: ${localMessage(RED, err)}`) }, true);
  };

  // while the config's shared limit is down (Redis unreachable) an idle node says so, unless it shows an error
  let localFallback = false;
  let lastCallFailed = false;
  const stopWatchingLimit = watchLimitMode(RED, handler.configId, (mode) => {
    if ((mode === 'local-fallback') === localFallback) return;
    localFallback = !localFallback;
    if (inFlight.size === 0 && !lastCallFailed) setStatus(localFallback ? localLimitStatus(RED) : {}, true);
  });

  const wiredToErrorOutput = (): boolean => (node.wires?.[1]?.length ?? 0) > 0;

  const resolveClient = (): TopClient => resolveConfigClient(RED, handler.configId);

  async function handleMessage(msg: NodeMessage, send: SendFunction, done: DoneFunction, controller: AbortController): Promise<void> {
    let lastDuration: number | undefined;
    let okStatus: NodeStatus | undefined;
    let failure: TopError | undefined;
    try {
      const client = resolveClient();
      const session = messageSession(msg);
      const ctx: CallContext = {
        msg,
        client,
        signal: controller.signal,
        options: (extra = {}) => ({
          ...extra,
          ...(session ? { session } : {}),
          signal: controller.signal,
          onRetry: ({ delayMs, error }) => {
            if (error.kind !== 'throttled') return;
            const seconds = Math.max(1, Math.ceil(delayMs / 1000));
            setStatus({ fill: 'yellow', shape: 'ring', text: statusText(RED, 'tbk-api.status.throttled', `throttled, retry in ${seconds}s`, { seconds }) }, true);
          },
        }),
        emit: (out) => {
          const tbk = out.tbk as { duration_ms?: unknown } | undefined;
          if (typeof tbk?.duration_ms === 'number') lastDuration = tbk.duration_ms;
          send([out, null]);
        },
        doneStatus: (status) => {
          okStatus = status;
        },
      };
      await handler.run(ctx);
    } catch (err) {
      failure = asTopError(err);
    }
    inFlight.delete(controller);
    if (failure) {
      const toOutput = handler.errorMode === 'output' || (handler.errorMode === 'auto' && wiredToErrorOutput());
      if (toOutput) {
        msg.error = errorForMessage(node, failure, RED);
        send([null, msg]);
        done();
      } else {
        // done(err) reports to Catch nodes, once
        done(catchableError(RED, failure));
      }
    } else {
      done();
    }
    if (inFlight.size === 0) lastCallFailed = failure !== undefined;
    if (inFlight.size > 0) showInFlight();
    else if (failure) showError(failure);
    else if (localFallback) setStatus(localLimitStatus(RED));
    else setStatus(okStatus ?? { fill: 'green', shape: 'dot', text: statusText(RED, 'tbk-api.status.ok', `ok ${lastDuration ?? 0} ms`, { ms: lastDuration ?? 0 }) });
  }

  node.on('input', (msg, send, done) => {
    let finished = false;
    const doneOnce: DoneFunction = (err) => {
      if (finished) return;
      finished = true;
      done(err);
    };
    const controller = new AbortController();
    inFlight.set(controller, Promise.resolve());
    showInFlight();
    const work = handleMessage(msg, send, doneOnce, controller).catch((err: unknown) => {
      // only reached if routing itself failed: still finish the message once
      inFlight.delete(controller);
      doneOnce(asTopError(err));
    });
    if (inFlight.has(controller)) inFlight.set(controller, work);
  });

  node.on('close', (_removed, done) => {
    const pending = [...inFlight.values()];
    for (const controller of inFlight.keys()) controller.abort(new TopError({ kind: 'aborted', ...nodeMessageFields('node.closed') }));
    closing = true;
    stopWatchingLimit();
    if (statusTimer) clearTimeout(statusTimer);
    node.status({});
    if (pending.length === 0) return done();
    // the client gives up on an aborted call at once; the timer only guards the 15 s close limit
    const timer = setTimeout(done, 10_000);
    void Promise.allSettled(pending).then(() => {
      clearTimeout(timer);
      done();
    });
  });
}
