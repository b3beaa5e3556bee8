/** The benchmark's figures: medians, ratios, targets, the printed table and the SVG chart. */
import { CONTENDERS, CONTENDER_LABELS, type ContenderName } from './contenders';
import type { MemoryResult, ParseResult, SignResult } from './micro';
import { formatBackfill, type BackfillResult } from './backfill';

export const CONCURRENCIES = [1, 16, 64] as const;

export interface CellFigures {
  calls: number;
  /** ok calls per second, one per round */
  rounds: number[];
  median: number;
  /** median CPU microseconds per call of the contender's process */
  cpuMicrosPerCall: number;
  /** median CPU microseconds per call of the sandbox process */
  gatewayCpuMicrosPerCall: number;
  errors: number;
  firstError?: string;
}

export type Throughput = Record<ContenderName, Record<string, CellFigures>>;

export interface Target {
  name: string;
  value: number;
  unit: string;
  comparison: '>=' | '<=' | '<';
  threshold: number;
  pass: boolean;
}

export interface BenchResults {
  meta: {
    date: string;
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    rounds: number;
    durationSeconds: number;
    notes: string[];
  };
  throughput: Throughput;
  /** per concurrency: contender / limit, the median of the per-round ratios */
  ratiosToLimit: Record<string, Record<string, number>>;
  /** per concurrency: this package's contender / the matching peer */
  ratiosToPeers: Record<string, { topclientVsPeer: number; methodNodeVsDiy: number; topclientVsDispatch: number }>;
  signing: SignResult;
  parsing: ParseResult[];
  memory: MemoryResult;
  /** the order sync's 2-day backfill against the rate limit (bench/backfill.ts) */
  backfill?: BackfillResult;
  targets: Target[];
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function check(name: string, value: number, unit: string, comparison: Target['comparison'], threshold: number): Target {
  const pass = comparison === '>=' ? value >= threshold : comparison === '<=' ? value <= threshold : value < threshold;
  return { name, value, unit, comparison, threshold, pass: Number.isFinite(value) && pass };
}

/**
 * Ratios are paired: within each round the contenders run back to back, so each round gives one
 * ratio and the median of those is reported. This cancels the drift of a shared machine's speed
 * between rounds, which a ratio of two medians would not.
 */
export function pairedRatio(numerator: CellFigures, denominator: CellFigures): number {
  const n = Math.min(numerator.rounds.length, denominator.rounds.length);
  const perRound: number[] = [];
  for (let r = 0; r < n; r++) perRound.push(numerator.rounds[r]! / denominator.rounds[r]!);
  return median(perRound);
}

export function ratios(throughput: Throughput): Pick<BenchResults, 'ratiosToLimit' | 'ratiosToPeers'> {
  const ratiosToLimit: BenchResults['ratiosToLimit'] = {};
  const ratiosToPeers: BenchResults['ratiosToPeers'] = {};
  for (const c of CONCURRENCIES) {
    const key = String(c);
    const cell = (name: ContenderName): CellFigures => throughput[name][key]!;
    ratiosToLimit[key] = Object.fromEntries(CONTENDERS.map((name) => [name, pairedRatio(cell(name), cell('limit'))]));
    ratiosToPeers[key] = {
      topclientVsPeer: pairedRatio(cell('topclient'), cell('peer')),
      methodNodeVsDiy: pairedRatio(cell('node-red-method'), cell('node-red-diy')),
      topclientVsDispatch: pairedRatio(cell('topclient'), cell('dispatch')),
    };
  }
  return { ratiosToLimit, ratiosToPeers };
}

export function targets(results: Omit<BenchResults, 'targets'>): Target[] {
  const at16 = results.ratiosToLimit['16']!;
  const peers16 = results.ratiosToPeers['16']!;
  const items20 = results.parsing.find((p) => p.body === 'items20');
  return [
    check('TopClient.call vs the undici limit (concurrency 16)', at16.topclient!, 'x', '>=', 0.9),
    check('Node-RED method node vs the undici limit (concurrency 16)', at16['node-red-method']!, 'x', '>=', 0.7),
    check('Node-RED method node vs the DIY flow (concurrency 16)', peers16.methodNodeVsDiy, 'x', '>=', 1.5),
    check('TopClient.call vs node-taobao-topclient (concurrency 16)', peers16.topclientVsPeer, 'x', '>=', 1.5),
    check('lossless parse vs JSON.parse, 20-item body (CPU time)', items20?.ratio ?? Number.NaN, 'x', '<=', 1.3),
    check('sign + encode one search call (CPU)', results.signing.micros, 'µs', '<', 20),
    check(
      `RSS growth over ${results.memory.calls.toLocaleString('en')} TopClient calls`,
      results.memory.rssGrowthMb,
      'MB',
      '<',
      20,
    ),
    ...(results.backfill
      ? [
          check(
            `order sync backfill, ${results.backfill.days} days at ${results.backfill.latencyMs} ms: share of the ${results.backfill.rateLimit}/s limit used`,
            results.backfill.cells[0]!.utilisation,
            'x',
            '>=',
            0.9,
          ),
        ]
      : []),
  ];
}

function fixed(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The printed summary. */
export function formatTable(results: BenchResults): string {
  const lines: string[] = [];
  const header = [
    'contender',
    ...CONCURRENCIES.map((c) => `c=${c} calls/s`),
    ...CONCURRENCIES.map((c) => `c=${c} vs limit`),
    'CPU µs/call c=16',
    'errors',
  ];
  const widths = [28, 14, 14, 14, 14, 14, 14, 17, 7];
  lines.push(header.map((h, i) => pad(h, widths[i]!, i > 0)).join(' '));
  lines.push(widths.map((w) => '-'.repeat(w)).join(' '));
  for (const name of CONTENDERS) {
    const cells = CONCURRENCIES.map((c) => results.throughput[name][String(c)]!);
    const row = [
      CONTENDER_LABELS[name],
      ...cells.map((cell) => fixed(cell.median)),
      ...CONCURRENCIES.map((c) => fixed(results.ratiosToLimit[String(c)]![name]!, 2) + 'x'),
      fixed(results.throughput[name]['16']!.cpuMicrosPerCall),
      String(cells.reduce((sum, cell) => sum + cell.errors, 0)),
    ];
    lines.push(row.map((v, i) => pad(v, widths[i]!, i > 0)).join(' '));
  }
  lines.push('');
  for (const c of CONCURRENCIES) {
    const peers = results.ratiosToPeers[String(c)]!;
    lines.push(
      `c=${pad(String(c), 2)}: TopClient / node-taobao-topclient = ${fixed(peers.topclientVsPeer, 2)}x   method node / DIY flow = ${fixed(peers.methodNodeVsDiy, 2)}x   TopClient / undici dispatch = ${fixed(peers.topclientVsDispatch, 2)}x   gateway CPU ${fixed(results.throughput.limit[String(c)]!.gatewayCpuMicrosPerCall)} µs/call`,
    );
  }
  lines.push('');
  lines.push(
    `sign + encode (TopClient.signedParams + form body): ${fixed(results.signing.micros, 2)} µs CPU per call (median of ${results.signing.rounds.length} rounds × ${results.signing.iterations.toLocaleString('en')})`,
  );
  lines.push(
    'parse (CPU µs per body)      bytes  |  text: JSON.parse  parseJsonLossless  ratio  |  bytes: decode+JSON.parse  parseJsonBytes  ratio',
  );
  for (const p of results.parsing) {
    const name = p.body + (p.exactIds !== undefined ? (p.exactIds ? ' (ids exact)' : ' (IDS LOST)') : '');
    const fromText = `${pad(fixed(p.jsonParseMicros, 1), 17, true)} ${pad(fixed(p.losslessMicros, 1), 18, true)} ${pad(fixed(p.ratio, 2) + 'x', 6, true)}`;
    const fromBytes = `${pad(fixed(p.fromBytes.decodeJsonParseMicros, 1), 25, true)} ${pad(fixed(p.fromBytes.parseJsonBytesMicros, 1), 15, true)} ${pad(fixed(p.fromBytes.ratio, 2) + 'x', 6, true)}`;
    lines.push(`  ${pad(name, 18)} ${pad(String(p.bytes), 7, true)}  |${fromText}  |${fromBytes}`);
  }
  const m = results.memory;
  lines.push(
    `memory: RSS ${fixed(m.rssBeforeMb, 1)} MB -> ${fixed(m.rssAfterMb, 1)} MB (${m.rssGrowthMb >= 0 ? '+' : ''}${fixed(m.rssGrowthMb, 1)} MB, heap ${m.heapGrowthMb >= 0 ? '+' : ''}${fixed(m.heapGrowthMb, 1)} MB) over ${m.calls.toLocaleString('en')} calls after ${m.warmupCalls.toLocaleString('en')} warm-up, ${m.errors} errors`,
  );
  if (results.backfill) lines.push('', formatBackfill(results.backfill));
  lines.push('');
  lines.push('targets');
  for (const t of results.targets)
    lines.push(
      `  ${t.pass ? 'PASS' : 'FAIL'}  ${pad(t.name, 62)} ${fixed(t.value, 2)} ${t.unit} (${t.comparison} ${t.threshold} ${t.unit})`,
    );
  return lines.join('\n');
}

const COLORS: Record<ContenderName, string> = {
  limit: '#9e9e9e',
  dispatch: '#d0d0d0',
  topclient: '#1f77b4',
  'node-red-method': '#d62728',
  peer: '#ff7f0e',
  'node-red-diy': '#8c564b',
};

function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped bars: throughput by concurrency, one bar per contender. */
export function chartSvg(results: BenchResults): string {
  const width = 760;
  const height = 420;
  const left = 70;
  const right = 210;
  const top = 50;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceCeiling(
    Math.max(
      ...CONTENDERS.flatMap((name) => CONCURRENCIES.map((c) => results.throughput[name][String(c)]!.median)).filter(
        Number.isFinite,
      ),
    ),
  );
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const groupW = plotW / CONCURRENCIES.length;
  const barW = (groupW * 0.8) / CONTENDERS.length;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">Material search calls per second against a local gateway (higher is better)</text>`,
  );
  for (let i = 0; i <= 5; i++) {
    const v = (max / 5) * i;
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e0e0e0"/>`,
    );
    out.push(`<text x="${left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  CONCURRENCIES.forEach((c, g) => {
    const x0 = left + g * groupW + groupW * 0.1;
    CONTENDERS.forEach((name, i) => {
      const v = results.throughput[name][String(c)]!.median;
      if (!Number.isFinite(v)) return;
      const x = x0 + i * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLORS[name]}"><title>${escapeXml(CONTENDER_LABELS[name])}, concurrency ${c}: ${Math.round(v)} calls/s</title></rect>`,
      );
    });
    out.push(
      `<text x="${(left + g * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 20}" text-anchor="middle">${c}</text>`,
    );
  });
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 16}" text-anchor="middle">calls outstanding (concurrency)</text>`,
  );
  out.push(
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">calls per second (median of ${results.meta.rounds} rounds)</text>`,
  );
  CONTENDERS.forEach((name, i) => {
    const ly = top + 10 + i * 24;
    out.push(`<rect x="${left + plotW + 20}" y="${ly}" width="14" height="14" fill="${COLORS[name]}"/>`);
    out.push(`<text x="${left + plotW + 40}" y="${ly + 11}">${escapeXml(CONTENDER_LABELS[name])}</text>`);
  });
  out.push(
    `<text x="${left + plotW + 20}" y="${top + 10 + CONTENDERS.length * 24 + 16}" font-size="10" fill="#555">${escapeXml(`Node ${results.meta.node}, ${results.meta.cpus} CPUs`)}</text>`,
  );
  out.push(
    `<text x="${left + plotW + 20}" y="${top + 10 + CONTENDERS.length * 24 + 30}" font-size="10" fill="#555">${escapeXml(results.meta.date.slice(0, 10))}</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
