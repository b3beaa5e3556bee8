export { TopClient, DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, DEFAULT_RATE_LIMIT } from './top/client';
export type {
  TopClientOptions,
  CallOptions,
  CallResult,
  BatchOptions,
  BatchCallResult,
  BatchResult,
} from './top/client';
export { batchUrlFor, DEFAULT_BATCH_SEPARATOR, DEFAULT_BATCH_SIZE } from './top/batch-wire';
export { batchInChunks } from './top/batch-chunks';
export type { ChunkedBatchOptions, ChunkedBatchResult } from './top/batch-chunks';
export { TopError, isTopError, describeTopError } from './top/errors';
export type { TopErrorKind, TopErrorFields } from './top/errors';
export { sign, stringToSign, SIGN_METHODS } from './top/sign';
export type { SignMethod } from './top/sign';
export { formatGmt8, topTimestamp, parseGmt8 } from './top/time';
export { encodeParams, encodeValue } from './top/encode';
export type { FileParam } from './top/encode';
export { parseJsonBytes, parseJsonLossless } from './top/json';
export { responseKey, unwrapBody, detectBusinessFailure } from './top/response';
export type { BusinessRules, BusinessFailure } from './top/response';
export { RateLimiter } from './limits/ratelimit';
export type { RateLimitOptions, CallLimiter, Release } from './limits/ratelimit';
export { paginate } from './top/paginate';
export type { PagingRules, Page } from './top/paginate';
export { DEFAULT_RETRY } from './top/retry';
export type { RetryOptions } from './top/retry';
export { OrderSync, MemoryCheckpointStore } from './sync';
export type { OrderSyncOptions, CheckpointStore, SyncState, RunReport } from './sync';
export { findMaterials, replaceMaterials, isTaobaoHost } from './links/materials';
export type { Material, MaterialKind } from './links/materials';
export { convertText, DG_LINK_CONVERT, SC_LINK_CONVERT, MAX_MATERIALS_PER_CALL } from './links/convert';
export type { LinkConvertOptions, ConvertedLink, TextConversion, ReplaceWith } from './links/convert';
