/**
 * The calls of one batch, each to its own outcome: their parameters checked one by one, the answer split
 * into one outcome per call, and the calls answered with a retryable error sent again in further rounds.
 */
import { isAttemptFailure, httpFailure, interpretText, type AnswerRules, type AttemptFailure } from './answer';
import { sleep } from './abort';
import { splitBatchAnswer } from './batch-wire';
import type { BatchCallResult, BatchOptions, CallResult } from './call-types';
import { encodeParams } from './encode';
import { TopError } from './errors';
import { messageFields } from './messages';
import { retryDelayMs, shouldRetry, type RetryOptions } from './retry';

/** A batch's calls on their way: the results so far and what is left to send. */
export interface BatchCalls {
  /** one per call, in input order (a call that failed its checks has its error already) */
  results: BatchCallResult[];
  /** each call's parameters as wire strings (none for a call that failed its checks) */
  texts: Array<Record<string, string>>;
  /** the indexes of the calls to send */
  pending: number[];
}

/** Each call's parameters as wire strings; a call that cannot be sent has its validation error as its result. */
export function encodeBatchCalls(method: string, paramsList: ReadonlyArray<unknown>): BatchCalls {
  const results: BatchCallResult[] = new Array<BatchCallResult>(paramsList.length);
  const texts: Array<Record<string, string>> = [];
  const pending: number[] = [];
  paramsList.forEach((params, i) => {
    try {
      texts[i] = encodeBatchCall(params, i);
      pending.push(i);
    } catch (err) {
      const error = err instanceof TopError ? err : new TopError({ kind: 'validation', message: String(err) });
      error.method = method;
      results[i] = { ok: false, error };
    }
  });
  return { results, texts, pending };
}

/**
 * Sends the pending calls (`send`: one batch request, retried as a whole; it throws when the batch
 * fails) and fills in their results; the calls answered with a retryable error go again, together,
 * after the longest of their delays, within the retry budget. Aborting `signal` ends the rounds: the
 * calls to retry keep their last error.
 */
export async function sendInRounds(
  method: string,
  calls: BatchCalls,
  options: BatchOptions,
  retryOptions: RetryOptions,
  signal: AbortSignal,
  send: (texts: Array<Record<string, string>>) => Promise<Array<CallResult | AttemptFailure>>,
): Promise<void> {
  const { results, texts } = calls;
  const ispRetries = new Array<number>(results.length).fill(0);
  let pending = calls.pending;
  for (let round = 1; pending.length > 0; round++) {
    const sending = pending;
    let answers: Array<CallResult | AttemptFailure>;
    try {
      answers = await send(sending.map((i) => texts[i]!));
    } catch (err) {
      // the first request failing is the batch failing; later ones only retried some calls
      if (round === 1) throw err;
      for (const i of sending) results[i] = { ok: false, error: err as TopError };
      break;
    }
    const retry: number[] = [];
    let delayMs = 0;
    answers.forEach((answer, k) => {
      const i = sending[k]!;
      if (!isAttemptFailure(answer)) {
        results[i] = {
          ok: true,
          response: answer.response,
          ...(answer.request_id !== undefined ? { request_id: answer.request_id } : {}),
          attempts: round,
        };
        return;
      }
      const { error } = answer;
      error.method = method;
      error.attempts = round;
      results[i] = { ok: false, error };
      if (!shouldRetry(error, round, ispRetries[i]!, options.writes === true, answer.mayHaveRun, retryOptions)) return;
      if (error.sub_code?.startsWith('isp.')) ispRetries[i]!++;
      delayMs = Math.max(delayMs, retryDelayMs(error, round, retryOptions));
      retry.push(i);
    });
    if (retry.length === 0) break;
    options.onRetry?.({ attempt: round, delayMs, error: (results[retry[0]!] as { error: TopError }).error });
    try {
      await sleep(delayMs, signal);
    } catch {
      break; // aborted: the calls to retry keep their last error
    }
    pending = retry;
  }
}

/** A /router/batch answer: an outcome per call, or the failure of the whole batch. */
export function batchOutcomes(
  method: string,
  status: number,
  bytes: Buffer,
  calls: number,
  separator: string,
  rules: AnswerRules,
): Array<CallResult | AttemptFailure> | AttemptFailure {
  const failed = httpFailure(method, status, bytes);
  if (failed) return failed;
  const text = bytes.toString('utf8');
  const split = splitBatchAnswer(text, calls, separator);
  if (!split.whole) return split.pieces.map((piece) => interpretText(method, status, piece, rules));
  // the official SDKs' rule: a piece count other than the call count is a verdict on the whole batch
  const verdict = interpretText(method, status, split.first, rules);
  if (isAttemptFailure(verdict)) return verdict;
  return {
    error: new TopError({
      kind: 'transport',
      method,
      status,
      ...messageFields('transport.batchPieces', { pieces: text.split(separator).length, calls }),
    }),
    mayHaveRun: true,
  };
}

/** One call's parameters as wire strings; throws a validation error naming the call. */
function encodeBatchCall(params: unknown, index: number): Record<string, string> {
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw new TopError({
      kind: 'validation',
      param: 'payload',
      ...messageFields('client.batchParams', { index: index + 1 }),
    });
  }
  const encoded = encodeParams(params as Record<string, unknown> | undefined);
  const files = Object.keys(encoded.files);
  if (files.length > 0)
    throw new TopError({
      kind: 'validation',
      param: files[0],
      ...messageFields('client.batchFile', { index: index + 1, param: files[0]! }),
    });
  if ('method' in encoded.text)
    throw new TopError({
      kind: 'validation',
      param: 'method',
      ...messageFields('client.batchMethod', { index: index + 1 }),
    });
  return encoded.text;
}
