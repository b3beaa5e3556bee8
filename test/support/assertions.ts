import assert from 'node:assert/strict';
import { TopError } from '../../lib/top/errors';

/** The TopError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<TopError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TopError, `expected a TopError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** The most arrivals in any window of `windowMs` (the gateway's view of a rate limit). */
export function maxInAnyWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}
