const GMT8_OFFSET_MS = 8 * 3600 * 1000;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * `yyyy-MM-dd HH:mm:ss` in GMT+8 whatever the host's time zone: shift the instant by
 * eight hours and read it with the UTC getters (the local getters are the peers' bug).
 */
export function formatGmt8(date: Date | number): string {
  const d = new Date((typeof date === 'number' ? date : date.getTime()) + GMT8_OFFSET_MS);
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
