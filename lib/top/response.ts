/** `taobao.tbk.item.convert` -> `tbk_item_convert_response` (non-taobao prefixes are kept). */
export function responseKey(method: string): string {
  const name = method.startsWith('taobao.') ? method.slice('taobao.'.length) : method;
  return name.replace(/\./g, '_') + '_response';
}

export interface TopErrorBody {
  code?: number;
  /** the code as the gateway sent it, when it is not an integer (kept for the message only) */
  code_text?: string;
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

const MAX_SHOWN_CHARS = 200;

/**
 * A value the gateway sent, as text for a message or a field: strings as they are, numbers and
 * booleans written out, objects and arrays as (shortened) JSON, nothing for null and undefined.
 * A gateway may send any JSON type where the protocol says string; String() would say "[object Object]".
 */
export function gatewayText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return undefined;
  return text.length > MAX_SHOWN_CHARS ? text.slice(0, MAX_SHOWN_CHARS - 1) + '…' : text;
}

/** An error code the gateway sent as an integer or as the digits of one; undefined otherwise. */
export function gatewayCode(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value);
  return undefined;
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
    const code = gatewayCode(error.code);
    if (code !== undefined) out.code = code;
    else if (gatewayText(error.code)?.trim()) out.code_text = gatewayText(error.code)!.trim();
    for (const key of ['msg', 'sub_code', 'sub_msg', 'request_id'] as const) {
      const text = gatewayText(error[key]);
      if (text !== undefined) out[key] = text;
    }
    return { ok: false, error: out, request_id: out.request_id };
  }
  const wrapped = body[responseKey(method)];
  let response: Record<string, unknown> | undefined;
  if (isRecord(wrapped)) response = wrapped;
  else if (simplify) response = body;
  else {
    // tolerate a gateway that wraps under another *_response key (the Java SDK takes the first value)
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0]!.endsWith('_response') && isRecord(body[keys[0]!]))
      response = body[keys[0]!] as Record<string, unknown>;
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
  const message = pickMessage(
    level.biz_error_desc,
    level.result_msg,
    level.msg_info,
    level.message,
    level.msg,
    level.error_msg,
  );
  const bizCode = level.biz_error_code;
  const codeText = (v: unknown): string | undefined => (v === '' ? undefined : gatewayText(v));
  if (isFalse(level.is_success) || isFalse(level.success)) {
    return {
      code: codeText(bizCode) ?? codeText(level.msg_code) ?? codeText(level.result_code),
      message: message ?? REPORTED_FAILURE,
    };
  }
  const resultCode = level.result_code;
  const resultText = codeText(resultCode);
  if (resultText !== undefined && !['0', '200'].includes(resultText)) {
    return { code: resultText, message: message ?? `result_code ${resultText}` };
  }
  const bizText = codeText(bizCode);
  if (rules?.bizErrorCodes && bizText !== undefined) {
    const failed =
      rules.bizErrorCodes === 'nonzero' ? bizText !== '0' : rules.bizErrorCodes.map(String).includes(bizText);
    if (failed) return { code: bizText, message: message ?? `biz_error_code ${bizText}` };
  }
  const msgCodeText = gatewayText(level.msg_code);
  if (rules?.msgCodeSuccess && msgCodeText !== undefined) {
    if (!rules.msgCodeSuccess.map(String).includes(msgCodeText))
      return { code: msgCodeText, message: message ?? `msg_code ${msgCodeText}` };
  }
  return undefined;
}

/**
 * Business failures inside a successful answer: `is_success: false`, `success: false`,
 * a result_code other than 0/200, at the top level or inside `result`, plus spec rules.
 */
export function detectBusinessFailure(
  response: Record<string, unknown>,
  rules?: BusinessRules,
): BusinessFailure | undefined {
  const top = checkLevel(response, rules);
  if (top) return top;
  const result = response.result;
  if (isRecord(result)) return checkLevel(result, rules);
  return undefined;
}
