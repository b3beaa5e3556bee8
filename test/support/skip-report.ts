/**
 * Mocha plugin (.mocharc.json "require"): after the run's summary, one line that says how many tests
 * were skipped because redis-server or Chromium is not installed (test/support/tools.ts).
 */
import { skippedLine } from './tools';

export function mochaGlobalTeardown(): void {
  const line = skippedLine();
  if (line) console.log(`\n  ${line}\n`);
}
