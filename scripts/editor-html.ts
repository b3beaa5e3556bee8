/**
 * The HTML of each generated node set (tbk-<role>.html): the shared editor script's tag, the
 * English editor strings, one shared edit-dialog template, an embedded description and an empty
 * template per type, and the definition script with a literal `RED.nodes.registerType('tbk-…', {…})`
 * per type (what Node-RED and the Flow Library's scorecard read).
 */
import type { MethodSpec, ParamSpec, Role } from '../lib/method-specs/types';
import {
  CATEGORIES,
  checkType,
  COLORS,
  docUrl,
  EDITOR_SCRIPT,
  METHOD_ICON,
  needsSession,
  nodeSetName,
  ROLES,
  type GeneratedFile,
} from './node-sets';
import type { UiStrings } from './ui-strings';

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
  return (
    "'" +
    value
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/</g, '\\x3c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029') +
    "'"
  );
}

/** Words the palette search also finds a node by (besides its type, method, labels and titles). */
const SEARCH_TERMS: Array<{ test: (spec: MethodSpec) => boolean; terms: string[] }> = [
  // every link conversion, whatever its title calls it (转链, 链接转换, convert)
  {
    test: (spec) => /\.convert$/.test(spec.method) || /转链|链接转换/.test(spec.title.zh + spec.label.zh),
    terms: ['转链', 'link conversion'],
  },
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
  params: Array<
    Pick<
      ParamSpec,
      'name' | 'kind' | 'docType' | 'required' | 'example' | 'default' | 'min' | 'max' | 'maxLength' | 'enum'
    > & { zh: string; en: string }
  >;
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
      const row: EditorSpec['params'][number] = {
        name: p.name,
        kind: p.kind,
        docType: p.docType,
        required: p.required,
        zh: p.description || '',
        en: p.descriptionEn || '',
      };
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
 * shared sections, all guarded against a missing or broken shared script. Texts go through the
 * shared script's text() (resources/tbk-editor.js), the one lookup of every tbk editor.
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
  /* the shared script's text(); only its fallback while the script is missing */
  function text(owner, key, fallback) {
    var value = call('text', owner, key, fallback);
    return typeof value === 'string' ? value : fallback;
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

/**
 * A node set's HTML. `editorStrings` are the English texts of tbk.editor.*, the shared script's
 * fallbacks should the set's catalogue be missing.
 */
export function htmlForRole(
  role: Role,
  specs: MethodSpec[],
  packageName: string,
  editorStrings: Record<string, string>,
): string {
  const mine = specs.filter((s) => s.role === role);
  const out: string[] = [];
  out.push(
    `<!-- generated by scripts/build-nodes.ts from specs/methods: do not edit (${mine.length} node types, role ${role}) -->`,
  );
  out.push(`<script type="text/javascript" src="resources/${packageName}/${EDITOR_SCRIPT}"></script>`);
  out.push(`<script type="application/json" data-tbk-editor-strings>${scriptSafeJson(editorStrings)}</script>`);
  out.push(`<script type="text/html" data-tbk-template="${role}">${sharedTemplate()}</script>`);
  for (const spec of mine)
    out.push(
      `<script type="application/json" data-tbk-spec="${checkType(spec.type)}">${scriptSafeJson(editorSpecFor(spec))}</script>`,
    );
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

/** The HTML of every generated node set: tbk-<role>.html. */
export function editorHtmlFiles(specs: MethodSpec[], packageName: string, strings: UiStrings): GeneratedFile[] {
  return ROLES.map((role) => ({
    path: `${nodeSetName(role)}.html`,
    content: htmlForRole(role, specs, packageName, strings['en-US'].editor),
  }));
}
