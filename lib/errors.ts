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

  constructor(fields: Omit<TopErrorFields, 'retryable' | 'attempts'> & { retryable?: boolean; attempts?: number }, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.name = 'TopError';
    this.kind = fields.kind;
    this.retryable = fields.retryable ?? false;
    this.attempts = fields.attempts ?? 0;
    for (const key of ['method', 'code', 'msg', 'sub_code', 'sub_msg', 'request_id', 'param', 'status', 'ban_seconds'] as const) {
      if (fields[key] !== undefined) (this as Record<string, unknown>)[key] = fields[key];
    }
    // not enumerable: translation data, kept out of msg.error and of JSON
    if (fields.messageKey !== undefined) Object.defineProperty(this, 'messageKey', { value: fields.messageKey, writable: true, configurable: true });
    if (fields.messageArgs !== undefined) Object.defineProperty(this, 'messageArgs', { value: fields.messageArgs, writable: true, configurable: true });
  }

  /** A plain, JSON-safe copy of the fields (what the nodes put in msg.error). */
  toJSON(): TopErrorFields & { name: string } {
    const out: TopErrorFields & { name: string } = { name: this.name, kind: this.kind, message: this.message, retryable: this.retryable, attempts: this.attempts };
    for (const key of ['method', 'code', 'msg', 'sub_code', 'sub_msg', 'request_id', 'param', 'status', 'ban_seconds'] as const) {
      if (this[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = this[key];
    }
    return out;
  }
}

export function isTopError(value: unknown): value is TopError {
  return value instanceof TopError || (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'TopError' && typeof (value as { kind?: unknown }).kind === 'string');
}

/** Advice for the platform error codes a user can act on (top-protocol.md section 4.2). */
const CODE_ADVICE: Record<number, string> = {
  1: 'Platform system error: retry later',
  2: 'Platform blacklist: the app is blocked, contact the open platform',
  4: 'User call limited: slow down',
  5: 'Session call limited: slow down',
  6: 'Partner call limited: slow down',
  7: 'App call limited: the app exceeded its call quota or frequency',
  8: 'App call frequency exceeded: slow down',
  9: 'HTTP action not allowed: use POST',
  10: 'Service currently unavailable: retry later',
  11: 'Insufficient ISV permissions: apply for the API permission package in the open platform console',
  12: 'Insufficient user permissions: the authorized user lacks this permission',
  13: 'Insufficient partner permissions',
  15: 'Remote service error: see sub_code',
  21: 'Missing method: set the method name',
  22: 'Invalid method: the method name is unknown to the gateway, check its spelling',
  23: 'Invalid format: use json',
  24: 'Missing signature',
  25: 'check the App Secret and sign method',
  26: 'Missing session: this method needs a user authorization (session)',
  27: 'Invalid session: the session expired or is wrong, authorize again',
  28: 'Missing App Key',
  29: 'Invalid App Key: check the App Key',
  30: 'Missing timestamp',
  31: 'the gateway allows 10 minutes of clock skew in GMT+8: check the host clock or the clock offset setting',
  32: 'Missing version',
  33: 'Invalid version: use 2.0',
  34: 'Unsupported version',
  40: 'Missing required arguments',
  41: 'Invalid arguments',
  43: 'Parameter error',
  47: 'Invalid encoding: send UTF-8',
  50: 'Remote service error: see sub_code',
};

const CODE_TITLE: Record<number, string> = {
  25: 'Invalid signature',
  31: 'Invalid timestamp',
};

/**
 * "Invalid signature (25): check the App Secret and sign method". `codeText` is a code the gateway
 * sent that is not a number (shown as sent, without advice).
 */
export function describeTopError(code: number | undefined, msg: string | undefined, subCode?: string, subMsg?: string, codeText?: string): string {
  const title = (code !== undefined && CODE_TITLE[code]) || msg?.trim() || 'TOP error';
  const shownCode = code !== undefined ? String(code) : codeText?.trim();
  let text = shownCode ? `${title} (${shownCode})` : title;
  const advice = code !== undefined ? CODE_ADVICE[code] : undefined;
  if (advice && !(code === 15 || code === 50)) text += `: ${advice}`;
  const detail = [subCode, subMsg].filter((part) => part !== undefined && part.trim() !== '');
  if (detail.length > 0) text += ` [${detail.join(': ')}]`;
  return text;
}
