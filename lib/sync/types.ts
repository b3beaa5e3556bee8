/** The order sync's options, callbacks and report (lib/sync/engine.ts). */
import type { MessageArgs } from '../top/messages';
import type { CheckpointStore } from './checkpoint';
import type { OrderDetailsMethod, OrderQueryType, PublisherOrder } from './orders';

export interface OrderSyncClient {
  request(
    method: string,
    params?: Record<string, unknown>,
    options?: {
      session?: string;
      signal?: AbortSignal;
      onRetry?: (info: { attempt: number; delayMs: number; error: { kind?: string } & Error }) => void;
    },
  ): Promise<{ response: Record<string, unknown>; request_id?: string; attempts: number; duration_ms: number }>;
}

export interface PageInfo {
  method: string;
  queryType: OrderQueryType;
  windowStart: number;
  windowEnd: number;
  /** 1-based page within the window */
  page: number;
  /**
   * parallel to the orders: 'changed' when an earlier version is still remembered (within the
   * overlap), else 'new'. With query_type 4 a change of an order last seen before the overlap is
   * 'new' to the engine: tell first sightings by the order's own fields (tk_status, tk_create_time).
   */
  kinds: Array<'new' | 'changed'>;
  /** orders on the page, emitted or not */
  pageOrders: number;
  request_id?: string;
}

export interface SyncErrorInfo {
  message: string;
  kind?: string;
  code?: number;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  /** the message's id and values, for its translation (see lib/messages.ts) */
  messageKey?: string;
  messageArgs?: MessageArgs;
}

export interface SyncGap {
  /** epoch ms */
  start: number;
  end: number;
  error: SyncErrorInfo;
}

export type SyncStatus =
  | { phase: 'window'; windowStart: number; windowEnd: number; until: number; emitted: number }
  | { phase: 'page'; windowStart: number; windowEnd: number; page: number; emitted: number }
  | { phase: 'throttled'; delayMs: number; error: SyncErrorInfo }
  | { phase: 'gap'; gap: SyncGap }
  | { phase: 'reset'; reason: 'invalid' | 'mismatch'; problem: string }
  | { phase: 'done'; report: RunReport };

export interface RunReport {
  /** epoch ms: start of the first window read */
  from: number;
  /** epoch ms: end of the contiguous windows read completely (from when none was) */
  to: number;
  /** epoch ms: where the run meant to stop (gateway now - lag, or the until asked for) */
  until: number;
  /** the checkpoint after the run */
  cursor: number;
  /** windows read completely, in the contiguous run from `from` */
  windows: number;
  pages: number;
  /** gateway calls made (pages, failed calls and client retries) */
  calls: number;
  ordersSeen: number;
  emitted: { new: number; changed: number };
  gaps: SyncGap[];
  /** throttling answers met (retried by the client or not) */
  throttled: number;
  /** windows split because page 100 was not enough */
  splits: number;
  /** windows read again in smaller pieces because their first page showed them dense */
  denseSplits: number;
  /** the window length the run ended with, in minutes (halved on sub_code 2007) */
  windowMinutes: number;
  /** times the window length was halved because the gateway refused it (sub_code 2007) */
  windowHalvings: number;
  aborted: boolean;
  /** entries in the dedupe map after the run */
  seenSize: number;
  /** why a stored checkpoint was not used, if it was not */
  reset?: 'invalid' | 'mismatch';
  /** what was wrong with it */
  resetProblem?: string;
  /** the run stopped because `mayEmit` said no (another instance took over) */
  stoppedByLease?: boolean;
}

export interface OrderSyncOptions {
  client: OrderSyncClient;
  method?: OrderDetailsMethod;
  /** for the sc method (服务商): the authorized user's session */
  session?: string;
  queryType: OrderQueryType;
  /** default 180, at most 180 */
  windowMinutes?: number;
  /** re-read this margin before the checkpoint for late data; default 10 */
  overlapMinutes?: number;
  /** don't read the last N seconds; default 60 */
  lagSeconds?: number;
  /** first run without a checkpoint and without `from`: read this far back; default 60 */
  initialLookbackMinutes?: number;
  /** 1-100, default 100 */
  pageSize?: number;
  /** windows read at once; default 4 */
  concurrency?: number;
  /** member_type, tk_status, order_scene, member_group_id ... (the sync's own params win) */
  extraParams?: Record<string, unknown>;
  store: CheckpointStore;
  /**
   * New and changed orders of one page; awaited. A throw means they were not handed on: the page
   * is not recorded and its window ends as a gap (read again next run).
   */
  onOrders?: (orders: PublisherOrder[], info: PageInfo) => void | Promise<void>;
  onStatus?: (status: SyncStatus) => void;
  /** the gateway's clock (epoch ms); default Date.now */
  now?: () => number;
  /** false while `now` has not been measured against the gateway yet; default: always measured */
  clockCalibrated?: () => boolean;
  /** asked right before orders are handed on; false stops the run there (a lease another instance took) */
  mayEmit?: () => boolean;
  signal?: AbortSignal;
}

export interface RunOptions {
  /** epoch ms: stop here (never later than now - lag) */
  until?: number;
  /** epoch ms: backfill from here instead of the checkpoint */
  from?: number;
  signal?: AbortSignal;
}
