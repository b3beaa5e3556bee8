/**
 * Generates specs/methods/<method>.json from the compiled TBK catalog (reference/tbk-catalog.json, a copy of shared/reference/tbk-catalog.json).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/import-catalog.js [path/to/tbk-catalog.json]
 *
 * English titles and labels live in scripts/titles-en.json so a re-import keeps them.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseJsonLossless } from '../lib/top/json';
import type { BusinessRules } from '../lib/top/response';
import { nodeTypeFor } from '../lib/method-specs';
import type {
  ErrorCodeSpec,
  MethodSpec,
  PagingSpec,
  ParamKind,
  ParamSpec,
  ResponseFieldSpec,
  Role,
} from '../lib/method-specs/types';
import { packageRoot } from '../lib/package-root';

interface CatalogParam {
  name: string;
  type: string;
  required: boolean;
  example: string | null;
  default: string | null;
  description: string;
  children?: CatalogParam[];
}

interface CatalogResponseField {
  name: string;
  type: string;
  description: string;
  example: string | null;
  children?: CatalogResponseField[];
}

interface CatalogMethod {
  title: string;
  method: string | null;
  doc_id: number | null;
  auth: MethodSpec['auth'];
  params: CatalogParam[] | null;
  response: CatalogResponseField[] | null;
  response_example: Record<string, unknown> | null;
  errors: ErrorCodeSpec[] | null;
  sources: string[];
  confidence: string;
  role: string;
  status: 'resolved' | 'method-inferred' | 'unresolved';
}

interface Catalog {
  methods: CatalogMethod[];
}

const REPO_ROOT = packageRoot();

// ---------------------------------------------------------------------------------------------
// Parameter kinds

const COMMA_LIST = /用\s*['"‘“]?[,，]['"’”]?\s*分割|逗号分隔|逗号拼接|逗号分割|逗号隔开/;

/** The kind a documented type maps to; comma lists documented as String/Number become lists. */
export function kindFor(docType: string, description: string, name: string, example?: string | null): ParamKind {
  const type = docType.replace(/\s+/g, '');
  switch (type) {
    case 'String':
      return COMMA_LIST.test(description) ? 'string[]' : 'string';
    case 'Number':
    case 'Price':
    case 'BigDecimal':
      // documented Number, but a comma list of ids (event_id_list "123,456", trade_id_list "1,2,3")
      if (/_list$/.test(name) && (example == null || /^\d+(,\d+)+$/.test(example))) return 'number[]';
      return 'number';
    case 'Boolean':
      return 'boolean';
    case 'Date':
      return 'date';
    case 'String[]':
      return 'string[]';
    case 'Number[]':
      return 'number[]';
    case 'byte[]':
      return 'file';
    default:
      return 'json'; // Json, Object, LkItemDTO, TopApiAfOrderOption, X[] ...
  }
}

// ---------------------------------------------------------------------------------------------
// Limits documented in descriptions

export interface ParsedLimits {
  min?: number;
  max?: number;
  maxLength?: number;
  enum?: Array<string | number>;
}

function normalize(text: string): string {
  return text
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xff10 + 48))
    .replace(/：/g, ':')
    .replace(/～/g, '~')
    .replace(/\t/g, ' ');
}

function firstNumber(text: string, patterns: RegExp[]): number | undefined {
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Words that make a list of values open-ended or stale: no enum is derived from such a description. */
const OPEN_ENDED = /其他|其它|等|包括|\.\.\.|…|更多|敬请期待|已下线|废弃|不再使用|另一版本|-\s*$|例如|如:/;

/**
 * Limits stated unambiguously in a Chinese parameter description. Conservative on purpose:
 * a wrong limit would reject calls the platform accepts.
 */
export function parseLimits(description: string, kind: ParamKind): ParsedLimits {
  const text = normalize(description);
  const out: ParsedLimits = {};
  const isList = kind === 'string[]' || kind === 'number[]' || kind === 'json';

  // the platform's own "更多限制" annotations
  const formalMaxLen = firstNumber(text, [/最大长度:\s*(\d+)/]);
  const formalListLen = firstNumber(text, [/最大列表长度:\s*(\d+)/]);
  const formalMin = firstNumber(text, [/最小值:\s*(-?\d+)/]);
  const formalMax = firstNumber(text, [/最大值:\s*(-?\d+)/]);

  if (kind === 'number') {
    const range = /(-?\d+)\s*~\s*(-?\d+)/.exec(text) ?? /(-?\d+)\s*-\s*(\d+)\s*(?:之间|以内|,\s*上限)/.exec(text);
    if (range) {
      out.min = Number(range[1]);
      out.max = Number(range[2]);
    }
    const max = firstNumber(text, [/最大值\s*(\d+)/, /最大\s*(\d+)$/, /不能?超过\s*(\d+)/, /限制在?\s*(\d+)\s*以内/]);
    if (out.max === undefined && max !== undefined) out.max = max;
    if (formalMin !== undefined) out.min = formalMin;
    if (formalMax !== undefined) out.max = formalMax;
  } else if (kind === 'string') {
    const len = firstNumber(text, [
      /长度不能大于\s*(\d+)\s*个?字符/,
      /最大长度\s*(\d+)\s*个?字符/,
      /最大\s*(\d+)\s*个?字符/,
    ]);
    if (len !== undefined) out.maxLength = len;
    if (formalMaxLen !== undefined) out.maxLength = formalMaxLen;
  }
  if (kind === 'string[]' || kind === 'number[]') {
    // "最多支持8个" / "最多支持取前6张" say what is used, not what is accepted: not a limit
    const count = firstNumber(text, [
      /最大\s*(\d+)\s*个/,
      /最多查询\s*(\d+)\s*个/,
      /最多不超过\s*(\d+)\s*个/,
      /最多可支持\s*(\d+)\s*个/,
      /最多\s*(\d+)\s*个(?!字符)/,
      /批量请求\s*1\s*-\s*(\d+)\s*以内/,
    ]);
    if (count !== undefined) out.maxLength = count;
  }
  if (isList && formalListLen !== undefined) out.maxLength = formalListLen;

  if ((kind === 'number' || kind === 'string') && !OPEN_ENDED.test(text)) {
    const values = parseEnum(text);
    if (values) out.enum = kind === 'number' ? values.map(Number) : values;
  }
  return out;
}

/** "1:PC,2:无线" / "1-自购省,2-推广赚" / "-1: 向前翻页,1:向后翻页" -> ['1','2'] (two values at least). */
function parseEnum(text: string): string[] | undefined {
  const re = /(?:^|[,，;；、。:\s(（])(-?\d{1,3})\s*(?::|-(?!\d)|表示|(?=[\u4e00-\u9fa5]))\s*(?=[^\s\d,，;；、。])/g;
  const values: string[] = [];
  for (const m of text.matchAll(re)) {
    if (!values.includes(m[1]!)) values.push(m[1]!);
  }
  return values.length >= 2 ? values : undefined;
}

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

/** Parameters whose description lists values that are not a closed set (or vary between versions). */
const NO_ENUM = new Set([
  'activity_id',
  'activity_category',
  'tk_status',
  'func_type',
  'device_type',
  'action',
  'biz_scene_id',
  'query_type@taobao.tbk.cp.order.details.get',
]);

/** Limits set by hand where the description says it in words the parser leaves alone. */
const EXTRA_LIMITS: Record<string, Partial<ParamSpec>> = {
  'taobao.tbk.dsp.rta.consumer.match#qmt_id_list': { kind: 'string[]', maxLength: 5 }, // "任务id，最多5个任务"
};

/** Examples that contradict the documented limits or kind (placeholders): dropped, listed in the report. */
const dropped: string[] = [];
const limitLog: string[] = [];

// ---------------------------------------------------------------------------------------------

const PARAM_GLOSSES: Record<string, string> = {
  adzone_id: 'Ad zone ID: the third part of the PID mm_x_y_z',
  site_id: 'Site ID: the second part of the PID mm_x_y_z',
  page_no: 'Page number',
  page_num: 'Page number',
  page_size: 'Page size',
  q: 'Search keywords',
  material_id: 'Material ID',
  fields: 'Fields to return',
  num_iids: 'Item IDs, comma-separated',
  item_id: 'Item ID',
  item_ids: 'Item IDs, comma-separated',
  platform: 'Link form: 1 PC, 2 mobile',
  unid: 'Custom channel tag (letters and digits)',
  relation_id: 'Channel relation ID',
  special_id: 'Member operation ID',
  external_id: 'External user tag (own account ID, WeChat ID ...)',
  sub_pid: 'Third-party PID (mm_x_y_z)',
  pid: 'PID (mm_x_y_z)',
  password_content: 'Taobao password text to parse',
  url: 'Link',
  start_time: 'Start time',
  end_time: 'End time',
  sort: 'Sort order (field_des / field_asc)',
  is_tmall: 'Tmall items only',
  has_coupon: 'Items with coupons only',
  cat: 'Category IDs, comma-separated',
  ip: 'Client IP (affects shipping fees)',
  device_type: 'Device ID type',
  device_value: 'Device ID value (encrypted)',
  device_encrypt: 'Device ID encryption',
  biz_scene_id: 'Business scene ID',
  promotion_type: 'Promotion type: 1 self-purchase, 2 promotion',
  uvid: 'Encrypted user ID (UVID)',
  ucrowd_id: 'Crowd ID',
  position_index: 'Cursor returned by the previous page',
  jump_type: 'Page direction: -1 back, 1 forward',
  query_type: 'Query type',
  filters: 'Query conditions',
  dimensions: 'Aggregation dimensions',
  return_fields: 'Fields to return',
  report_type_id: 'Report name',
  activity_id: 'Activity ID',
  user_id: 'User ID',
  user_ids: 'Seller IDs, comma-separated',
  dx: '1: general plan link; otherwise marketing plan link',
  get_topn_rate: 'Get top-N commission info (1 yes)',
  start_price: 'Price lower bound (yuan)',
  end_price: 'Price upper bound (yuan)',
  start_tk_rate: 'Commission rate lower bound (1234 = 12.34%)',
  end_tk_rate: 'Commission rate upper bound (1234 = 12.34%)',
  event_id: 'Task (event) ID',
  content_id: 'Content ID',
  biz_date: 'Statistics date',
  group_id: 'Group ID',
  scd_id: 'Alliance crowd ID',
  res_desc: 'Push result description',
  res_code: 'Push result code',
  msg_id: 'Message ID',
  offset_code: 'Plan consumption offset',
  time_stamp: 'Timestamp (ms)',
  manufacturer: 'Phone vendor (huawei, oppo, vivo, xiaomi, rongyao)',
};

function cleanString(value: string | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : value;
}

function exampleFits(example: string, p: ParamSpec): boolean {
  const n = Number(example);
  switch (p.kind) {
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(example.trim())) return false;
      if (p.min !== undefined && n < p.min) return false;
      if (p.max !== undefined && n > p.max) return false;
      if (p.enum && !p.enum.includes(n)) return false;
      return true;
    case 'string':
      if (p.maxLength !== undefined && [...example].length > p.maxLength) return false;
      if (p.enum && !p.enum.includes(example)) return false;
      return true;
    case 'number[]':
      return example.split(',').every((s) => /^-?\d+(\.\d+)?$/.test(s.trim()));
    case 'boolean':
      return example === 'true' || example === 'false';
    default:
      return true;
  }
}

function convertParam(method: string, p: CatalogParam, path: string): ParamSpec {
  const kind = kindFor(p.type, p.description ?? '', p.name, p.example);
  const out: ParamSpec = {
    name: p.name,
    kind,
    docType: p.type,
    required: p.required === true,
    description: p.description ?? '',
  };
  const example = cleanString(p.example);
  const def = cleanString(p.default);
  if (example !== undefined) out.example = example;
  if (def !== undefined) out.default = def;
  const gloss = PARAM_GLOSSES[p.name];
  if (gloss && !path) out.descriptionEn = gloss;

  const limits = parseLimits(p.description ?? '', kind);
  if (limits.enum && (NO_ENUM.has(p.name) || NO_ENUM.has(`${p.name}@${method}`))) delete limits.enum;
  Object.assign(out, limits);
  const extra = EXTRA_LIMITS[`${method}#${path}${p.name}`];
  if (extra) Object.assign(out, extra);
  const recorded = (['min', 'max', 'maxLength', 'enum'] as const)
    .filter((k) => out[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(out[k])}`);
  if (recorded.length)
    limitLog.push(`${method} ${path}${p.name} (${kind}): ${recorded.join(' ')}  <- ${p.description}`);

  if (out.example !== undefined && !exampleFits(out.example, out)) {
    dropped.push(`${method} ${path}${p.name}: example ${JSON.stringify(out.example)}`);
    delete out.example;
  }
  if (out.default !== undefined && !exampleFits(out.default, out)) {
    dropped.push(`${method} ${path}${p.name}: default ${JSON.stringify(out.default)}`);
    delete out.default;
  }
  if (p.children?.length) out.children = p.children.map((c) => convertParam(method, c, `${path}${p.name}.`));
  const ordered: Record<string, unknown> = {};
  for (const key of PARAM_KEY_ORDER) if (out[key] !== undefined) ordered[key] = out[key];
  return ordered as unknown as ParamSpec;
}

const PARAM_KEY_ORDER: Array<keyof ParamSpec> = [
  'name',
  'kind',
  'docType',
  'required',
  'description',
  'descriptionEn',
  'example',
  'default',
  'min',
  'max',
  'maxLength',
  'enum',
  'children',
];

function convertResponse(fields: CatalogResponseField[] | null): ResponseFieldSpec[] {
  return (fields ?? []).map((f) => {
    const out: ResponseFieldSpec = { name: f.name, docType: f.type, description: f.description ?? '' };
    const example = cleanString(f.example);
    if (example !== undefined) out.example = example;
    if (f.children?.length) out.children = convertResponse(f.children);
    return out;
  });
}

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
// Paging

/** TOP's JSON wraps arrays of objects in {<snake type>: [...]}: MapData[] -> map_data. */
interface FieldPath {
  path: string;
  field: CatalogResponseField;
}

function flattenFields(
  fields: CatalogResponseField[] | null,
  prefix = '',
  depth = 0,
  out: FieldPath[] = [],
): FieldPath[] {
  for (const f of fields ?? []) {
    const path = prefix + f.name;
    out.push({ path, field: f });
    if (f.children?.length && depth < 2 && !/\[\]\s*$/.test(f.type.replace(/\s+/g, '')))
      flattenFields(f.children, path + '.', depth + 1, out);
  }
  return out;
}

function findField(all: FieldPath[], names: string[]): FieldPath | undefined {
  for (const name of names) {
    const hit = all.find((f) => f.field.name === name);
    if (hit) return hit;
  }
  return undefined;
}

function isArrayType(type: string): boolean {
  return /\[\]$/.test(type.replace(/\s+/g, ''));
}

/**
 * page_no/page_size (or page_num) with a documented result list; position_index/has_next cursors.
 * listPath names the documented field: in the default (non-simplified) format it holds a
 * single-key wrapper object around the array ({"map_data": [...]}).
 */
function pagingFor(
  method: string,
  params: CatalogParam[],
  response: CatalogResponseField[] | null,
): PagingSpec | undefined {
  const names = new Set(params.map((p) => p.name));
  const all = flattenFields(response);
  const list = all.find(
    (f) => isArrayType(f.field.type) && f.field.name !== 'column_list' && !f.path.includes('page_info'),
  );
  // two lists (pid_rpt_list, relation_rpt_list) depending on rpt_dim: no single list to follow
  if (method.endsWith('.vegas.send.report')) return undefined;
  if (method === 'taobao.tbk.rta.uvid.get') {
    return {
      style: 'cursor',
      cursorParam: 'cursor',
      sizeParam: 'page_size',
      hasNextPath: 'has_more',
      cursorPath: 'cursor',
      listPath: 'result_list',
    };
  }
  if (names.has('position_index') && names.has('page_size')) {
    const hasNext = findField(all, ['has_next']);
    const cursor = all.find((f) => f.field.name === 'position_index');
    if (!hasNext || !cursor || !list) return undefined;
    const spec: PagingSpec = {
      style: 'cursor',
      cursorParam: 'position_index',
      sizeParam: 'page_size',
      hasNextPath: hasNext.path,
      cursorPath: cursor.path,
      listPath: list.path,
    };
    if (names.has('page_no')) spec.pageParam = 'page_no';
    return spec;
  }
  const pageParam = names.has('page_no') ? 'page_no' : names.has('page_num') ? 'page_num' : undefined;
  if (!pageParam || !names.has('page_size') || !list) return undefined;
  const spec: PagingSpec = { style: 'page', pageParam, sizeParam: 'page_size', listPath: list.path };
  const total = findField(all, ['total_results', 'total_count', 'total_cnt', 'total']);
  if (total) spec.totalPath = total.path;
  const hasNext = findField(all, ['has_next']);
  if (hasNext) spec.hasNextPath = hasNext.path;
  return spec;
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
