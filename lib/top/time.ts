const GMT8_OFFSET_MS = 8 * 3600 * 1000;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * The epoch milliseconds of a Date from any realm (NaN for an invalid one), undefined for anything
 * else. A Date made in a Node-RED Function node comes from its vm context, where `instanceof Date`
 * is false; Object.prototype.toString still says "[object Date]", and Date.prototype.getTime reads
 * the time of a Date of any realm. An object that only claims to be a Date (Symbol.toStringTag)
 * has its own getTime asked, and is NaN without one.
 */
export function dateTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Date]')
    return undefined;
  try {
    return Date.prototype.getTime.call(value);
  } catch {
    try {
      const time: unknown = (value as { getTime?: () => unknown }).getTime?.();
      return typeof time === 'number' ? time : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }
}

/**
 * `yyyy-MM-dd HH:mm:ss` in GMT+8 whatever the host's time zone: shift the instant by
 * eight hours and read it with the UTC getters (the local getters are the peers' bug).
 */
export function formatGmt8(date: Date | number): string {
  const d = new Date((typeof date === 'number' ? date : (dateTime(date) ?? Number.NaN)) + GMT8_OFFSET_MS);
  if (Number.isNaN(d.getTime())) throw new RangeError('Invalid date');
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** The timestamp for a request, corrected by the configured clock offset (ms to add to the host clock). */
export function topTimestamp(clockOffsetMs = 0, now: number = Date.now()): string {
  return formatGmt8(now + clockOffsetMs);
}

/** Parses `yyyy-MM-dd HH:mm:ss` (GMT+8) back to epoch milliseconds; NaN when malformed. */
export function parseGmt8(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - GMT8_OFFSET_MS;
  // reject 2024-02-31 and the like
  return formatGmt8(ms) === text ? ms : Number.NaN;
}
