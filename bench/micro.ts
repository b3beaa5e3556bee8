/** CPU cost of signing + encoding one call, lossless parsing against JSON.parse, and memory growth. */
import { request } from 'undici';
import { TopClient } from '../lib/top/client';
import { encodeParams, formEncode } from '../lib/top/encode';
import { parseJsonBytes, parseJsonLossless } from '../lib/top/json';
import { TPWD_METHOD, type BodyVariant } from './bodies';
import { APP_KEY, APP_SECRET, METHOD, closedLoopAsync, searchParams } from './workload';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export interface SignResult {
  iterations: number;
  rounds: number[];
  /** median CPU microseconds per call */
  micros: number;
}

/** TopClient.signedParams (fresh timestamp, md5) + the form body, for the benchmark's search call. */
export function measureSigning(iterations: number, rounds: number): SignResult {
  const client = new TopClient({
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    endpoint: 'http://127.0.0.1:9/router/rest',
    rateLimit: false,
  });
  const params = searchParams();
  let bytes = 0;
  const once = (): void => {
    const all = client.signedParams(METHOD, encodeParams(params).text, undefined);
    bytes += formEncode(all).length;
  };
  for (let i = 0; i < Math.min(iterations, 20_000); i++) once();
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = cpuMicros();
    for (let i = 0; i < iterations; i++) once();
    perRound.push((cpuMicros() - before) / iterations);
  }
  void client.close();
  if (bytes === 0) throw new Error('nothing encoded');
  return { iterations, rounds: perRound, micros: median(perRound) };
}

export type ParseBodyName = BodyVariant | 'tpwd';

export interface ParseResult {
  body: ParseBodyName;
  bytes: number;
  iterations: number;
  /** median CPU microseconds per parse */
  jsonParseMicros: number;
  losslessMicros: number;
  /** median over rounds of lossless / JSON.parse */
  ratio: number;
  /** the same body as bytes: UTF-8 decoding + JSON.parse against parseJsonBytes (what TopClient runs) */
  fromBytes: { decodeJsonParseMicros: number; parseJsonBytesMicros: number; ratio: number };
  /** lossless kept every 18-digit id exact (the ids18 body) */
  exactIds?: boolean;
}

const TPWD_PARAMS = { url: 'https://s.click.taobao.com/t?e=m%3D2%26s%3Dabc', text: '超值好物' };

/** The bodies exactly as the sandbox sends them. */
export async function fetchBodies(url: string): Promise<Record<ParseBodyName, string>> {
  const client = new TopClient({ appKey: APP_KEY, appSecret: APP_SECRET, endpoint: url, rateLimit: false });
  const raw = async (method: string, params: Record<string, unknown>): Promise<string> => {
    const all = client.signedParams(method, encodeParams(params).text, undefined);
    const res = await request(url, {
      method: 'POST',
      body: formEncode(all),
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    });
    const text = await res.body.text();
    if (res.statusCode !== 200 || text.includes('error_response'))
      throw new Error(`the sandbox refused ${method}: ${text.slice(0, 300)}`);
    return text;
  };
  const bodies = {
    items20: await raw(METHOD, searchParams('items20')),
    ids18: await raw(METHOD, searchParams('ids18')),
    large: await raw(METHOD, searchParams('large')),
    tpwd: await raw(TPWD_METHOD, TPWD_PARAMS),
  };
  await client.close();
  return bodies;
}

interface Alternated {
  aMicros: number;
  bMicros: number;
  /** median over rounds of b / a */
  ratio: number;
  iterations: number;
}

/** Times `a` and `b` on the same input, alternating which goes first, `rounds` times. */
function alternate<T>(
  input: T,
  a: (input: T) => unknown,
  b: (input: T) => unknown,
  rounds: number,
  targetMicros = 150_000,
): Alternated {
  let sink = 0;
  const time = (parse: (input: T) => unknown, n: number): number => {
    const before = cpuMicros();
    for (let i = 0; i < n; i++) sink += (parse(input) as object) ? 1 : 0;
    return (cpuMicros() - before) / n;
  };
  time(a, 20);
  time(b, 20);
  const iterations = Math.max(20, Math.round(targetMicros / Math.max(1, time(a, 50))));
  const aTimes: number[] = [];
  const bTimes: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? a : b;
    const firstTime = time(first, iterations);
    const secondTime = time(first === a ? b : a, iterations);
    const [aTime, bTime] = first === a ? [firstTime, secondTime] : [secondTime, firstTime];
    aTimes.push(aTime);
    bTimes.push(bTime);
    ratios.push(bTime / aTime);
  }
  if (sink === 0) throw new Error('nothing parsed');
  return { aMicros: median(aTimes), bMicros: median(bTimes), ratio: median(ratios), iterations };
}

/**
 * Lossless parsing against JSON.parse on the same body: from text (parseJsonLossless vs
 * JSON.parse), and from the bytes off the wire as the client gets them (parseJsonBytes vs UTF-8
 * decoding + JSON.parse).
 */
export function measureParse(body: ParseBodyName, text: string, rounds: number): ParseResult {
  const fromText = alternate(text, JSON.parse, parseJsonLossless, rounds);
  const fromBytes = alternate(Buffer.from(text), (bytes) => JSON.parse(bytes.toString('utf8')), parseJsonBytes, rounds);
  const result: ParseResult = {
    body,
    bytes: Buffer.byteLength(text),
    iterations: fromText.iterations,
    jsonParseMicros: fromText.aMicros,
    losslessMicros: fromText.bMicros,
    ratio: fromText.ratio,
    fromBytes: {
      decodeJsonParseMicros: fromBytes.aMicros,
      parseJsonBytesMicros: fromBytes.bMicros,
      ratio: fromBytes.ratio,
    },
  };
  if (body === 'ids18') {
    const digits = [...text.matchAll(/"seller_id":(\d{18})/g)].map((m) => m[1]);
    type Answer = {
      tbk_dg_material_optional_upgrade_response: {
        result_list: { map_data: Array<{ item_basic_info: { seller_id: unknown } }> };
      };
    };
    const sellerIds = (parsed: unknown): unknown[] =>
      (parsed as Answer).tbk_dg_material_optional_upgrade_response.result_list.map_data.map(
        (item) => item.item_basic_info.seller_id,
      );
    const exact = (got: unknown[]): boolean =>
      digits.length > 0 && digits.length === got.length && digits.every((d, i) => d === got[i]);
    result.exactIds = exact(sellerIds(parseJsonLossless(text))) && exact(sellerIds(parseJsonBytes(Buffer.from(text))));
  }
  return result;
}

export interface MemoryResult {
  warmupCalls: number;
  calls: number;
  concurrency: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
  errors: number;
  firstError?: string;
}

const MB = 1024 * 1024;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the memory measurement with node --expose-gc');
  gc();
  gc();
}

/** Resident set growth over `calls` TopClient calls, after a warm-up and a forced GC. */
export async function measureMemory(
  url: string,
  warmupCalls: number,
  calls: number,
  concurrency: number,
): Promise<MemoryResult> {
  const client = new TopClient({ appKey: APP_KEY, appSecret: APP_SECRET, endpoint: url, rateLimit: false });
  const call = () => client.call(TPWD_METHOD, TPWD_PARAMS);
  await closedLoopAsync(concurrency, warmupCalls, call);
  collect();
  const before = process.memoryUsage();
  const outcome = await closedLoopAsync(concurrency, calls, call);
  collect();
  const after = process.memoryUsage();
  await client.close();
  return {
    warmupCalls,
    calls,
    concurrency,
    rssBeforeMb: before.rss / MB,
    rssAfterMb: after.rss / MB,
    rssGrowthMb: (after.rss - before.rss) / MB,
    heapGrowthMb: (after.heapUsed - before.heapUsed) / MB,
    errors: outcome.errors,
    ...(outcome.firstError ? { firstError: outcome.firstError } : {}),
  };
}
