/**
 * The latest a request can have reached the gateway, for the rate limit (see RateLimiter).
 *
 * A request leaves when it is written to the socket and arrives some time before its answer starts to
 * come back (its status line and headers: the time to read, inflate and parse the body is not part of
 * the trip); how long before is not known. What is known: its round trip beyond the fastest one seen for the same
 * method is time it may have spent on the way out (a congested link, a gateway busy or slow to read
 * it). So it arrived, at the latest, at send + (round trip - fastest round trip) + a margin for the
 * fastest trip's own way out. With steady round trips that is its send plus the margin (a saturated
 * limit then runs at the limit); when trips stretch, the limit counts the call longer.
 *
 * The floor is the fastest trip ever seen, not a recent one: under a sustained slowdown every recent
 * trip is slow, and a floor that rose with them would let a request delayed on its way out but answered
 * quickly count as arrived too early (a loaded host saw 42 calls in a second at a limit of 40). A floor
 * that stays low only makes the limit count calls longer when trips grow for good.
 */
export const ARRIVAL_MARGIN_MS = 25;
const MAX_METHODS = 256;

export class ArrivalBound {
  private readonly fastest = new Map<string, number>();

  /** The latest epoch ms the request can have arrived: written at `sentAt`, its answer begun (or the call failed) at `endedAt`. */
  latest(method: string, sentAt: number, endedAt: number): number {
    const trip = Math.max(0, endedAt - sentAt);
    let floor = this.fastest.get(method);
    if (floor === undefined || trip < floor) {
      if (floor === undefined && this.fastest.size >= MAX_METHODS) this.fastest.clear();
      this.fastest.set(method, (floor = trip));
    }
    return sentAt + ARRIVAL_MARGIN_MS + (trip - floor);
  }
}
