/**
 * The locale catalogues Node-RED reads for each node set (locales/<lang>/<set>.json): the generated
 * sets' from the specs and the UI strings; the hand-written sets' (nodes/locales/<lang>/<set>.json)
 * as written, with the palette's category titles added. And the check that the palette labels of
 * all of them tell every node type apart.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodSpec, Role } from '../lib/method-specs/types';
import { labelOf, LANGS, nodeSetName, ROLES, titleOf, type GeneratedFile, type Lang } from './node-sets';
import { PALETTE_FILE, type LangStrings, type UiStrings } from './ui-strings';

/**
 * The titles of the palette categories as a catalogue's palette.label: Node-RED looks a category's
 * title up as palette.label.<category with spaces as _> (older versions: the category itself) in
 * the catalogue of the first node set that puts a node in it, so every set carries them all.
 */
function paletteLabels(titles: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [category, title] of Object.entries(titles)) {
    out[category.replace(/ /g, '_')] = title;
    out[category] = title;
  }
  return out;
}

function json(catalog: Record<string, unknown>): string {
  return JSON.stringify(catalog, null, 2) + '\n';
}

export function localeForRole(
  role: Role,
  specs: MethodSpec[],
  lang: Lang,
  strings: LangStrings,
): Record<string, unknown> {
  const catalog: Record<string, unknown> = {
    tbk: { editor: strings.editor, outputs: strings.outputs },
    palette: { label: paletteLabels(strings.palette) },
  };
  for (const spec of specs.filter((s) => s.role === role)) {
    catalog[spec.type] = {
      paletteLabel: labelOf(spec, lang),
      label: { zh: spec.label.zh, en: spec.label.en },
      title: titleOf(spec, lang),
      method: spec.method,
    };
  }
  return catalog;
}

/** The catalogues of every generated node set, in every language: locales/<lang>/tbk-<role>.json. */
export function localeFiles(specs: MethodSpec[], strings: UiStrings): GeneratedFile[] {
  return ROLES.flatMap((role) =>
    LANGS.map((lang) => ({
      path: `locales/${lang}/${nodeSetName(role)}.json`,
      content: json(localeForRole(role, specs, lang, strings[lang])),
    })),
  );
}

/**
 * The catalogues of the hand-written node sets (those of `setNames` that have one in
 * `localesDir`), each with the palette's titles. A catalogue that has its own palette titles is
 * refused: they have one home, palette.json.
 */
export function handWrittenLocaleFiles(
  localesDir: string,
  setNames: readonly string[],
  strings: UiStrings,
): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const lang of LANGS) {
    for (const name of setNames) {
      const path = join(localesDir, lang, `${name}.json`);
      if (!existsSync(path)) continue;
      const catalog = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      if (catalog.palette !== undefined)
        throw new Error(`${path}: the palette's titles belong in ${lang}/${PALETTE_FILE}`);
      files.push({
        path: `locales/${lang}/${name}.json`,
        content: json({ ...catalog, palette: { label: paletteLabels(strings[lang].palette) } }),
      });
    }
  }
  return files;
}

/**
 * Palette labels must tell every node type apart in each language, and show as written: the
 * palette cuts long labels into lines of its markup, so a character it escapes (& < >) would show
 * as an entity. The hand-written node sets' labels come from their catalogues.
 */
export function labelProblems(specs: readonly MethodSpec[], localesDir?: string): string[] {
  const problems: string[] = [];
  for (const lang of LANGS) {
    const labels = new Map<string, string[]>();
    const add = (label: string, type: string): void => void labels.set(label, [...(labels.get(label) ?? []), type]);
    for (const spec of specs) add(labelOf(spec, lang), spec.type);
    if (localesDir && existsSync(join(localesDir, lang))) {
      for (const file of readdirSync(join(localesDir, lang)).filter((f) => f.endsWith('.json'))) {
        const name = file.replace(/\.json$/, '');
        const label = (
          JSON.parse(readFileSync(join(localesDir, lang, file), 'utf8')) as Record<string, { paletteLabel?: unknown }>
        )[name]?.paletteLabel;
        if (typeof label === 'string') add(label, name);
      }
    }
    for (const [label, types] of labels) {
      if (types.length > 1) problems.push(`${lang}: "${label}" is the palette label of ${types.join(', ')}`);
      if (/[&<>]/.test(label))
        problems.push(
          `${lang}: "${label}" (${types.join(', ')}) holds a character the palette shows as an HTML entity`,
        );
    }
  }
  return problems;
}
