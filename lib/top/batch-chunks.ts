/** Any number of calls of one method as batch requests of a given size, sent side by side. */
import type { BatchCallResult, BatchOptions, TopClient } from './client';
import { DEFAULT_BATCH_SIZE } from './batch-wire';
import { TopError } from './errors';
import { messageFields } from './messages';

export interface ChunkReport {
  /** index of the chunk's first call in the input */
  from: number;
  calls: number;
  /** the chunk failed as a whole (its calls carry that error) */
  error?: TopError;
  /** HTTP requests the chunk took (retries of the batch and of throttled calls included) */
  requests: number;
}

export interface ChunkedBatchResult {
  results: BatchCallResult[];
  chunks: ChunkReport[];
  duration_ms: number;
}

export interface ChunkedBatchOptions extends BatchOptions {
  /** calls per request; default 20 (the gateway's maximum is not documented) */
  batchSize?: number;
}

/**
 * Any number of calls of one method, in batches of `batchSize` sent side by side. One result per
 * call, in input order. A batch that fails as a whole gives its error to each of its calls; when
 * every batch fails as a whole (wrong secret, gateway unreachable, no /router/batch) this throws
 * the first batch's error instead.
 */
export async function batchInChunks(
  client: TopClient,
  method: string,
  paramsList: ReadonlyArray<unknown>,
  options: ChunkedBatchOptions = {},
): Promise<ChunkedBatchResult> {
  const started = performance.now();
  if (!Array.isArray(paramsList))
    throw new TopError({ kind: 'validation', param: 'payload', method, ...messageFields('client.batchArray') });
  const size =
    options.batchSize !== undefined && Number.isFinite(options.batchSize) && options.batchSize >= 1
      ? Math.floor(options.batchSize)
      : DEFAULT_BATCH_SIZE;
  const starts: number[] = [];
  for (let from = 0; from < paramsList.length; from += size) starts.push(from);
  const settled = await Promise.allSettled(
    starts.map((from) => client.batch(method, paramsList.slice(from, from + size), options)),
  );
  const results: BatchCallResult[] = [];
  const chunks: ChunkReport[] = [];
  let firstError: TopError | undefined;
  settled.forEach((outcome, i) => {
    const from = starts[i]!;
    const calls = Math.min(size, paramsList.length - from);
    if (outcome.status === 'fulfilled') {
      results.push(...outcome.value.results);
      chunks.push({ from, calls, requests: outcome.value.requests });
      return;
    }
    const error =
      outcome.reason instanceof TopError
        ? outcome.reason
        : new TopError({ kind: 'transport', method, message: String(outcome.reason) }, { cause: outcome.reason });
    firstError ??= error;
    for (let k = 0; k < calls; k++) results.push({ ok: false, error });
    chunks.push({ from, calls, error, requests: error.attempts });
  });
  if (firstError && chunks.every((c) => c.error)) throw firstError;
  return { results, chunks, duration_ms: Math.round(performance.now() - started) };
}
