/** The order sync (see engine.ts), and what its users need of its parts. */
export { OrderSync, MAX_WINDOW_MINUTES, DEFAULT_WINDOW_MINUTES } from './engine';
export { checkpointProblem, MemoryCheckpointStore, type CheckpointStore, type SyncState } from './checkpoint';
export {
  FINGERPRINT_FIELDS,
  QUERY_TIME_FIELDS,
  orderFingerprint,
  pageOrders,
  type OrderDetailsMethod,
  type OrderQueryType,
  type PublisherOrder,
} from './orders';
export { MAX_PAGE_NO } from './window-run';
export type {
  OrderSyncClient,
  OrderSyncOptions,
  PageInfo,
  RunOptions,
  RunReport,
  SyncErrorInfo,
  SyncGap,
  SyncStatus,
} from './types';
