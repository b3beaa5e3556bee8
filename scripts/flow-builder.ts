/**
 * Building Node-RED example flows as data: stable ids (a hash of file and key, so regenerating gives
 * the same file), wires by key, and the property sets of the core nodes as Node-RED 4 exports them.
 */
import { createHash } from 'node:crypto';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The endpoint every example points at: the sandbox that `npm start` (or `npx tbk-sandbox`) runs. */
export const SANDBOX_ORIGIN = 'http://127.0.0.1:8787';
export const SANDBOX_ENDPOINT = `${SANDBOX_ORIGIN}/router/rest`;

interface PendingNode {
  node: Record<string, unknown> & { type: string };
  key: string;
  wires?: string[][];
}

export class FlowBuilder {
  private readonly nodes: PendingNode[] = [];
  readonly tabId: string;

  constructor(
    private readonly file: string,
    label: string,
    info: string,
  ) {
    this.tabId = this.id('tab');
    this.nodes.push({ key: 'tab', node: { type: 'tab', label, disabled: false, info, env: [] } });
  }

  /** A stable 16-hex-digit id for a key of this file. */
  id(key: string): string {
    return createHash('sha1').update(`${this.file}\u0000${key}`).digest('hex').slice(0, 16);
  }

  /** An ordinary node of the tab, at (x, y), wired by keys (one list per output). */
  add(key: string, type: string, props: Record<string, unknown>, x: number, y: number, wires: string[][] = []): string {
    if (this.nodes.some((n) => n.key === key)) throw new Error(`${this.file}: duplicate node key ${key}`);
    this.nodes.push({ key, node: { type, z: this.tabId, ...props, x, y }, wires });
    return key;
  }

  /** A configuration node (global: no tab, no position). */
  config(key: string, type: string, props: Record<string, unknown>): string {
    this.nodes.push({ key, node: { type, ...props } });
    return key;
  }

  build(): FlowNode[] {
    const keys = new Set(this.nodes.map((n) => n.key));
    const ref = (key: string): string => {
      if (!keys.has(key)) throw new Error(`${this.file}: wire to unknown node ${key}`);
      return this.id(key);
    };
    return this.nodes.map(({ key, node, wires }) => {
      const out: FlowNode = { id: this.id(key), ...node } as FlowNode;
      for (const [name, value] of Object.entries(out)) {
        // `config` and a Catch node's `scope` name other nodes by key
        if (name === 'config' && typeof value === 'string' && keys.has(value)) out[name] = ref(value);
        if (name === 'scope' && Array.isArray(value)) out[name] = value.map((k) => ref(String(k)));
      }
      if (wires) out.wires = wires.map((list) => list.map(ref));
      return out;
    });
  }
}

/** A tbk-config pointing at the local sandbox, without credentials (they come from TBK_APP_KEY / TBK_APP_SECRET). */
export function sandboxConfig(name: string): Record<string, unknown> {
  return {
    name,
    endpoint: SANDBOX_ENDPOINT,
    signMethod: 'md5',
    timeout: 15000,
    retries: 2,
    retryWrites: false,
    maxBanSeconds: 60,
    rateLimit: 40,
    concurrency: 16,
    partnerId: '',
    targetAppKey: '',
    simplify: false,
    clockOffset: 0,
  };
}

export interface ParamRowInput {
  value: string;
  type: 'str' | 'num' | 'bool' | 'json' | 'date' | 'msg' | 'flow' | 'global' | 'env' | 'jsonata';
}

export function methodNode(config: string, name: string, options: { version?: number; params?: Record<string, ParamRowInput>; errorMode?: 'auto' | 'output' | 'catch'; paging?: 'one' | 'each' | 'merge'; maxPages?: number; allowExtra?: boolean } = {}): Record<string, unknown> {
  return {
    name,
    config,
    version: options.version ?? 1,
    params: options.params ?? {},
    allowExtra: options.allowExtra ?? false,
    errorMode: options.errorMode ?? 'auto',
    paging: options.paging ?? 'one',
    maxPages: options.maxPages ?? 10,
  };
}

export function inject(name: string, payload: unknown, options: { topic?: string; repeat?: string; once?: boolean; extra?: Array<{ p: string; v: string; vt: string }> } = {}): Record<string, unknown> {
  const isString = typeof payload === 'string';
  const isNothing = payload === undefined;
  return {
    name,
    props: [{ p: 'payload' }, ...(options.topic !== undefined ? [{ p: 'topic', vt: 'str' }] : []), ...(options.extra ?? [])],
    repeat: options.repeat ?? '',
    crontab: '',
    once: options.once ?? false,
    onceDelay: 0.1,
    topic: options.topic ?? '',
    payload: isNothing ? '' : isString ? payload : JSON.stringify(payload),
    payloadType: isNothing ? 'date' : isString ? 'str' : 'json',
  };
}

export function debug(name: string, complete: string = 'payload'): Record<string, unknown> {
  const full = complete === 'true';
  return { name, active: true, tosidebar: true, console: false, tostatus: false, complete, targetType: full ? 'full' : 'msg', statusVal: '', statusType: 'auto' };
}

export function func(name: string, code: string, outputs = 1): Record<string, unknown> {
  return { name, func: code.trim() + '\n', outputs, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] };
}

export interface ChangeRule {
  t: 'set' | 'delete' | 'move';
  p: string;
  pt: 'msg' | 'flow' | 'global';
  to?: string;
  tot?: 'msg' | 'flow' | 'global' | 'str' | 'num' | 'bool' | 'json' | 'jsonata' | 'env' | 'date';
}

export function change(name: string, rules: ChangeRule[]): Record<string, unknown> {
  return { name, rules, action: '', property: '', from: '', to: '', reg: false };
}

export function switchNode(name: string, property: string, rules: Array<Record<string, unknown>>): Record<string, unknown> {
  return { name, property, propertyType: 'msg', rules, checkall: 'false', repair: false, outputs: rules.length };
}

export function template(name: string, text: string): Record<string, unknown> {
  return { name, field: 'payload', fieldType: 'msg', format: 'text', syntax: 'mustache', template: text, output: 'str' };
}

export function comment(name: string, info: string): Record<string, unknown> {
  return { name, info };
}
