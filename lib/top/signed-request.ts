/**
 * The HTTP request of one attempt, signed afresh: a call's system parameters and its form or multipart
 * body; a batch's system parameters in the URL, signed together with its text body.
 */
import { FormData } from 'undici';
import { BATCH_CONTENT_TYPE, BATCH_SEPARATOR_HEADER, DEFAULT_BATCH_SEPARATOR, encodeBatchBody } from './batch-wire';
import type { ClientSettings } from './client-settings';
import { formEncode, type EncodedParams } from './encode';
import { sign } from './sign';
import { topTimestamp } from './time';

/** What a request is signed with: the client's credentials and the system parameters it adds. */
export type Signing = Pick<
  ClientSettings,
  'appKey' | 'appSecret' | 'signMethod' | 'partnerId' | 'targetAppKey' | 'simplify' | 'clockOffsetMs'
>;

/** A request ready to post. */
export interface Outgoing {
  url: string;
  body: string | FormData;
  headers: Record<string, string>;
}

/** The signed text parameters of one attempt (system + business), as they go on the wire. */
export function signedParams(
  signing: Signing,
  method: string,
  text: Record<string, string>,
  session: string | undefined,
  timestamp: string = topTimestamp(signing.clockOffsetMs),
): Record<string, string> {
  // copied key by key: an object literal with named properties after a spread is slow in V8
  const all: Record<string, string> = {};
  for (const key in text) all[key] = text[key]!;
  all.method = method;
  all.app_key = signing.appKey;
  all.timestamp = timestamp;
  all.format = 'json';
  all.v = '2.0';
  all.sign_method = signing.signMethod;
  if (session) all.session = session;
  if (signing.partnerId) all.partner_id = signing.partnerId;
  if (signing.targetAppKey) all.target_app_key = signing.targetAppKey;
  if (signing.simplify) all.simplify = 'true';
  all.sign = sign(all, signing.appSecret, signing.signMethod);
  return all;
}

/** The signed system parameters of one batch attempt (they go in the URL; the body is signed with them). */
export function signedBatchQuery(
  signing: Signing,
  body: string,
  session: string | undefined,
  timestamp: string = topTimestamp(signing.clockOffsetMs),
): Record<string, string> {
  const all: Record<string, string> = {
    app_key: signing.appKey,
    timestamp,
    format: 'json',
    v: '2.0',
    sign_method: signing.signMethod,
  };
  if (session) all.session = session;
  if (signing.partnerId) all.partner_id = signing.partnerId;
  if (signing.targetAppKey) all.target_app_key = signing.targetAppKey;
  if (signing.simplify) all.simplify = 'true';
  all.sign = sign(all, signing.appSecret, signing.signMethod, body);
  return all;
}

/** One call to `endpoint`: form-encoded, or multipart when it uploads files. */
export function callRequest(
  signing: Signing,
  endpoint: string,
  method: string,
  encoded: EncodedParams,
  session: string | undefined,
): Outgoing {
  const all = signedParams(signing, method, encoded.text, session);
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate', 'user-agent': 'node-red-taobaoke' };
  const fileNames = Object.keys(encoded.files);
  if (fileNames.length === 0) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8';
    return { url: endpoint, body: formEncode(all), headers };
  }
  const form = new FormData();
  for (const key in all) form.append(key, all[key]!);
  for (const name of fileNames) {
    const file = encoded.files[name]!;
    form.append(
      name,
      new Blob([file.data], { type: file.contentType ?? 'application/octet-stream' }),
      file.filename ?? name,
    );
  }
  return { url: endpoint, body: form, headers };
}

/** One /router/batch request to `url`: the calls (wire strings) of one method, joined by the separator. */
export function batchRequest(
  signing: Signing,
  url: string,
  method: string,
  calls: Array<Record<string, string>>,
  separator: string,
  session: string | undefined,
): Outgoing {
  const body = encodeBatchBody(method, calls, separator);
  const target = new URL(url);
  const query = signedBatchQuery(signing, body, session);
  for (const key in query) target.searchParams.append(key, query[key]!);
  const headers: Record<string, string> = {
    'accept-encoding': 'gzip, deflate',
    'user-agent': 'node-red-taobaoke',
    'content-type': BATCH_CONTENT_TYPE,
  };
  if (separator !== DEFAULT_BATCH_SEPARATOR) headers[BATCH_SEPARATOR_HEADER] = separator;
  return { url: target.toString(), body, headers };
}
