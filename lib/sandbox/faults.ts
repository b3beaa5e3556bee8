/** Injected failures of the sandbox gateway, picked by rules with a seeded (reproducible) random. */

export const FAULT_KINDS = [
  'latency',
  'http500',
  'http502',
  'reset',
  'malformed',
  'truncated',
  'empty',
  'throttle',
  'isp',
  'tbk-throttle',
  'business',
  'top-error',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** only calls of this TOP method */
  method?: string;
  /** only calls with this app_key */
  appKey?: string;
  /** chance (0..1) that a matching call gets the fault; default 1 */
  probability?: number;
  /** apply to the next N matching calls, then the rule is spent */
  count?: number;
  /** latency: delay before the (normal) answer; default 1000 */
  latencyMs?: number;
  /** throttle: the ban length announced in sub_msg; default 1 */
  banSeconds?: number;
  subCode?: string;
  subMsg?: string;
  /** top-error: the error code; default 15 */
  code?: number;
  /** top-error: the error msg; default the gateway's text for the code */
  msg?: string;
}

/** mulberry32: tiny, fast, good enough to make fault soak runs reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a TypeError naming what is wrong; returns a normalized copy. */
export function checkFaultRule(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('A fault rule must be an object');
  const rule = value as Record<string, unknown>;
  if (!FAULT_KINDS.includes(rule.kind as FaultKind))
    throw new TypeError(`Unknown fault kind "${String(rule.kind)}": use one of ${FAULT_KINDS.join(', ')}`);
  const numberField = (name: string, min: number, max = Number.POSITIVE_INFINITY): void => {
    const v = rule[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw new TypeError(`Fault rule field "${name}" must be a number in ${min}..${max}`);
  };
  numberField('probability', 0, 1);
  numberField('count', 0);
  numberField('latencyMs', 0);
  numberField('banSeconds', 0);
  numberField('code', 0);
  for (const name of ['method', 'appKey', 'subCode', 'subMsg', 'msg']) {
    if (rule[name] !== undefined && typeof rule[name] !== 'string')
      throw new TypeError(`Fault rule field "${name}" must be a string`);
  }
  return { ...(rule as unknown as FaultRule) };
}

export interface FaultCall {
  method?: string;
  appKey?: string;
}

/**
 * The rules in force and the random that decides the probabilistic ones. Rules are checked in
 * order; a rule's count is spent only when it actually fires.
 */
export class FaultSet {
  private rules: FaultRule[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  set(rules: readonly FaultRule[], seed?: number): void {
    this.rules = rules.map(checkFaultRule);
    if (seed !== undefined) this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    this.rules.push(checkFaultRule(rule));
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule among `kinds` that fires for this call (spending one of its count), if any. */
  pick(call: FaultCall, kinds: ReadonlySet<FaultKind>): FaultRule | undefined {
    return pickFrom(this.rules, call, kinds, this.random);
  }

  /** Same, over rules held elsewhere (an app's own rules), with this set's random. */
  pickFrom(rules: FaultRule[], call: FaultCall, kinds: ReadonlySet<FaultKind>): FaultRule | undefined {
    return pickFrom(rules, call, kinds, this.random);
  }
}

function pickFrom(
  rules: FaultRule[],
  call: FaultCall,
  kinds: ReadonlySet<FaultKind>,
  random: () => number,
): FaultRule | undefined {
  for (const rule of rules) {
    if (!kinds.has(rule.kind)) continue;
    if (rule.count !== undefined && rule.count <= 0) continue;
    if (rule.method !== undefined && rule.method !== call.method) continue;
    if (rule.appKey !== undefined && rule.appKey !== call.appKey) continue;
    const probability = rule.probability ?? 1;
    if (probability < 1 && !(random() < probability)) continue;
    if (rule.count !== undefined) rule.count--;
    return rule;
  }
  return undefined;
}

/** `kind[:probability]`, as the CLI takes it: `isp:0.1`, `latency`. */
export function parseFaultArg(text: string): FaultRule {
  const [kind, probability] = text.split(':');
  const rule: Record<string, unknown> = { kind };
  if (probability !== undefined && probability !== '') rule.probability = Number(probability);
  return checkFaultRule(rule);
}
