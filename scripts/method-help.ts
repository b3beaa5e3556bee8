/**
 * The help of the generated method nodes (locales/<lang>/tbk-<role>.html), one section per node
 * type in en-US and zh-CN, from the method specs; its words come from nodes/locales/<lang>/method-help.json.
 *
 * The sections every method has alike (msg.payload, the outputs, error handling, paging ...) are
 * written once per node set as <script type="text/html" data-tbk-help-part="<name>"> and marked
 * in each help as <!--tbk:<name>--> (or <!--tbk:<name> <value>-->, the value filling {{value}});
 * the node set's definition script puts them in place when the editor loads it (expandHelp in
 * scripts/editor-html.ts), so the help reads whole while the editor downloads the text once.
 */
import type { MethodSpec, ParamKind, ParamSpec, ResponseFieldSpec, Role } from '../lib/method-specs/types';
import {
  checkType,
  docUrl,
  isZh,
  LANGS,
  needsSession,
  nodeSetName,
  ROLES,
  titleOf,
  type GeneratedFile,
  type Lang,
} from './node-sets';
import type { UiStrings } from './ui-strings';

/** The words of the help in one language (method-help.json). */
export type HelpWords = Record<string, string>;

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

function paramDescription(param: ParamSpec, lang: Lang): string {
  return (isZh(lang) ? param.description : param.descriptionEn) || param.description || param.descriptionEn || '';
}

function paramLimits(param: ParamSpec, h: HelpWords): string[] {
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
  const withExample = spec.params.filter(
    (p) => p.kind !== 'file' && p.example !== undefined && p.example !== null && String(p.example) !== '',
  );
  for (const p of withExample.filter((x) => x.required)) out[p.name] = exampleValue(p.kind, String(p.example));
  for (const p of withExample.filter((x) => !x.required).slice(0, 4))
    out[p.name] = exampleValue(p.kind, String(p.example));
  return Object.keys(out).length ? out : undefined;
}

function responseKeyOf(method: string): string {
  const name = method.startsWith('taobao.') ? method.slice('taobao.'.length) : method;
  return name.replace(/\./g, '_') + '_response';
}

// ---------------------------------------------------------------------------------------------
// the shared sections

/** The sections every method's help has alike, by name; {{value}} is the value of the marker. */
export function helpParts(lang: Lang, h: HelpWords): Record<string, string> {
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
export function helpPartsHtml(lang: Lang, h: HelpWords): string {
  return Object.entries(helpParts(lang, h))
    .map(([name, html]) => `<script type="text/html" data-tbk-help-part="${name}">${html}</script>`)
    .join('\n');
}

function part(name: string, value?: string): string {
  return `<!--tbk:${name}${value ? ` ${value}` : ''}-->`;
}

/** Every marker of a help text replaced by its shared section (what the definition script does in the editor). */
export function expandHelp(help: string, parts: Record<string, string>): string {
  return help.replace(/<!--tbk:(\w+)(?: ([^>]*?))?-->/g, (marker, name: string, value?: string) =>
    parts[name] === undefined ? marker : parts[name].split('{{value}}').join(escapeText(value ?? '')),
  );
}

// ---------------------------------------------------------------------------------------------
// one method's help

function paramRow(param: ParamSpec, lang: Lang, h: HelpWords): string {
  const limits = paramLimits(param, h);
  const children =
    param.children && param.children.length
      ? '<ul>' +
        param.children
          .map(
            (c) =>
              `<li><code>${escapeText(c.name)}</code> <i>${escapeText(c.docType || c.kind)}</i>${c.required ? ` <b>(${escapeText(h.requiredMark)})</b>` : ''}: ${richText(paramDescription(c, lang))}</li>`,
          )
          .join('') +
        '</ul>'
      : '';
  // end tags of td and tr are implied; the first column is styled as code (tbk-editor.js)
  return `<tr><td>${escapeText(param.name)}${param.required ? ' <b>*</b>' : ''}<td>${escapeText(param.docType || param.kind)}<td>${richText(paramDescription(param, lang))}${limits.length ? `<small>${escapeText(limits.join('; '))}</small>` : ''}${children}`;
}

function responseRows(fields: ResponseFieldSpec[], depth: number, out: string[], budget: { left: number }): void {
  for (const field of fields) {
    if (budget.left-- <= 0) return;
    const example =
      field.example !== undefined && field.example !== ''
        ? `<small>${escapeText(String(field.example).slice(0, 200))}</small>`
        : '';
    // nesting shows as an indent with └ (class d1, d2 ...: tbk-editor.js)
    out.push(
      `<tr${depth ? ` class="d${Math.min(depth, 6)}"` : ''}><td>${escapeText(field.name)}<td>${escapeText(field.docType)}<td>${richText(field.description)}${example}`,
    );
    if (field.children && field.children.length) responseRows(field.children, depth + 1, out, budget);
  }
}

function table(headings: string[], rows: string[]): string {
  return `<table class="tbk-help-table"><tr>${headings.map((text) => `<th>${escapeText(text)}`).join('')}${rows.join('')}</table>`;
}

export function helpFor(spec: MethodSpec, lang: Lang, h: HelpWords): string {
  const parts: string[] = [];
  const url = docUrl(spec);
  // the summary: title, method and the official page (the palette tooltip shows this paragraph)
  parts.push(
    `<p>${escapeText(titleOf(spec, lang))}: <code>${escapeText(spec.method)}</code>${url ? ` · <a href="${escapeAttr(url)}" target="_blank">${escapeText(h.docs)}</a>` : ''}</p>`,
  );
  const notes: string[] = [];
  const stop = isZh(lang) ? '。' : '.';
  if (spec.status === 'method-inferred')
    notes.push(`<b>${escapeText(h.unconfirmed)}</b> ${escapeText(h.unconfirmedWhy)}`);
  if (!spec.validate)
    notes.push(
      escapeText(h.unvalidated) +
        (spec.sibling ? ` ${escapeText(h.sibling)} <code>${escapeText(spec.sibling)}</code>${stop}` : ''),
    );
  if (spec.writes) notes.push(escapeText(h.writes));
  if (!url) notes.push(escapeText(h.noDocs));
  if (notes.length) parts.push(`<p>${notes.join(' ')}</p>`);

  parts.push(
    `<h3>${escapeText(h.inputs)}</h3><dl class="message-properties">${part('payload')}${needsSession(spec) ? part('session') : ''}</dl>`,
  );
  if (spec.params.length) {
    const ordered = [...spec.params.filter((p) => p.required), ...spec.params.filter((p) => !p.required)];
    parts.push(
      `<h4>${escapeText(h.params)}</h4>${table(
        [h.param, h.type, h.description],
        ordered.map((p) => paramRow(p, lang, h)),
      )}${part('paramsNote')}`,
    );
  } else {
    parts.push(`<p>${escapeText(h.noParams)}</p>`);
  }
  parts.push(part('outputs', responseKeyOf(spec.method)));

  parts.push(
    `<h3>${escapeText(h.details)}</h3>${needsSession(spec) ? part('sessionRequired') : ''}${spec.paging ? part('paging') : ''}${spec.validate ? part('extra') : ''}`,
  );
  if (spec.response.length) {
    const rows: string[] = [];
    responseRows(spec.response, 0, rows, { left: 400 });
    parts.push(`<h4>${escapeText(h.responseFields)}</h4>${table([h.field, h.type, h.description], rows)}`);
  }
  if (spec.errors.length) {
    parts.push(
      `<h4>${escapeText(h.errors)}</h4>${table(
        [h.code, h.description, h.remedy],
        spec.errors.map((e) => `<tr><td>${escapeText(e.code)}<td>${richText(e.desc)}<td>${richText(e.solution)}`),
      )}`,
    );
  }
  const example = examplePayload(spec);
  if (example)
    parts.push(`<h4>${escapeText(h.examplePayload)}</h4><pre>${escapeText(JSON.stringify(example, null, 1))}</pre>`);
  if (spec.responseExample) {
    let text = JSON.stringify(spec.responseExample, null, 1);
    if (text.length > 1500) text = text.slice(0, 1500) + '\n…';
    parts.push(`<details><summary>${escapeText(h.responseExample)}</summary><pre>${escapeText(text)}</pre></details>`);
  }
  return `<script type="text/html" data-help-name="${checkType(spec.type)}">\n${parts.join('\n')}\n</script>\n`;
}

/** The help file of a node set in one language: the shared sections, then one help per type. */
export function helpForRole(role: Role, specs: MethodSpec[], lang: Lang, h: HelpWords): string {
  const mine = specs.filter((s) => s.role === role);
  return `${helpPartsHtml(lang, h)}\n${mine.map((s) => helpFor(s, lang, h)).join('\n')}`;
}

/** The help of every generated node set, in every language: locales/<lang>/tbk-<role>.html. */
export function helpFiles(specs: MethodSpec[], strings: UiStrings): GeneratedFile[] {
  return ROLES.flatMap((role) =>
    LANGS.map((lang) => ({
      path: `locales/${lang}/${nodeSetName(role)}.html`,
      content: helpForRole(role, specs, lang, strings[lang].help),
    })),
  );
}
