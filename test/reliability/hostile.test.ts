/**
 * Hostile gateway answers, property-based: whatever a gateway sends (any size, any content encoding
 * or a corrupt one, lying or endless framing, truncation, answers trickled a byte at a time, headers
 * that never come), no call overruns its timeout by more than 1 s, and the buffers a call holds stay
 * within twice maxResponseBytes (plus the socket's and zlib's own chunks). The gateway runs in a
 * child process, so only the client's memory is measured here.
 */
import { strict as assert } from 'node:assert';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { TopClient } from '../../lib/top/client';
import { isTopError, type TopError } from '../../lib/top/errors';
import {
  SMALLEST_ANSWER,
  type HostileEncoding,
  type HostileMessage,
  type HostileScenario,
} from '../support/hostile-gateway';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const CAP = 256 * 1024;
/** what the socket, undici and zlib hold beside the body: their chunks of up to 64 KiB, a few at a time */
const SLACK_BYTES = 1024 * 1024;
const MEMORY_BOUND = 2 * CAP + SLACK_BYTES;
const OVERRUN_MS = 1000;
const RUNS = 60;
const SEED = 20260112;
const METHOD = 'taobao.tbk.item.info.get';
const WELL_ENCODED: readonly HostileEncoding[] = ['identity', 'gzip', 'deflate', 'br'];

interface Case {
  scenario: HostileScenario;
  timeoutMs: number;
  batch: boolean;
}

/** `usual` most of the time, else one of the hostile values */
function mostly<T>(usual: T, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, { arbitrary: hostile, weight: 1 });
}

const scenarios: fc.Arbitrary<Case> = fc.record({
  scenario: fc.record({
    status: mostly(200, fc.constantFrom(500, 502)),
    size: fc.oneof(
      { arbitrary: fc.constantFrom(0, 1, CAP - 1, CAP, CAP + 1, 4 * CAP, 64 * CAP), weight: 2 },
      { arbitrary: fc.integer({ min: 0, max: CAP }), weight: 2 },
      { arbitrary: fc.integer({ min: CAP + 1, max: 2 * CAP }), weight: 1 },
    ),
    encoding: fc.constantFrom<HostileEncoding>(
      'identity',
      'gzip',
      'deflate',
      'br',
      'identity',
      'gzip',
      'gzip-corrupt',
      'gzip-label-only',
    ),
    framing: fc.constantFrom<HostileScenario['framing']>('length', 'chunked', 'close', 'length', 'chunked', 'endless'),
    truncateAt: mostly<number | undefined>(
      undefined,
      fc.integer({ min: 0, max: 99 }).map((percent) => percent / 100),
    ),
    afterTruncate: fc.constantFrom<'close' | 'hang'>('close', 'hang'),
    headerDelayMs: mostly(0, fc.integer({ min: 1, max: 1500 })),
    chunkBytes: mostly(64 * 1024, fc.integer({ min: 1, max: 64 * 1024 })),
    delayMs: mostly(0, fc.integer({ min: 1, max: 300 })),
  }),
  timeoutMs: fc.integer({ min: 300, max: 800 }),
  batch: mostly(false, fc.constant(true)),
});

/** The gateway sends it whole, at once, fast: the outcome is decided by the body alone. */
function deliveredAtOnce({ scenario }: Case): boolean {
  return (
    scenario.truncateAt === undefined &&
    scenario.headerDelayMs === 0 &&
    scenario.delayMs === 0 &&
    scenario.chunkBytes >= 4096
  );
}

describe('reliability: hostile gateway answers (fast-check)', function () {
  this.timeout(120_000);
  let gateway: ChildProcess;
  let url: string;

  before(async function () {
    gateway = fork(join(__dirname, '..', 'support', 'hostile-gateway.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    url = await new Promise<string>((resolve, reject) => {
      gateway.once('error', reject);
      gateway.once('message', (message: HostileMessage) =>
        message.type === 'listening' ? resolve(message.url) : reject(new Error('unexpected message')),
      );
    });
  });
  after(function () {
    gateway?.kill();
  });

  function configure(scenario: HostileScenario): Promise<void> {
    return new Promise((resolve) => {
      gateway.once('message', () => resolve());
      gateway.send({ type: 'answer', scenario });
    });
  }

  it(`no call overruns its timeout by more than 1 s or holds more than 2 × maxResponseBytes (${RUNS} runs)`, async function () {
    const tally = { ok: 0, tooLarge: 0, timeout: 0, otherTransport: 0, maxOverrunMs: -Infinity, maxGrowth: 0 };
    await fc.assert(
      fc.asyncProperty(scenarios, async (testCase) => {
        const { scenario, timeoutMs, batch } = testCase;
        await configure(scenario);
        const client = new TopClient({
          appKey: 'hostile-app',
          appSecret: 'hostile-secret',
          endpoint: url,
          timeoutMs,
          retry: false,
          rateLimit: false,
          maxResponseBytes: CAP,
        });
        try {
          collectGarbage();
          const base = process.memoryUsage().arrayBuffers;
          let peak = base;
          const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 2);
          const started = performance.now();
          const outcome: unknown = await (
            batch
              ? client.batch(METHOD, [{ num_iids: '1' }, { num_iids: '2' }])
              : client.call(METHOD, { num_iids: '1' })
          ).then(
            () => 'ok',
            (err: unknown) => err,
          );
          const elapsed = performance.now() - started;
          clearInterval(sampler);
          peak = Math.max(peak, process.memoryUsage().arrayBuffers);
          const growth = peak - base;
          tally.maxOverrunMs = Math.max(tally.maxOverrunMs, elapsed - timeoutMs);
          tally.maxGrowth = Math.max(tally.maxGrowth, growth);
          const what = `${JSON.stringify(testCase)} -> ${outcome === 'ok' ? 'ok' : String((outcome as Error).message)}`;

          assert.ok(
            elapsed <= timeoutMs + OVERRUN_MS,
            `took ${Math.round(elapsed)} ms with a ${timeoutMs} ms timeout: ${what}`,
          );
          assert.ok(
            growth <= MEMORY_BOUND,
            `held ${(growth / 1048576).toFixed(2)} MiB of buffers, bound ${(MEMORY_BOUND / 1048576).toFixed(2)} MiB: ${what}`,
          );

          if (outcome === 'ok') {
            tally.ok++;
            return;
          }
          assert.ok(isTopError(outcome), `not a TopError: ${what}`);
          const error = outcome as TopError;
          assert.ok(error.kind === 'transport' || error.kind === 'timeout', `kind ${error.kind}: ${what}`);
          const tooLarge = /answer larger than 256 KiB/.test(error.message);
          if (tooLarge) {
            tally.tooLarge++;
            assert.equal(error.retryable, false, `an oversize answer is not retryable: ${what}`);
            assert.equal(error.kind, 'transport');
          } else if (error.kind === 'timeout') tally.timeout++;
          else tally.otherTransport++;

          const oversize = scenario.framing === 'endless' || scenario.size > CAP;
          if (tooLarge) assert.ok(oversize, `an answer within the cap was called too large: ${what}`);
          const wellFramed = scenario.framing === 'endless' || WELL_ENCODED.includes(scenario.encoding);
          if (oversize && wellFramed && deliveredAtOnce(testCase))
            assert.ok(tooLarge, `an oversize answer must fail as too large: ${what}`);
          if (
            !batch &&
            !oversize &&
            scenario.status === 200 &&
            scenario.framing !== 'endless' &&
            scenario.size >= SMALLEST_ANSWER &&
            WELL_ENCODED.includes(scenario.encoding) &&
            deliveredAtOnce(testCase)
          ) {
            assert.fail(`a valid answer within the cap failed: ${what}`);
          }
        } finally {
          await client.close();
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(
      `      ${RUNS} runs: ${tally.ok} ok, ${tally.tooLarge} too large, ${tally.timeout} timed out, ${tally.otherTransport} other transport; ` +
        `largest overrun of the timeout ${Math.round(tally.maxOverrunMs)} ms (bound ${OVERRUN_MS}), largest buffer growth ${(tally.maxGrowth / 1048576).toFixed(2)} MiB (bound ${(MEMORY_BOUND / 1048576).toFixed(2)})`,
    );
  });
});
