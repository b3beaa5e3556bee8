import { TopError } from './errors';
import { messageFields } from './messages';
import { dateTime, formatGmt8 } from './time';

/** A file parameter (byte[] in the TOP docs): sent as a multipart part, never signed. */
export interface FileParam {
  data: Buffer | Uint8Array;
  filename?: string;
  contentType?: string;
}

export interface EncodedParams {
  text: Record<string, string>;
  files: Record<string, FileParam>;
}

export function isFileParam(value: unknown): value is FileParam | Buffer | Uint8Array {
  if (value instanceof Uint8Array) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as FileParam).data instanceof Uint8Array &&
    Object.keys(value).every((k) => k === 'data' || k === 'filename' || k === 'contentType')
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A name as a message quotes it: JSON escapes show a lone surrogate as \udxxx instead of carrying it. */
function quoted(name: string): string {
  return JSON.stringify(name);
}

/**
 * Refuses text that cannot be sent as UTF-8 (a lone UTF-16 surrogate, which encodeURIComponent
 * rejects with "URI malformed"): a validation error naming the parameter, before anything is sent.
 */
export function checkEncodable(name: string, text: string): void {
  const found = LONE_SURROGATE.exec(text);
  if (!found) return;
  const codeUnit = `U+${found[0].charCodeAt(0).toString(16).toUpperCase()}`;
  throw new TopError({
    kind: 'validation',
    param: name,
    ...messageFields('validation.loneSurrogate', { param: quoted(name), codeUnit, index: found.index }),
  });
}

/** JSON.stringify's replacer for a parameter's object value: bigints as digits, no lone surrogate in a key or a text. */
function jsonReplacer(name: string): (key: string, value: unknown) => unknown {
  return (key, value) => {
    checkEncodable(name, key);
    if (typeof value === 'string') checkEncodable(name, value);
    return typeof value === 'bigint' ? value.toString() : value;
  };
}

function isScalar(value: unknown): value is string | number | bigint | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean';
}

/**
 * One business or system value as TOP expects it on the wire, or undefined when it is not
 * to be sent at all (null, undefined, empty, whitespace-only).
 */
export function encodeValue(name: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  let text: string;
  switch (typeof value) {
    case 'string':
      text = value;
      break;
    case 'boolean':
      text = value ? 'true' : 'false';
      break;
    case 'number':
      if (!Number.isFinite(value))
        throw new TopError({
          kind: 'validation',
          param: name,
          ...messageFields('encode.notFinite', { param: name, got: String(value) }),
        });
      text = String(value);
      break;
    case 'bigint':
      text = value.toString();
      break;
    case 'object': {
      const time = dateTime(value);
      if (time !== undefined) {
        if (Number.isNaN(time))
          throw new TopError({
            kind: 'validation',
            param: name,
            ...messageFields('encode.invalidDate', { param: name }),
          });
        text = formatGmt8(time);
      } else if (Array.isArray(value) && value.every(isScalar)) {
        text = value
          .map((v) => (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : v))
          .join(',');
      } else {
        try {
          text = JSON.stringify(value, jsonReplacer(name));
        } catch (err) {
          if (err instanceof TopError) throw err;
          throw new TopError({
            kind: 'validation',
            param: name,
            ...messageFields('encode.notJson', { param: name, reason: (err as Error).message }),
          });
        }
      }
      break;
    }
    default:
      throw new TopError({
        kind: 'validation',
        param: name,
        ...messageFields('encode.unsupported', { param: name, type: typeof value }),
      });
  }
  if (text.trim() === '') return undefined;
  checkEncodable(name, text);
  return text;
}

/** Splits parameters into the text ones (signed and sent) and the files (sent, not signed). */
export function encodeParams(params: Readonly<Record<string, unknown>> | undefined): EncodedParams {
  const text: Record<string, string> = {};
  const files: Record<string, FileParam> = {};
  if (!params) return { text, files };
  for (const name of Object.keys(params)) {
    checkEncodable(name, name);
    const value = params[name];
    if (isFileParam(value)) {
      files[name] = value instanceof Uint8Array ? { data: value } : value;
      continue;
    }
    const encoded = encodeValue(name, value);
    if (encoded !== undefined) text[name] = encoded;
  }
  return { text, files };
}

/** Wire strings as an application/x-www-form-urlencoded body (UTF-8, in the object's key order). */
export function formEncode(params: Readonly<Record<string, string>>): string {
  let body = '';
  for (const key in params) {
    if (body) body += '&';
    body += encodeURIComponent(key) + '=' + encodeURIComponent(params[key]!);
  }
  return body;
}
