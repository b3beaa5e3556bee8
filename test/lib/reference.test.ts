import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_DIR, SHARED_DIR } from '../support/paths';

describe('reference data', function () {
  const files = ['tbk-catalog.json', 'top-vectors.json'];
  it('the repository holds its copies', function () {
    for (const f of files) assert.ok(existsSync(join(REFERENCE_DIR, f)), f);
    assert.ok(readdirSync(join(REFERENCE_DIR, 'seed')).some((f) => f.endsWith('.txt')));
  });
  it('the copies match the shared originals when those are beside the repository', function () {
    if (!existsSync(join(SHARED_DIR, 'reference'))) this.skip();
    for (const f of files)
      assert.ok(
        readFileSync(join(REFERENCE_DIR, f)).equals(readFileSync(join(SHARED_DIR, 'reference', f))),
        `${f} has drifted from ../shared/reference/${f}`,
      );
    for (const f of readdirSync(join(SHARED_DIR, 'seed')))
      assert.ok(
        readFileSync(join(REFERENCE_DIR, 'seed', f)).equals(readFileSync(join(SHARED_DIR, 'seed', f))),
        `seed/${f} has drifted`,
      );
  });
});
