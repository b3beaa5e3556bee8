/** Saved node configurations brought up to the current shape, by version. */
import { strict as assert } from 'node:assert';
import { HAND_WRITTEN, migrateConfig, migrateNode, type Migration } from '../../nodes/migrations';

describe('node migrations', function () {
  it('applies, in order, every migration above the saved version and stamps the newest', function () {
    const migrations: Array<Migration<string>> = [
      { version: 1, up: (c, ctx) => ({ ...c, one: ctx }) },
      { version: 3, up: (c) => ({ ...c, three: true }) },
    ];
    assert.deepEqual(migrateConfig({ a: 1 }, migrations, 3, 'x'), { a: 1, one: 'x', three: true, version: 3 });
    assert.deepEqual(migrateConfig({ a: 1, version: 1 }, migrations, 3, 'x'), { a: 1, version: 3, three: true });
    assert.deepEqual(migrateConfig({ a: 1, version: '3' }, migrations, 3, 'x'), { a: 1, version: 3 });
    const saved = { a: 1 };
    migrateConfig(saved, migrations, 3, 'x');
    assert.deepEqual(saved, { a: 1 }, 'the saved object is left as it was');
  });

  it('tbk-config, tbk-api and tbk-order-sync have a version: an unversioned node (saved by 0.1) reads as version 1', function () {
    for (const type of ['tbk-config', 'tbk-api', 'tbk-order-sync'] as const) {
      assert.equal(HAND_WRITTEN[type].version, 1);
      assert.deepEqual(migrateNode(type, { id: 'n', type, name: 'x', z: 'f' }), {
        id: 'n',
        type,
        name: 'x',
        z: 'f',
        version: 1,
      });
    }
  });
});
