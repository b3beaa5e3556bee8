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

function holdsUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER;
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
        else if (d === 34) { i++; break; }
        else i++;
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
