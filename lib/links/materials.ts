/**
 * Finding the Taobao materials in chat text (links and 淘口令) and replacing them in place. Pure
 * string work: no TOP calls, no Node-RED.
 *
 * A material is one of:
 * - `url`: an http(s) link on a Taobao, Tmall or Alimama host or one of their short-link hosts
 *   (m.tb.cn, s.click.taobao.com, tb.cn). Links to other hosts are not materials.
 * - `tpwd`: a classic 淘口令, a code between a pair of the same symbol (￥ ¥ $ € ₤ ₳ ¢ ₴ ₰ ₵ ₲ ￡ £) or
 *   between half- or full-width brackets; with a channel marker inside (`￥ CZ3457 code￥`) the digits
 *   before it belong to it too (`47￥ CZ3457 code￥`).
 * - `full`: the modern long form, a 淘口令 directly followed by its Taobao link
 *   (`47￥ CZ3457 p7lYdesjTCG￥ https://m.tb.cn/h.UQ4ceEA`), or a link carrying its code (`?tk=`) followed
 *   by a channel marker (`https://m.tb.cn/h.x?tk=code CZ3457`): one material, code and link together.
 *   The title that follows the link is ordinary text.
 */

export type MaterialKind = 'url' | 'tpwd' | 'full';

export interface Material {
  kind: MaterialKind;
  /** UTF-16 offsets in the text: text.slice(start, end) === text */
  start: number;
  end: number;
  text: string;
}

/** Registrable domains whose hosts (and subdomains) carry Taobao materials. */
const TAOBAO_DOMAINS = ['taobao.com', 'tmall.com', 'tmall.hk', 'alimama.com', 'tb.cn'];

/** Currency-like symbols that enclose a classic 淘口令 (both ends the same symbol). */
const TPWD_SYMBOLS = '￥¥$€₤₳¢₴₰₵₲￡£';

/**
 * Characters a link may hold in chat text: printable ASCII but for spaces, quotes, angle and curly
 * brackets, backslash, caret, backtick and pipe. Anything else (CJK text, full-width punctuation)
 * ends a link, as chat apps do, and so does the start of another link.
 */
const URL_PATTERN = /https?:\/\/(?:(?!https?:\/\/)[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=%])+/gi;

/** Punctuation that ends a sentence rather than the link it follows. */
const TRAILING_PUNCTUATION = /[.,;:!?*]+$/;

const CODE = '[A-Za-z0-9]{8,20}';
const MARKER = '[A-Z]{2}\\d{2,4}';
const GAP = '[ \\u3000]';

/**
 * A 淘口令 between two symbols or brackets, with an optional channel marker inside. Groups: symbol
 * pair (sym + code) or bracket pair (bcode / fcode); `marker` / `bmarker` / `fmarker` when present.
 */
const TPWD_PATTERN = new RegExp(
  [
    `(?<sym>[${TPWD_SYMBOLS}])(?:${GAP}?(?<marker>${MARKER})${GAP})?(?<code>${CODE})\\k<sym>`,
    `\\((?:${GAP}?(?<bmarker>${MARKER})${GAP})?(?<bcode>${CODE})\\)`,
    `（(?:${GAP}?(?<fmarker>${MARKER})${GAP})?(?<fcode>${CODE})）`,
  ].join('|'),
  'g',
);

/** Digits a long-form 淘口令 starts with ("47" in `47￥ CZ3457 code￥`), not part of a longer word. */
const TPWD_PREFIX = /(?<![A-Za-z0-9.])\d{1,3}(?:\.\d{1,2})?$/;

/** What may stand between a long form's 淘口令 and its link: spaces and at most one slash. */
const FULL_FORM_GAP = /^[ \t\u3000]*(?:[/／][ \t\u3000]*)?/;

/** A channel marker after a link that carries its code (`?tk=…`). */
const LINK_MARKER = new RegExp(`^${GAP}+${MARKER}(?![A-Za-z0-9])`);

/** True for hosts of Taobao, Tmall, Alimama and their short links. */
export function isTaobaoHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return TAOBAO_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** A link candidate without the sentence punctuation and unbalanced closing brackets it ends with. */
function trimLink(candidate: string): string {
  let link = candidate;
  for (;;) {
    const before = link;
    link = link.replace(TRAILING_PUNCTUATION, '');
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
    ] as const) {
      if (link.endsWith(close) && link.split(close).length > link.split(open).length) link = link.slice(0, -1);
    }
    if (link === before) return link;
  }
}

interface Span {
  start: number;
  end: number;
}

interface LinkSpan extends Span {
  taobao: boolean;
  text: string;
}

interface TpwdSpan extends Span {
  marked: boolean;
}

function findLinks(text: string): LinkSpan[] {
  const links: LinkSpan[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const link = trimLink(match[0]);
    if (!/^https?:\/\/[^/?#]+/i.test(link)) continue;
    const host = hostOf(link);
    links.push({
      start: match.index,
      end: match.index + link.length,
      taobao: host !== undefined && isTaobaoHost(host),
      text: link,
    });
  }
  return links;
}

/** 淘口令 outside every link (a code-like path segment of another site's link is not one). */
function findTpwds(text: string, links: readonly LinkSpan[]): TpwdSpan[] {
  const tpwds: TpwdSpan[] = [];
  for (const match of text.matchAll(TPWD_PATTERN)) {
    const start = match.index;
    const end = start + match[0].length;
    if (links.some((link) => start < link.end && end > link.start)) continue;
    const groups = match.groups ?? {};
    const code = groups.code ?? groups.bcode ?? groups.fcode ?? '';
    if (!/[A-Za-z]/.test(code)) continue;
    // brackets are everyday punctuation: only a code that looks generated (mixed case) counts
    if (groups.code === undefined && !(/[A-Z]/.test(code) && /[a-z]/.test(code))) continue;
    tpwds.push({ start, end, marked: Boolean(groups.marker ?? groups.bmarker ?? groups.fmarker) });
  }
  return tpwds;
}

/** Where a long-form 淘口令 starts: its leading digits, when there are any. */
function withPrefix(text: string, start: number): number {
  const prefix = TPWD_PREFIX.exec(text.slice(Math.max(0, start - 8), start));
  return prefix ? start - prefix[0].length : start;
}

/** The materials of a text, in text order, never overlapping. */
export function findMaterials(text: string): Material[] {
  if (typeof text !== 'string' || text === '') return [];
  const links = findLinks(text);
  const taobaoLinks = links.filter((link) => link.taobao);
  const usedLinks = new Set<LinkSpan>();
  const spans: Array<Span & { kind: MaterialKind }> = [];

  for (const tpwd of findTpwds(text, links)) {
    const gap = FULL_FORM_GAP.exec(text.slice(tpwd.end))![0];
    const link = taobaoLinks.find((l) => l.start === tpwd.end + gap.length);
    if (link) {
      usedLinks.add(link);
      spans.push({ kind: 'full', start: withPrefix(text, tpwd.start), end: link.end });
    } else {
      spans.push({ kind: 'tpwd', start: tpwd.marked ? withPrefix(text, tpwd.start) : tpwd.start, end: tpwd.end });
    }
  }
  for (const link of taobaoLinks) {
    if (usedLinks.has(link)) continue;
    const marker = /[?&]tk=/.test(link.text) ? LINK_MARKER.exec(text.slice(link.end)) : null;
    spans.push(
      marker
        ? { kind: 'full', start: link.start, end: link.end + marker[0].length }
        : { kind: 'url', start: link.start, end: link.end },
    );
  }

  spans.sort((a, b) => a.start - b.start);
  const materials: Material[] = [];
  for (const span of spans) {
    const last = materials[materials.length - 1];
    if (last && span.start < last.end) continue; // a prefix can only reach back into plain text, but be safe
    materials.push({ kind: span.kind, start: span.start, end: span.end, text: text.slice(span.start, span.end) });
  }
  return materials;
}

/**
 * The text with each material replaced by its replacement; `undefined` leaves that material as it
 * was. Everything between the materials is copied unchanged.
 */
export function replaceMaterials(
  text: string,
  materials: readonly Material[],
  replacements: ReadonlyArray<string | undefined>,
): string {
  let out = '';
  let at = 0;
  materials.forEach((material, i) => {
    if (
      material.start < at ||
      material.end > text.length ||
      text.slice(material.start, material.end) !== material.text
    ) {
      throw new RangeError(`material ${i} does not match the text at ${material.start}..${material.end}`);
    }
    out += text.slice(at, material.start) + (replacements[i] ?? material.text);
    at = material.end;
  });
  return out + text.slice(at);
}
