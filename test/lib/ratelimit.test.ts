/** The rate limit's rule: a call counts from its start until one window after it reached the gateway at the latest. */
import { strict as assert } from 'node:assert';
import { ARRIVAL_MARGIN_MS, ArrivalBound } from '../../lib/top/arrival';
import { RateLimiter } from '../../lib/limits/ratelimit';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limit', function () {
  describe('ArrivalBound', function () {
    it('with steady round trips a request arrived by its send plus the margin; a stretched trip counts its excess', function () {
      const bound = new ArrivalBound();
      for (let i = 0; i < 5; i++)
        assert.equal(bound.latest('m', 1000 * i, 1000 * i + 120), 1000 * i + ARRIVAL_MARGIN_MS);
      assert.equal(
        bound.latest('m', 10_000, 10_000 + 420),
        10_000 + ARRIVAL_MARGIN_MS + 300,
        'a trip 300 ms longer than the fastest may have spent them on the way out',
      );
      assert.equal(bound.latest('other', 0, 5), ARRIVAL_MARGIN_MS, 'each method has its own fastest trip');
      assert.equal(
        bound.latest('m', 20_000, 20_000 + 100),
        20_000 + ARRIVAL_MARGIN_MS,
        'a faster trip is the new floor',
      );
      for (let i = 0; i < 100; i++) bound.latest('m', 30_000 + 1000 * i, 30_000 + 1000 * i + 400);
      assert.equal(
        bound.latest('m', 200_000, 200_000 + 410),
        200_000 + ARRIVAL_MARGIN_MS + 310,
        'a long slowdown does not raise the floor: a trip may still have spent its excess on the way out',
      );
    });
  });

  describe('RateLimiter', function () {
    it('frees a slot one window after the call arrived, not after its answer', async function () {
      const limiter = new RateLimiter({ perSecond: 2, concurrency: 0, windowMs: 300 });
      const started = Date.now();
      const first = await limiter.acquire();
      const second = await limiter.acquire();
      // both "answered" 200 ms later, having reached the gateway right away
      await delay(200);
      first(started);
      second(started);
      await limiter.acquire();
      const waited = Date.now() - started;
      assert.ok(
        waited >= 290 && waited < 450,
        `the third call started ${waited} ms in (window 300, arrived at 0, answered at 200)`,
      );
      limiter.close();
    });

    it('counts a call never sent (no arrival) from its end, and holds the slot while a call is in flight', async function () {
      const limiter = new RateLimiter({ perSecond: 1, concurrency: 0, windowMs: 150 });
      const release = await limiter.acquire();
      const next = limiter.acquire();
      let admitted = false;
      void next.then(() => (admitted = true));
      await delay(200);
      assert.equal(admitted, false, 'in flight: the slot is held whatever the time');
      const ended = Date.now();
      release();
      (await next)();
      const waited = Date.now() - ended;
      assert.ok(waited >= 140, `admitted ${waited} ms after the end of a call that was never sent`);
      limiter.close();
    });
  });
});
