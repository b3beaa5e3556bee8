/**
 * Input handling of the nodes that call the gateway (tbk-api, the method nodes, tbk-link-convert):
 * the config node's client, msg.session, one AbortController per message (aborted when the node
 * closes), the status, and the promise that every input ends in exactly one output or one Catch
 * event, and one done().
 */
import { TopError } from '../lib/top/errors';
import type { CallOptions, TopClient } from '../lib/index';
import type { TbkConfigNode } from './config-settings';
import { reportFailure, type DoneFunction, type ErrorMode, type SendFunction, type WiredNode } from './failure';
import { asTopError, messageSession, validationError } from './input';
import type { NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import { localMessage, nodeMessageFields, statusText } from './runtime-text';
import { localLimitStatus, StatusReporter, watchLimitMode } from './status';

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

/** Node-RED's close timeout is 15 s: in-flight calls get this long to end before close() says done. */
const CLOSE_GUARD_MS = 10_000;

/** The shared client of the tbk-config node a node refers to; a validation error when there is none. */
export function resolveConfigClient(RED: NodeAPI, configId: unknown): TopClient {
  const config =
    typeof configId === 'string' && configId !== '' ? (RED.nodes.getNode(configId) as TbkConfigNode | null) : null;
  if (!config || typeof config.getClient !== 'function') throw validationError('config', { key: 'node.noConfig' });
  return config.getClient();
}

/** Wires up input and close handling on a node. */
export function handleCalls(RED: NodeAPI, node: WiredNode, handler: CallHandler): void {
  const inFlight = new Map<AbortController, Promise<void>>();
  const status = new StatusReporter(node);
  const showInFlight = (): void => {
    const count = inFlight.size;
    status.set({
      fill: 'blue',
      shape: 'dot',
      text: statusText(RED, 'tbk-api.status.inflight', `${count} in flight`, { count }),
    });
  };

  // while the config's shared limit is down (Redis unreachable) an idle node says so, unless it shows an error
  let localFallback = false;
  let lastCallFailed = false;
  const stopWatchingLimit = watchLimitMode(RED, handler.configId, (mode) => {
    if ((mode === 'local-fallback') === localFallback) return;
    localFallback = !localFallback;
    if (inFlight.size === 0 && !lastCallFailed) status.set(localFallback ? localLimitStatus(RED) : {}, true);
  });

  async function handleMessage(
    msg: NodeMessage,
    send: SendFunction,
    done: DoneFunction,
    controller: AbortController,
  ): Promise<void> {
    let lastDuration: number | undefined;
    let okStatus: NodeStatus | undefined;
    let failure: TopError | undefined;
    try {
      const client = resolveConfigClient(RED, handler.configId);
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
            status.set(
              {
                fill: 'yellow',
                shape: 'ring',
                text: statusText(RED, 'tbk-api.status.throttled', `throttled, retry in ${seconds}s`, { seconds }),
              },
              true,
            );
          },
        }),
        emit: (out) => {
          const tbk = out.tbk as { duration_ms?: unknown } | undefined;
          if (typeof tbk?.duration_ms === 'number') lastDuration = tbk.duration_ms;
          send([out, null]);
        },
        doneStatus: (shown) => {
          okStatus = shown;
        },
      };
      await handler.run(ctx);
    } catch (err) {
      failure = asTopError(err);
    }
    inFlight.delete(controller);
    if (failure) reportFailure(node, handler.errorMode, msg, failure, { send, done });
    else done();
    if (inFlight.size === 0) lastCallFailed = failure !== undefined;
    if (inFlight.size > 0) showInFlight();
    else if (failure)
      status.set({ fill: 'red', shape: 'ring', text: `${failure.kind}: ${localMessage(RED, failure)}` }, true);
    else if (localFallback) status.set(localLimitStatus(RED));
    else
      status.set(
        okStatus ?? {
          fill: 'green',
          shape: 'dot',
          text: statusText(RED, 'tbk-api.status.ok', `ok ${lastDuration ?? 0} ms`, { ms: lastDuration ?? 0 }),
        },
      );
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

  node.on('close', (_removed: boolean, done: () => void) => {
    const pending = [...inFlight.values()];
    for (const controller of inFlight.keys())
      controller.abort(new TopError({ kind: 'aborted', ...nodeMessageFields('node.closed') }));
    stopWatchingLimit();
    status.close();
    if (pending.length === 0) return done();
    // the client gives up on an aborted call at once; the timer only guards the 15 s close limit
    const timer = setTimeout(done, CLOSE_GUARD_MS);
    void Promise.allSettled(pending).then(() => {
      clearTimeout(timer);
      done();
    });
  });
}
