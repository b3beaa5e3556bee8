/** The editor properties of a tbk-order-sync node, defaulted and clamped. */
import { DEFAULT_WINDOW_MINUTES, MAX_WINDOW_MINUTES, type OrderDetailsMethod, type OrderQueryType } from '../lib/sync';
import { DEFAULT_LEASE_MS } from '../lib/sync/redis-lease';
import { parseGmt8 } from '../lib/top/time';
import type { NodeDef } from 'node-red';
import { errorModeOf, type ErrorMode } from './failure';

export type OutputMode = 'order' | 'page';
export type ContextScope = 'node' | 'flow' | 'global';

/**
 * The properties the editor saves on a tbk-order-sync node (tbk-order-sync.html `defaults`). A number
 * may come as the text typed in the dialog and a checkbox as 'true' / 'false' (hand-written flows).
 */
export interface OrderSyncProperties {
  version?: number;
  config?: string;
  provider?: boolean | string;
  queryType?: number | string;
  interval?: number | string;
  output?: string;
  windowMinutes?: number | string;
  overlapMinutes?: number | string;
  lagSeconds?: number | string;
  lookbackMinutes?: number | string;
  pageSize?: number | string;
  /** '' for any */
  orderScene?: number | string;
  /** '' for any */
  memberType?: number | string;
  scope?: string;
  store?: string;
  contextKey?: string;
  leaseSeconds?: number | string;
  /** an instant parseInstant reads, '' for none */
  backfillFrom?: number | string;
  backfillTo?: number | string;
  errorMode?: string;
}

export interface OrderSyncDef extends NodeDef, OrderSyncProperties {}

export interface OrderSyncSettings {
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
  /** with Redis: how long a lease lasts without renewal (another instance takes over after it) */
  leaseMs: number;
  extraParams: Record<string, unknown>;
  backfillFrom?: number;
  backfillTo?: number;
  errorMode: ErrorMode;
}

function numberOr(value: unknown, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (value === '' || value === undefined || value === null) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= min && n <= max ? n : fallback;
}

/**
 * An instant: epoch ms, a Date, 'yyyy-MM-dd HH:mm:ss' / 'yyyy-MM-dd HH:mm' / 'yyyy-MM-dd' (GMT+8,
 * the API's zone) or an ISO 8601 text with its zone. NaN when it is none of these.
 */
export function parseInstant(value: unknown): number {
  if (Object.prototype.toString.call(value) === '[object Date]') return (value as Date).getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const local = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2})?)?$/.exec(text);
  if (local) return parseGmt8(`${local[1]} ${local[2] ?? '00:00'}${local[3] ?? ':00'}`);
  return /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
}

export function readOrderSyncSettings(def: OrderSyncProperties): OrderSyncSettings {
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
    windowMinutes: numberOr(def.windowMinutes, DEFAULT_WINDOW_MINUTES, 1 / 60, MAX_WINDOW_MINUTES),
    overlapMinutes: numberOr(def.overlapMinutes, 10, 0),
    lagSeconds: numberOr(def.lagSeconds, 60, 0),
    lookbackMinutes: numberOr(def.lookbackMinutes, 60, 0),
    pageSize: Math.floor(numberOr(def.pageSize, 100, 1, 100)),
    output: def.output === 'page' ? 'page' : 'order',
    scope,
    store: typeof def.store === 'string' ? def.store.trim() : '',
    contextKey: typeof def.contextKey === 'string' ? def.contextKey.trim() : '',
    leaseMs: Math.round(numberOr(def.leaseSeconds, DEFAULT_LEASE_MS / 1000, 1, 3600) * 1000),
    extraParams,
    ...(Number.isNaN(backfillFrom) ? {} : { backfillFrom }),
    ...(Number.isNaN(backfillTo) ? {} : { backfillTo }),
    errorMode: errorModeOf(def.errorMode),
  };
}
