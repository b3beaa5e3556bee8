/**
 * The latest a request can have reached the gateway, for the rate limit (see RateLimiter).
 *
 * A request leaves when it is written to the socket and arrives some time before its answer comes
 * back; how long is not known. What is known: its round trip beyond the fastest recent one of the
 * same method is time it may have spent on the way out (a congested link, a gateway busy or slow to
 * read it). So it arrived, at the latest, at send + (round trip - fastest round trip) + a margin for
 * the fastest trip's own way out. With steady round trips that is its send plus the margin (a
 * saturated limit then runs at the limit); when trips stretch, the limit counts the call longer.
 */
export const ARRIVAL_MARGIN_MS = 25;
const SAMPLES = 32;
const MAX_METHODS = 256;

export class ArrivalBound {
  private readonly trips = new Map<string, number[]>();

  /** The latest epoch ms the request can have arrived: written at `sentAt`, answered (or failed) at `endedAt`. */
  latest(method: string, sentAt: number, endedAt: number): number {
    const trip = Math.max(0, endedAt - sentAt);
    let recent = this.trips.get(method);
    if (!recent) {
      if (this.trips.size >= MAX_METHODS) this.trips.clear();
      this.trips.set(method, (recent = []));
    }
    recent.push(trip);
    if (recent.length > SAMPLES) recent.shift();
    return sentAt + ARRIVAL_MARGIN_MS + (trip - Math.min(...recent));
  }
}
