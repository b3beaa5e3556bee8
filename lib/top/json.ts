import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Lossless JSON parsing for TOP bodies: integers beyond 2^53 (TBK order ids such as
 * tb_trade_parent_id, 18-19 digits) come out as exact decimal strings.
 *
 * JSON.parse first; only when the result holds an integer beyond 2^53 (which JSON.parse may have
 * rounded) is the text parsed again with those literals quoted. Checking the parsed value is far
 * cheaper than scanning the text for long digit runs, which also match inside strings (every
 * material-search answer carries one in app_pvid).
 */
export function parseJsonLossless(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return holdsUnsafeInteger(value) ? JSON.parse(quoteUnsafeIntegers(text)) : value;
}

/**
 * `parseJsonLossless` of a UTF-8 body, without decoding the whole body first.
 *
 * Decoding an 80 KB answer that holds Chinese text costs more than parsing it: V8 turns it into a
 * two-byte string of 150 KB, above its 128 KB large-object threshold. Instead the body is parsed
 * as Latin-1 (one char per byte, a copy): every UTF-8 multi-byte sequence is bytes 0x80-0xF4,
 * none of them a quote, a backslash or a control char, so the structure parses exactly as the
 * decoded text would. Only the strings that hold such bytes are decoded afterwards, all in one
 * batch. Without `\u` escapes every char of a parsed string is one byte of the body, so this gives
 * the same value as decoding first; anything else (escapes, invalid UTF-8, non-ASCII keys, a
 * syntax error) goes the plain way, as do bodies under 16 KiB and from 128 KiB.
 */
export function parseJsonBytes(bytes: Buffer): unknown {
  // Below 16 KiB decoding is cheap and checking every string would cost more than it saves; from
  // 128 KiB (V8's largest regular object) the Latin-1 view is a large object too, and the gain is gone.
  if (bytes.length < 16_384 || bytes.length >= 131_072) return parseJsonLossless(bytes.toString('utf8'));
  const text = bytes.toString('latin1');
  if (isAscii(bytes)) return parseJsonLossless(text);
  if (text.includes('\\u') || !isUtf8(bytes)) return parseJsonLossless(bytes.toString('utf8'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // the same error, with positions in chars of the decoded text
    return parseJsonLossless(bytes.toString('utf8'));
  }
  // a bare string or number at the top: nothing to gain
  if (typeof parsed !== 'object' || parsed === null) return parseJsonLossless(bytes.toString('utf8'));
  let value: object = parsed;
  let found = collectStrings(value);
  if (found.unsafeInteger) {
    value = JSON.parse(quoteUnsafeIntegers(text)) as object;
    found = collectStrings(value);
  }
  const joined = found.strings.join('\0');
  // every byte >= 0x80 of the body must sit in a collected string; otherwise a key holds one
  if (highByteCount(joined) !== highByteCount(text)) return parseJsonLossless(bytes.toString('utf8'));
  const decoded = Buffer.from(joined, 'latin1').toString('utf8').split('\0');
  const { holders, keys } = found;
  for (let i = 0; i < decoded.length; i++) (holders[i] as Record<string | number, unknown>)[keys[i]!] = decoded[i];
  return value;
}

interface CollectedStrings {
  /** the strings holding a char 0x80-0xFF, and where each one sits */
  strings: string[];
  holders: object[];
  keys: Array<string | number>;
  unsafeInteger: boolean;
}

const HIGH_CHAR = /[\x80-\xff]/;

function collectStrings(root: object): CollectedStrings {
  const found: CollectedStrings = { strings: [], holders: [], keys: [], unsafeInteger: false };
  const check = (holder: object, key: string | number, value: unknown): void => {
    if (typeof value === 'string') {
      if (HIGH_CHAR.test(value)) {
        found.strings.push(value);
        found.holders.push(holder);
        found.keys.push(key);
      }
    } else if (typeof value === 'number') {
      if (isUnsafeNumber(value)) found.unsafeInteger = true;
    }
  };
  const walk = (node: object): void => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const value: unknown = node[i];
        if (typeof value === 'object' && value !== null) walk(value);
        else check(node, i, value);
      }
    } else {
      const record = node as Record<string, unknown>;
      for (const key in record) {
        const value = record[key];
        if (typeof value === 'object' && value !== null) walk(value);
        else check(record, key, value);
      }
    }
  };
  walk(root);
  return found;
}

/** How many chars 0x80-0xFF a Latin-1 string holds (each is two bytes in UTF-8). */
function highByteCount(latin1: string): number {
  return Buffer.byteLength(latin1, 'utf8') - latin1.length;
}

/** A number JSON.parse may have rounded: beyond 2^53 either way. */
function isUnsafeNumber(value: number): boolean {
  return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER;
}

function holdsUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return isUnsafeNumber(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsUnsafeInteger(value[i])) return true;
    return false;
  }
  for (const key in value) if (holdsUnsafeInteger((value as Record<string, unknown>)[key])) return true;
  return false;
}

function isUnsafeIntegerLiteral(literal: string): boolean {
  const digits = literal.charCodeAt(0) === 45 /* - */ ? literal.slice(1) : literal;
  if (digits.length < 16) return false;
  if (digits.length > 16) return true;
  return digits > '9007199254740991';
}

/** Rewrites unsafe integer literals outside strings as JSON strings; everything else is copied. */
export function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // skip the string, honouring escapes
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 48 && d <= 57) i++;
        else break;
      }
      const next = i < n ? text.charCodeAt(i) : -1;
      if (next === 46 /* . */ || next === 101 /* e */ || next === 69 /* E */) {
        // a float or exponent literal: not an integer id, leave it to JSON.parse
        while (i < n) {
          const d = text.charCodeAt(i);
          if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
          else break;
        }
        continue;
      }
      const literal = text.slice(start, i);
      if (isUnsafeIntegerLiteral(literal)) {
        out += text.slice(copiedUpTo, start) + '"' + literal + '"';
        copiedUpTo = i;
      }
      continue;
    }
    i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
