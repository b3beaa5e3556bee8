import { createHash, createHmac } from 'node:crypto';

export type SignMethod = 'md5' | 'hmac' | 'hmac-sha256';
export const SIGN_METHODS: readonly SignMethod[] = ['md5', 'hmac', 'hmac-sha256'];

/** TOP never signs (nor sends) null, empty or whitespace-only values. */
export function isBlank(value: string | null | undefined): boolean {
  return value == null || value.trim() === '';
}

/**
 * The string TOP signs: every param except `sign` and blank values, sorted by key
 * (ASCII, which is what Array.prototype.sort gives for ASCII keys), key+value with no
 * separator, then the raw body for body-signed calls (batch).
 */
export function stringToSign(params: Readonly<Record<string, string | null | undefined>>, body?: string): string {
  const keys = Object.keys(params)
    .filter((k) => k !== 'sign' && !isBlank(params[k]))
    .sort();
  let s = '';
  for (const key of keys) s += key + params[key];
  if (body) s += body;
  return s;
}

/** Uppercase hex signature, as every TOP SDK sends it. */
export function sign(
  params: Readonly<Record<string, string | null | undefined>>,
  secret: string,
  method: SignMethod,
  body?: string,
): string {
  const s = stringToSign(params, body);
  switch (method) {
    case 'md5':
      return createHash('md5')
        .update(secret + s + secret, 'utf8')
        .digest('hex')
        .toUpperCase();
    case 'hmac':
      return createHmac('md5', Buffer.from(secret, 'utf8')).update(s, 'utf8').digest('hex').toUpperCase();
    case 'hmac-sha256':
      return createHmac('sha256', Buffer.from(secret, 'utf8')).update(s, 'utf8').digest('hex').toUpperCase();
    default:
      throw new TypeError(`Unknown sign method "${String(method)}": use md5, hmac or hmac-sha256`);
  }
}
