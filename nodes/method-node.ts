/** One constructor for every generated method node: editor rows + msg.payload, validated against the spec. */
import type { TopError } from '../lib/top/errors';
import type { CallResult } from '../lib/index';
import { paginate, valueAt, type Page } from '../lib/top/paginate';
import { migrateConfig, type Migration } from './migrations';
import { validateParams } from '../lib/method-specs/schema';
import { specsByRole } from '../lib/method-specs/index';
import type { MethodSpec, Role } from '../lib/method-specs/types';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleCalls, type CallContext } from './calls';
import { errorForMessage, errorModeOf, type ErrorMode, type WiredNode } from './failure';
import { asTopError, isPlainObject, payloadParams, rejectForbiddenKeys, validationError } from './input';
import { rememberRuntime } from './runtime-text';

export type ParamType = 'str' | 'num' | 'bool' | 'json' | 'date' | 'msg' | 'flow' | 'global' | 'env' | 'jsonata';
const PARAM_TYPES: readonly string[] = [
  'str',
  'num',
  'bool',
  'json',
  'date',
  'msg',
  'flow',
  'global',
  'env',
  'jsonata',
];

export interface ParamRow {
  value: string;
  type: ParamType;
}

export type PagingMode = 'one' | 'each' | 'merge';

export interface MethodNodeConfig {
  name: string;
  config: string;
  version: number;
  params: Record<string, ParamRow>;
  allowExtra: boolean;
  errorMode: ErrorMode;
  paging: PagingMode;
  maxPages: number;
}

export const DEFAULT_MAX_PAGES = 10;
const MAX_PAGES_LIMIT = 100;

/** Ordered: a node saved at version v gets every migration whose version is above v (nodes/migrations.ts). */
export const MIGRATIONS: ReadonlyArray<Migration<MethodSpec>> = [
  {
    // version 0 / absent: params could be missing, or rows given as bare strings
    version: 1,
    up(config) {
      const rows: Record<string, ParamRow> = {};
      if (isPlainObject(config.params)) {
        for (const [name, row] of Object.entries(config.params)) {
          if (typeof row === 'string') rows[name] = { value: row, type: 'str' };
          else if (isPlainObject(row) && row.value !== undefined && row.value !== null) {
            const type =
              typeof row.type === 'string' && PARAM_TYPES.includes(row.type) ? (row.type as ParamType) : 'str';
            rows[name] = { value: String(row.value), type };
          }
        }
      }
      return { ...config, params: rows };
    },
  },
];

/** Brings a saved node configuration (of any earlier version) up to the current shape. Returns a new object. */
export function migrate(config: object, spec: MethodSpec): Record<string, unknown> {
  return migrateConfig(config, MIGRATIONS, spec.version, spec);
}

/** The migrated configuration with defaults filled in. */
export function readMethodConfig(def: object, spec: MethodSpec): MethodNodeConfig {
  const migrated = migrate(def, spec);
  const paging = migrated.paging === 'each' || migrated.paging === 'merge' ? migrated.paging : 'one';
  const maxPages = Math.floor(Number(migrated.maxPages));
  return {
    name: typeof migrated.name === 'string' ? migrated.name : '',
    config: typeof migrated.config === 'string' ? migrated.config : '',
    version: migrated.version as number,
    params: migrated.params as Record<string, ParamRow>,
    allowExtra: migrated.allowExtra === true || migrated.allowExtra === 'true',
    errorMode: errorModeOf(migrated.errorMode),
    paging: spec.paging ? paging : 'one',
    maxPages: maxPages >= 1 ? Math.min(maxPages, MAX_PAGES_LIMIT) : DEFAULT_MAX_PAGES,
  };
}

function evaluateRow(RED: NodeAPI, node: Node, msg: NodeMessage, name: string, row: ParamRow): Promise<unknown> {
  if (row.type === 'date') return Promise.resolve(row.value); // a literal date string, not "now"
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void =>
      reject(
        validationError(name, {
          key: 'node.rowFailed',
          args: { param: name, type: row.type, reason: err instanceof Error ? err.message : String(err) },
        }),
      );
    try {
      RED.util.evaluateNodeProperty(row.value, row.type, node, msg, (err, value) => (err ? fail(err) : resolve(value)));
    } catch (err) {
      fail(err);
    }
  });
}

/** The values of the editor rows; empty rows and rows that evaluate to nothing are left out. */
export async function evaluateRows(
  RED: NodeAPI,
  node: Node,
  msg: NodeMessage,
  rows: Record<string, ParamRow>,
): Promise<Record<string, unknown>> {
  rejectForbiddenKeys(rows, 'the node');
  const out: Record<string, unknown> = {};
  for (const [name, row] of Object.entries(rows)) {
    if (row.value === undefined || row.value === null || row.value === '') continue;
    const value = await evaluateRow(RED, node, msg, name, row);
    if (value === undefined) continue;
    if (row.type === 'num' && typeof value === 'number' && Number.isNaN(value))
      throw validationError(name, { key: 'node.rowNotNumber', args: { param: name, value: row.value } });
    out[name] = value;
  }
  return out;
}

/**
 * Pages through a paged method (lib/top/paginate.ts). Calls onPage for each page; resolves with the
 * failure that cut it short after the first page, if any (a failing first page throws).
 */
async function fetchPages(
  ctx: CallContext,
  spec: MethodSpec,
  params: Record<string, unknown>,
  maxPages: number,
  onPage: (page: Page<CallResult>) => void,
): Promise<TopError | undefined> {
  const paging = spec.paging!;
  const sizeParam = paging.sizeParam ?? 'page_size';
  const sizeDefault = spec.params.find((p) => p.name === sizeParam)?.default;
  const pageSize = Number(params[sizeParam] ?? sizeDefault) || undefined;
  const options = ctx.options({ writes: spec.writes, ...(spec.business ? { business: spec.business } : {}) });
  const pages = paginate((position) => ctx.client.request(spec.method, position, options), params, {
    style: paging.style === 'cursor' ? 'cursor' : 'page',
    ...(paging.pageParam ? { pageParam: paging.pageParam } : {}),
    ...(paging.cursorParam ? { cursorParam: paging.cursorParam } : {}),
    listPath: paging.listPath,
    hasNextPath: paging.hasNextPath,
    cursorPath: paging.cursorPath,
    totalPath: paging.totalPath,
    ...(pageSize !== undefined ? { pageSize } : {}),
    maxPages,
    lookahead: true,
  });
  let delivered = 0;
  try {
    for await (const page of pages) {
      onPage(page);
      delivered++;
    }
  } catch (err) {
    if (delivered === 0) throw err;
    return asTopError(err, spec.method);
  }
  return undefined;
}

export function createMethodNode(RED: NodeAPI, spec: MethodSpec): (this: WiredNode, def: NodeDef) => void {
  return function MethodNode(this: WiredNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    setUpMethodNode(RED, spec, this, readMethodConfig(def, spec));
  };
}

function setUpMethodNode(RED: NodeAPI, spec: MethodSpec, node: WiredNode, config: MethodNodeConfig): void {
  async function prepare(ctx: CallContext): Promise<Record<string, unknown>> {
    try {
      const fromEditor = await evaluateRows(RED, node, ctx.msg, config.params);
      const fromPayload = payloadParams(ctx.msg.payload, { ignoreScalars: true, method: spec.method });
      return validateParams(spec, { ...fromEditor, ...fromPayload }, { allowExtra: config.allowExtra });
    } catch (err) {
      throw asTopError(err, spec.method);
    }
  }

  async function callOnce(ctx: CallContext, params: Record<string, unknown>): Promise<void> {
    const result = await ctx.client.request(
      spec.method,
      params,
      ctx.options({ writes: spec.writes, ...(spec.business ? { business: spec.business } : {}) }),
    );
    ctx.msg.payload = result.response;
    ctx.msg.tbk = {
      method: spec.method,
      request_id: result.request_id,
      attempts: result.attempts,
      duration_ms: result.duration_ms,
    };
    ctx.emit(ctx.msg);
  }

  async function callEach(ctx: CallContext, params: Record<string, unknown>): Promise<void> {
    let index = 0;
    const failure = await fetchPages(ctx, spec, params, config.maxPages, (page) => {
      const out = RED.util.cloneMessage(ctx.msg);
      out.payload = page.result.response;
      out.tbk = {
        method: spec.method,
        request_id: page.result.request_id,
        attempts: page.result.attempts,
        duration_ms: page.result.duration_ms,
        page: { index: index++, last: page.last, ...page.position },
      };
      ctx.emit(out);
    });
    if (failure) {
      ctx.msg.tbk = { method: spec.method, pages: index, partial: true };
      throw failure;
    }
  }

  async function callMerge(ctx: CallContext, params: Record<string, unknown>): Promise<void> {
    const items: unknown[] = [];
    const requestIds: string[] = [];
    let attempts = 0;
    let duration = 0;
    let pages = 0;
    let total: unknown;
    const failure = await fetchPages(ctx, spec, params, config.maxPages, (page) => {
      items.push(...page.list);
      if (page.result.request_id) requestIds.push(page.result.request_id);
      attempts += page.result.attempts;
      duration += page.result.duration_ms;
      if (pages++ === 0) total = valueAt(page.result.response, spec.paging?.totalPath);
    });
    ctx.msg.payload = items;
    ctx.msg.tbk = {
      method: spec.method,
      request_id: requestIds[0],
      request_ids: requestIds,
      attempts,
      duration_ms: duration,
      pages,
      ...(total !== undefined ? { total } : {}),
      ...(failure ? { partial: true, error: errorForMessage(node, failure, RED) } : {}),
    };
    ctx.emit(ctx.msg);
  }

  handleCalls(RED, node, {
    configId: config.config,
    errorMode: config.errorMode,
    async run(ctx) {
      const params = await prepare(ctx);
      if (config.paging === 'each') return callEach(ctx, params);
      if (config.paging === 'merge') return callMerge(ctx, params);
      return callOnce(ctx, params);
    },
  });
}

/** Registers the node type of every method of one role (the body of a node-set entry file). */
export function registerMethodNodes(RED: NodeAPI, role: Role): void {
  rememberRuntime(RED);
  for (const spec of specsByRole(role)) RED.nodes.registerType(spec.type, createMethodNode(RED, spec));
}
