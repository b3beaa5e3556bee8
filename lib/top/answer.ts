/**
 * The gateway's answer to one call, classified: a result, or a failure with whether the call may
 * have run (what the retry rule needs): an HTTP error page, an empty, HTML, truncated or unexpected
 * body, an error_response (throttling among them), a business failure reported in a success body.
 */
import { TopError, topErrorText } from './errors';
import { parseJsonBytes, parseJsonLossless } from './json';
import { messageFields, type MessageArgs } from './messages';
import { detectBusinessFailure, REPORTED_FAILURE, unwrapBody, type BusinessRules } from './response';
import { isRetryableTopError, parseBanSeconds, THROTTLE_SUB_CODES, type RetryOptions } from './retry';
import type { CallResult } from './call-types';

const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A failed attempt, with whether the request may have run on the server. */
export interface AttemptFailure {
  error: TopError;
  mayHaveRun: boolean;
}

export function isAttemptFailure(value: object): value is AttemptFailure {
  return 'error' in value && 'mayHaveRun' in value;
}

/** What classifying an answer depends on besides the answer. */
export interface AnswerRules {
  simplify: boolean;
  retry: RetryOptions;
  /** the method's own business-failure rules */
  business?: BusinessRules;
}

/**
 * An attempt that brought no answer, classified: aborted (by the caller or the timeout), a refused or
 * failed connection (not retried when it may have reached the gateway), or a TopError as it was.
 */
export function transportFailure(
  method: string,
  endpoint: string,
  err: unknown,
  signal: AbortSignal,
  sent: boolean,
): AttemptFailure {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    const error =
      reason instanceof TopError
        ? copyError(reason, err)
        : new TopError({ kind: 'aborted', method, ...messageFields('client.aborted', { method }) });
    return { error, mayHaveRun: sent };
  }
  if (err instanceof TopError) return { error: Object.assign(err, { method }), mayHaveRun: true };
  const code = (err as { code?: string }).code;
  const connectFailed = code !== undefined && CONNECT_ERROR_CODES.has(code);
  const host = new URL(endpoint).host;
  const text = connectFailed
    ? messageFields(
        code === 'ECONNREFUSED' && isLoopback(endpoint) ? 'transport.connectLoopback' : 'transport.connect',
        { host, code },
      )
    : messageFields('transport.failed', {
        reason: (err as Error).message ?? String(err),
        code: code ? ` (${code})` : '',
      });
  return {
    error: new TopError({ kind: 'transport', method, retryable: true, ...text }, { cause: err }),
    mayHaveRun: sent && !connectFailed,
  };
}

/** One answer's bytes, classified. */
export function interpretBytes(
  method: string,
  status: number,
  bytes: Buffer,
  rules: AnswerRules,
): CallResult | AttemptFailure {
  const failed = httpFailure(method, status, bytes);
  if (failed) return failed;
  return interpretAnswer(
    method,
    status,
    firstSignificantCode(bytes, (i) => bytes[i]!),
    () => parseJsonBytes(bytes),
    rules,
  );
}

/** One call's piece of a batch answer, classified. */
export function interpretText(
  method: string,
  status: number,
  text: string,
  rules: AnswerRules,
): CallResult | AttemptFailure {
  return interpretAnswer(
    method,
    status,
    firstSignificantCode(text, (i) => text.charCodeAt(i)),
    () => parseJsonLossless(text),
    rules,
  );
}

/** One JSON answer, classified; `lead` is the code of its first char that is not whitespace (-1: none). */
function interpretAnswer(
  method: string,
  status: number,
  lead: number,
  parse: () => unknown,
  rules: AnswerRules,
): CallResult | AttemptFailure {
  if (lead === -1)
    return {
      error: new TopError({ kind: 'transport', method, status, retryable: true, ...messageFields('transport.empty') }),
      mayHaveRun: true,
    };
  let parsed: unknown;
  try {
    parsed = parse();
  } catch {
    const looksHtml = lead === 0x3c; // '<'
    return {
      error: new TopError({
        kind: 'transport',
        method,
        status,
        retryable: true,
        ...messageFields(looksHtml ? 'transport.html' : 'transport.malformed'),
      }),
      mayHaveRun: true,
    };
  }
  const unwrapped = unwrapBody(method, parsed, rules.simplify);
  if (unwrapped.ok === 'unexpected') {
    return {
      error: new TopError({ kind: 'transport', method, status, ...messageFields('transport.unexpected', { method }) }),
      mayHaveRun: true,
    };
  }
  if (unwrapped.ok === false) {
    const { code, code_text, msg, sub_code, sub_msg, request_id } = unwrapped.error;
    const banSeconds = code === 7 ? parseBanSeconds(sub_msg) : undefined;
    const throttled = code === 7 || (sub_code !== undefined && THROTTLE_SUB_CODES.has(sub_code));
    const retryable = isRetryableTopError(code, sub_code, banSeconds, rules.retry);
    const error = new TopError({
      kind: throttled ? 'throttled' : 'top',
      method,
      code,
      msg,
      sub_code,
      sub_msg,
      request_id,
      ban_seconds: banSeconds,
      retryable,
      ...topErrorText(code, msg, sub_code, sub_msg, code_text),
    });
    // a throttling answer is a refusal: the call did not run
    return { error, mayHaveRun: !throttled };
  }
  const failure = detectBusinessFailure(unwrapped.response, rules.business);
  if (failure) {
    const numeric = failure.code !== undefined && /^-?\d+$/.test(failure.code) ? Number(failure.code) : undefined;
    const reason: MessageArgs =
      failure.message === REPORTED_FAILURE ? { reason_key: 'response.reported' } : { reason: failure.message };
    const text =
      failure.code !== undefined
        ? messageFields('response.businessCode', { code: failure.code, ...reason })
        : messageFields('response.business', reason);
    return {
      error: new TopError({
        kind: 'business',
        method,
        code: numeric,
        sub_code: failure.code,
        msg: failure.message,
        request_id: unwrapped.request_id,
        ...text,
      }),
      mayHaveRun: true,
    };
  }
  return { response: unwrapped.response, request_id: unwrapped.request_id, attempts: 0, duration_ms: 0 };
}

/** The failure of an answer with an HTTP status other than 2xx (its page title quoted), else undefined. */
export function httpFailure(method: string, status: number, bytes: Buffer): AttemptFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  const page = /<title>([^<]{0,80})<\/title>/i.exec(bytes.subarray(0, 64 * 1024).toString('utf8'))?.[1]?.trim();
  return {
    error: new TopError({
      kind: 'transport',
      method,
      status,
      retryable: status >= 500 || status === 429,
      ...messageFields('transport.http', { status, page: page ? ` (${page})` : '' }),
    }),
    mayHaveRun: true,
  };
}

/** The code of the first char (or byte) of a body that is not whitespace, -1 when there is none. */
function firstSignificantCode(body: { length: number }, codeAt: (index: number) => number): number {
  for (let i = 0; i < body.length; i++) {
    const code = codeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return code;
  }
  return -1;
}

/** Whether an endpoint is on this machine (a refused connection there most likely means no sandbox is running). */
function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A copy of an error (the reason an attempt was aborted with) that keeps its text's key and values. */
function copyError(error: TopError, cause: unknown): TopError {
  return new TopError(
    {
      ...error.toJSON(),
      ...(error.messageKey ? { messageKey: error.messageKey, messageArgs: error.messageArgs ?? {} } : {}),
    },
    { cause },
  );
}
