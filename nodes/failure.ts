/**
 * Where a failure goes: the error output (msg.error set) or a Catch node (done(err)), by the node's
 * errorMode: 'output', 'catch', or 'auto' (the error output when it is wired, else Catch). One rule
 * for every node of the package.
 */
import { TopError, type TopErrorFields } from '../lib/top/errors';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { asTopError } from './input';
import { localMessage, registeredRuntime } from './runtime-text';

export type ErrorMode = 'auto' | 'output' | 'catch';

/**
 * A node with its wiring: Node-RED keeps one list of node ids per output in `wires` (set when the
 * node is made, updated by a redeploy that only rewires it), which @types/node-red leaves out.
 */
export interface WiredNode extends Node {
  wires: string[][];
}

/** The send and done an input listener is handed (@types/node-red types them inline, unnamed). */
export type SendFunction = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFunction = (err?: Error) => void;

export function errorModeOf(value: unknown): ErrorMode {
  return value === 'output' || value === 'catch' ? value : 'auto';
}

/** Whether failures go to the node's second output (else to Catch nodes). */
export function errorsToOutput(node: WiredNode, mode: ErrorMode): boolean {
  return mode === 'output' || (mode === 'auto' && (node.wires?.[1]?.length ?? 0) > 0);
}

/**
 * Error JSON as it goes in msg.error: the TopError fields plus the reporting node; with RED, the
 * message in Node-RED's language.
 */
export function errorForMessage(node: Node, err: TopError, RED?: NodeAPI): Record<string, unknown> {
  return {
    ...err.toJSON(),
    ...(RED ? { message: localMessage(RED, err) } : {}),
    source: { id: node.id, type: node.type, name: node.name ?? '' },
  };
}

/** The fields of an error as plain values, for Catch nodes and the debug sidebar. */
type PlainFields = Omit<TopErrorFields, 'message' | 'messageKey' | 'messageArgs'>;

/**
 * The error to hand to done(err) for Catch nodes. Node-RED builds their msg.error itself and takes
 * only message, code and cause from the error: the message is in Node-RED's language, code is the
 * TOP code, and cause holds kind, code, sub_code, sub_msg, request_id ... as plain values, which the
 * debug sidebar shows (its own log line of the error shows cause as text: "kind: top, code: 25 ...").
 */
export function catchableError(RED: NodeAPI | undefined, err: TopError): TopError {
  const { name: _name, message: _message, ...fields } = err.toJSON();
  const cause: PlainFields = fields;
  Object.defineProperty(cause, 'toString', {
    value: () =>
      Object.entries(fields)
        .map(([key, value]) => `${key}: ${String(value)}`)
        .join(', '),
    enumerable: false,
  });
  const reported = new TopError({ ...fields, message: localMessage(RED, err) });
  Object.defineProperty(reported, 'cause', { value: cause, configurable: true, writable: true, enumerable: false });
  if (err.stack) reported.stack = err.stack.replace(err.message, reported.message);
  return reported;
}

/** How an input message ends: its send and done (absent for a failure of the node's own, e.g. a scheduled run). */
export interface MessageEnds {
  send: SendFunction;
  done: DoneFunction;
}

/**
 * Reports a failure once, by `mode`. For an input message (`ends`): on the error output as that
 * message with msg.error, or to Catch through its done(err); it is finished either way. For a
 * failure of the node's own: a new message `msg` on the error output, or node.error() to Catch.
 * Any error is reported as a TopError (what is not one is a transport failure), its message in the
 * language of the runtime the node set was registered with.
 */
export function reportFailure(
  node: WiredNode,
  mode: ErrorMode,
  msg: NodeMessage,
  err: unknown,
  ends?: MessageEnds,
): void {
  const RED = registeredRuntime();
  const failure = asTopError(err);
  if (errorsToOutput(node, mode)) {
    msg.error = errorForMessage(node, failure, RED);
    if (ends) {
      ends.send([null, msg]);
      ends.done();
    } else node.send([null, msg]);
  } else if (ends) ends.done(catchableError(RED, failure));
  else node.error(catchableError(RED, failure), msg);
}
