/**
 * The wire format of TOP batch calls (`/router/batch`): several calls in one HTTP request, as the official
 * Java `BatchTaobaoClient`, .NET `BatchTopClient` and Node `TopBatch` (top-protocol.md section 6):
 *
 *   POST <host>/router/batch?<system params, signed over themselves + the raw body>
 *   Content-Type: text/plain;charset=utf-8
 *   [top-api-separator: <separator>]
 *
 *   #PUBLIC#method=<method><sep><call 1 params, form-encoded><sep><call 2 params>...
 *
 * The answer is one JSON document per call, in request order, joined by the same separator; when
 * the gateway rejects the batch as a whole (signature, timestamp...) it answers one error_response.
 *
 * Unverified: the maximum number of calls per batch, how batches count against the quotas, and
 * whether eco.taobao.com serves /router/batch (the SDKs use gw.api.taobao.com).
 */
import { formEncode } from './encode';
import { TopError } from './errors';
import { messageFields } from './messages';

export const DEFAULT_BATCH_SEPARATOR = '\r\n-S-\r\n';
export const BATCH_SEPARATOR_HEADER = 'top-api-separator';
export const BATCH_PUBLIC_PREFIX = '#PUBLIC#';
export const BATCH_CONTENT_TYPE = 'text/plain;charset=utf-8';
/** What the SDKs write for a call without parameters. */
export const EMPTY_SEGMENT = 'N';
/** Calls per request when nothing else is said. The gateway's maximum is not documented. */
export const DEFAULT_BATCH_SIZE = 20;

/**
 * `https://host/router/rest` -> `https://host/router/batch` (as the official SDKs derive one from
 * the other); undefined when the endpoint does not end in /router/rest.
 */
export function batchUrlFor(endpoint: string): string | undefined {
  const url = new URL(endpoint);
  if (!/\/router\/rest\/?$/.test(url.pathname)) return undefined;
  url.pathname = url.pathname.replace(/\/router\/rest\/?$/, '/router/batch');
  return url.toString();
}

/**
 * A custom separator travels in an HTTP header, where CR and LF cannot go and whitespace at either
 * end is dropped, and it must never occur inside a call or an answer. Form-encoded calls escape
 * every control character and compact JSON holds none (they are escaped inside strings), so a
 * separator with a tab inside is safe; "|" or "###" is not (it would split a title holding it).
 */
export function checkSeparator(separator: string): void {
  if (typeof separator !== 'string' || !/^[\x21-\x7e][\t\x20-\x7e]*\t[\t\x20-\x7e]*[\x21-\x7e]$/.test(separator)) {
    throw new TopError({ kind: 'validation', param: 'separator', ...messageFields('client.batchSeparator') });
  }
}

/**
 * The request body: the method once in the #PUBLIC# segment, then one form-encoded segment per
 * call (`N` for a call without parameters), joined by the separator. Values are the wire strings
 * (encodeParams' text); they are URL-encoded here, as the Java and .NET SDKs do.
 */
export function encodeBatchBody(
  method: string,
  calls: ReadonlyArray<Readonly<Record<string, string>>>,
  separator: string = DEFAULT_BATCH_SEPARATOR,
): string {
  const segments = [BATCH_PUBLIC_PREFIX + formEncode({ method })];
  for (const params of calls) segments.push(formEncode(params) || EMPTY_SEGMENT);
  return segments.join(separator);
}

export interface ParsedBatchBody {
  /** the #PUBLIC# segment's parameters (empty when there is none) */
  shared: Record<string, string>;
  /** one parameter set per call, in order */
  calls: Array<Record<string, string>>;
}

function formDecode(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === EMPTY_SEGMENT) return out;
  for (const [key, value] of new URLSearchParams(text)) if (!(key in out)) out[key] = value;
  return out;
}

/** The gateway's side of encodeBatchBody (used by the sandbox). */
export function parseBatchBody(body: string, separator: string = DEFAULT_BATCH_SEPARATOR): ParsedBatchBody {
  const segments = body === '' ? [] : body.split(separator);
  let shared: Record<string, string> = {};
  if (segments[0]?.startsWith(BATCH_PUBLIC_PREFIX))
    shared = formDecode(segments.shift()!.slice(BATCH_PUBLIC_PREFIX.length));
  return { shared, calls: segments.map(formDecode) };
}

/**
 * The answer split into one piece per call, or undefined when the number of pieces differs from
 * the number of calls: then the first piece is the gateway's verdict on the whole batch.
 */
export function splitBatchAnswer(
  text: string,
  calls: number,
  separator: string = DEFAULT_BATCH_SEPARATOR,
): { pieces: string[]; whole: false } | { first: string; whole: true } {
  const pieces = text.split(separator);
  if (pieces.length === calls) return { pieces, whole: false };
  return { first: pieces[0] ?? '', whole: true };
}
