import { strict as assert } from 'node:assert';
import { formatReport, runSoak } from '../support/soak';

describe('reliability: fault soak (short form; `npm run soak` runs 20 000+ messages)', function () {
  this.timeout(120_000);

  it('every message ends in exactly one output or Catch event and one done(), retries stay bounded, writes are never repeated after they may have run', async function () {
    const report = await runSoak({ messages: Number(process.env.TBK_SOAK_MESSAGES) || 1500, seed: 42 });
    console.log(formatReport(report).replace(/^/gm, '      '));
    assert.deepEqual(report.violations, []);
    assert.equal(report.outputs.success + report.outputs.errorOutput + report.outputs.caught, report.messages);
    assert.equal(report.doneCalls, report.messages);
    assert.ok(report.faultRate > 0.05 && report.faultRate < 0.2, `faults on ${report.faultRate} of calls`);
    for (const kind of [
      'latency',
      'http500',
      'http502',
      'reset',
      'truncated',
      'malformed',
      'throttle',
      'isp',
      'tbk-throttle',
      'business',
    ]) {
      assert.ok((report.faultsByKind[kind] ?? 0) > 0, `no ${kind} fault was injected`);
    }
    assert.ok(report.retries > 0, 'transient faults were retried');
    assert.ok(report.maxCallsPerMessage <= 3);
    assert.ok(report.outputs.caught > 0 && report.outputs.errorOutput > 0, 'both error routes were exercised');
  });
});
