/**
 * The Flow Library scorecard (`node-red-dev validate`), run on the package as npm would publish it,
 * failing unless every check passed and the node checks saw every node type.
 *
 *   npm run scorecard       (builds first)
 *
 * Steps: `npm pack` into a temporary folder and unpack it (the Flow Library validates the published
 * tarball: this also checks that `files` ships the nodes and the examples, and lets D03 judge the
 * declared ranges rather than whatever this checkout has installed); run node-red-dev with
 * scripts/scorecard-preload.js, which answers its one request to the Node-RED catalogue (not
 * reachable from here) with a stub; read the scorecard JSON it writes.
 *
 * Options: --keep (leave the temporary folder), --path <dir> (validate that folder instead of a pack).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadSpecs } from '../lib/method-specs';
import { packageRoot } from '../lib/package-root';

const ROOT = packageRoot();
const PRELOAD = join(ROOT, 'scripts', 'scorecard-preload.js');
/** Every check node-red-dev 0.1.6 runs (P02 is disabled in it). */
export const CHECKS = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'N01', 'N02', 'D01', 'D02', 'D03'] as const;

interface CheckResult {
  test: boolean;
  [key: string]: unknown;
}
export type Scorecard = Record<string, CheckResult | { name: string; version: string }>;

/**
 * The node types that need an example: every type the node sets' HTML registers (read here with a
 * plain pattern, independently of node-red-dev's parser) but the config node. They must include
 * tbk-api and every method node type of the specs.
 */
export function expectedExampleTypes(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  const types = new Set<string>();
  for (const file of Object.values(pkg['node-red'].nodes)) {
    const html = readFileSync(join(packageDir, file.replace(/\.js$/, '.html')), 'utf8');
    for (const match of html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)) types.add(match[1]!);
  }
  for (const type of ['tbk-config', 'tbk-api', ...loadSpecs().map((s) => s.type)]) {
    if (!types.has(type)) throw new Error(`${type} is not registered by any node set's HTML in ${packageDir}`);
  }
  types.delete('tbk-config');
  return [...types].sort();
}

/** What is wrong with a scorecard; empty when it passes. */
export function scorecardProblems(scorecard: Scorecard, expectedTypes: readonly string[]): string[] {
  const problems: string[] = [];
  for (const id of CHECKS) {
    const check = scorecard[id] as CheckResult | undefined;
    if (!check) problems.push(`${id}: not run`);
    else if (check.test !== true) problems.push(`${id}: failed ${JSON.stringify(check)}`);
  }
  // N01 and N02 pass vacuously when the node HTML cannot be parsed: N02 lists the non-config
  // types it found in both the HTML and the examples, which must be every one of them.
  const n02 = scorecard.N02 as CheckResult | undefined;
  const found = Array.isArray(n02?.nodes) ? (n02.nodes as string[]).slice().sort() : [];
  const missing = expectedTypes.filter((t) => !found.includes(t));
  const extra = found.filter((t) => !expectedTypes.includes(t));
  if (missing.length) problems.push(`N02: node types not found (in the HTML or an example): ${missing.join(', ')}`);
  if (extra.length) problems.push(`N02: unexpected node types: ${extra.join(', ')}`);
  return problems;
}

function packPackage(work: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [info] = JSON.parse(out) as Array<{ filename: string; entryCount: number; size: number }>;
  const tarball = join(work, info!.filename.replace(/^@/, '').replace(/\//g, '-'));
  const file = existsSync(tarball)
    ? tarball
    : join(
        work,
        readdirSync(work).find((f) => f.endsWith('.tgz'))!,
      );
  execFileSync('tar', ['-xzf', file, '-C', work]);
  console.log(`scorecard: packed ${info!.entryCount} files (${Math.round(info!.size / 1024)} KiB)`);
  return join(work, 'package');
}

function main(): void {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const pathIndex = args.indexOf('--path');
  const work = mkdtempSync(join(tmpdir(), 'tbk-scorecard-'));
  try {
    const target = pathIndex >= 0 ? resolve(args[pathIndex + 1] ?? '.') : packPackage(work);
    const output = join(work, 'scorecard.json');
    const cli = join(dirname(require.resolve('node-red-dev/package.json', { paths: [ROOT] })), 'bin', 'run');
    const run = spawnSync(process.execPath, ['-r', PRELOAD, cli, 'validate', '-p', target, '-o', output], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    process.stdout.write(run.stdout ?? '');
    process.stderr.write(run.stderr ?? '');
    if (!existsSync(output)) {
      console.error(`scorecard: node-red-dev wrote no scorecard (exit ${run.status ?? run.signal})`);
      process.exit(1);
    }
    if (/Unable to parse/.test(run.stdout ?? ''))
      console.error('scorecard: node-red-dev could not parse a node HTML file');
    const scorecard = JSON.parse(readFileSync(output, 'utf8')) as Scorecard;
    const expected = expectedExampleTypes(target);
    const problems = scorecardProblems(scorecard, expected);
    if (/Unable to parse/.test(run.stdout ?? '')) problems.push('node-red-dev could not parse a node HTML file');
    console.log(`scorecard: ${JSON.stringify(scorecard)}`);
    if (problems.length) {
      console.error(`scorecard: FAILED\n  ${problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(
      `scorecard: all ${CHECKS.length} checks passed; examples and node HTML cover all ${expected.length} node types (+ tbk-config)`,
    );
  } finally {
    if (keep) console.log(`scorecard: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) main();
