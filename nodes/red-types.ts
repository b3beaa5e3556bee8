/** The few parts of the Node-RED runtime API these nodes use (the package ships no typings of its own). */

export type NodeMessage = Record<string, unknown> & { _msgid?: string; payload?: unknown };

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;
export type DoneFunction = (err?: Error) => void;

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  wires?: string[][];
  [property: string]: unknown;
}

/** A node instance, once RED.nodes.createNode has run on it. */
export interface Node {
  id: string;
  type: string;
  name?: string;
  z?: string;
  wires?: string[][];
  credentials?: Record<string, string | undefined>;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null> | null): void;
  status(status: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
}

export type PropertyCallback = (err: Error | null | undefined, value?: unknown) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(type: string, constructor: (this: never, def: NodeDef) => void, options?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): unknown;
  };
  util: {
    evaluateNodeProperty(value: unknown, type: string, node: object, msg: NodeMessage | undefined, callback?: PropertyCallback): unknown;
    cloneMessage<T>(msg: T): T;
    getSetting?(node: object, name: string, flow?: unknown): unknown;
  };
  _?(key: string, substitutions?: Record<string, unknown>): string;
}
