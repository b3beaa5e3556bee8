/**
 * Building Node-RED example flows as data: stable ids (a hash of file and key, so regenerating gives
 * the same file), wires by key, the property sets of the core nodes as Node-RED 4 exports them, the
 * one config node every example shares, and rows of nodes laid out from their label widths (with a
 * check that no two nodes of a flow overlap).
 */
import { createHash } from 'node:crypto';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Where the examples' config node takes its gateway and credentials from: `npm start` sets these for its Node-RED. */
export const EXAMPLE_ENV = { endpoint: 'TBK_ENDPOINT', appKey: 'TBK_APP_KEY', appSecret: 'TBK_APP_SECRET' } as const;

/**
 * The id of the config node of every example (and of `npm start`'s demo flow). Node-RED's import
 * reuses a config node that is already there under the same id, so the same id and the same
 * properties in every file leave one config node however many examples are imported.
 */
export const EXAMPLE_CONFIG_ID = 'tbk-sandbox-config';
/** Names the variable it reads: with `npm start` that is the sandbox, elsewhere whatever gateway TBK_ENDPOINT names. */
export const EXAMPLE_CONFIG_NAME = 'TBK_ENDPOINT（npm start: 沙箱 sandbox）';

/** The config node every example uses: the gateway and the credentials come from the environment. */
export function exampleConfigNode(): FlowNode {
  return {
    id: EXAMPLE_CONFIG_ID,
    type: 'tbk-config',
    name: EXAMPLE_CONFIG_NAME,
    endpoint: `\${${EXAMPLE_ENV.endpoint}}`,
    signMethod: 'md5',
    timeout: 15000,
    retries: 2,
    retryWrites: false,
    maxBanSeconds: 60,
    rateLimit: 40,
    concurrency: 16,
    redisUrl: '',
    partnerId: '',
    targetAppKey: '',
    simplify: false,
    clockOffset: 0,
    // references, not secrets: the config node reads the environment variables they name
    credentials: { appKey: `\${${EXAMPLE_ENV.appKey}}`, appSecret: `\${${EXAMPLE_ENV.appSecret}}` },
  };
}

/** The one-line note each example carries for running it outside `npm start`. */
export const OUTSIDE_NPM_START = {
  zh: '在 npm start 之外运行：为 Node-RED 设置环境变量 TBK_ENDPOINT（本地沙箱：用 npx tbk-sandbox 启动，填它启动时打印的地址，以 /router/rest 结尾）、TBK_APP_KEY、TBK_APP_SECRET（沙箱为 sandbox-app / sandbox-secret）。',
  en: 'Outside npm start: give Node-RED the environment variables TBK_ENDPOINT (the local sandbox: start npx tbk-sandbox and use the address it prints, ending in /router/rest), TBK_APP_KEY and TBK_APP_SECRET (sandbox-app / sandbox-secret for the sandbox).',
  /** the name of the comment node that shows it on the canvas */
  title: 'npm start 之外：设置 TBK_ENDPOINT、TBK_APP_KEY、TBK_APP_SECRET / outside npm start: set them',
} as const;

// ---------------------------------------------------------------------------------------------
// geometry: what Node-RED 4 draws (view.js: width from the label, 20 px grid, 100 px minimum)

/** Width of a label in px at the editor's 14 px node font, rounded up (wide characters count double). */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x2e80 || (code >= 0x2190 && code <= 0x21ff) || (code >= 0xff00 && code <= 0xffef)) width += 14.5;
    else if (/[A-Z@%mwMW]/.test(char)) width += 11;
    else if (/[\s.,:;!|'()[\]/\\-]/.test(char)) width += 4.5;
    else width += 8;
  }
  return Math.ceil(width);
}

export interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const NODE_HEIGHT = 30;
/** types whose node has no input port (the width formula adds 7 px for one) */
const NO_INPUT = new Set(['inject', 'http in', 'catch', 'status', 'complete', 'comment', 'link in', 'tab']);
/** types that show a status line under the node */
const WITH_STATUS = /^(tbk-|http request$|file$|mqtt)/;

/** The label Node-RED draws for a node: its name, else one of `defaults` (the widest counts), else its type. */
function labelsOf(node: FlowNode, defaults: (node: FlowNode) => string[] | undefined): string[] {
  const name = typeof node.name === 'string' ? node.name : '';
  if (name) return [name];
  return defaults(node) ?? [node.type];
}

/** The node's size as the editor draws it, for the widest of its labels. */
export function nodeSize(node: FlowNode, labels: string[]): { w: number; h: number } {
  const inputs = NO_INPUT.has(node.type) ? 0 : 7;
  const widest = Math.max(...labels.map(textWidth));
  const outputs = Array.isArray(node.wires) ? node.wires.length : 0;
  return { w: Math.max(100, 20 * Math.ceil((widest + 50 + inputs) / 20)), h: Math.max(NODE_HEIGHT, outputs * 15) };
}

/** The area a node takes: its box plus the inject / debug buttons, the ports and the status line. */
export function nodeBox(
  node: FlowNode,
  labels: string[],
  at: { x: number; y: number } = { x: Number(node.x), y: Number(node.y) },
): Box {
  const { w, h } = nodeSize(node, labels);
  const leftExtra = node.type === 'inject' ? 25 : NO_INPUT.has(node.type) ? 0 : 8;
  const rightExtra = node.type === 'debug' ? 25 : Array.isArray(node.wires) && node.wires.length > 0 ? 8 : 0;
  const statusExtra = WITH_STATUS.test(node.type) ? 22 : 0;
  return {
    left: at.x - w / 2 - leftExtra,
    right: at.x + w / 2 + rightExtra,
    top: at.y - h / 2,
    bottom: at.y + h / 2 + statusExtra,
  };
}

function overlap(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/**
 * What is wrong with the layout of a flow: nodes of one tab whose areas overlap, nodes left of or
 * above the canvas origin. `defaults` gives the labels of a node without a name (e.g. a method
 * node, whose palette label depends on the editor's language).
 */
export function layoutProblems(
  flow: readonly FlowNode[],
  defaults: (node: FlowNode) => string[] | undefined = () => undefined,
): string[] {
  const problems: string[] = [];
  const placed = flow.filter((n) => typeof n.x === 'number' && typeof n.y === 'number' && typeof n.z === 'string');
  const boxes = placed.map((node) => ({ node, box: nodeBox(node, labelsOf(node, defaults)) }));
  const name = (node: FlowNode): string => `${node.type} "${labelsOf(node, defaults)[0]}"`;
  for (const { node, box } of boxes)
    if (box.left < 0 || box.top < 0)
      problems.push(`${name(node)} reaches beyond the canvas (${Math.round(box.left)}, ${Math.round(box.top)})`);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.node.z === b.node.z && overlap(a.box, b.box)) problems.push(`${name(a.node)} overlaps ${name(b.node)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// building

interface PendingNode {
  node: Record<string, unknown> & { type: string };
  key: string;
  /** a fixed id instead of the hash of file and key */
  id?: string;
  wires?: string[][];
}

/** A column of a row: one node key, or keys stacked one above the other. */
export type Column = string | readonly string[];

export interface RowOptions {
  /** left edge of the row; default 20 */
  left?: number;
  /** space between two columns; default 40 */
  gap?: number;
}

export class FlowBuilder {
  private readonly nodes: PendingNode[] = [];
  readonly tabId: string;

  /**
   * @param defaultLabels the labels of a node without a name, by node (for laying out rows): a
   *   method node shows its palette label, in the editor's language
   */
  constructor(
    private readonly file: string,
    label: string,
    info: string,
    private readonly defaultLabels: (node: FlowNode) => string[] | undefined = () => undefined,
  ) {
    this.tabId = this.id('tab');
    this.nodes.push({ key: 'tab', node: { type: 'tab', label, disabled: false, info, env: [] } });
  }

  /** A stable 16-hex-digit id for a key of this file. */
  id(key: string): string {
    return createHash('sha1').update(`${this.file}\u0000${key}`).digest('hex').slice(0, 16);
  }

  /** An ordinary node of the tab, at (x, y) (or placed later by row / grid), wired by keys (one list per output). */
  add(key: string, type: string, props: Record<string, unknown>, x = 0, y = 0, wires: string[][] = []): string {
    if (this.nodes.some((n) => n.key === key)) throw new Error(`${this.file}: duplicate node key ${key}`);
    this.nodes.push({ key, node: { type, z: this.tabId, ...props, x, y }, wires });
    return key;
  }

  /** A configuration node (global: no tab, no position). */
  config(key: string, type: string, props: Record<string, unknown>): string {
    this.nodes.push({ key, node: { type, ...props } });
    return key;
  }

  /** The shared config node of the examples (exampleConfigNode), under `key`. */
  exampleConfig(key = 'cfg'): string {
    const { id, ...props } = exampleConfigNode();
    this.nodes.push({ key, id, node: props });
    return key;
  }

  /** The comment that shows OUTSIDE_NPM_START on the canvas, at (x, y). */
  outsideNpmStartNote(x: number, y: number): string {
    return this.add(
      'outsideNpmStart',
      'comment',
      comment(OUTSIDE_NPM_START.title, `${OUTSIDE_NPM_START.zh}\n\n${OUTSIDE_NPM_START.en}`),
      x,
      y,
    );
  }

  private pending(key: string): PendingNode {
    const found = this.nodes.find((n) => n.key === key);
    if (!found) throw new Error(`${this.file}: no node ${key} to place`);
    return found;
  }

  private area(key: string, x = 0, y = 0): Box {
    const { node, wires } = this.pending(key);
    const flowNode = { id: key, ...node, wires } as FlowNode;
    return nodeBox(flowNode, labelsOf(flowNode, this.defaultLabels), { x, y });
  }

  /** Centre spacing of stacked nodes: their height, the status line, and a little air. */
  private stackSpacing(keys: readonly string[]): number {
    return Math.max(...keys.map((key) => this.area(key).bottom - this.area(key).top)) + 16;
  }

  /**
   * Places rows of columns on a grid: every column as wide as its widest node in any row, nodes
   * centred in their column, rows `rowHeight` apart from `top`. Returns the right and bottom edges.
   */
  grid(
    rows: ReadonlyArray<readonly Column[]>,
    options: RowOptions & { top: number; rowHeight: number },
  ): { right: number; bottom: number } {
    const left = options.left ?? 20;
    const gap = options.gap ?? 40;
    const widths: number[] = [];
    for (const row of rows) {
      row.forEach((column, i) => {
        const keys = typeof column === 'string' ? [column] : column;
        for (const key of keys) {
          const box = this.area(key);
          widths[i] = Math.max(widths[i] ?? 0, box.right - box.left);
        }
      });
    }
    let right = left;
    let bottom = options.top;
    rows.forEach((row, r) => {
      const y = options.top + r * options.rowHeight;
      let cursor = left;
      row.forEach((column, i) => {
        const keys = typeof column === 'string' ? [column] : column;
        const spacing = this.stackSpacing(keys);
        keys.forEach((key, k) => {
          const cy = y + (k - (keys.length - 1) / 2) * spacing;
          const box = this.area(key);
          // centre the area (node plus buttons and ports) in the column
          const x = cursor + widths[i]! / 2 - (box.left + box.right) / 2;
          const pending = this.pending(key);
          pending.node.x = Math.round(x);
          pending.node.y = Math.round(cy);
          bottom = Math.max(bottom, this.area(key, x, cy).bottom);
        });
        cursor += widths[i]! + gap;
      });
      right = Math.max(right, cursor - gap);
    });
    return { right, bottom };
  }

  /** One row of columns at height `y`, left to right. Returns its right edge. */
  row(y: number, columns: readonly Column[], options: RowOptions = {}): number {
    return this.grid([columns], { ...options, top: y, rowHeight: 0 }).right;
  }

  build(): FlowNode[] {
    const keys = new Set(this.nodes.map((n) => n.key));
    const idOf = new Map(this.nodes.map((n) => [n.key, n.id ?? this.id(n.key)]));
    const ref = (key: string): string => {
      if (!keys.has(key)) throw new Error(`${this.file}: wire to unknown node ${key}`);
      return idOf.get(key)!;
    };
    const flow = this.nodes.map(({ key, node, wires }) => {
      const out: FlowNode = { id: idOf.get(key)!, ...node } as FlowNode;
      for (const [name, value] of Object.entries(out)) {
        // `config` and a Catch node's `scope` name other nodes by key
        if (name === 'config' && typeof value === 'string' && keys.has(value)) out[name] = ref(value);
        if (name === 'scope' && Array.isArray(value)) out[name] = value.map((k) => ref(String(k)));
      }
      if (wires) out.wires = wires.map((list) => list.map(ref));
      return out;
    });
    const problems = layoutProblems(flow, this.defaultLabels);
    if (problems.length) throw new Error(`${this.file}: nodes overlap on the canvas:\n  ${problems.join('\n  ')}`);
    return flow;
  }
}

export interface ParamRowInput {
  value: string;
  type: 'str' | 'num' | 'bool' | 'json' | 'date' | 'msg' | 'flow' | 'global' | 'env' | 'jsonata';
}

export function methodNode(
  config: string,
  name: string,
  options: {
    version?: number;
    params?: Record<string, ParamRowInput>;
    errorMode?: 'auto' | 'output' | 'catch';
    paging?: 'one' | 'each' | 'merge';
    maxPages?: number;
    allowExtra?: boolean;
  } = {},
): Record<string, unknown> {
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

/** Parameter rows that read each name from msg.payload (`payload.<name>`): how a row maps a parameter from msg. */
export function fromPayload(...names: string[]): Record<string, ParamRowInput> {
  return Object.fromEntries(names.map((name) => [name, { value: `payload.${name}`, type: 'msg' as const }]));
}

export function inject(
  name: string,
  payload: unknown,
  options: {
    topic?: string;
    repeat?: string;
    once?: boolean;
    extra?: Array<{ p: string; v: string; vt: string }>;
  } = {},
): Record<string, unknown> {
  const isString = typeof payload === 'string';
  const isNothing = payload === undefined;
  return {
    name,
    props: [
      { p: 'payload' },
      ...(options.topic !== undefined ? [{ p: 'topic', vt: 'str' }] : []),
      ...(options.extra ?? []),
    ],
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
  return {
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: false,
    complete,
    targetType: full ? 'full' : 'msg',
    statusVal: '',
    statusType: 'auto',
  };
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

export function switchNode(
  name: string,
  property: string,
  rules: Array<Record<string, unknown>>,
): Record<string, unknown> {
  return { name, property, propertyType: 'msg', rules, checkall: 'false', repair: false, outputs: rules.length };
}

export function template(name: string, text: string): Record<string, unknown> {
  return {
    name,
    field: 'payload',
    fieldType: 'msg',
    format: 'text',
    syntax: 'mustache',
    template: text,
    output: 'str',
  };
}

export function comment(name: string, info: string): Record<string, unknown> {
  return { name, info };
}
