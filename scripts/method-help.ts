/**
 * The help of the generated method nodes (locales/<lang>/tbk-<role>.html), one section per node
 * type in en-US and zh-CN, from the method specs.
 *
 * The sections every method has alike (msg.payload, the outputs, error handling, paging ...) are
 * written once per node set as <script type="text/html" data-tbk-help-part="<name>"> and marked
 * in each help as <!--tbk:<name>--> (or <!--tbk:<name> <value>-->, the value filling {{value}});
 * the node set's definition script puts them in place when the editor loads it (expandHelp in
 * scripts/build-nodes.ts), so the help reads whole while the editor downloads the text once.
 */
import type { MethodSpec, ParamKind, ParamSpec, ResponseFieldSpec, Role } from '../lib/method-specs/types';

export const LANGS = ['en-US', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

export const HELP: Record<Lang, Record<string, string>> = {
  'en-US': {
    inputs: 'Inputs',
    outputs: 'Outputs',
    details: 'Details',
    unconfirmed: 'Unconfirmed: the method name is inferred.',
    unconfirmedWhy: 'No copy of its official documentation was found.',
    unvalidated: 'The parameters of this method are not documented: they are passed through unvalidated.',
    sibling: 'It most likely takes the parameters of the documented method',
    payload: 'the parameters of the call, by name. Each can also be set in the node; a value in msg.payload wins over the node\'s. msg.payload may be empty when the node sets them all.',
    params: 'Parameters',
    param: 'Parameter',
    type: 'Type',
    description: 'Description',
    requiredMark: 'required',
    required: 'A required parameter must be set in the node or mapped from msg (type msg, e.g. payload.<name> to take it from msg.payload), else the editor marks the node invalid.',
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
    errorModeNote: 'By default (error handling "auto") the error goes to the second output when it is wired, otherwise to a Catch node; a Catch node gets the message in msg.error.message and kind, code, sub_code, sub_msg, request_id ... in msg.error.cause.',
    responseFields: 'Response fields',
    field: 'Field',
    errors: 'Error codes',
    code: 'Code',
    remedy: 'Remedy',
    writes: 'This method creates or changes something: a failed call is never retried once the request may have reached the server.',
    examplePayload: 'Example msg.payload',
    responseExample: 'Documented response example',
    paging: 'Paging ("Pages"): "one page" calls once, as the parameters ask. "Every page, one message per page" sends a message per page, with msg.tbk.page = {index, last, <page parameter>}. "Every page, merged" sends one message whose msg.payload is the list of every page\'s items, with msg.tbk.pages and msg.tbk.total; when a later page fails, msg.tbk.partial is true and msg.tbk.error says why. Both stop after "max pages" pages.',
    docs: 'official documentation',
    noDocs: 'No official document page is known for this method (the catalog has no doc id): search its name on open.taobao.com.',
    env: 'Any parameter value can be read from msg, flow, global, an environment variable or a JSONata expression.',
    extra: 'Parameters the method does not document are refused unless "allow extra parameters" is on.',
  },
  'zh-CN': {
    inputs: '输入',
    outputs: '输出',
    details: '详情',
    unconfirmed: '未确认：方法名为推断。',
    unconfirmedWhy: '未找到该方法官方文档的任何副本。',
    unvalidated: '该方法的参数未文档化：参数不做校验，原样发送。',
    sibling: '它的参数很可能与以下已文档化的方法相同',
    payload: '调用参数，以参数名为键。每个参数也可以在节点中设置；msg.payload 中的值优先于节点中的值。节点已设置全部参数时 msg.payload 可为空。',
    params: '参数',
    param: '参数',
    type: '类型',
    description: '说明',
    requiredMark: '必填',
    required: '必填参数必须在节点中设置，或映射到 msg（类型选 msg，例如 payload.<参数名> 表示取自 msg.payload），否则编辑器把节点标为无效。',
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
    errorModeNote: '默认（错误处理为“auto”）时，错误输出已连线则发往第二个输出，否则交给 Catch 节点；Catch 节点收到的错误信息在 msg.error.message 中，kind、code、sub_code、sub_msg、request_id 等在 msg.error.cause 中。',
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
    noDocs: '没有该方法的官方文档页（目录中没有 doc id）：请在 open.taobao.com 搜索方法名。',
    env: '每个参数的值都可以来自 msg、flow、global、环境变量或 JSONata 表达式。',
    extra: '除非开启“允许额外参数”，文档中没有的参数会被拒绝。',
  },
};

// ---------------------------------------------------------------------------------------------
// escaping

/** Text content of an element: & < > escaped (quotes need no escape there). */
export function escapeText(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** An attribute value in double quotes. */
export function escapeAttr(value: unknown): string {
  return escapeText(value).replace(/"/g, '&quot;');
}

/** Escaped text with its http(s) URLs as links (opening beside the editor). */
export function richText(value: unknown): string {
  return escapeText(value).replace(/https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&;%+=,*()]+/g, (url) => {
    const trimmed = url.replace(/[.,;:)\]]+$/, '');
    const rest = url.slice(trimmed.length);
    return `<a href="${trimmed.replace(/"/g, '&quot;')}" target="_blank">${trimmed}</a>${rest}`;
  });
}

// ---------------------------------------------------------------------------------------------
// text helpers

export function isZh(lang: Lang): boolean {
  return lang === 'zh-CN';
}

export function titleOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.title.zh : spec.title.en) || spec.title.zh || spec.title.en || spec.method;
}

export function labelOf(spec: MethodSpec, lang: Lang): string {
  return (isZh(lang) ? spec.label.zh : spec.label.en) || spec.label.en || spec.label.zh || spec.method;
}

function paramDescription(param: ParamSpec, lang: Lang): string {
  return (isZh(lang) ? param.description : param.descriptionEn) || param.description || param.descriptionEn || '';
}

function paramLimits(param: ParamSpec, lang: Lang): string[] {
  const h = HELP[lang];
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

export function needsSession(spec: MethodSpec): boolean {
  return spec.role === 'provider' || spec.auth === 'required';
}

/** The method's page in the official documentation (the catalog's doc_id), when known. */
export function docUrl(spec: MethodSpec): string | undefined {
  return spec.docId ? `https://open.taobao.com/api.htm?docId=${encodeURIComponent(String(spec.docId))}&docType=2` : undefined;
}

function responseKeyOf(method: string): string {
  const name = method.startsWith('taobao.') ? method.slice('taobao.'.length) : method;
  return name.replace(/\./g, '_') + '_response';
}

// ---------------------------------------------------------------------------------------------
// the shared sections

/** The sections every method's help has alike, by name; {{value}} is the value of the marker. */
export function helpParts(lang: Lang): Record<string, string> {
  const h = HELP[lang];
  const stop = isZh(lang) ? '。' : '.';
  return {
    payload: `<dt class="optional">payload <span class="property-type">object</span></dt><dd>${escapeText(h.payload)}</dd>`,
    session: `<dt class="optional">session <span class="property-type">string</span></dt><dd>${escapeText(h.session)}</dd>`,
    paramsNote: `<p><small>* ${escapeText(h.requiredMark)}${isZh(lang) ? '。' : '. '}${escapeText(h.required)}${isZh(lang) ? '' : ' '}${escapeText(h.env)}</small></p>`,
    outputs:
      `<h3>${escapeText(h.outputs)}</h3><ol class="node-ports">` +
      `<li>${escapeText(h.responsePort)}<dl class="message-properties">` +
      `<dt>payload <span class="property-type">object</span></dt><dd>${escapeText(h.responsePayload)} <code>{{value}}</code> ${escapeText(h.responseFieldsBelow)}</dd>` +
      `<dt>tbk <span class="property-type">object</span></dt><dd>${escapeText(h.tbk)} <code>{method, request_id, attempts, duration_ms}</code></dd></dl></li>` +
      `<li>${escapeText(h.errorPort)}<dl class="message-properties">` +
      `<dt>error <span class="property-type">object</span></dt><dd>${escapeText(h.errorPayload)} <code>{kind, message, code, msg, sub_code, sub_msg, request_id, param, retryable, attempts}</code>${stop} ${escapeText(h.errorKinds)}</dd></dl></li>` +
      `</ol><p>${escapeText(h.errorModeNote)}</p>`,
    sessionRequired: `<p>${escapeText(h.sessionRequired)}</p>`,
    paging: `<p>${escapeText(h.paging)}</p>`,
    extra: `<p>${escapeText(h.extra)}</p>`,
  };
}

/** The shared sections of a node set's help, as the elements the definition script reads them from. */
export function helpPartsHtml(lang: Lang): string {
  return Object.entries(helpParts(lang))
    .map(([name, html]) => `<script type="text/html" data-tbk-help-part="${name}">${html}</script>`)
    .join('\n');
}

function part(name: string, value?: string): string {
  return `<!--tbk:${name}${value ? ` ${value}` : ''}-->`;
}

/** Every marker of a help text replaced by its shared section (what the definition script does in the editor). */
export function expandHelp(help: string, parts: Record<string, string>): string {
  return help.replace(/<!--tbk:(\w+)(?: ([^>]*?))?-->/g, (marker, name: string, value?: string) => (parts[name] === undefined ? marker : parts[name].split('{{value}}').join(escapeText(value ?? ''))));
}

// ---------------------------------------------------------------------------------------------
// one method's help

function paramRow(param: ParamSpec, lang: Lang): string {
  const h = HELP[lang];
  const limits = paramLimits(param, lang);
  const children = param.children && param.children.length
    ? '<ul>' + param.children.map((c) => `<li><code>${escapeText(c.name)}</code> <i>${escapeText(c.docType || c.kind)}</i>${c.required ? ` <b>(${escapeText(h.requiredMark)})</b>` : ''}: ${richText(paramDescription(c, lang))}</li>`).join('') + '</ul>'
    : '';
  // end tags of td and tr are implied; the first column is styled as code (tbk-editor.js)
  return `<tr><td>${escapeText(param.name)}${param.required ? ' <b>*</b>' : ''}<td>${escapeText(param.docType || param.kind)}<td>${richText(paramDescription(param, lang))}${limits.length ? `<small>${escapeText(limits.join('; '))}</small>` : ''}${children}`;
}

function responseRows(fields: ResponseFieldSpec[], depth: number, out: string[], budget: { left: number }): void {
  for (const field of fields) {
    if (budget.left-- <= 0) return;
    const example = field.example !== undefined && field.example !== '' ? `<small>${escapeText(String(field.example).slice(0, 200))}</small>` : '';
    // nesting shows as an indent with └ (class d1, d2 ...: tbk-editor.js)
    out.push(`<tr${depth ? ` class="d${Math.min(depth, 6)}"` : ''}><td>${escapeText(field.name)}<td>${escapeText(field.docType)}<td>${richText(field.description)}${example}`);
    if (field.children && field.children.length) responseRows(field.children, depth + 1, out, budget);
  }
}

function table(headings: string[], rows: string[]): string {
  return `<table class="tbk-help-table"><tr>${headings.map((text) => `<th>${escapeText(text)}`).join('')}${rows.join('')}</table>`;
}

export function helpFor(spec: MethodSpec, lang: Lang, type: string): string {
  const h = HELP[lang];
  const parts: string[] = [];
  const url = docUrl(spec);
  // the summary: title, method and the official page (the palette tooltip shows this paragraph)
  parts.push(`<p>${escapeText(titleOf(spec, lang))}: <code>${escapeText(spec.method)}</code>${url ? ` · <a href="${escapeAttr(url)}" target="_blank">${escapeText(h.docs)}</a>` : ''}</p>`);
  const notes: string[] = [];
  const stop = isZh(lang) ? '。' : '.';
  if (spec.status === 'method-inferred') notes.push(`<b>${escapeText(h.unconfirmed)}</b> ${escapeText(h.unconfirmedWhy)}`);
  if (!spec.validate) notes.push(escapeText(h.unvalidated) + (spec.sibling ? ` ${escapeText(h.sibling)} <code>${escapeText(spec.sibling)}</code>${stop}` : ''));
  if (spec.writes) notes.push(escapeText(h.writes));
  if (!url) notes.push(escapeText(h.noDocs));
  if (notes.length) parts.push(`<p>${notes.join(' ')}</p>`);

  parts.push(`<h3>${escapeText(h.inputs)}</h3><dl class="message-properties">${part('payload')}${needsSession(spec) ? part('session') : ''}</dl>`);
  if (spec.params.length) {
    const ordered = [...spec.params.filter((p) => p.required), ...spec.params.filter((p) => !p.required)];
    parts.push(`<h4>${escapeText(h.params)}</h4>${table([h.param, h.type, h.description], ordered.map((p) => paramRow(p, lang)))}${part('paramsNote')}`);
  } else {
    parts.push(`<p>${escapeText(h.noParams)}</p>`);
  }
  parts.push(part('outputs', responseKeyOf(spec.method)));

  parts.push(`<h3>${escapeText(h.details)}</h3>${needsSession(spec) ? part('sessionRequired') : ''}${spec.paging ? part('paging') : ''}${spec.validate ? part('extra') : ''}`);
  if (spec.response.length) {
    const rows: string[] = [];
    responseRows(spec.response, 0, rows, { left: 400 });
    parts.push(`<h4>${escapeText(h.responseFields)}</h4>${table([h.field, h.type, h.description], rows)}`);
  }
  if (spec.errors.length) {
    parts.push(`<h4>${escapeText(h.errors)}</h4>${table([h.code, h.description, h.remedy], spec.errors.map((e) => `<tr><td>${escapeText(e.code)}<td>${richText(e.desc)}<td>${richText(e.solution)}`))}`);
  }
  const example = examplePayload(spec);
  if (example) parts.push(`<h4>${escapeText(h.examplePayload)}</h4><pre>${escapeText(JSON.stringify(example, null, 1))}</pre>`);
  if (spec.responseExample) {
    let text = JSON.stringify(spec.responseExample, null, 1);
    if (text.length > 1500) text = text.slice(0, 1500) + '\n…';
    parts.push(`<details><summary>${escapeText(h.responseExample)}</summary><pre>${escapeText(text)}</pre></details>`);
  }
  return `<script type="text/html" data-help-name="${type}">\n${parts.join('\n')}\n</script>\n`;
}

/** The help file of a node set in one language: the shared sections, then one help per type. */
export function helpForRole(role: Role, specs: MethodSpec[], lang: Lang, typeOf: (spec: MethodSpec) => string): string {
  const mine = specs.filter((s) => s.role === role);
  return `${helpPartsHtml(lang)}\n${mine.map((s) => helpFor(s, lang, typeOf(s))).join('\n')}`;
}
