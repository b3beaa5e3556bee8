/** How scripts/scorecard.ts judges a node-red-dev scorecard (no network: the scorecard is given). */
import { strict as assert } from 'node:assert';
import { CHECKS, expectedExampleTypes, scorecardProblems, type Scorecard } from '../../scripts/scorecard';
import { packageRoot } from '../../lib/package-root';

const ROOT = packageRoot();

function passing(nodes: string[]): Scorecard {
  const card: Scorecard = { package: { name: '@tbkflow/node-red-taobaoke', version: '0.1.0' } };
  for (const id of CHECKS) card[id] = { test: true };
  card.N02 = { test: true, nodes };
  return card;
}

describe('scorecard', function () {
  const expected = expectedExampleTypes(ROOT);

  it('expects every registered node type but the config node', function () {
    assert.ok(expected.includes('tbk-api'));
    assert.ok(expected.includes('tbk-dg-material-optional-upgrade'));
    assert.ok(!expected.includes('tbk-config'));
    assert.ok(expected.length >= 150, `${expected.length} types`);
  });

  it('passes a scorecard whose checks all passed and whose N02 saw every type', function () {
    assert.deepEqual(scorecardProblems(passing(expected), expected), []);
  });

  it('fails a failed or missing check', function () {
    const card = passing(expected);
    card.D03 = { test: false, packages: ['undici'] };
    delete card.P07;
    const problems = scorecardProblems(card, expected);
    assert.equal(problems.length, 2);
    assert.match(problems.join('\n'), /D03: failed/);
    assert.match(problems.join('\n'), /P07: not run/);
  });

  it('fails an N02 that passed without seeing every node type (HTML it could not parse)', function () {
    const problems = scorecardProblems(passing(['tbk-api']), expected);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /N02: node types not found .*tbk-dg-material-optional-upgrade/);
  });
});
