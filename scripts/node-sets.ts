/**
 * What the generated method node sets are made of, for every part of the build: their languages,
 * roles, palette categories and colours, node type names, and a method's label and title.
 */
import type { MethodSpec, Role } from '../lib/method-specs/types';

export const LANGS = ['en-US', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

/** One generated node set per role, named tbk-<role>. */
export const ROLES: readonly Role[] = ['promoter', 'provider', 'common', 'other'];

export function nodeSetName(role: Role): string {
  return `tbk-${role}`;
}

/** Palette category of each role. No dashes: Node-RED treats the part before a dash as the root category. */
export const CATEGORIES: Record<Role, string> = {
  promoter: 'tbk promoter',
  provider: 'tbk provider',
  common: 'tbk common',
  other: 'tbk other',
};

export const COLORS: Record<Role, string> = {
  promoter: '#FF8C42',
  provider: '#FFA866',
  common: '#FFC08A',
  other: '#F5CBA7',
};

export const METHOD_ICON = 'taobao.svg';
/** The shared editor script, in resources/: served by Node-RED at resources/<package name>/tbk-editor.js. */
export const EDITOR_SCRIPT = 'tbk-editor.js';

const TYPE_PATTERN = /^tbk-[a-z0-9]+(?:-[a-z0-9_]+)*$/;

/** A node type that is safe as it is inside the generated HTML and script. */
export function checkType(type: string): string {
  if (!TYPE_PATTERN.test(type)) throw new Error(`invalid node type "${type}"`);
  return type;
}

export function isZh(lang: Lang): boolean {
  return lang === 'zh-CN';
}

export function titleOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.title.zh : spec.title.en) || spec.title.zh || spec.title.en || spec.method;
}

export function labelOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.label.zh : spec.label.en) || spec.label.en || spec.label.zh || spec.method;
}

export function needsSession(spec: MethodSpec): boolean {
  return spec.role === 'provider' || spec.auth === 'required';
}

/** The method's page in the official documentation (the catalog's doc_id), when known. */
export function docUrl(spec: MethodSpec): string | undefined {
  return spec.docId
    ? `https://open.taobao.com/api.htm?docId=${encodeURIComponent(String(spec.docId))}&docType=2`
    : undefined;
}

/** A file the build writes: its path under the output folder (dist/nodes/), with / between folders, and its content. */
export interface GeneratedFile {
  path: string;
  content: string;
}
