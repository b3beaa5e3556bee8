/**
 * Editor side of the build: copies the hand-written editor files (nodes/*.html, nodes/locales/**,
 * icons/*.svg) into dist/nodes/ and generates, from the method specs, one dist/nodes/tbk-<role>.html
 * per node set (a literal `RED.nodes.registerType('tbk-…', {…})` per type) with its help and locales.
 *
 * Usage: node dist/scripts/build-nodes.js [--specs <dir>] [--out <dir>]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadSpecs, SPECS_DIR } from '../lib/method-specs';
import type { MethodSpec, ParamSpec, Role } from '../lib/method-specs/types';
import { docUrl, helpForRole, labelOf, LANGS, needsSession, titleOf, type Lang } from './method-help';

export { LANGS, type Lang };
export const ROLES: readonly Role[] = ['promoter', 'provider', 'common', 'other'];

/** Palette category of each role. No dashes: Node-RED treats the part before a dash as the root category. */
export const CATEGORIES: Record<Role, string> = {
  promoter: 'tbk promoter',
  provider: 'tbk provider',
  common: 'tbk common',
  other: 'tbk other',
};

/** Titles of the palette categories. Node-RED looks them up as palette.label.<category with spaces as _>. */
export const CATEGORY_TITLES: Record<Lang, Record<Role, string>> = {
  'en-US': { promoter: 'TBK promoter', provider: 'TBK provider', common: 'TBK common', other: 'TBK other' },
  'zh-CN': { promoter: '淘宝客·推广者', provider: '淘宝客·服务商', common: '淘宝客·公用', other: '淘宝客·其他' },
};

export const COLORS: Record<Role, string> = {
  promoter: '#FF8C42',
  provider: '#FFA866',
  common: '#FFC08A',
  other: '#F5CBA7',
};

export const METHOD_ICON = 'taobao.svg';
export const EDITOR_SCRIPT = 'tbk-editor.js';

/** Strings the generated templates and the shared editor script look up in each node set's namespace (key tbk.editor.*). */
export const EDITOR_STRINGS: Record<Lang, Record<string, string>> = {
  'en-US': {
    config: 'Config',
    name: 'Name',
    method: 'Method',
    params: 'Parameters',
    required: 'required',
    default: 'default',
    example: 'e.g.',
    allowed: 'allowed',
    range: 'range',
    maxLength: 'max length',
    notSet: 'not set',
    noParams: 'This method documents no parameters.',
    fileParam: 'binary content: pass it in msg.payload',
    undocumented: 'not documented',
    extraParams: 'Other parameters',
    extraName: 'name',
    allowExtra: 'Allow extra parameters',
    allowExtraTip: 'Also send parameters this method does not document (from the list above or msg.payload).',
    errorMode: 'On error',
    errorModeAuto: 'error output when wired, else Catch',
    errorModeOutput: 'always the error output',
    errorModeCatch: 'always a Catch node',
    paging: 'Pages',
    pagingOne: 'one page, as requested',
    pagingEach: 'every page, one message per page',
    pagingMerge: 'every page, merged into one message',
    maxPages: 'Max pages',
    unconfirmed: 'Unconfirmed: the method name is inferred',
    unvalidated: 'Parameters are passed through without validation',
    writes: 'Creates or changes data: never retried',
    session: 'Needs a user session (config node or msg.session)',
    docs: 'documentation',
    payloadNote: 'Parameters can also be sent in msg.payload (an object keyed by parameter name).',
    missingRequired: 'Required, but neither set nor mapped from msg',
    missingRequiredTip: 'Set a value, or choose msg and e.g. payload.<name> to take it from msg.payload.',
  },
  'zh-CN': {
    config: '配置',
    name: '名称',
    method: '方法',
    params: '参数',
    required: '必填',
    default: '默认',
    example: '例',
    allowed: '可选值',
    range: '范围',
    maxLength: '最大长度',
    notSet: '未设置',
    noParams: '该方法没有文档化的参数。',
    fileParam: '二进制内容：请通过 msg.payload 传入',
    undocumented: '未文档化',
    extraParams: '其他参数',
    extraName: '参数名',
    allowExtra: '允许额外参数',
    allowExtraTip: '同时发送该方法文档中没有的参数（来自上面的列表或 msg.payload）。',
    errorMode: '出错时',
    errorModeAuto: '错误输出已连线则走错误输出，否则交给 Catch',
    errorModeOutput: '总是走错误输出',
    errorModeCatch: '总是交给 Catch 节点',
    paging: '分页',
    pagingOne: '单页（按参数）',
    pagingEach: '所有页，每页一条消息',
    pagingMerge: '所有页，合并为一条消息',
    maxPages: '最多页数',
    unconfirmed: '未确认：方法名为推断',
    unvalidated: '参数不做校验，原样发送',
    writes: '会创建或修改数据：不会重试',
    session: '需要用户授权 session（配置节点或 msg.session）',
    docs: '文档',
    payloadNote: '参数也可以通过 msg.payload 传入（以参数名为键的对象）。',
    missingRequired: '必填参数既未设置，也未映射到 msg',
    missingRequiredTip: '请填写值，或选择 msg 并填写例如 payload.<参数名>，表示取自 msg.payload。',
  },
};

const OUTPUT_LABELS: Record<Lang, { response: string; error: string }> = {
  'en-US': { response: 'response', error: 'error' },
  'zh-CN': { response: '响应', error: '错误' },
};

// ---------------------------------------------------------------------------------------------
// escaping

/** JSON that is safe inside a <script> element and inside a JS string context. */
export function scriptSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A JS single-quoted string literal. */
function jsString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/</g, '\\x3c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') + "'";
}

const TYPE_PATTERN = /^tbk-[a-z0-9]+(?:-[a-z0-9_]+)*$/;

function checkType(type: string): string {
  if (!TYPE_PATTERN.test(type)) throw new Error(`invalid node type "${type}"`);
  return type;
}

// ---------------------------------------------------------------------------------------------
// editor HTML

/** Words the palette search also finds a node by (besides its type, method, labels and titles). */
const SEARCH_TERMS: Array<{ test: (spec: MethodSpec) => boolean; terms: string[] }> = [
  // every link conversion, whatever its title calls it (转链, 链接转换, convert)
  { test: (spec) => /\.convert$/.test(spec.method) || /转链|链接转换/.test(spec.title.zh + spec.label.zh), terms: ['转链', 'link conversion'] },
];

/** What the shared editor script and the definition script need of a method (embedded as JSON). */
export interface EditorSpec {
  type: string;
  method: string;
  role: Role;
  status: MethodSpec['status'];
  validate: boolean;
  writes: boolean;
  session: boolean;
  sibling?: string;
  paging: boolean;
  docUrl?: string;
  label: { zh: string; en: string };
  title: { zh: string; en: string };
  /** further words the palette search finds it by */
  terms?: string[];
  /** a parameter as the spec has it, its descriptions as zh and en */
  params: Array<Pick<ParamSpec, 'name' | 'kind' | 'docType' | 'required' | 'example' | 'default' | 'min' | 'max' | 'maxLength' | 'enum'> & { zh: string; en: string }>;
}

export function editorSpecFor(spec: MethodSpec): EditorSpec {
  const out: EditorSpec = {
    type: spec.type,
    method: spec.method,
    role: spec.role,
    status: spec.status,
    validate: spec.validate,
    writes: spec.writes,
    session: needsSession(spec),
    paging: Boolean(spec.paging),
    label: { zh: spec.label.zh, en: spec.label.en },
    title: { zh: spec.title.zh, en: spec.title.en },
    params: spec.params.map((p) => {
      const row: EditorSpec['params'][number] = { name: p.name, kind: p.kind, docType: p.docType, required: p.required, zh: p.description || '', en: p.descriptionEn || '' };
      if (p.example !== undefined && p.example !== null) row.example = String(p.example);
      if (p.default !== undefined && p.default !== null) row.default = String(p.default);
      if (p.min !== undefined) row.min = p.min;
      if (p.max !== undefined) row.max = p.max;
      if (p.maxLength !== undefined) row.maxLength = p.maxLength;
      if (p.enum && p.enum.length) row.enum = p.enum;
      return row;
    }),
  };
  if (spec.sibling) out.sibling = spec.sibling;
  const url = docUrl(spec);
  if (url) out.docUrl = url;
  const terms = SEARCH_TERMS.filter((entry) => entry.test(spec)).flatMap((entry) => entry.terms);
  if (terms.length) out.terms = terms;
  return out;
}

/**
 * The edit dialog of every method node of a set, once: the definition script fills the empty
 * template of each type from it ({{type}}, {{method}}, {{badges}}; the paging rows only for a
 * method that pages).
 */
function sharedTemplate(): string {
  return `
  <div class="form-row">
    <label for="node-input-config"><i class="fa fa-key"></i> <span data-i18n="tbk.editor.config"></span></label>
    <input type="text" id="node-input-config">
  </div>
  <div class="form-row">
    <label for="node-input-name"><i class="fa fa-tag"></i> <span data-i18n="tbk.editor.name"></span></label>
    <input type="text" id="node-input-name" data-i18n="[placeholder]tbk.editor.name">
  </div>
  <div class="form-row tbk-method-row">
    <label><i class="fa fa-code"></i> <span data-i18n="tbk.editor.method"></span></label>
    <code class="tbk-method">{{method}}</code>
    <div class="tbk-badges">{{badges}}</div>
  </div>
  <div class="form-row tbk-params-row">
    <label><i class="fa fa-list"></i> <span data-i18n="tbk.editor.params"></span></label>
    <div class="tbk-params" id="tbk-params-{{type}}" data-tbk-type="{{type}}"></div>
  </div>
  <div class="form-row">
    <label>&nbsp;</label>
    <input type="checkbox" id="node-input-allowExtra" style="display:inline-block;width:auto;vertical-align:top">
    <label for="node-input-allowExtra" style="width:auto" data-i18n="tbk.editor.allowExtra"></label>
    <div class="form-tips" data-i18n="tbk.editor.allowExtraTip"></div>
  </div>
  <div class="form-row">
    <label for="node-input-errorMode"><i class="fa fa-exclamation-triangle"></i> <span data-i18n="tbk.editor.errorMode"></span></label>
    <select id="node-input-errorMode" style="width:70%">
      <option value="auto" data-i18n="tbk.editor.errorModeAuto"></option>
      <option value="output" data-i18n="tbk.editor.errorModeOutput"></option>
      <option value="catch" data-i18n="tbk.editor.errorModeCatch"></option>
    </select>
  </div><!--paging-->
  <div class="form-row">
    <label for="node-input-paging"><i class="fa fa-files-o"></i> <span data-i18n="tbk.editor.paging"></span></label>
    <select id="node-input-paging" style="width:70%">
      <option value="one" data-i18n="tbk.editor.pagingOne"></option>
      <option value="each" data-i18n="tbk.editor.pagingEach"></option>
      <option value="merge" data-i18n="tbk.editor.pagingMerge"></option>
    </select>
  </div>
  <div class="form-row tbk-max-pages-row">
    <label for="node-input-maxPages"><i class="fa fa-hashtag"></i> <span data-i18n="tbk.editor.maxPages"></span></label>
    <input type="text" id="node-input-maxPages" style="width:80px">
  </div><!--/paging-->
`;
}

/** One registerType per type: a literal type and definition (what Node-RED and the Flow Library's scorecard read). */
function definitionFor(spec: MethodSpec): string {
  const type = jsString(checkType(spec.type));
  return `  RED.nodes.registerType(${type}, { category: ${jsString(CATEGORIES[spec.role])}, color: ${jsString(COLORS[spec.role])}, defaults: { name: { value: '' }, config: { value: '', type: 'tbk-config', required: true }, version: { value: ${Number(spec.version) || 1} }, params: { value: {}, validate: validParams }, allowExtra: { value: false }, errorMode: { value: 'auto' }, paging: { value: 'one' }, maxPages: { value: 10, validate: validMaxPages } }, inputs: 1, outputs: 2, icon: ${jsString(METHOD_ICON)}, paletteLabel: paletteLabel, label: label, labelStyle: labelStyle, inputLabels: inputLabels, outputLabels: outputLabels, onpaletteadd: paletteAdd, oneditprepare: prepare, oneditsave: save, oneditcancel: cancel, oneditresize: resize });`;
}

/**
 * The start of every node set's definition script: the definitions' functions (`this` is the node
 * or the definition, whose type names its spec), the filling of the templates and of the help's
 * shared sections, all guarded against a missing or broken shared script.
 */
const DEFINITION_PRELUDE = `  var specs = {};
  function editor() {
    return typeof window !== 'undefined' && window.TbkEditor ? window.TbkEditor : null;
  }
  function call(name) {
    var e = editor();
    if (!e || typeof e[name] !== 'function') return undefined;
    try {
      return e[name].apply(e, Array.prototype.slice.call(arguments, 1));
    } catch (err) {
      if (typeof console !== 'undefined') console.warn('[tbk] ' + name + ': ' + err);
      return undefined;
    }
  }
  function spec(type) {
    if (Object.prototype.hasOwnProperty.call(specs, type)) return specs[type];
    var found = null;
    try {
      var element = document.querySelector('script[data-tbk-spec="' + type + '"]');
      found = element ? JSON.parse(element.textContent || 'null') : null;
    } catch (err) { found = null; }
    specs[type] = found;
    return found;
  }
  function text(owner, key, fallback) {
    try {
      var translate = owner && typeof owner._ === 'function' ? owner._ : null;
      var value = translate ? translate(key) : null;
      if (typeof value === 'string' && value !== '' && value !== key && value.indexOf(key) === -1) return value;
    } catch (err) { /* fall back */ }
    return fallback;
  }
  function englishLabel(type) {
    var s = spec(type);
    return (s && s.label && (s.label.en || s.label.zh)) || type;
  }
  function escapeHtml(value) {
    return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function paletteLabel() { return text(this, this.type + '.paletteLabel', englishLabel(this.type)); }
  function label() { return this.name || text(this, this.type + '.paletteLabel', englishLabel(this.type)); }
  function labelStyle() { return this.name ? 'node_label_italic' : ''; }
  function inputLabels() { var s = spec(this.type); return s ? s.method : ''; }
  function outputLabels(i) { return i === 0 ? text(this, 'tbk.outputs.response', 'response') : text(this, 'tbk.outputs.error', 'error'); }
  function paletteAdd() {
    var s = spec(this.type);
    if (s) call('paletteAdd', this, this.type, [s.method, s.label.zh, s.label.en, s.title && s.title.zh, s.title && s.title.en].concat(s.terms || []).filter(Boolean).join(' '));
  }
  function prepare() { call('prepare', this, this.type); }
  function save() { return call('save', this, this.type); }
  function cancel() { call('cancel', this, this.type); }
  function resize(size) { call('resize', this, this.type, size); }
  /* required parameters set or mapped from msg, well-formed values: true, else the reason (Node-RED 3.1+ shows it) */
  function validParams(value, opt) {
    var e = editor();
    if (!e || typeof e.validateParams !== 'function') return true;
    try {
      var verdict = e.validateParams(value, this && this.type, this);
      return verdict === true || verdict === undefined ? true : verdict === false ? false : String(verdict);
    } catch (err) { return true; }
  }
  function validMaxPages(value) {
    var s = String(value === undefined || value === null ? '' : value).trim();
    return s === '' || /^\\$\\{[^}]+\\}$/.test(s) || (/^[0-9]+$/.test(s) && Number(s) >= 1);
  }
  /* each type's edit dialog, from the set's shared template */
  function fillTemplates(role) {
    var shared = document.querySelector('script[data-tbk-template="' + role + '"]');
    var templates = document.querySelectorAll('script[data-template-name]');
    for (var i = 0; shared && i < templates.length; i++) {
      try {
        var type = templates[i].getAttribute('data-template-name');
        var s = spec(type);
        if (!s || s.role !== role || String(templates[i].textContent || '').trim() !== '') continue;
        var badges = [];
        if (s.status === 'method-inferred') badges.push('<span class="tbk-badge tbk-badge-warn" data-i18n="tbk.editor.unconfirmed"></span>');
        if (s.validate === false) badges.push('<span class="tbk-badge tbk-badge-warn" data-i18n="tbk.editor.unvalidated"></span>');
        if (s.writes) badges.push('<span class="tbk-badge" data-i18n="tbk.editor.writes"></span>');
        if (s.session) badges.push('<span class="tbk-badge" data-i18n="tbk.editor.session"></span>');
        var html = shared.textContent.split('{{type}}').join(type).split('{{method}}').join(escapeHtml(s.method)).split('{{badges}}').join(badges.join(' '));
        templates[i].textContent = s.paging ? html.replace(/<!--\\/?paging-->/g, '') : html.replace(/<!--paging-->[\\s\\S]*?<!--\\/paging-->/, '');
      } catch (err) {
        if (typeof console !== 'undefined') console.warn('[tbk] template: ' + err);
      }
    }
  }
  /* the help's shared sections (<!--tbk:name value-->) in place */
  function expandHelp() {
    var parts = {};
    var elements = document.querySelectorAll('script[data-tbk-help-part]');
    for (var i = 0; i < elements.length; i++) parts[elements[i].getAttribute('data-tbk-help-part')] = elements[i].textContent;
    /* (the attribute name split: Node-RED's loader takes what follows it in a node set's HTML for help) */
    var helps = document.querySelectorAll('script[data-' + 'help-name]');
    for (var j = 0; j < helps.length; j++) {
      try {
        var help = String(helps[j].textContent || '');
        if (help.indexOf('<!--tbk:') === -1) continue;
        helps[j].textContent = help.replace(/<!--tbk:(\\w+)(?: ([^>]*?))?-->/g, function (marker, name, value) {
          return Object.prototype.hasOwnProperty.call(parts, name) ? parts[name].split('{{value}}').join(escapeHtml(value || '')) : marker;
        });
      } catch (err) {
        if (typeof console !== 'undefined') console.warn('[tbk] help: ' + err);
      }
    }
  }
  if (typeof document !== 'undefined') {
    try { fillTemplates(ROLE); expandHelp(); } catch (err) { if (typeof console !== 'undefined') console.warn('[tbk] ' + err); }
  }
`;

export function htmlForRole(role: Role, specs: MethodSpec[], packageName: string): string {
  const mine = specs.filter((s) => s.role === role);
  const out: string[] = [];
  out.push(`<!-- generated by scripts/build-nodes.ts from specs/methods: do not edit (${mine.length} node types, role ${role}) -->`);
  out.push(`<script type="text/javascript" src="resources/${packageName}/${EDITOR_SCRIPT}"></script>`);
  out.push(`<script type="application/json" data-tbk-editor-strings>${scriptSafeJson(EDITOR_STRINGS['en-US'])}</script>`);
  out.push(`<script type="text/html" data-tbk-template="${role}">${sharedTemplate()}</script>`);
  for (const spec of mine) out.push(`<script type="application/json" data-tbk-spec="${checkType(spec.type)}">${scriptSafeJson(editorSpecFor(spec))}</script>`);
  // empty: Node-RED's loader reads the set's types from them; the definition script fills them
  for (const spec of mine) out.push(`<script type="text/html" data-template-name="${checkType(spec.type)}"></script>`);
  out.push('<script type="text/javascript">');
  out.push('(function () {');
  out.push("  'use strict';");
  out.push(`  var ROLE = ${jsString(role)};`);
  out.push(DEFINITION_PRELUDE);
  for (const spec of mine) out.push(definitionFor(spec));
  out.push('})();');
  out.push('</script>');
  return out.join('\n') + '\n';
}

function paletteLabels(lang: Lang): Record<string, string> {
  const out: Record<string, string> = {};
  for (const role of ROLES) {
    out[CATEGORIES[role].replace(/ /g, '_')] = CATEGORY_TITLES[lang][role];
    out[CATEGORIES[role]] = CATEGORY_TITLES[lang][role];
  }
  return out;
}

export function localeForRole(role: Role, specs: MethodSpec[], lang: Lang): Record<string, unknown> {
  const catalog: Record<string, unknown> = {
    tbk: { editor: EDITOR_STRINGS[lang], outputs: OUTPUT_LABELS[lang] },
    palette: { label: paletteLabels(lang) },
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

// ---------------------------------------------------------------------------------------------
// files

function copyTree(from: string, to: string, filter: (name: string) => boolean): string[] {
  const copied: string[] = [];
  if (!existsSync(from)) return copied;
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) {
      copied.push(...copyTree(source, target, filter));
    } else if (filter(entry)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, target);
      copied.push(target);
    }
  }
  return copied;
}

function writeFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

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
  const here = __dirname;
  return basename(dirname(here)) === 'dist' ? resolve(here, '..', '..') : resolve(here, '..');
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
        const label = (JSON.parse(readFileSync(join(localesDir, lang, file), 'utf8')) as Record<string, { paletteLabel?: unknown }>)[name]?.paletteLabel;
        if (typeof label === 'string') add(label, name);
      }
    }
    for (const [label, types] of labels) {
      if (types.length > 1) problems.push(`${lang}: "${label}" is the palette label of ${types.join(', ')}`);
      if (/[&<>]/.test(label)) problems.push(`${lang}: "${label}" (${types.join(', ')}) holds a character the palette shows as an HTML entity`);
    }
  }
  return problems;
}

export function buildNodes(options: BuildOptions = {}): BuildResult {
  const rootDir = resolve(options.rootDir ?? defaultRootDir());
  const outDir = resolve(options.outDir ?? join(rootDir, 'dist', 'nodes'));
  const specsDir = resolve(options.specsDir ?? (options.rootDir ? join(rootDir, 'specs', 'methods') : SPECS_DIR));
  const pkg = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { name: string };
  const specs = readSpecs(specsDir);
  const problems = labelProblems(specs, join(rootDir, 'nodes', 'locales'));
  if (problems.length) throw new Error(`palette labels:\n  ${problems.join('\n  ')}`);
  const files: string[] = [];

  const nodesDir = join(rootDir, 'nodes');
  if (existsSync(nodesDir)) {
    for (const entry of readdirSync(nodesDir)) {
      if (entry.endsWith('.html')) {
        mkdirSync(outDir, { recursive: true });
        copyFileSync(join(nodesDir, entry), join(outDir, entry));
        files.push(join(outDir, entry));
      }
    }
  }
  files.push(...copyTree(join(nodesDir, 'locales'), join(outDir, 'locales'), (name) => name.endsWith('.json') || name.endsWith('.html')));
  // Node-RED looks for icons in an icons/ folder beside each node set's .js file
  files.push(...copyTree(join(rootDir, 'icons'), join(outDir, 'icons'), (name) => name.endsWith('.svg') || name.endsWith('.png')));

  for (const role of ROLES) {
    const name = `tbk-${role}`;
    const html = join(outDir, `${name}.html`);
    writeFile(html, htmlForRole(role, specs, pkg.name));
    files.push(html);
    for (const lang of LANGS) {
      const json = join(outDir, 'locales', lang, `${name}.json`);
      writeFile(json, JSON.stringify(localeForRole(role, specs, lang), null, 2) + '\n');
      const help = join(outDir, 'locales', lang, `${name}.html`);
      writeFile(help, helpForRole(role, specs, lang, (spec) => checkType(spec.type)));
      files.push(json, help);
    }
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
    console.log(`build-nodes: ${result.types.length} method node types, ${result.files.length} files in ${result.outDir}`);
  } catch (err) {
    console.error(`build-nodes: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
