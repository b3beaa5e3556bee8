/**
 * Paging through a TOP method, one page after another, as an async iterator: the method nodes'
 * "every page" modes and the order sync's window reader both read their pages through it.
 *
 * A page's position is its page number (`page_no`, counted up from the one asked for), the cursor
 * the previous answer handed back (`position_index`), or both (the order details API). Paging ends
 * when an answer says there is nothing more: `has_next` false, fewer items than the page size, the
 * total reached, or a cursor that did not move; at `maxPages` it ends too (the last page then is not
 * marked `last`: the caller can tell that more may be there).
 */
import { TopError } from './errors';
import { messageFields } from './messages';
import { isPlainObject } from './objects';

export interface PagingRules {
  /** 'page': page numbers; 'cursor': each answer's cursor; 'page+cursor': both */
  style: 'page' | 'cursor' | 'page+cursor';
  /** default page_no */
  pageParam?: string;
  /** default position_index */
  cursorParam?: string;
  /** dotted paths into the (unwrapped) response */
  listPath?: string;
  hasNextPath?: string;
  cursorPath?: string;
  totalPath?: string;
  /** a page with fewer items is the last */
  pageSize?: number;
  maxPages: number;
  /**
   * Go on only while an answer says `has_next` is true, and fail (TopError, kind transport) when it
   * says so without moving on (an empty page, the same cursor): a reader that must not miss a page.
   * Otherwise paging goes on until an answer says it is the last, and ends quietly on a stuck cursor.
   */
  strict?: boolean;
  /**
   * Hold each page until the next one is read, so that the last page is known when it is handed out
   * (an empty page after a full one is then not handed out at all; the last page handed out is marked
   * `last`, at maxPages too). When a later page fails, the page held is handed out first, then the
   * error is thrown.
   */
  lookahead?: boolean;
}

export interface Page<R> {
  /** the answer as the request function gave it */
  result: R;
  /** the items of the page (listPath) */
  list: unknown[];
  /** the paging parameters the page was asked with */
  position: Record<string, unknown>;
  /** 0-based */
  index: number;
  /** nothing comes after this page */
  last: boolean;
}

/** A value at a dotted path of plain objects; undefined when the path is not there. */
export function valueAt(value: unknown, path: string | undefined): unknown {
  if (!path) return undefined;
  let current = value;
  for (const key of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** A TOP list: an array, a `{map_data: [...]}` style wrapper, or one bare item. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    const values = Object.values(value);
    if (values.length === 1 && Array.isArray(values[0])) return values[0];
  }
  return [value];
}

const isFalse = (value: unknown): boolean => value === false || value === 'false';
const isTrue = (value: unknown): boolean => value === true || value === 'true';
const blank = (value: unknown): boolean => value === undefined || value === null || value === '';

/**
 * The pages of a call: `request` is asked with `params` plus each page's position, and its result's
 * `response` (the unwrapped answer) is read by `rules`.
 */
export async function* paginate<R extends { response: Record<string, unknown> }>(
  request: (params: Record<string, unknown>) => Promise<R>,
  params: Record<string, unknown>,
  rules: PagingRules,
): AsyncGenerator<Page<R>, void, undefined> {
  const pageParam = rules.pageParam ?? 'page_no';
  const cursorParam = rules.cursorParam ?? 'position_index';
  const counted = rules.style !== 'cursor';
  const cursored = rules.style !== 'page';
  let pageNo = Number(params[pageParam]) || 1;
  let cursor: unknown = params[cursorParam];
  let seen = 0;
  let held: Page<R> | undefined;

  for (let index = 0; index < rules.maxPages; index++) {
    const position: Record<string, unknown> = {};
    if (counted) position[pageParam] = pageNo;
    if (cursored && !blank(cursor)) position[cursorParam] = cursor;
    let result: R;
    try {
      result = await request({ ...params, ...position });
    } catch (err) {
      if (held) yield { ...held, last: false };
      throw err;
    }
    const list = asList(valueAt(result.response, rules.listPath));
    if (rules.lookahead && index > 0 && list.length === 0) break; // an empty page after the last full one is not handed out
    seen += list.length;
    const hasNext = valueAt(result.response, rules.hasNextPath);
    const nextCursor = valueAt(result.response, rules.cursorPath);
    const stuck =
      list.length === 0 || (cursored && (blank(nextCursor) ? rules.style === 'cursor' : nextCursor === cursor));
    let more: boolean;
    if (rules.strict) {
      more = isTrue(hasNext);
      if (more && stuck)
        throw new TopError({
          kind: 'transport',
          ...messageFields('paging.stuck', {
            page: index + 1,
            cursor: blank(nextCursor) ? 'none' : String(nextCursor),
          }),
        });
    } else {
      const total = Number(valueAt(result.response, rules.totalPath));
      more = list.length > 0 && !isFalse(hasNext) && !stuck;
      if (more && rules.pageSize !== undefined && list.length < rules.pageSize) more = false;
      if (more && Number.isFinite(total) && (rules.pageSize !== undefined ? pageNo * rules.pageSize : seen) >= total)
        more = false;
    }
    const page: Page<R> = { result, list, position, index, last: !more };
    if (rules.lookahead) {
      if (held) yield { ...held, last: false };
      held = page;
    } else yield page;
    if (!more) break;
    pageNo++;
    if (!blank(nextCursor)) cursor = nextCursor;
  }
  // the last page handed out (at maxPages too: the caller asked for no more)
  if (held) yield { ...held, last: true };
}
