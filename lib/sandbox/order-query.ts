/**
 * The answer of taobao.tbk.order.details.get / taobao.tbk.sc.order.details.get over the rows an order
 * book shows: the parameter checks with the API's sub_codes, the filters, and paging by page_no or
 * by position_index (the real API's cursor).
 */
import { parseGmt8 } from '../top/time';
import type { OrderEntry, PublisherOrderRecord } from './order-book';

export type OrderQueryType = 1 | 2 | 3 | 4;

/** The time field each query_type filters on (kept apart from lib/order-sync.ts on purpose: the book is the oracle the sync is tested against). */
export const ORDER_TIME_FIELDS: Readonly<Record<OrderQueryType, string>> = {
  1: 'tk_create_time',
  2: 'tk_paid_time',
  3: 'tk_earning_time',
  4: 'modified_time',
};

const HOUR = 3600_000;
/** "订单查询时间段日常要求不超过3个小时" (sub_code 2007) */
export const MAX_QUERY_WINDOW_MS = 3 * HOUR;
/** "开始时间应该大于最近90天" (sub_code 2004) */
export const ORDER_RETENTION_MS = 90 * 24 * HOUR;
const MAX_PAGE_NO = 100;

export interface ErrorBody {
  error_response: { code: number; msg: string; sub_code: string; sub_msg: string };
}

function tbkError(subCode: string, subMsg: string): ErrorBody {
  return { error_response: { code: 15, msg: 'Remote service error', sub_code: subCode, sub_msg: subMsg } };
}

/** Trade ids in numeric order (18-19 digit strings). */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** What a query reads from the book: its now, its window limit, and its visible versions sorted by a query type's time field. */
export interface OrderRows {
  now: number;
  maxWindowMs: number;
  rows(queryType: OrderQueryType): BookRow[];
}

/**
 * The answer of taobao.tbk.(sc.)order.details.get for these (string) params at the book's now:
 * an inner response `{ data: {...} }` or an `{ error_response }` body, for sandbox.setResponse.
 * Trade ids are digit strings (the sandbox writes them as bare numbers) or String objects (kept
 * quoted) per order; with simplify=true all go bare (the simplified shape is built by walking
 * plain objects).
 */
export function answerOrderQuery(
  params: Record<string, string | undefined>,
  book: OrderRows,
): { data: Record<string, unknown> } | ErrorBody {
  const intParam = (name: string, fallback: number): number | undefined => {
    const text = params[name];
    if (text === undefined || text.trim() === '') return fallback;
    return /^-?\d+$/.test(text.trim()) ? Number(text) : undefined;
  };
  const queryType = intParam('query_type', 1);
  if (queryType === undefined || !(queryType in ORDER_TIME_FIELDS))
    return tbkError('isv.invalid-parameter', '非法参数:query_type');
  const start = parseGmt8(params.start_time ?? '');
  const end = parseGmt8(params.end_time ?? '');
  if (Number.isNaN(start) || Number.isNaN(end)) return tbkError('2000', '开始时间或结束时间参数非法');
  if (start >= end) return tbkError('2001', '开始时间应该小于结束时间');
  if (start >= book.now) return tbkError('2002', '请求参数非法，开始时间应该小于当前时间');
  if (start < book.now - ORDER_RETENTION_MS) return tbkError('2004', '请求参数非法，开始时间应该大于最近90天');
  if (end - start > book.maxWindowMs) {
    return tbkError(
      '2007',
      '亲，订单查询时间段日常要求不超过3个小时，但如618、双11、年货节等大促期间预估时间段不可超过20分钟，超过会提示错误，调用时请务必注意时间段的选择，以保证亲能正常调用！',
    );
  }
  const pageSize = intParam('page_size', 20);
  if (pageSize === undefined || pageSize < 1 || pageSize > 100)
    return tbkError('isv.invalid-parameter', '非法参数:page_size，1~100');
  const pageNo = intParam('page_no', 1);
  if (pageNo === undefined || pageNo < 1 || pageNo > MAX_PAGE_NO)
    return tbkError('isv.invalid-parameter', `非法参数:page_no，1~${MAX_PAGE_NO}`);
  const jumpType = intParam('jump_type', 1);
  if (jumpType !== 1 && jumpType !== -1) return tbkError('1005', 'jumpType非法');
  const tkStatus = params.tk_status?.trim() ? intParam('tk_status', 0) : undefined;
  if (tkStatus !== undefined && ![11, 12, 13, 14, 3].includes(tkStatus)) return tbkError('1006', 'tkStatus非法');
  const memberType = params.member_type?.trim() ? intParam('member_type', 0) : undefined;
  const orderScene = intParam('order_scene', 1);
  const positionText = params.position_index?.trim() || undefined;
  let position: { first: SortKey; last: SortKey } | undefined;
  if (positionText !== undefined) {
    position = parsePosition(positionText);
    if (!position) return tbkError('1008', 'positionIndex非法');
  }

  const sorted = book.rows(queryType as OrderQueryType);
  const first = countWhile(sorted, (row) => row.key.time < start);
  const last = countWhile(sorted, (row) => row.key.time <= end);
  const rows = sorted.slice(first, last).filter(({ record }) => {
    if (tkStatus !== undefined && record.tk_status !== tkStatus) return false;
    if (memberType !== undefined && record.tk_order_role !== memberType) return false;
    if (orderScene === 2 && record.relation_id === undefined) return false;
    if (orderScene === 3 && record.special_id === undefined) return false;
    return true;
  });

  let from: number;
  if (!position) from = (pageNo - 1) * pageSize;
  else if (jumpType === 1) from = countWhile(rows, (row) => compareKeys(row.key, position.last) <= 0);
  else from = Math.max(0, countWhile(rows, (row) => compareKeys(row.key, position.first) < 0) - pageSize);
  const upTo =
    !position || jumpType === 1 ? from + pageSize : countWhile(rows, (row) => compareKeys(row.key, position.first) < 0);
  const page = rows.slice(from, Math.min(upTo, from + pageSize));
  const bareAll = params.simplify === 'true';
  const results = page.map(({ entry, record }) => {
    const copy: Record<string, unknown> = structuredClone(record);
    if (entry.quotedIds && !bareAll) {
      copy.trade_id = Object(record.trade_id) as unknown;
      copy.trade_parent_id = Object(record.trade_parent_id) as unknown;
    }
    return copy;
  });
  const data: Record<string, unknown> = {
    results: { publisher_order_dto: results },
    has_pre: from > 0,
    has_next: from + page.length < rows.length,
    page_no: pageNo,
    page_size: pageSize,
  };
  if (page.length > 0)
    data.position_index = `${positionToken(page[0]!.key)}|${positionToken(page[page.length - 1]!.key)}`;
  else if (positionText !== undefined) data.position_index = positionText;
  return { data };
}

export interface SortKey {
  time: number;
  tradeId: string;
}

export interface BookRow {
  key: SortKey;
  entry: OrderEntry;
  record: PublisherOrderRecord;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  return a.time - b.time || compareIds(a.tradeId, b.tradeId);
}

/** Rows are sorted: the number of leading rows for which `test` holds. */
function countWhile<T>(rows: readonly T[], test: (row: T) => boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (test(rows[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Like the real `1555904214_lGltNdNvSX2`: epoch seconds and an opaque token (the trade id in base 36). */
function positionToken(key: SortKey): string {
  return `${key.time / 1000}_${BigInt(key.tradeId).toString(36)}`;
}

function parsePosition(text: string): { first: SortKey; last: SortKey } | undefined {
  const parts = text.split('|');
  if (parts.length !== 2) return undefined;
  const keys: SortKey[] = [];
  for (const part of parts) {
    const m = /^(\d{1,12})_([0-9a-z]{1,16})$/.exec(part);
    if (!m) return undefined;
    let id = 0n;
    for (const c of m[2]!) id = id * 36n + BigInt(parseInt(c, 36));
    keys.push({ time: Number(m[1]) * 1000, tradeId: id.toString() });
  }
  return { first: keys[0]!, last: keys[1]! };
}
