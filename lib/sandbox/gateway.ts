/**
 * What the sandbox gateway answers, as pure functions: the gateway's checks in its order, business
 * parameter checks against a method spec, success bodies (documented example or echo), simplify,
 * injected business failures, and a serializer that writes order ids as exact bare literals.
 */
import { randomBytes } from 'node:crypto';
import { responseKey } from '../top/response';
import { SIGN_METHODS, isBlank, sign, type SignMethod } from '../top/sign';
import { parseGmt8 } from '../top/time';
import type { MethodSpec, ParamSpec, ResponseFieldSpec } from '../method-specs/types';
import type { FaultRule } from './faults';
import { checkLinkConvertParams, linkConvertResponse } from './link-convert';

export const ECHO_METHOD = 'sandbox.echo';

/** Parameters the gateway itself consumes: they are not business parameters. */
export const SYSTEM_PARAMS: ReadonlySet<string> = new Set([
  'method',
  'app_key',
  'timestamp',
  'v',
  'sign_method',
  'sign',
  'format',
  'session',
  'simplify',
  'partner_id',
  'target_app_key',
]);

/** Order ids TBK sends as bare JSON numbers beyond 2^53 (top-protocol.md section 7). */
export const BARE_INTEGER_FIELDS: ReadonlySet<string> = new Set([
  'tb_trade_id',
  'tb_trade_parent_id',
  'trade_id',
  'trade_parent_id',
]);

/** The gateway's own texts (com.taobao.top.core.ErrorCode and captured bodies). */
export const ERROR_MSGS: Readonly<Record<number, string>> = {
  1: 'Platform System error',
  7: 'App Call Limited',
  9: 'Http Action Not Allowed',
  10: 'Service Currently Unavailable',
  11: 'Insufficient ISV Permissions',
  15: 'Remote service error',
  21: 'Missing Method',
  22: 'Invalid method',
  23: 'Invalid format',
  24: 'Missing signature',
  25: 'Invalid signature',
  26: 'Missing session',
  27: 'Invalid session',
  28: 'Missing app key',
  29: 'Invalid app Key',
  30: 'Missing timestamp',
  31: 'Invalid timestamp',
  32: 'Missing version',
  33: 'Invalid version',
  40: 'Missing required arguments',
  41: 'Invalid arguments',
  43: 'Parameter error',
  47: 'Invalid encoding',
  50: 'Remote service error',
};

/** From the observed code-9100 body (top-protocol.md section 5); the elisions are the source's. */
export const TBK_THROTTLE_SUB_MSG =
  '您的账号因调用不符合要求,当前触发限流。…同一个账号1秒总请求次数约200次,其中调用API约40次,超过或接近临界值,会触发限流。…';

export interface TopErrorFields {
  code: number;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
}

export interface ErrorBody {
  error_response: TopErrorFields & { request_id?: string };
}

export function topError(code: number, msg?: string, subCode?: string, subMsg?: string): TopErrorFields {
  const error: TopErrorFields = { code, msg: msg ?? ERROR_MSGS[code] ?? 'Remote service error' };
  if (subCode !== undefined) error.sub_code = subCode;
  if (subMsg !== undefined) error.sub_msg = subMsg;
  return error;
}

/** Request ids look like the gateway's: 11-13 lowercase base-36 characters. */
export function newRequestId(): string {
  const bytes = randomBytes(8);
  return (bytes.readBigUInt64BE() % 36n ** 12n).toString(36).padStart(12, '0').replace(/^0+/, '') || '0';
}

export interface SandboxApp {
  appKey: string;
  appSecret: string;
  /** fault rules for this app's calls only */
  faults?: FaultRule[];
}

export interface ReceivedFile {
  name: string;
  filename: string;
  size: number;
  contentType: string;
}

export interface GatewayCall {
  /** every text field as received, query and body merged (query first) */
  params: Record<string, string>;
  files: ReceivedFile[];
  now: number;
}

export interface GatewayConfig {
  apps: ReadonlyMap<string, SandboxApp>;
  specs: ReadonlyMap<string, MethodSpec>;
  timestampWindowMs: number;
  /** undefined: any non-empty session is valid */
  sessions?: ReadonlySet<string>;
}

export type CheckResult =
  { ok: true; method: string; spec?: MethodSpec; app: SandboxApp } | { ok: false; error: TopErrorFields };

const fail = (error: TopErrorFields): CheckResult => ({ ok: false, error });

/**
 * The gateway's checks in its order: method, app key, format, version, sign method, timestamp,
 * signature, method known, session, then business parameters.
 */
export function checkCall(call: GatewayCall, config: GatewayConfig): CheckResult {
  if (isBlank(call.params.method)) return fail(topError(21));
  const envelope = checkEnvelope(call.params, call.now, config);
  if (!envelope.ok) return envelope;
  return checkMethodCall(call.params.method!, call, config, envelope.app);
}

export type EnvelopeResult = { ok: true; app: SandboxApp } | { ok: false; error: TopErrorFields };

/**
 * The checks that do not depend on the method: app key, format, version, sign method, timestamp,
 * signature. A batch request's system parameters sign its raw body too (`body`).
 */
export function checkEnvelope(
  p: Readonly<Record<string, string>>,
  now: number,
  config: GatewayConfig,
  body?: string,
): EnvelopeResult {
  const failed = (error: TopErrorFields): EnvelopeResult => ({ ok: false, error });
  if (isBlank(p.app_key)) return failed(topError(28));
  const app = config.apps.get(p.app_key!);
  if (!app) return failed(topError(29, undefined, 'isv.appkey-not-exists'));
  // The real gateway answers XML when format is absent or xml; the sandbox speaks JSON only, so it
  // refuses anything but json (a client that forgets format=json would choke on XML in production).
  if (p.format !== 'json')
    return failed(topError(23, undefined, 'isv.invalid-format', 'the sandbox answers JSON only: send format=json'));
  if (isBlank(p.v)) return failed(topError(32));
  if (p.v !== '2.0') return failed(topError(33, undefined, undefined, 'use v=2.0'));
  // Without sign_method the gateway falls back to a legacy md5 whose form varies between SDK
  // versions; the sandbox requires an explicit, known one (as every current SDK sends it).
  const signMethod = p.sign_method as SignMethod | undefined;
  if (signMethod === undefined || !SIGN_METHODS.includes(signMethod)) {
    return failed(
      topError(25, undefined, 'isv.invalid-signmethod', `sign_method must be one of ${SIGN_METHODS.join(', ')}`),
    );
  }
  if (isBlank(p.timestamp)) return failed(topError(30));
  const ts = parseGmt8(p.timestamp!);
  if (Number.isNaN(ts))
    return failed(topError(31, undefined, undefined, 'timestamp must be yyyy-MM-dd HH:mm:ss in GMT+8'));
  if (Math.abs(now - ts) > config.timestampWindowMs) {
    return failed(
      topError(
        31,
        undefined,
        'isv.timestamp-limit-error',
        `timestamp is more than ${Math.round(config.timestampWindowMs / 60000)} minutes away from the gateway clock (GMT+8)`,
      ),
    );
  }
  if (isBlank(p.sign)) return failed(topError(24));
  // Hex case is not known to matter to the gateway (top-protocol.md section 9.8): compare either case.
  if (sign(p, app.appSecret, signMethod, body).toUpperCase() !== p.sign!.toUpperCase()) return failed(topError(25));
  return { ok: true, app };
}

/** The checks of one method call once its envelope passed: method known, session, business parameters. */
export function checkMethodCall(
  method: string,
  call: GatewayCall,
  config: GatewayConfig,
  app: SandboxApp,
): CheckResult {
  const spec = config.specs.get(method);
  if (!spec && method !== ECHO_METHOD) return fail(topError(22, undefined, 'isv.method-not-exists'));
  const session = call.params.session;
  if (!isBlank(session) && config.sessions && !config.sessions.has(session!))
    return fail(topError(27, undefined, 'session-not-exist'));
  if (spec?.auth === 'required' && isBlank(session)) return fail(topError(26));
  if (spec) {
    const paramError = checkBusinessParams(spec, call) ?? checkLinkConvertParams(method, call);
    if (paramError) return fail(paramError);
  }
  return { ok: true, method, spec, app };
}

const NUMBER = /^-?\d+(\.\d+)?$/;

function isValidValue(param: ParamSpec, value: string): boolean {
  switch (param.kind) {
    case 'number':
      return NUMBER.test(value.trim());
    case 'number[]':
      return value.split(',').every((v) => NUMBER.test(v.trim()));
    case 'boolean':
      return value === 'true' || value === 'false';
    case 'date':
      return !Number.isNaN(parseGmt8(value)) || !Number.isNaN(parseGmt8(value + ' 00:00:00'));
    case 'json':
      try {
        JSON.parse(value);
        return true;
      } catch {
        return false;
      }
    case 'file':
      return false;
    default:
      return true;
  }
}

/** Required parameters (40) and value types (41); unknown extra parameters pass, as on the real gateway. */
export function checkBusinessParams(spec: MethodSpec, call: GatewayCall): TopErrorFields | undefined {
  if (spec.validate === false) return undefined;
  for (const param of spec.params) {
    const value = call.params[param.name];
    const hasFile = call.files.some((f) => f.name === param.name);
    if (param.required && isBlank(value) && !hasFile) {
      return topError(40, `Missing required arguments:${param.name}`, `isv.missing-parameter:${param.name}`);
    }
    if (!isBlank(value) && !isValidValue(param, value!)) {
      return topError(41, `Invalid arguments:${param.name}`, `isv.invalid-parameter:${param.name}`);
    }
  }
  return undefined;
}

export function businessParams(call: GatewayCall): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call.params)) if (!SYSTEM_PARAMS.has(key)) out[key] = value;
  for (const file of call.files)
    out[file.name] = { filename: file.filename, size: file.size, content_type: file.contentType };
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The inner response (what sits inside `<name>_response`) of a body: an override or example may
 * be given wrapped or not. Returns undefined for an `error_response` body, which passes as is.
 */
export function innerResponse(method: string, body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body)) return { result: body };
  if (isRecord(body.error_response)) return undefined;
  const key = responseKey(method);
  if (isRecord(body[key])) return body[key];
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0]!.endsWith('_response') && isRecord(body[keys[0]!]))
    return body[keys[0]!] as Record<string, unknown>;
  return body;
}

/**
 * The documented example, or an echo of the business parameters when the method documents none;
 * 万能转链 with material_list is answered material by material (link-convert.ts).
 */
export function exampleResponse(
  method: string,
  spec: MethodSpec | undefined,
  call: GatewayCall,
): Record<string, unknown> {
  const converted = linkConvertResponse(method, call);
  if (converted) return converted;
  if (spec?.responseExample !== undefined) {
    const inner = innerResponse(
      method,
      restoreExactIds(structuredClone(spec.responseExample), documentedIds(spec.response)),
    );
    if (inner) return inner;
  }
  return { echo: businessParams(call) };
}

/** Exact digit strings the field docs give as examples of the order-id fields. */
function documentedIds(fields: readonly ResponseFieldSpec[] | undefined, out: string[] = []): string[] {
  for (const field of fields ?? []) {
    if (
      BARE_INTEGER_FIELDS.has(field.name) &&
      field.example !== undefined &&
      LONG_INTEGER_TEXT.test(field.example.trim())
    )
      out.push(field.example.trim());
    documentedIds(field.children, out);
  }
  return out;
}

/**
 * An example parsed with plain JSON.parse holds order ids already rounded (581552321112183166 ->
 * 581552321112183200); put back the documented digits when the field docs give them.
 */
function restoreExactIds<T>(value: T, exact: readonly string[]): T {
  if (exact.length === 0) return value;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    for (const [key, v] of Object.entries(node)) {
      if (BARE_INTEGER_FIELDS.has(key) && typeof v === 'number' && !Number.isSafeInteger(v)) {
        const digits = exact.find((d) => Number(d) === v);
        if (digits !== undefined) node[key] = digits;
      } else walk(v);
    }
  };
  walk(value);
  return value;
}

/** A success whose body reports failure, shaped after what the response already carries. */
export function injectBusinessFailure(
  inner: Record<string, unknown>,
  rule: Pick<FaultRule, 'subCode' | 'subMsg'>,
): Record<string, unknown> {
  const code = rule.subCode ?? 'SANDBOX_BUSINESS_FAILURE';
  const numericCode = /^-?\d+$/.test(code) ? Number(code) : 1;
  const message = rule.subMsg ?? '沙箱注入的业务失败 (sandbox business failure)';
  let marked = false;
  const levels = [inner, ...(isRecord(inner.result) ? [inner.result] : [])];
  for (const level of levels) {
    if ('is_success' in level) {
      level.is_success = false;
      marked = true;
    }
    if ('success' in level) {
      level.success = false;
      marked = true;
    }
    if ('result_code' in level) {
      level.result_code = numericCode === 0 || numericCode === 200 ? 1 : numericCode;
      level.result_msg = message;
      marked = true;
    }
    if ('biz_error_code' in level) {
      level.biz_error_code = numericCode === 0 ? 1 : numericCode;
      level.biz_error_desc = message;
      marked = true;
    }
  }
  if (!marked) {
    const result = isRecord(inner.result) ? inner.result : {};
    Object.assign(result, { success: false, msg_code: code, msg_info: message });
    inner.result = result;
  }
  return inner;
}

/** simplify=true: lists lose their single-key wrapper (`{"n_tbk_item":[...]}` -> `[...]`). */
export function simplifyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(simplifyValue);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && Array.isArray(value[keys[0]!])) return simplifyValue(value[keys[0]!]);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = simplifyValue(value[key]);
  return out;
}

/** The full body of a successful call: wrapped (default) or simplified, with a fresh request_id. */
export function successBody(
  method: string,
  inner: Record<string, unknown>,
  simplify: boolean,
  requestId: string,
): Record<string, unknown> {
  const withId = { ...inner, request_id: requestId };
  if (simplify) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(withId)) out[key] = simplifyValue(value);
    return out;
  }
  return { [responseKey(method)]: withId };
}

const BARE_MARK = '\u0000bare:';
const BARE_TOKEN = /"\\u0000bare:(-?\d+)"/g;
const LONG_INTEGER_TEXT = /^-?\d{16,}$/;

/**
 * JSON text with the order-id fields as bare integer literals, exact to the digit (real TBK sends
 * them as JSON numbers beyond 2^53). The id may be held as a digit string (exact), a bigint, or a
 * number (already rounded by whoever parsed the docs). Any bigint elsewhere is written bare too.
 */
export function serializeBody(body: unknown): string {
  const text = JSON.stringify(body, function (key, value: unknown) {
    if (typeof value === 'bigint') return BARE_MARK + value.toString();
    if (BARE_INTEGER_FIELDS.has(key)) {
      if (typeof value === 'string' && LONG_INTEGER_TEXT.test(value)) return BARE_MARK + value;
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
        return BARE_MARK + BigInt(value).toString();
    }
    return value;
  });
  return text.includes('\\u0000bare:') ? text.replace(BARE_TOKEN, '$1') : text;
}
