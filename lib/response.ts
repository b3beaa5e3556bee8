/** `taobao.tbk.item.convert` -> `tbk_item_convert_response` (non-taobao prefixes are kept). */
export function responseKey(method: string): string {
  const name = method.startsWith('taobao.') ? method.slice('taobao.'.length) : method;
  return name.replace(/\./g, '_') + '_response';
}

export interface TopErrorBody {
  code?: number;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
}

export type UnwrappedBody =
  | { ok: true; response: Record<string, unknown>; request_id?: string }
  | { ok: false; error: TopErrorBody; request_id?: string }
  | { ok: 'unexpected' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Takes apart a parsed TOP body. Default shape: `{"<name>_response": {...}}`; with
 * simplify=true the root itself is the response. Errors are `{"error_response": {...}}` in both.
 */
export function unwrapBody(method: string, body: unknown, simplify: boolean): UnwrappedBody {
  if (!isRecord(body)) return { ok: 'unexpected' };
  const error = body.error_response;
  if (isRecord(error)) {
    const out: TopErrorBody = {};
    if (error.code !== undefined) out.code = Number(error.code);
    if (error.msg !== undefined) out.msg = String(error.msg);
    if (error.sub_code !== undefined) out.sub_code = String(error.sub_code);
    if (error.sub_msg !== undefined) out.sub_msg = String(error.sub_msg);
    if (error.request_id !== undefined) out.request_id = String(error.request_id);
    return { ok: false, error: out, request_id: out.request_id };
  }
  const wrapped = body[responseKey(method)];
  let response: Record<string, unknown> | undefined;
  if (isRecord(wrapped)) response = wrapped;
  else if (simplify) response = body;
  else {
    // tolerate a gateway that wraps under another *_response key (the Java SDK takes the first value)
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0]!.endsWith('_response') && isRecord(body[keys[0]!])) response = body[keys[0]!] as Record<string, unknown>;
  }
  if (!response) return { ok: 'unexpected' };
  const requestId = response.request_id;
  return { ok: true, response, request_id: typeof requestId === 'string' ? requestId : undefined };
}

export interface BusinessFailure {
  code?: string;
  message: string;
}

/** Rules a method spec may add to the generic business-failure checks. */
export interface BusinessRules {
  /** biz_error_code values that mean failure ('nonzero': any value other than 0) */
  bizErrorCodes?: Array<number | string> | 'nonzero';
  /** msg_code values that mean success (otherwise msg_code is not checked) */
  msgCodeSuccess?: Array<number | string>;
}

function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

function pickMessage(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim() !== '') return v;
  return undefined;
}

/** The reason of a failure whose answer gives none. */
export const REPORTED_FAILURE = 'The call reported failure';

function checkLevel(level: Record<string, unknown>, rules: BusinessRules | undefined): BusinessFailure | undefined {
  const message = pickMessage(level.biz_error_desc, level.result_msg, level.msg_info, level.message, level.msg, level.error_msg);
  const bizCode = level.biz_error_code;
  const codeText = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
  if (isFalse(level.is_success) || isFalse(level.success)) {
    return { code: codeText(bizCode) ?? codeText(level.msg_code) ?? codeText(level.result_code), message: message ?? REPORTED_FAILURE };
  }
  const resultCode = level.result_code;
  if (resultCode !== undefined && resultCode !== null && resultCode !== '' && !['0', '200'].includes(String(resultCode))) {
    return { code: String(resultCode), message: message ?? `result_code ${String(resultCode)}` };
  }
  if (rules?.bizErrorCodes && bizCode !== undefined && bizCode !== null && bizCode !== '') {
    const failed = rules.bizErrorCodes === 'nonzero' ? String(bizCode) !== '0' : rules.bizErrorCodes.map(String).includes(String(bizCode));
    if (failed) return { code: String(bizCode), message: message ?? `biz_error_code ${String(bizCode)}` };
  }
  if (rules?.msgCodeSuccess && level.msg_code !== undefined && level.msg_code !== null) {
    if (!rules.msgCodeSuccess.map(String).includes(String(level.msg_code))) return { code: String(level.msg_code), message: message ?? `msg_code ${String(level.msg_code)}` };
  }
  return undefined;
}

/**
 * Business failures inside a successful answer: `is_success: false`, `success: false`,
 * a result_code other than 0/200, at the top level or inside `result`, plus spec rules.
 */
export function detectBusinessFailure(response: Record<string, unknown>, rules?: BusinessRules): BusinessFailure | undefined {
  const top = checkLevel(response, rules);
  if (top) return top;
  const result = response.result;
  if (isRecord(result)) return checkLevel(result, rules);
  return undefined;
}
