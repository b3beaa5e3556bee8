import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpecs } from '../../lib/method-specs/index';
import { END_MARKER, methodsBlock, START_MARKER } from '../../scripts/readme-methods';
import { REPO_ROOT } from '../support/paths';

describe('README', function () {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  it('has the two commands', function () {
    assert.match(readme, /npm start/);
    assert.match(readme, /npm test/);
  });
  it('its method table matches the specs and the catalog (run node dist/scripts/readme-methods.js)', function () {
    const block = readme.slice(readme.indexOf(START_MARKER), readme.indexOf(END_MARKER) + END_MARKER.length);
    assert.equal(block, methodsBlock());
  });
  it('lists every node type', function () {
    for (const spec of loadSpecs()) assert.ok(readme.includes(`\`${spec.type}\``), spec.type);
  });
});
