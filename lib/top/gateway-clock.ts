/**
 * The gateway's clock as seen from this host, measured from the `Date` header of its answers.
 *
 * A `Date` header has one-second resolution and is written while the request is at the gateway,
 * so each answer bounds the skew (gateway time minus host time): the gateway read `date` at some
 * instant between our send and our receipt, and its clock then showed [date, date + 1 s). So
 *   date - receivedAt  <  skew  <  date + 1000 - sentAt.
 * Recent answers narrow that interval further (their intersection); the estimate is its middle.
 * When the intervals stop overlapping (a host or gateway clock was stepped), the newest answer wins.
 */
const SAMPLE_LIFETIME_MS = 10 * 60_000;
const MAX_SAMPLES = 16;

interface SkewBounds {
  low: number;
  high: number;
  /** host time of the answer */
  at: number;
}

export class GatewayClock {
  private samples: SkewBounds[] = [];
  private estimate: number | undefined;

  /** `hostNow`: the host clock the skew is measured against (with a configured offset already applied). */
  constructor(private readonly hostNow: () => number = Date.now) {}

  /** Takes in one answer's `Date` header; `sentAt`/`receivedAt` are hostNow() readings around the exchange. */
  observe(dateHeader: unknown, sentAt: number, receivedAt: number): void {
    const text = Array.isArray(dateHeader) ? dateHeader[0] : dateHeader;
    if (typeof text !== 'string') return;
    const date = Date.parse(text);
    if (!Number.isFinite(date) || !(receivedAt >= sentAt)) return;
    const sample: SkewBounds = { low: date - receivedAt, high: date + 1000 - sentAt, at: receivedAt };
    this.samples = this.samples.filter((s) => receivedAt - s.at < SAMPLE_LIFETIME_MS).slice(-(MAX_SAMPLES - 1));
    this.samples.push(sample);
    let low = sample.low;
    let high = sample.high;
    for (let i = this.samples.length - 2; i >= 0; i--) {
      const s = this.samples[i]!;
      const nextLow = Math.max(low, s.low);
      const nextHigh = Math.min(high, s.high);
      if (nextLow > nextHigh) {
        // older answers disagree with the newer ones: a clock was stepped; forget them
        this.samples = this.samples.slice(i + 1);
        break;
      }
      low = nextLow;
      high = nextHigh;
    }
    this.estimate = Math.round((low + high) / 2);
  }

  /** Whether any answer with a `Date` header has been seen. */
  get calibrated(): boolean {
    return this.estimate !== undefined;
  }

  /** gateway time minus host time, in ms; 0 before the first answer */
  get skewMs(): number {
    return this.estimate ?? 0;
  }

  /** The gateway's time now (the host's until an answer has been seen). */
  now(host: number = this.hostNow()): number {
    return host + this.skewMs;
  }
}
