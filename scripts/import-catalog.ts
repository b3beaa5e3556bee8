/**
 * Generates specs/methods/<method>.json from the compiled TBK catalog (reference/tbk-catalog.json, a copy of shared/reference/tbk-catalog.json).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/import-catalog.js [path/to/tbk-catalog.json]
 *
 * English titles and labels live in scripts/titles-en.json so a re-import keeps them.
 *
 * This file holds the decisions per method, the labels and the writing of the files; a parameter
 * becomes a ParamSpec in catalog-params.ts, the response and its paging are read in
 * catalog-response.ts, and catalog-types.ts describes the catalog.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseJsonLossless } from '../lib/top/json';
import type { BusinessRules } from '../lib/top/response';
import { nodeTypeFor } from '../lib/method-specs';
import type { MethodSpec, Role } from '../lib/method-specs/types';
import { packageRoot } from '../lib/package-root';
import { convertParam, dropped, limitLog } from './catalog-params';
import { convertResponse, pagingFor } from './catalog-response';
import type { Catalog, CatalogMethod } from './catalog-types';

const REPO_ROOT = packageRoot();

// ---------------------------------------------------------------------------------------------
// Decisions per method (see the import report)

/** Methods that create or change something: never retried once the request may have arrived. */
const WRITES = new Set([
  'taobao.tbk.adzone.create',
  'taobao.tbk.sc.adzone.create',
  'taobao.tbk.tpwd.create',
  'taobao.tbk.tpwd.mix.create',
  'taobao.tbk.private.tpwd.create',
  'taobao.tbk.sc.private.tpwd.create',
  'taobao.tbk.sc.publisher.info.save',
  'taobao.tbk.dg.vegas.tlj.create',
  'taobao.tbk.dg.vegas.tlj.stop',
  'taobao.tbk.content.daren.material.upload',
  'taobao.tbk.material.upload',
  'taobao.tbk.data.report',
  'taobao.tbk.thor.creative.launch',
  'taobao.tbk.sc.ucrowd.create',
  'taobao.tbk.sc.ucrowd.member.add',
  'taobao.tbk.sc.ucrowd.delete',
  'taobao.tbk.sc.relation.record',
  'taobao.tbk.sc.membergroup.optional',
  'taobao.tbk.seed.kox.write',
  'taobao.tbk.feed.opt.upload',
  'taobao.tbk.feed.relation.upload',
  'taobao.tbk.feed.indicator.upload',
  'taobao.tbk.dg.item.group.merge',
  'taobao.tbk.seed.event.fee.update',
  'taobao.tbk.marketing.msg.send',
  'taobao.tbk.dg.uvid.behavior.report',
  'taobao.tbk.sc.uvid.behavior.report',
  'taobao.tbk.sf.group.activity.callback',
]);

/** Business-failure rules the response documentation justifies (the generic checks cover the rest). */
const BUSINESS: Record<string, BusinessRules> = {
  // "业务错误码 101, 102,103"; the example answers result_code 200 with biz_error_code 101 "开始时间不能为空"
  'taobao.tbk.relation.refund': { bizErrorCodes: [101, 102, 103] },
  'taobao.tbk.sc.relation.refund': { bizErrorCodes: [101, 102, 103] },
  'taobao.tbk.order.refund.get': { bizErrorCodes: [101, 102, 103] },
  'taobao.tbk.sc.order.refund.get': { bizErrorCodes: [101, 102, 103] },
  'taobao.tbk.sc.rid.report.get': { bizErrorCodes: [101, 102, 103] },
  // example: result_code 200 with biz_error_code 103 "没有获取到memberid"
  'taobao.tbk.dg.punish.order.get': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.sc.punish.order.get': { bizErrorCodes: 'nonzero' },
  // content-seeding family: biz_error_code 0 on success, 1001 "系统异常" / 110 / 40132 on failure beside result_code 200
  'taobao.tbk.feed.opt.upload': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.feed.relation.upload': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.feed.indicator.upload': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.feed.indicator.exchange': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.feed.event.get': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.feed.order.check': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.seed.event.fee.update': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.seed.event.fee.update.result.get': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.seed.report.get': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.seed.wb.crowd.get': { bizErrorCodes: 'nonzero' },
  'taobao.tbk.dg.cpa.activity.detail': { bizErrorCodes: 'nonzero' },
};

function toRole(role: string): Role {
  return role === 'promoter' || role === 'provider' || role === 'common' ? role : 'other';
}

const ZH_PREFIXES = [
  /^淘宝-淘宝客-(推广者|服务商|公用)-/,
  /^淘宝客-(推广者|服务商|公用|工具|招商团长|内容三方)-/,
  /^淘宝客【(推广者|服务商|公用)】/,
  /^淘宝客_(推广者|服务商|公用)_/,
  /^内容媒体-/,
];

export function shortZh(title: string): string {
  let label = title;
  for (const p of ZH_PREFIXES) label = label.replace(p, '');
  return label;
}

/** sc.X -> dg.X when documented, else X; dg.X -> sc.X is not needed (dg methods are the documented ones). */
function siblingFor(method: string, known: Map<string, CatalogMethod>): string | undefined {
  if (!method.startsWith('taobao.tbk.sc.')) return undefined;
  const rest = method.slice('taobao.tbk.sc.'.length);
  for (const candidate of [`taobao.tbk.dg.${rest}`, `taobao.tbk.${rest}`]) {
    const entry = known.get(candidate);
    if (entry && entry.status === 'resolved' && (entry.params?.length ?? 0) > 0) return candidate;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

interface TitleEn {
  title: string;
  label: string;
  labelZh?: string;
}

/** What the palette shows after a label when two node types would otherwise share it. */
export const ROLE_SUFFIX: Record<string, { zh: string; en: string }> = {
  provider: { zh: '（服务商）', en: ' (provider)' },
};

/**
 * Palette labels a user can tell apart: the provider twin of a promoter method (same label in
 * either language) gets the role after its label in both, and no label holds a character the
 * palette would show as an HTML entity (it cuts long labels inside "&amp;").
 */
export function distinguishLabels(specs: MethodSpec[]): MethodSpec[] {
  const plain = (text: string, lang: 'zh' | 'en'): string =>
    text.replace(/\s*&\s*/g, lang === 'zh' ? '与' : ' and ').replace(/[<>]/g, '');
  for (const spec of specs) spec.label = { zh: plain(spec.label.zh, 'zh'), en: plain(spec.label.en, 'en') };
  for (const lang of ['zh', 'en'] as const) {
    const count = new Map<string, number>();
    for (const spec of specs) count.set(spec.label[lang], (count.get(spec.label[lang]) ?? 0) + 1);
    for (const spec of specs) {
      const suffix = ROLE_SUFFIX[spec.role];
      if (!suffix || count.get(spec.label[lang])! < 2 || spec.label.zh.endsWith(suffix.zh)) continue;
      spec.label = { zh: spec.label.zh + suffix.zh, en: spec.label.en + suffix.en };
    }
  }
  return specs;
}

export function buildSpecs(catalog: Catalog, titlesEn: Record<string, TitleEn>): MethodSpec[] {
  const known = new Map<string, CatalogMethod>();
  for (const m of catalog.methods) if (m.method) known.set(m.method, m);
  const specs: MethodSpec[] = [];
  for (const entry of catalog.methods) {
    if (!entry.method || (entry.status !== 'resolved' && entry.status !== 'method-inferred')) continue;
    const method = entry.method;
    const en = titlesEn[method];
    if (!en) throw new Error(`scripts/titles-en.json has no English title for ${method}`);
    const params = (entry.params ?? []).map((p) => convertParam(method, p, ''));
    const validate = !(entry.status === 'method-inferred' && params.length === 0);
    const spec: MethodSpec = {
      version: 1,
      method,
      type: nodeTypeFor(method),
      title: { zh: entry.title, en: en.title },
      label: { zh: en.labelZh ?? shortZh(entry.title), en: en.label },
      role: toRole(entry.role),
      catalogRole: entry.role,
      status: entry.status,
      confidence: entry.confidence,
      auth: entry.auth,
      writes: WRITES.has(method),
      validate,
      params,
      response: convertResponse(entry.response),
      errors: (entry.errors ?? []).map((e) => ({ code: e.code, desc: e.desc ?? '', solution: e.solution ?? '' })),
      sources: entry.sources ?? [],
    };
    if (typeof entry.doc_id === 'number') spec.docId = entry.doc_id;
    if (entry.status === 'method-inferred') {
      const sibling = siblingFor(method, known);
      if (sibling) spec.sibling = sibling;
    }
    if (entry.response_example) spec.responseExample = entry.response_example;
    if (BUSINESS[method]) spec.business = BUSINESS[method];
    const paging = pagingFor(method, entry.params ?? [], entry.response);
    if (paging) spec.paging = paging;
    specs.push(orderKeys(spec));
  }
  return distinguishLabels(specs);
}

/** Stable, readable key order in the written files. */
function orderKeys(spec: MethodSpec): MethodSpec {
  const order: Array<keyof MethodSpec> = [
    'version',
    'method',
    'type',
    'title',
    'label',
    'role',
    'catalogRole',
    'status',
    'confidence',
    'docId',
    'auth',
    'writes',
    'validate',
    'sibling',
    'params',
    'response',
    'responseExample',
    'errors',
    'business',
    'paging',
    'sources',
  ];
  const out: Record<string, unknown> = {};
  for (const key of order) if (spec[key] !== undefined) out[key] = spec[key];
  return out as unknown as MethodSpec;
}

function main(): void {
  const catalogPath = resolve(process.argv[2] ?? join(REPO_ROOT, 'reference', 'tbk-catalog.json'));
  // lossless: response examples hold order ids beyond 2^53 (tb_trade_id 581552321112183166)
  const catalog = parseJsonLossless(readFileSync(catalogPath, 'utf8')) as Catalog;
  const titlesEn = JSON.parse(readFileSync(join(REPO_ROOT, 'scripts', 'titles-en.json'), 'utf8')) as Record<
    string,
    TitleEn
  >;
  const specs = buildSpecs(catalog, titlesEn);
  const outDir = join(REPO_ROOT, 'specs', 'methods');
  mkdirSync(outDir, { recursive: true });
  const written = new Set<string>();
  for (const spec of specs) {
    const file = `${spec.method}.json`;
    writeFileSync(join(outDir, file), JSON.stringify(spec, null, 2) + '\n');
    written.add(file);
  }
  for (const file of readdirSync(outDir))
    if (file.endsWith('.json') && !written.has(file)) unlinkSync(join(outDir, file));
  console.log(`wrote ${specs.length} specs to ${outDir}`);
  if (process.env.IMPORT_VERBOSE) {
    console.log('\nlimits parsed:\n  ' + limitLog.join('\n  '));
    console.log('\nexamples/defaults dropped (contradict the documented limits):\n  ' + dropped.join('\n  '));
  }
}

if (require.main === module) main();
