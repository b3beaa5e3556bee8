/**
 * The UI strings the build writes into the node sets, read from their one home per language,
 * nodes/locales/<lang>/, beside the hand-written node sets' catalogues:
 *
 *   palette.json        the titles of the palette categories (added to every node set's catalogue)
 *   method-editor.json  the generated method nodes' edit dialog and shared editor script
 *                       (their catalogues' tbk.editor.*) and port labels (tbk.outputs.*)
 *   method-help.json    the words of the generated method nodes' help
 *
 * They are build inputs, not catalogues Node-RED reads: the build puts them where they belong.
 * Every language must have the keys en-US has, no more and no less.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES, LANGS, type Lang } from './node-sets';

export interface LangStrings {
  /** palette category (as the node definitions name it) -> its title */
  palette: Record<string, string>;
  /** tbk.editor.<key> */
  editor: Record<string, string>;
  /** tbk.outputs.<key>: the labels of the response and error ports */
  outputs: Record<string, string>;
  /** the help's headings, notes and sections */
  help: Record<string, string>;
}

export type UiStrings = Record<Lang, LangStrings>;

export const PALETTE_FILE = 'palette.json';
export const METHOD_EDITOR_FILE = 'method-editor.json';
export const METHOD_HELP_FILE = 'method-help.json';

/** A flat object of strings, or the reason it is not. */
function stringTable(value: unknown, where: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where}: not an object of texts`);
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string' || text === '') throw new Error(`${where}: "${key}" is not a text`);
  }
  return value as Record<string, string>;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new Error(`${path}: missing`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

function readLang(localesDir: string, lang: Lang): LangStrings {
  const dir = join(localesDir, lang);
  const editorPath = join(dir, METHOD_EDITOR_FILE);
  const editorFile = readJson(editorPath) as { editor?: unknown; outputs?: unknown };
  return {
    palette: stringTable(readJson(join(dir, PALETTE_FILE)), join(dir, PALETTE_FILE)),
    editor: stringTable(editorFile?.editor, `${editorPath} (editor)`),
    outputs: stringTable(editorFile?.outputs, `${editorPath} (outputs)`),
    help: stringTable(readJson(join(dir, METHOD_HELP_FILE)), join(dir, METHOD_HELP_FILE)),
  };
}

/** Keys one language has and the other lacks, as "<lang> <part>: <key> missing" lines. */
function keyProblems(reference: LangStrings, other: LangStrings, lang: Lang): string[] {
  const problems: string[] = [];
  for (const part of Object.keys(reference) as Array<keyof LangStrings>) {
    for (const key of Object.keys(reference[part]))
      if (!(key in other[part])) problems.push(`${lang} ${part}: "${key}" missing`);
    for (const key of Object.keys(other[part]))
      if (!(key in reference[part])) problems.push(`${lang} ${part}: "${key}" is not in ${LANGS[0]}`);
  }
  return problems;
}

/** The strings of every language, from <localesDir>/<lang>/; throws when a file is missing or a language lacks a key. */
export function readUiStrings(localesDir: string): UiStrings {
  const strings = Object.fromEntries(LANGS.map((lang) => [lang, readLang(localesDir, lang)])) as UiStrings;
  const problems = LANGS.slice(1).flatMap((lang) => keyProblems(strings[LANGS[0]], strings[lang], lang));
  for (const key of ['response', 'error'])
    if (!(key in strings[LANGS[0]].outputs)) problems.push(`${LANGS[0]} outputs: "${key}" missing`);
  for (const category of Object.values(CATEGORIES))
    if (!(category in strings[LANGS[0]].palette)) problems.push(`${LANGS[0]} palette: "${category}" missing`);
  if (problems.length) throw new Error(`UI strings in ${localesDir}:\n  ${problems.join('\n  ')}`);
  return strings;
}
