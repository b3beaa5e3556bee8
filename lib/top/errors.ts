import { MESSAGES, messageFields, type MessageArgs } from './messages';

/** What went wrong, in the terms a flow author can branch on. */
export type TopErrorKind =
  | 'validation' // the request was rejected before it was sent
  | 'top' // the gateway answered with an error_response (signature, permissions, parameters ...)
  | 'business' // the gateway answered "success" but the body reports a failure (is_success: false ...)
  | 'transport' // no usable answer: connection refused/reset, HTTP 5xx, HTML or truncated body
  | 'timeout' // no answer within the configured time
  | 'aborted' // cancelled by the caller (node closed, redeploy, AbortSignal)
  | 'throttled'; // code 7 / sub code 9100 / 50002: the platform asks us to slow down

export interface TopErrorFields {
  kind: TopErrorKind;
  message: string;
  method?: string;
  code?: number;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  /** for validation errors: the parameter at fault */
  param?: string;
  /** HTTP status, when the failure came from the transport */
  status?: number;
  /** for code 7: the ban length the gateway announced */
  ban_seconds?: number;
  retryable: boolean;
  attempts: number;
  /**
   * A stable id for the text of `message` (e.g. 'transport.tooLarge'), with the values it quotes, so the
   * Node-RED layer can show the message in the user's language. `message` stays the English text.
   */
  messageKey?: string;
  messageArgs?: Record<string, string | number>;
}

/** The only error type the client throws. Plain data fields, safe to copy into msg.error. */
export class TopError extends Error implements TopErrorFields {
  kind: TopErrorKind;
  method?: string;
  code?: number;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  param?: string;
  status?: number;
  ban_seconds?: number;
  retryable: boolean;
  attempts: number;
  messageKey?: string;
  messageArgs?: Record<string, string | number>;

  constructor(
    fields: Omit<TopErrorFields, 'retryable' | 'attempts'> & { retryable?: boolean; attempts?: number },
    options?: { cause?: unknown },
  ) {
    super(fields.message, options);
    this.name = 'TopError';
    this.kind = fields.kind;
    this.retryable = fields.retryable ?? false;
    this.attempts = fields.attempts ?? 0;
    for (const key of [
      'method',
      'code',
      'msg',
      'sub_code',
      'sub_msg',
      'request_id',
      'param',
      'status',
      'ban_seconds',
    ] as const) {
      if (fields[key] !== undefined) (this as Record<string, unknown>)[key] = fields[key];
    }
    // not enumerable: translation data, kept out of msg.error and of JSON
    if (fields.messageKey !== undefined)
      Object.defineProperty(this, 'messageKey', { value: fields.messageKey, writable: true, configurable: true });
    if (fields.messageArgs !== undefined)
      Object.defineProperty(this, 'messageArgs', { value: fields.messageArgs, writable: true, configurable: true });
  }

  /** A plain, JSON-safe copy of the fields (what the nodes put in msg.error). */
  toJSON(): TopErrorFields & { name: string } {
    const out: TopErrorFields & { name: string } = {
      name: this.name,
      kind: this.kind,
      message: this.message,
      retryable: this.retryable,
      attempts: this.attempts,
    };
    for (const key of [
      'method',
      'code',
      'msg',
      'sub_code',
      'sub_msg',
      'request_id',
      'param',
      'status',
      'ban_seconds',
    ] as const) {
      if (this[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = this[key];
    }
    return out;
  }
}

export function isTopError(value: unknown): value is TopError {
  return (
    value instanceof TopError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'TopError' &&
      typeof (value as { kind?: unknown }).kind === 'string')
  );
}

/** Codes whose advice is "see sub_code": the sub code in the message says more than the advice would. */
const SEE_SUB_CODE = new Set([15, 50]);

/**
 * The message of an error_response, with its key and values for translation:
 * "Invalid signature (25): check the App Secret and sign method [isv.x: ...]". The title is the
 * platform's msg unless the code has a clearer one; the advice (top-protocol.md section 4.2) is
 * for the codes a user can act on.
 */
export function topErrorText(
  code: number | undefined,
  msg: string | undefined,
  subCode?: string,
  subMsg?: string,
  codeText?: string,
): ReturnType<typeof messageFields> {
  const parts = [subCode, subMsg].filter((part): part is string => part !== undefined && part.trim() !== '');
  const detail = parts.length > 0 ? ` [${parts.join(': ')}]` : '';
  const title: MessageArgs =
    code !== undefined && MESSAGES[`top.title.${code}`]
      ? { title_key: `top.title.${code}` }
      : msg?.trim()
        ? { title: msg.trim() }
        : { title_key: 'top.title.default' };
  // a code the gateway sent that is not a number: shown as sent, without advice
  if (code === undefined && codeText?.trim())
    return messageFields('top.coded', { ...title, code: codeText.trim(), detail });
  if (code === undefined) return messageFields('top.uncoded', { ...title, detail });
  if (MESSAGES[`top.advice.${code}`] && !SEE_SUB_CODE.has(code))
    return messageFields('top.advised', { ...title, code, advice_key: `top.advice.${code}`, detail });
  return messageFields('top.coded', { ...title, code, detail });
}

/**
 * "Invalid signature (25): check the App Secret and sign method". `codeText` is a code the gateway
 * sent that is not a number (shown as sent, without advice).
 */
export function describeTopError(
  code: number | undefined,
  msg: string | undefined,
  subCode?: string,
  subMsg?: string,
  codeText?: string,
): string {
  return topErrorText(code, msg, subCode, subMsg, codeText).message;
}
