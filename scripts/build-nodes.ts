/**
 * Editor side of the build: copies the hand-written editor files (nodes/*.html, nodes/locales/**,
 * icons/*.svg) into dist/nodes/ and generates, from the method specs, one dist/nodes/tbk-<role>.html
 * per node set (a literal `RED.nodes.registerType('tbk-…', {…})` per type) with its help and locales.
 *
 * Usage: node dist/scripts/build-nodes.js [--specs <dir>] [--out <dir>]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadSpecs, SPECS_DIR } from '../lib/spec';
import type { MethodSpec, ParamKind, ParamSpec, ResponseFieldSpec, Role } from '../lib/spec/types';

export const ROLES: readonly Role[] = ['promoter', 'provider', 'common', 'other'];
export const LANGS = ['en-US', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

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
  },
};

const OUTPUT_LABELS: Record<Lang, { response: string; error: string }> = {
  'en-US': { response: 'response', error: 'error' },
  'zh-CN': { response: '响应', error: '错误' },
};

/** Node status texts the runtime looks up (nodes/shared.ts) in each node set's namespace. */
export const STATUS_STRINGS: Record<Lang, Record<string, string>> = {
  'en-US': { inflight: '__count__ in flight', throttled: 'throttled, retry in __seconds__s', ok: 'ok __ms__ ms' },
  'zh-CN': { inflight: '__count__ 个请求中', throttled: '被限流，__seconds__ 秒后重试', ok: '成功 __ms__ 毫秒' },
};

/** Help text, per language. */
const HELP: Record<Lang, Record<string, string>> = {
  'en-US': {
    inputs: 'Inputs',
    outputs: 'Outputs',
    details: 'Details',
    unconfirmed: 'No copy of its official documentation was found.',
    unvalidated: 'The parameters of this method are not documented: they are passed through unvalidated.',
    sibling: 'It most likely takes the parameters of the documented method',
    payload: 'the parameters of the call, by name. Each can also be set in the node; a value in msg.payload wins over the node\'s. msg.payload may be empty when the node sets them all.',
    params: 'Parameters',
    param: 'Parameter',
    type: 'Type',
    description: 'Description',
    requiredMark: 'required',
    default: 'default',
    example: 'e.g.',
    allowed: 'allowed',
    range: 'range',
    maxLength: 'max length',
    noParams: 'This method documents no parameters.',
    session: "the user's session key (授权 session); overrides the session of the config node.",
    sessionRequired: 'This method needs a user session: set it in the config node or in msg.session.',
    responsePort: 'response',
    errorPort: 'error',
    responsePayload: 'the response: the content of',
    responseFieldsBelow: 'fields below.',
    tbk: 'about the call:',
    errorPayload: 'what went wrong:',
    errorKinds: 'kind is one of validation, top, business, transport, timeout, aborted, throttled.',
    errorModeNote: 'By default (error handling "auto") the error goes to the second output when it is wired, otherwise to a Catch node.',
    responseFields: 'Response fields',
    field: 'Field',
    errors: 'Error codes',
    code: 'Code',
    remedy: 'Remedy',
    writes: 'This method creates or changes something: a failed call is never retried once the request may have reached the server.',
    examplePayload: 'Example msg.payload',
    responseExample: 'Documented response example',
    paging: 'Paging ("Pages"): "one page" calls once, as the parameters ask. "Every page, one message per page" sends a message per page, with msg.tbk.page = {index, last, <page parameter>}. "Every page, merged" sends one message whose msg.payload is the list of every page\'s items, with msg.tbk.pages and msg.tbk.total; when a later page fails, msg.tbk.partial is true and msg.tbk.error says why. Both stop after "max pages" pages.',
    docs: 'Documentation',
    env: 'Any parameter value can be read from msg, flow, global, an environment variable or a JSONata expression.',
    extra: 'Parameters the method does not document are refused unless "allow extra parameters" is on.',
  },
  'zh-CN': {
    inputs: '输入',
    outputs: '输出',
    details: '详情',
    unconfirmed: '未找到该方法官方文档的任何副本。',
    unvalidated: '该方法的参数未文档化：参数不做校验，原样发送。',
    sibling: '它的参数很可能与以下已文档化的方法相同',
    payload: '调用参数，以参数名为键。每个参数也可以在节点中设置；msg.payload 中的值优先于节点中的值。节点已设置全部参数时 msg.payload 可为空。',
    params: '参数',
    param: '参数',
    type: '类型',
    description: '说明',
    requiredMark: '必填',
    default: '默认',
    example: '例',
    allowed: '可选值',
    range: '范围',
    maxLength: '最大长度',
    noParams: '该方法没有文档化的参数。',
    session: '用户授权 session；优先于配置节点中的 session。',
    sessionRequired: '该方法需要用户授权 session：在配置节点或 msg.session 中设置。',
    responsePort: '响应',
    errorPort: '错误',
    responsePayload: '响应内容：即',
    responseFieldsBelow: '的内容，字段见下文。',
    tbk: '调用信息：',
    errorPayload: '错误信息：',
    errorKinds: 'kind 取值 validation、top、business、transport、timeout、aborted、throttled。',
    errorModeNote: '默认（错误处理为“auto”）时，错误输出已连线则发往第二个输出，否则交给 Catch 节点。',
    responseFields: '响应字段',
    field: '字段',
    errors: '错误码',
    code: '错误码',
    remedy: '解决办法',
    writes: '该方法会创建或修改数据：请求可能已到达服务器后，失败的调用不会重试。',
    examplePayload: 'msg.payload 示例',
    responseExample: '文档中的响应示例',
    paging: '分页：“单页”按参数调用一次。“所有页，每页一条消息”每页发送一条消息，msg.tbk.page = {index, last, <页码参数>}。“所有页，合并”发送一条消息，msg.payload 为所有页的条目列表，并带 msg.tbk.pages 与 msg.tbk.total；后续页失败时 msg.tbk.partial 为 true，msg.tbk.error 说明原因。两者都在“最多页数”后停止。',
    docs: '官方文档',
    env: '每个参数的值都可以来自 msg、flow、global、环境变量或 JSONata 表达式。',
    extra: '除非开启“允许额外参数”，文档中没有的参数会被拒绝。',
  },
};

// ---------------------------------------------------------------------------------------------
// escaping

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped text with its http(s) URLs as links. */
function richText(value: unknown): string {
  return escapeHtml(value).replace(/https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&;%+=,*()]+/g, (url) => {
    const trimmed = url.replace(/[.,;:)\]]+$/, '');
    const rest = url.slice(trimmed.length);
    return `<a href="${trimmed}" target="_blank" rel="noopener noreferrer">${trimmed}</a>${rest}`;
  });
}

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
// text helpers

function isZh(lang: Lang): boolean {
  return lang === 'zh-CN';
}

function titleOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.title.zh : spec.title.en) || spec.title.zh || spec.title.en || spec.method;
}

function labelOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.label.zh : spec.label.en) || spec.label.en || spec.label.zh || spec.method;
}

function paramDescription(param: ParamSpec, lang: Lang): string {
  return (isZh(lang) ? param.description : param.descriptionEn) || param.description || param.descriptionEn || '';
}

function paramLimits(param: ParamSpec, lang: Lang): string[] {
  const h = HELP[lang]!;
  const out: string[] = [];
  if (param.default !== undefined && param.default !== '') out.push(`${h.default}: ${param.default}`);
  if (param.min !== undefined || param.max !== undefined) out.push(`${h.range}: ${param.min ?? ''}…${param.max ?? ''}`);
  if (param.maxLength !== undefined) out.push(`${h.maxLength}: ${param.maxLength}`);
  if (param.enum && param.enum.length) out.push(`${h.allowed}: ${param.enum.join(', ')}`);
  if (param.example !== undefined && param.example !== '') out.push(`${h.example} ${param.example}`);
  return out;
}

/** The value of a documented example, typed as the parameter's kind (for the example msg.payload). */
export function exampleValue(kind: ParamKind, example: string): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(example);
      return example.trim() !== '' && Number.isFinite(n) && Number.isSafeInteger(Math.trunc(n)) ? n : example;
    }
    case 'boolean':
      return example === 'true' ? true : example === 'false' ? false : example;
    case 'json':
    case 'string[]':
    case 'number[]':
      try {
        return JSON.parse(example) as unknown;
      } catch {
        return example;
      }
    default:
      return example;
  }
}

/** Required parameters with an example, then up to four optional ones. */
export function examplePayload(spec: MethodSpec): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const withExample = spec.params.filter((p) => p.kind !== 'file' && p.example !== undefined && p.example !== null && String(p.example) !== '');
  for (const p of withExample.filter((x) => x.required)) out[p.name] = exampleValue(p.kind, String(p.example));
  for (const p of withExample.filter((x) => !x.required).slice(0, 4)) out[p.name] = exampleValue(p.kind, String(p.example));
  return Object.keys(out).length ? out : undefined;
}

function needsSession(spec: MethodSpec): boolean {
  return spec.role === 'provider' || spec.auth === 'required';
}

function docUrl(spec: MethodSpec): string | undefined {
  return spec.docId ? `https://open.taobao.com/api.htm?docId=${encodeURIComponent(String(spec.docId))}&docType=2` : undefined;
}

function responseKeyOf(method: string): string {
  const name = method.startsWith('taobao.') ? method.slice('taobao.'.length) : method;
  return name.replace(/\./g, '_') + '_response';
}

// ---------------------------------------------------------------------------------------------
// help

function paramHelp(param: ParamSpec, lang: Lang): string {
  const h = HELP[lang]!;
  const limits = paramLimits(param, lang);
  const children = param.children && param.children.length
    ? '<ul>' + param.children.map((c) => `<li><code>${escapeHtml(c.name)}</code> <i>${escapeHtml(c.docType || c.kind)}</i>${c.required ? ` <b>(${escapeHtml(h.requiredMark)})</b>` : ''}: ${richText(paramDescription(c, lang))}</li>`).join('') + '</ul>'
    : '';
  return (
    `<tr><td><code>${escapeHtml(param.name)}</code>${param.required ? ` <b>*</b>` : ''}</td>` +
    `<td>${escapeHtml(param.docType || param.kind)}</td>` +
    `<td>${richText(paramDescription(param, lang))}${limits.length ? `<br><small>${escapeHtml(limits.join('; '))}</small>` : ''}${children}</td></tr>`
  );
}

function responseRows(fields: ResponseFieldSpec[], depth: number, out: string[], budget: { left: number }): void {
  for (const field of fields) {
    if (budget.left-- <= 0) return;
    const indent = depth ? `<span style="padding-left:${depth}em">└ </span>` : '';
    out.push(`<tr><td>${indent}<code>${escapeHtml(field.name)}</code></td><td>${escapeHtml(field.docType)}</td><td>${richText(field.description)}${field.example !== undefined && field.example !== '' ? `<br><small>${escapeHtml(String(field.example).slice(0, 200))}</small>` : ''}</td></tr>`);
    if (field.children && field.children.length) responseRows(field.children, depth + 1, out, budget);
  }
}

export function helpFor(spec: MethodSpec, lang: Lang): string {
  const h = HELP[lang]!;
  const type = checkType(spec.type);
  const parts: string[] = [];
  parts.push(`<p>${escapeHtml(titleOf(spec, lang))}: <code>${escapeHtml(spec.method)}</code></p>`);
  const notes: string[] = [];
  const stop = isZh(lang) ? '。' : '.';
  if (spec.status === 'method-inferred') notes.push(`<b>${escapeHtml(EDITOR_STRINGS[lang]!.unconfirmed)}${stop}</b> ${escapeHtml(h.unconfirmed)}`);
  if (!spec.validate) {
    notes.push(escapeHtml(h.unvalidated) + (spec.sibling ? ` ${escapeHtml(h.sibling)} <code>${escapeHtml(spec.sibling)}</code>${stop}` : ''));
  }
  if (spec.writes) notes.push(escapeHtml(h.writes));
  if (notes.length) parts.push(`<p>${notes.join(' ')}</p>`);

  parts.push(`<h3>${escapeHtml(h.inputs)}</h3>`);
  parts.push('<dl class="message-properties">');
  parts.push(`<dt class="optional">payload <span class="property-type">object</span></dt><dd>${escapeHtml(h.payload)}</dd>`);
  if (needsSession(spec)) parts.push(`<dt class="optional">session <span class="property-type">string</span></dt><dd>${escapeHtml(h.session)}</dd>`);
  parts.push('</dl>');
  if (spec.params.length) {
    parts.push(`<h4>${escapeHtml(h.params)}</h4>`);
    parts.push(`<table class="tbk-help-table"><tr><th>${escapeHtml(h.param)}</th><th>${escapeHtml(h.type)}</th><th>${escapeHtml(h.description)}</th></tr>`);
    const ordered = [...spec.params.filter((p) => p.required), ...spec.params.filter((p) => !p.required)];
    for (const p of ordered) parts.push(paramHelp(p, lang));
    parts.push('</table>');
    parts.push(`<p><small>* ${escapeHtml(h.requiredMark)}. ${escapeHtml(h.env)}</small></p>`);
  } else {
    parts.push(`<p>${escapeHtml(h.noParams)}</p>`);
  }

  parts.push(`<h3>${escapeHtml(h.outputs)}</h3>`);
  parts.push('<ol class="node-ports">');
  parts.push(
    `<li>${escapeHtml(h.responsePort)}<dl class="message-properties">` +
      `<dt>payload <span class="property-type">object</span></dt><dd>${escapeHtml(h.responsePayload)} <code>${escapeHtml(responseKeyOf(spec.method))}</code> ${escapeHtml(h.responseFieldsBelow)}</dd>` +
      `<dt>tbk <span class="property-type">object</span></dt><dd>${escapeHtml(h.tbk)} <code>{method, request_id, attempts, duration_ms}</code></dd>` +
      '</dl></li>',
  );
  parts.push(
    `<li>${escapeHtml(h.errorPort)}<dl class="message-properties">` +
      `<dt>error <span class="property-type">object</span></dt><dd>${escapeHtml(h.errorPayload)} <code>{kind, message, code, msg, sub_code, sub_msg, request_id, param, retryable, attempts}</code>${stop} ${escapeHtml(h.errorKinds)}</dd>` +
      '</dl></li>',
  );
  parts.push('</ol>');
  parts.push(`<p>${escapeHtml(h.errorModeNote)}</p>`);

  parts.push(`<h3>${escapeHtml(h.details)}</h3>`);
  if (needsSession(spec)) parts.push(`<p>${escapeHtml(h.sessionRequired)}</p>`);
  if (spec.paging) parts.push(`<p>${escapeHtml(h.paging)}</p>`);
  if (spec.validate) parts.push(`<p>${escapeHtml(h.extra)}</p>`);
  if (spec.response.length) {
    const rows: string[] = [];
    responseRows(spec.response, 0, rows, { left: 400 });
    parts.push(`<h4>${escapeHtml(h.responseFields)}</h4>`);
    parts.push(`<table class="tbk-help-table"><tr><th>${escapeHtml(h.field)}</th><th>${escapeHtml(h.type)}</th><th>${escapeHtml(h.description)}</th></tr>${rows.join('')}</table>`);
  }
  if (spec.errors.length) {
    parts.push(`<h4>${escapeHtml(h.errors)}</h4>`);
    parts.push(`<table class="tbk-help-table"><tr><th>${escapeHtml(h.code)}</th><th>${escapeHtml(h.description)}</th><th>${escapeHtml(h.remedy)}</th></tr>`);
    for (const e of spec.errors) parts.push(`<tr><td><code>${escapeHtml(e.code)}</code></td><td>${richText(e.desc)}</td><td>${richText(e.solution)}</td></tr>`);
    parts.push('</table>');
  }
  const example = examplePayload(spec);
  if (example) parts.push(`<h4>${escapeHtml(h.examplePayload)}</h4><pre>${escapeHtml(JSON.stringify(example, null, 2))}</pre>`);
  if (spec.responseExample) {
    let text = JSON.stringify(spec.responseExample, null, 2);
    if (text.length > 1500) text = text.slice(0, 1500) + '\n…';
    parts.push(`<details><summary>${escapeHtml(h.responseExample)}</summary><pre>${escapeHtml(text)}</pre></details>`);
  }
  const url = docUrl(spec);
  if (url) parts.push(`<p><a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(h.docs)}</a>: <code>${escapeHtml(spec.method)}</code></p>`);

  return `<script type="text/html" data-help-name="${type}">\n${parts.join('\n')}\n</script>\n`;
}

// ---------------------------------------------------------------------------------------------
// editor HTML

/** What the shared editor script needs to draw a method node's form (embedded as JSON). */
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
  return out;
}

function templateFor(spec: MethodSpec): string {
  const type = checkType(spec.type);
  const badges: string[] = [];
  if (spec.status === 'method-inferred') badges.push('<span class="tbk-badge tbk-badge-warn" data-i18n="tbk.editor.unconfirmed"></span>');
  if (!spec.validate) badges.push('<span class="tbk-badge tbk-badge-warn" data-i18n="tbk.editor.unvalidated"></span>');
  if (spec.writes) badges.push('<span class="tbk-badge" data-i18n="tbk.editor.writes"></span>');
  if (needsSession(spec)) badges.push('<span class="tbk-badge" data-i18n="tbk.editor.session"></span>');
  const paging = spec.paging
    ? `
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
  </div>`
    : '';
  return `<script type="text/html" data-template-name="${type}">
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
    <code class="tbk-method">${escapeHtml(spec.method)}</code>
    <div class="tbk-badges">${badges.join(' ')}</div>
  </div>
  <div class="form-row tbk-params-row">
    <label><i class="fa fa-list"></i> <span data-i18n="tbk.editor.params"></span></label>
    <div class="tbk-params" id="tbk-params-${type}" data-tbk-type="${type}"></div>
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
  </div>${paging}
</script>
`;
}

function definitionFor(spec: MethodSpec): string {
  const type = checkType(spec.type);
  const t = jsString(type);
  const enLabel = jsString(spec.label.en || spec.label.zh || spec.method);
  const method = jsString(spec.method);
  const searchTerms = jsString([spec.method, spec.label.zh, spec.label.en, spec.title.zh, spec.title.en].filter(Boolean).join(' '));
  return `  RED.nodes.registerType(${t}, {
    category: ${jsString(CATEGORIES[spec.role])},
    color: ${jsString(COLORS[spec.role])},
    defaults: {
      name: { value: '' },
      config: { value: '', type: 'tbk-config', required: true },
      version: { value: ${Number(spec.version) || 1} },
      params: { value: {}, validate: function (v) { return validParams(v, ${t}); } },
      allowExtra: { value: false },
      errorMode: { value: 'auto' },
      paging: { value: 'one' },
      maxPages: { value: 10, validate: validMaxPages }
    },
    inputs: 1,
    outputs: 2,
    icon: ${jsString(METHOD_ICON)},
    paletteLabel: function () { return text(this, ${jsString(type + '.paletteLabel')}, ${enLabel}); },
    label: function () { return this.name || text(this, ${jsString(type + '.paletteLabel')}, ${enLabel}); },
    labelStyle: function () { return this.name ? 'node_label_italic' : ''; },
    inputLabels: function () { return ${method}; },
    outputLabels: function (i) { return i === 0 ? text(this, 'tbk.outputs.response', 'response') : text(this, 'tbk.outputs.error', 'error'); },
    onpaletteadd: function () { call('paletteAdd', this, ${t}, ${searchTerms}); },
    oneditprepare: function () { call('prepare', this, ${t}); },
    oneditsave: function () { return call('save', this, ${t}); },
    oneditcancel: function () { call('cancel', this, ${t}); },
    oneditresize: function (size) { call('resize', this, ${t}, size); }
  });
`;
}

/** Helpers every generated definition script starts with: they guard against a missing or broken shared script. */
const DEFINITION_PRELUDE = `  function editor() {
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
  function text(owner, key, fallback) {
    try {
      var translate = owner && typeof owner._ === 'function' ? owner._ : null;
      var value = translate ? translate(key) : null;
      if (typeof value === 'string' && value !== '' && value !== key && value.indexOf(key) === -1) return value;
    } catch (err) { /* fall back */ }
    return fallback;
  }
  function validParams(value, type) {
    var e = editor();
    if (!e || typeof e.validateParams !== 'function') return true;
    try { return e.validateParams(value, type) !== false; } catch (err) { return true; }
  }
  function validMaxPages(value) {
    var s = String(value === undefined || value === null ? '' : value).trim();
    return s === '' || /^\\$\\{[^}]+\\}$/.test(s) || (/^[0-9]+$/.test(s) && Number(s) >= 1);
  }
`;

export function htmlForRole(role: Role, specs: MethodSpec[], packageName: string): string {
  const mine = specs.filter((s) => s.role === role);
  const out: string[] = [];
  out.push(`<!-- generated by scripts/build-nodes.ts from specs/methods: do not edit (${mine.length} node types, role ${role}) -->`);
  out.push(`<script type="text/javascript" src="resources/${packageName}/${EDITOR_SCRIPT}"></script>`);
  out.push(`<script type="application/json" data-tbk-editor-strings>${scriptSafeJson(EDITOR_STRINGS['en-US'])}</script>`);
  for (const spec of mine) {
    out.push(`<script type="application/json" data-tbk-spec="${checkType(spec.type)}">${scriptSafeJson(editorSpecFor(spec))}</script>`);
  }
  for (const spec of mine) out.push(templateFor(spec));
  out.push('<script type="text/javascript">');
  out.push('(function () {');
  out.push("  'use strict';");
  out.push(DEFINITION_PRELUDE);
  for (const spec of mine) out.push(definitionFor(spec));
  out.push('})();');
  out.push('</script>');
  return out.join('\n') + '\n';
}

export function helpForRole(role: Role, specs: MethodSpec[], lang: Lang): string {
  return specs.filter((s) => s.role === role).map((s) => helpFor(s, lang)).join('\n');
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
    'tbk-api': { status: STATUS_STRINGS[lang] },
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

export function buildNodes(options: BuildOptions = {}): BuildResult {
  const rootDir = resolve(options.rootDir ?? defaultRootDir());
  const outDir = resolve(options.outDir ?? join(rootDir, 'dist', 'nodes'));
  const specsDir = resolve(options.specsDir ?? (options.rootDir ? join(rootDir, 'specs', 'methods') : SPECS_DIR));
  const pkg = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { name: string };
  const specs = readSpecs(specsDir);
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
      writeFile(help, helpForRole(role, specs, lang));
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
