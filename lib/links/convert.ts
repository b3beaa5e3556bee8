/**
 * Chat-text conversion with 万能转链 (taobao.tbk.dg.general.link.convert, or the 服务商 variant
 * taobao.tbk.sc.general.link.convert): the materials of a text (lib/link-materials.ts) go out in
 * `material_list` calls of at most 20, side by side through the client's rate limit; each answer is
 * mapped back to its material (`input_material_url`, else order) and replaces it in place.
 */
import type { CallOptions, CallResult, TopClient } from '../top/client';
import { linkedSignal } from '../top/abort';
import { findMaterials, replaceMaterials, type Material } from './materials';
import { isPlainObject } from '../top/objects';

export const DG_LINK_CONVERT = 'taobao.tbk.dg.general.link.convert';
export const SC_LINK_CONVERT = 'taobao.tbk.sc.general.link.convert';
export type LinkConvertMethod = typeof DG_LINK_CONVERT | typeof SC_LINK_CONVERT;

/** Materials per call. */
export const MAX_MATERIALS_PER_CALL = 20;

export type ReplaceWith = 'tpwd' | 'url';

export interface LinkConvertOptions {
  method: LinkConvertMethod;
  /** the third part of the PID mm_x_y_z */
  adzoneId: string;
  /** 服务商 only */
  siteId?: string;
  relationId?: string;
  specialId?: string;
  /** what a converted material becomes: a 淘口令 (default) or a short link */
  replaceWith?: ReplaceWith;
  /** use the coupon (二合一) link or 淘口令 when the answer has one (default true) */
  preferCoupon?: boolean;
  /** session, signal, onRetry ... of every call */
  call?: CallOptions;
}

export interface LinkCoupon {
  amount: string;
  desc?: string;
  end_time?: string;
}

/** Codes of the failures this module finds itself (the gateway's are numbers). */
export const NO_ANSWER = 'no-answer';
export const NO_LINK = 'no-link';

export interface ConvertedLink {
  /** the material as it stands in the text */
  input: string;
  ok: boolean;
  /** what replaced it (the input when it was not converted) */
  output: string;
  item_id?: string;
  coupon?: LinkCoupon;
  commission_rate?: string;
  error?: { code: number | string; msg: string };
}

export interface TextConversion {
  text: string;
  /** one per material, in text order */
  links: ConvertedLink[];
  method: LinkConvertMethod;
  calls: number;
  request_ids: string[];
  attempts: number;
  duration_ms: number;
}

type Entry = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

/** A TOP list: an array, or the `{material_url_list: [...]}` wrapper of answers that are not simplified. */
function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    const values = Object.values(value);
    if (values.length === 1 && Array.isArray(values[0])) return values[0];
  }
  return value === undefined || value === null ? [] : [value];
}

/**
 * How a material goes in `material_list`, which is joined with commas: a comma inside a link is
 * percent-encoded (the same link); a 淘口令 holds none.
 */
export function materialParam(material: string): string {
  return material.trim().replace(/,/g, '%2C');
}

/** The per-material entries of a 万能转链 answer (`data.material_url_list`, wrapped or simplified). */
export function answerEntries(response: Record<string, unknown>): Entry[] {
  return list(record(response.data).material_url_list).filter(isPlainObject);
}

function comparable(material: string): string {
  let value = material.trim();
  try {
    value = decodeURIComponent(value);
  } catch {
    // not percent-encoded
  }
  return value
    .replace(/^https?:\/\//i, '')
    .replace(/\/$/, '')
    .toLowerCase();
}

/**
 * The answer entry of each sent material: the one whose `input_material_url` is that material,
 * else the entry at the same position when it names no input of its own (or names none sent).
 */
export function matchEntries(sent: readonly string[], entries: readonly Entry[]): Array<Entry | undefined> {
  const matched: Array<Entry | undefined> = new Array(sent.length).fill(undefined);
  const used = new Set<number>();
  const keys = sent.map(comparable);
  entries.forEach((entry, e) => {
    const input = text(entry.input_material_url);
    if (input === undefined) return;
    const exact = sent.findIndex((s, i) => matched[i] === undefined && (s === input || materialParam(s) === input));
    const i = exact >= 0 ? exact : keys.findIndex((k, j) => matched[j] === undefined && k === comparable(input));
    if (i >= 0) {
      matched[i] = entry;
      used.add(e);
    }
  });
  const sentKeys = new Set(keys);
  entries.forEach((entry, e) => {
    if (used.has(e) || e >= sent.length || matched[e] !== undefined) return;
    const input = text(entry.input_material_url);
    if (input === undefined || !sentKeys.has(comparable(input))) {
      matched[e] = entry;
      used.add(e);
    }
  });
  return matched;
}

/** The long-form 淘口令 of an answer without its title: `39￥ CZ3457 code￥ https://m.tb.cn/h.x`. */
function fullTpwdCore(full: string | undefined): string | undefined {
  if (full === undefined) return undefined;
  const first = findMaterials(full)[0];
  return first && first.kind !== 'url' ? first.text : undefined;
}

/** What a converted material becomes, from the link fields of its answer. */
export function replacementFor(
  material: Material,
  link: Record<string, unknown>,
  replaceWith: ReplaceWith,
  preferCoupon: boolean,
): string | undefined {
  const kinds = preferCoupon ? ['coupon', 'cps'] : ['cps', 'coupon'];
  const first = (fields: (kind: string) => Array<string | undefined>): string | undefined => {
    for (const kind of kinds) for (const value of fields(kind)) if (value !== undefined) return value;
    return undefined;
  };
  const url = (): string | undefined =>
    first((k) => [text(link[`${k}_short_url`])]) ?? first((k) => [text(link[`${k}_long_url`])]);
  const shortTpwd = (): string | undefined => first((k) => [text(link[`${k}_short_tpwd`])]);
  const fullTpwd = (): string | undefined => first((k) => [fullTpwdCore(text(link[`${k}_full_tpwd`]))]);
  if (replaceWith === 'url') return url() ?? shortTpwd() ?? fullTpwd();
  if (material.kind === 'full') return fullTpwd() ?? shortTpwd() ?? url();
  return shortTpwd() ?? fullTpwd() ?? url();
}

function couponOf(entry: Entry): LinkCoupon | undefined {
  const info = record(entry.coupon_info_dto);
  const amount = text(info.coupon_amount);
  if (amount === undefined) return undefined;
  const desc = text(info.coupon_desc);
  const endTime = text(info.coupon_end_time);
  return { amount, ...(desc !== undefined ? { desc } : {}), ...(endTime !== undefined ? { end_time: endTime } : {}) };
}

function itemIdOf(link: Record<string, unknown>): string | undefined {
  const itemId = text(link.item_id);
  if (itemId !== undefined) return itemId;
  // material_id is an item, seller or page id, by material_type (1: item)
  const type = text(link.material_type);
  return type === undefined || type === '1' ? text(link.material_id) : undefined;
}

/** One material's outcome from its answer entry (undefined: the answer did not mention it). */
export function convertedLink(
  material: Material,
  entry: Entry | undefined,
  replaceWith: ReplaceWith,
  preferCoupon: boolean,
): ConvertedLink {
  const failed = (code: number | string, msg: string): ConvertedLink => ({
    input: material.text,
    ok: false,
    output: material.text,
    error: { code, msg },
  });
  if (!entry) return failed(NO_ANSWER, 'the answer has no result for this material');
  const code = entry.code;
  if (code !== undefined && code !== null && code !== '' && String(code) !== '0') {
    const numeric = Number(code);
    return failed(Number.isFinite(numeric) ? numeric : String(code), text(entry.msg) ?? `code ${String(code)}`);
  }
  const link = record(entry.link_info_dto);
  const output = replacementFor(material, link, replaceWith, preferCoupon);
  if (output === undefined) return failed(NO_LINK, 'the answer has no converted link or 淘口令 for this material');
  const itemId = itemIdOf(link);
  const coupon = couponOf(entry);
  const rate = text(record(entry.promotion_info_dto).commission_rate);
  return {
    input: material.text,
    ok: true,
    output,
    ...(itemId !== undefined ? { item_id: itemId } : {}),
    ...(coupon ? { coupon } : {}),
    ...(rate !== undefined ? { commission_rate: rate } : {}),
  };
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The business parameters of one call. */
export function callParams(options: LinkConvertOptions, materials: readonly string[]): Record<string, unknown> {
  return {
    adzone_id: options.adzoneId,
    material_list: materials.map(materialParam).join(','),
    ...(options.method === SC_LINK_CONVERT && options.siteId ? { site_id: options.siteId } : {}),
    ...(options.relationId ? { relation_id: options.relationId } : {}),
    ...(options.specialId ? { special_id: options.specialId } : {}),
  };
}

/**
 * Converts every material of `text`. Rejects with the TopError of the first call that fails as a
 * whole (the calls still running are aborted); a material the gateway refuses is listed with
 * `ok: false` and stays as it was. A text without materials makes no call.
 */
export async function convertText(
  client: TopClient,
  input: string,
  options: LinkConvertOptions,
): Promise<TextConversion> {
  const started = performance.now();
  const replaceWith = options.replaceWith ?? 'tpwd';
  const preferCoupon = options.preferCoupon ?? true;
  const materials = findMaterials(input);
  const distinct = [...new Set(materials.map((m) => m.text.trim()))];
  const chunks = chunked(distinct, MAX_MATERIALS_PER_CALL);

  // the first call that fails as a whole fails the text: the others are aborted
  const stop = new AbortController();
  // the caller's signal, or the first chunk that fails
  const { signal, dispose } = linkedSignal(options.call?.signal, stop.signal);
  let firstFailure: unknown;
  const calls = chunks.map(async (chunk): Promise<{ chunk: string[]; result: CallResult }> => {
    try {
      return {
        chunk,
        result: await client.request(options.method, callParams(options, chunk), { ...options.call, signal }),
      };
    } catch (err) {
      if (firstFailure === undefined) firstFailure = err;
      stop.abort();
      throw err;
    }
  });
  const settled = await Promise.allSettled(calls);
  dispose();
  if (firstFailure !== undefined) throw firstFailure;

  const entryOf = new Map<string, Entry | undefined>();
  const results = settled.map((s) => (s as PromiseFulfilledResult<{ chunk: string[]; result: CallResult }>).value);
  for (const { chunk, result } of results) {
    const matched = matchEntries(chunk, answerEntries(result.response));
    chunk.forEach((material, i) => entryOf.set(material, matched[i]));
  }
  const links = materials.map((m) => convertedLink(m, entryOf.get(m.text.trim()), replaceWith, preferCoupon));
  return {
    text: replaceMaterials(
      input,
      materials,
      links.map((l) => (l.ok ? l.output : undefined)),
    ),
    links,
    method: options.method,
    calls: results.length,
    request_ids: results.map((r) => r.result.request_id).filter((id): id is string => typeof id === 'string'),
    attempts: results.reduce((sum, r) => sum + r.result.attempts, 0),
    duration_ms: Math.round(performance.now() - started),
  };
}
