/**
 * What `npm pack` publishes: the compiled library and nodes, the specs, the editor files and the
 * examples; no compiled tests, bench or build scripts, and every module the published code requires.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { REPO_ROOT } from '../support/paths';

interface PackInfo {
  entryCount: number;
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

function packList(): PackInfo {
  // the build of this test run is what gets packed: no prepack rebuild
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as PackInfo[])[0]!;
}

/** Bytes of the node HTML and help the editor downloads for this package in one language (what GET /nodes serves of it). */
function editorPayload(lang: string): number {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  let bytes = 0;
  for (const file of Object.values(pkg['node-red'].nodes)) {
    const html = join(REPO_ROOT, file.replace(/\.js$/, '.html'));
    const help = join(dirname(html), 'locales', lang, file.replace(/^.*\/([^/]+)\.js$/, '$1.html'));
    bytes += statSync(html).size + (existsSync(help) ? statSync(help).size : 0);
  }
  return bytes;
}

/** 1.2 MB, the most the editor may download of this package's node HTML and help in one language. */
const EDITOR_PAYLOAD_LIMIT = 1_200_000;

describe('editor payload', function () {
  for (const lang of ['en-US', 'zh-CN']) {
    it(`node HTML and help in ${lang}: at most 1.2 MB`, function () {
      const bytes = editorPayload(lang);
      assert.ok(bytes <= EDITOR_PAYLOAD_LIMIT, `${bytes} bytes`);
    });
  }
});

describe('npm pack', function () {
  this.timeout(60_000);
  let pack: PackInfo;
  let paths: Set<string>;

  before(function () {
    pack = packList();
    paths = new Set(pack.files.map((f) => f.path));
  });

  it('ships no compiled tests, bench, build scripts or source maps', function () {
    const unwanted = [...paths].filter((p) => /^dist\/(test|bench|scripts)\//.test(p) || p.endsWith('.map'));
    assert.deepEqual(unwanted, []);
  });

  it('ships the entry points of package.json and the editor files', function () {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      bin: Record<string, string>;
      'node-red': { nodes: Record<string, string> };
    };
    const wanted = [pkg.main, pkg.types, ...Object.values(pkg.bin), 'resources/tbk-editor.js'];
    for (const file of Object.values(pkg['node-red'].nodes))
      wanted.push(
        file,
        file.replace(/\.js$/, '.html'),
        file.replace(/^(.*)\/([^/]+)\.js$/, '$1/locales/en-US/$2.json'),
        file.replace(/^(.*)\/([^/]+)\.js$/, '$1/locales/zh-CN/$2.json'),
      );
    assert.deepEqual(
      wanted.filter((file) => !paths.has(file)),
      [],
    );
    assert.ok(
      [...paths].some((p) => p.startsWith('specs/methods/')),
      'the method specs',
    );
    assert.ok(
      [...paths].some((p) => p.startsWith('examples/')),
      'the examples',
    );
  });

  it('ships every module the published code requires', function () {
    const missing: string[] = [];
    for (const file of paths) {
      if (!file.endsWith('.js') || !file.startsWith('dist/')) continue;
      const code = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const match of code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
        const target = normalize(join(dirname(file), match[1]!))
          .split('\\')
          .join('/');
        const candidates = [target, `${target}.js`, `${target}.json`, `${target}/index.js`];
        if (!candidates.some((c) => paths.has(c))) missing.push(`${file} -> ${match[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe("the package's main", function () {
  it('exports the public API of 0.1 (and what was added since): nothing may disappear in a refactoring', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(join(REPO_ROOT, 'dist', 'lib', 'index.js')) as Record<string, unknown>;
    const expected = [
      'TopClient',
      'DEFAULT_ENDPOINT',
      'DEFAULT_TIMEOUT_MS',
      'DEFAULT_RATE_LIMIT',
      'batchUrlFor',
      'DEFAULT_BATCH_SEPARATOR',
      'DEFAULT_BATCH_SIZE',
      'batchInChunks',
      'TopError',
      'isTopError',
      'describeTopError',
      'sign',
      'stringToSign',
      'SIGN_METHODS',
      'formatGmt8',
      'topTimestamp',
      'parseGmt8',
      'encodeParams',
      'encodeValue',
      'parseJsonBytes',
      'parseJsonLossless',
      'responseKey',
      'unwrapBody',
      'detectBusinessFailure',
      'RateLimiter',
      'paginate',
      'DEFAULT_RETRY',
      'OrderSync',
      'MemoryCheckpointStore',
      'findMaterials',
      'replaceMaterials',
      'isTaobaoHost',
      'convertText',
      'DG_LINK_CONVERT',
      'SC_LINK_CONVERT',
      'MAX_MATERIALS_PER_CALL',
    ];
    const missing = expected.filter((name) => main[name] === undefined);
    assert.deepEqual(missing, [], `missing from dist/lib/index.js: ${missing.join(', ')}`);
  });
});
