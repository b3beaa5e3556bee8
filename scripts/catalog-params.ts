/**
 * A documented parameter of the catalog as a ParamSpec: its kind from the documented type, the
 * limits its Chinese description states, an English gloss, the exceptions set by hand, and the
 * examples and defaults that contradict its limits dropped (both logged for the import report).
 */
import type { ParamKind, ParamSpec } from '../lib/method-specs/types';
import { cleanString, type CatalogParam } from './catalog-types';

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
// Decisions per parameter (see the import report)

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
export const dropped: string[] = [];
export const limitLog: string[] = [];

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

export function convertParam(method: string, p: CatalogParam, path: string): ParamSpec {
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
