/**
 * Editor side of the build, into dist/nodes/: reads the method specs and the UI strings
 * (nodes/locales/<lang>/, ui-strings.ts), checks the palette labels, then runs each job:
 *
 *   copy-editor-files.ts  the hand-written node sets' HTML and help, and the icons
 *   editor-html.ts        one tbk-<role>.html per generated node set (registerType per type)
 *   locale-catalogs.ts    the catalogues of every node set, generated and hand-written
 *   method-help.ts        the help of the generated node sets
 *
 * Usage: node dist/scripts/build-nodes.js [--specs <dir>] [--out <dir>]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSpecs, SPECS_DIR } from '../lib/method-specs';
import type { MethodSpec } from '../lib/method-specs/types';
import { copyEditorFiles } from './copy-editor-files';
import { editorHtmlFiles } from './editor-html';
import { handWrittenLocaleFiles, labelProblems, localeFiles } from './locale-catalogs';
import { helpFiles } from './method-help';
import { checkType, nodeSetName, ROLES } from './node-sets';
import { readUiStrings } from './ui-strings';
import { packageRoot } from '../lib/package-root';

export interface BuildOptions {
  /** package root (holds package.json, nodes/, icons/) */
  rootDir?: string;
  /** where the method specs are; default specs/methods */
  specsDir?: string;
  /** where to write; default <root>/dist/nodes */
  outDir?: string;
}

export interface BuildResult {
  outDir: string;
  types: string[];
  files: string[];
}

/** This file is at dist/scripts/ once built, scripts/ in source. */
export function defaultRootDir(): string {
  return packageRoot();
}

function readSpecs(dir: string): MethodSpec[] {
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.json'))) {
    console.warn(`build-nodes: no method specs in ${dir}; the method node sets will be empty`);
    return [];
  }
  const specs = loadSpecs(dir);
  const seen = new Set<string>();
  for (const spec of specs) {
    checkType(spec.type);
    if (!ROLES.includes(spec.role)) throw new Error(`${spec.method}: unknown role "${spec.role}"`);
    if (seen.has(spec.type)) throw new Error(`${spec.method}: node type ${spec.type} is used twice`);
    seen.add(spec.type);
  }
  return specs;
}

export function buildNodes(options: BuildOptions = {}): BuildResult {
  const rootDir = resolve(options.rootDir ?? defaultRootDir());
  const outDir = resolve(options.outDir ?? join(rootDir, 'dist', 'nodes'));
  const specsDir = resolve(options.specsDir ?? (options.rootDir ? join(rootDir, 'specs', 'methods') : SPECS_DIR));
  const localesDir = join(rootDir, 'nodes', 'locales');
  const pkg = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as {
    name: string;
    'node-red'?: { nodes?: Record<string, string> };
  };
  const specs = readSpecs(specsDir);
  const strings = readUiStrings(localesDir);
  const problems = labelProblems(specs, localesDir);
  if (problems.length) throw new Error(`palette labels:\n  ${problems.join('\n  ')}`);

  const generatedSets = ROLES.map(nodeSetName);
  const handWrittenSets = Object.keys(pkg['node-red']?.nodes ?? {}).filter((name) => !generatedSets.includes(name));
  const files = copyEditorFiles(rootDir, outDir);
  for (const file of [
    ...editorHtmlFiles(specs, pkg.name, strings),
    ...localeFiles(specs, strings),
    ...handWrittenLocaleFiles(localesDir, handWrittenSets, strings),
    ...helpFiles(specs, strings),
  ]) {
    const path = join(outDir, ...file.path.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    files.push(path);
  }
  return { outDir, types: specs.map((s) => s.type), files };
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

if (require.main === module) {
  try {
    const args = process.argv.slice(2);
    const specsDir = argValue(args, '--specs') ?? process.env.TBK_SPECS_DIR;
    const outDir = argValue(args, '--out');
    const result = buildNodes({ ...(specsDir ? { specsDir } : {}), ...(outDir ? { outDir } : {}) });
    console.log(
      `build-nodes: ${result.types.length} method node types, ${result.files.length} files in ${result.outDir}`,
    );
  } catch (err) {
    console.error(`build-nodes: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
