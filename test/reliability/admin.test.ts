/**
 * Admin endpoints: the package registers none. If one is ever added, this fails until it is
 * tested with and without permission (RED.auth.needsPermission) here.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { helper, stopRuntime, startRuntime } from '../support/node-red';
import { REPO_ROOT } from '../support/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import promoterSet = require('../../nodes/tbk-promoter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import providerSet = require('../../nodes/tbk-provider');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');

/** Server routes (runtime) and editor requests (browser) that would make an admin endpoint. */
const SERVER_ROUTE = /\bRED\.(httpAdmin|httpNode)\b|\.(get|post|put|delete|use)\(\s*['"`]\//;
const EDITOR_REQUEST = /\$\.(getJSON|ajax|get|post)\s*\(|\bfetch\s*\(|XMLHttpRequest/;

function filesIn(dir: string, ext: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesIn(path, ext));
    else if (ext.test(entry.name)) out.push(path);
  }
  return out;
}

describe('reliability: admin endpoints', function () {
  it('the runtime sources register no HTTP route (RED.httpAdmin / RED.httpNode)', function () {
    const sources = [
      ...filesIn(join(REPO_ROOT, 'nodes'), /\.ts$/),
      ...filesIn(join(REPO_ROOT, 'lib'), /\.ts$/).filter((f) => !f.includes(`${join('lib', 'sandbox')}`)),
    ];
    assert.ok(sources.length > 5);
    const hits = sources.filter((f) => /\bRED\.(httpAdmin|httpNode)\b|\bhttpAdmin\b/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(hits, []);
  });

  it('the editor files (hand-written and generated) request no admin endpoint', function () {
    const files = [
      ...filesIn(join(REPO_ROOT, 'nodes'), /\.html$/),
      ...filesIn(join(REPO_ROOT, 'resources'), /\.js$/),
      ...filesIn(join(REPO_ROOT, 'dist', 'nodes'), /\.html$/),
    ];
    assert.ok(
      files.some((f) => f.endsWith('tbk-config.html')),
      'the editor files are there',
    );
    const hits = files.filter(
      (f) => EDITOR_REQUEST.test(readFileSync(f, 'utf8')) || SERVER_ROUTE.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(hits, []);
  });

  describe('in a runtime with every node set loaded', function () {
    let sandbox: Sandbox;
    before(async function () {
      sandbox = await startSandbox();
      await startRuntime();
    });
    after(async function () {
      await stopRuntime();
      await sandbox.close();
    });

    it('adds no route to the admin app', async function () {
      const admin = helper as unknown as { _httpAdmin?: { _router?: { stack: Array<{ route?: { path: string } }> } } };
      const flow = [
        { id: 'f1', type: 'tab' },
        { id: 'cfg', type: 'tbk-config', z: 'f1', endpoint: sandbox.url },
        {
          id: 'api',
          type: 'tbk-api',
          z: 'f1',
          x: 0,
          y: 0,
          config: 'cfg',
          method: 'taobao.tbk.item.info.get',
          wires: [],
        },
      ];
      await helper.load([configNode, apiNode, promoterSet, providerSet, commonSet, otherSet], flow, {
        cfg: { appKey: 'sandbox-app', appSecret: 'sandbox-secret' },
      });
      const routes = (admin._httpAdmin?._router?.stack ?? [])
        .filter((layer) => layer.route)
        .map((layer) => layer.route!.path);
      assert.ok(admin._httpAdmin?._router, 'the helper exposes its admin app');
      assert.deepEqual(routes, []);
    });
  });
});
