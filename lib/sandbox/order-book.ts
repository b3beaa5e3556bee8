/**
 * A generated 淘宝客 order book that changes over time, the oracle a sync is checked against, and
 * the sandbox answering taobao.tbk.order.details.get / taobao.tbk.sc.order.details.get from it
 * (the answer itself, checks and paging, is order-query.ts; a book that follows the sandbox's
 * clock is live-orders.ts).
 *
 * Time is the book's own (advance(ms)), independent of the wall clock the gateway checks the
 * signed timestamp against. All instants are whole seconds, as the API's 'yyyy-MM-dd HH:mm:ss'.
 *
 * Life of an order (seeded, reproducible):
 *   created and paid (tk_status 12) -> confirmed (14) -> settled (3, tk_earning_time set),
 *   or closed (13) from 12 or 14; a settled order may much later get a refund mark (refund_tag 1):
 *   a late update of an old order whose modified_time moves to "now".
 * Every change is a new version stamped modified_time = the instant of the change. Some versions
 * become visible to the API only after a delay (the data pipeline is late): that is what a sync's
 * overlap re-read is for. Two changes of one order are at least minDwellMs apart.
 *
 * Ids are 18-19 digit strings; in the answer about half the orders carry them as bare JSON numbers
 * and the others as JSON strings (the real API does both, see top-protocol.md section 7).
 */
import { seededRandom } from './faults';
import { formatGmt8, parseGmt8 } from '../top/time';
import {
  MAX_QUERY_WINDOW_MS,
  ORDER_TIME_FIELDS,
  answerOrderQuery,
  compareIds,
  compareKeys,
  type BookRow,
  type ErrorBody,
  type OrderQueryType,
} from './order-query';

export type { OrderQueryType } from './order-query';

export const ORDER_METHODS = ['taobao.tbk.order.details.get', 'taobao.tbk.sc.order.details.get'] as const;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export type PublisherOrderRecord = Record<string, unknown> & {
  trade_id: string;
  trade_parent_id: string;
  tk_status: number;
  modified_time: string;
};

export interface OrderVersion {
  tradeId: string;
  /** epoch ms of the change (= modified_time) */
  modifiedAt: number;
  /** epoch ms from which the API shows this version */
  visibleAt: number;
  record: PublisherOrderRecord;
}

/** One order: its versions, and whether the answer quotes its ids. */
export interface OrderEntry {
  tradeId: string;
  quotedIds: boolean;
  versions: OrderVersion[];
  nextChangeAt?: number;
}

export interface OrderBookOptions {
  seed: number;
  /** epoch ms, the book's "now" at the start */
  start: number;
  /** new parent orders per hour (default 30) */
  ordersPerHour?: number;
  /** at least this long between two changes of one order (default 3 h) */
  minDwellMs?: number;
  /** at most this long before an open order changes (default 24 h) */
  maxDwellMs?: number;
  /** chance that a change becomes visible late (default 0.2) */
  lateChance?: number;
  /** the largest visibility delay (default 5 min) */
  maxDelayMs?: number;
  /** chance that a settled order gets a late refund mark (default 0.3) */
  reopenChance?: number;
  /** the longest window one query may span (default 3 h; 20 min during 大促) */
  maxWindowMs?: number;
}

export interface OrderChange {
  tradeId: string;
  order: PublisherOrderRecord;
}

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

const money = (value: number): string => value.toFixed(2);

/** parseGmt8 of a record's time field, cached per record (records never change once made). */
const timeCache = new WeakMap<object, Map<string, number>>();
function fieldTime(record: PublisherOrderRecord, field: string): number {
  let times = timeCache.get(record);
  if (!times) timeCache.set(record, (times = new Map()));
  let t = times.get(field);
  if (t === undefined) times.set(field, (t = parseGmt8(String(record[field] ?? ''))));
  return t;
}

export class OrderBook {
  private readonly random: () => number;
  private readonly options: Required<Omit<OrderBookOptions, 'seed' | 'start'>>;
  private readonly orders = new Map<string, OrderEntry>();
  private readonly open = new Set<OrderEntry>();
  private readonly usedIds = new Set<string>();
  private clock: number;
  private nextArrival: number;
  private rowCache: { clock: number; size: number; queryType: OrderQueryType; rows: BookRow[] } | undefined;

  constructor(options: OrderBookOptions) {
    this.random = seededRandom(options.seed);
    this.clock = floorSecond(options.start);
    this.options = {
      ordersPerHour: options.ordersPerHour ?? 30,
      minDwellMs: options.minDwellMs ?? 3 * HOUR,
      maxDwellMs: options.maxDwellMs ?? DAY,
      lateChance: options.lateChance ?? 0.2,
      maxDelayMs: options.maxDelayMs ?? 5 * 60_000,
      reopenChance: options.reopenChance ?? 0.3,
      maxWindowMs: options.maxWindowMs ?? MAX_QUERY_WINDOW_MS,
    };
    this.nextArrival = this.clock + this.arrivalGap();
  }

  /** The book's clock (epoch ms). */
  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.orders.size;
  }

  /** Moves the clock forward, creating and changing orders on the way; returns the number of new versions. */
  advance(ms: number, options: { quiet?: boolean } = {}): number {
    const end = floorSecond(this.clock + Math.max(0, ms));
    let versions = 0;
    if (!options.quiet) {
      for (;;) {
        let at = this.nextArrival;
        let due: OrderEntry | undefined;
        for (const entry of this.open) {
          if (entry.nextChangeAt! < at) {
            at = entry.nextChangeAt!;
            due = entry;
          }
        }
        if (at > end) break;
        versions += due ? this.change(due, at) : this.arrive(at);
      }
    } else {
      // nothing happens meanwhile: push pending changes and arrivals past the quiet period
      const shift = end - this.clock;
      this.nextArrival += shift;
      for (const entry of this.open) entry.nextChangeAt! += shift;
    }
    this.clock = end;
    return versions;
  }

  /** Every version ever made, oldest first. */
  history(): OrderVersion[] {
    const all: OrderVersion[] = [];
    for (const entry of this.orders.values()) all.push(...entry.versions);
    return all.sort((a, b) => a.modifiedAt - b.modifiedAt || compareIds(a.tradeId, b.tradeId));
  }

  /**
   * The oracle: what a correct sync over [from, to] must have emitted, as (trade id, version).
   * query_type 4 (modified time): every version whose modified_time is in [from, to] and that was
   * visible by `visibleBy` (default now) — exact, provided the sync read often enough that no
   * version was replaced before a run could see it (runs closer together than minDwellMs minus
   * the delay and lag). query_type 1-3: the latest version visible by `visibleBy` of each order
   * whose time field is in [from, to] (intermediate versions depend on when the sync read).
   */
  changes(options: { from: number; to: number; queryType?: OrderQueryType; visibleBy?: number }): OrderChange[] {
    const queryType = options.queryType ?? 4;
    const visibleBy = options.visibleBy ?? this.clock;
    const field = ORDER_TIME_FIELDS[queryType];
    const inRange = (record: PublisherOrderRecord): boolean => {
      const t = fieldTime(record, field);
      return !Number.isNaN(t) && t >= options.from && t <= options.to;
    };
    const out: OrderChange[] = [];
    for (const entry of this.orders.values()) {
      const visible = entry.versions.filter((v) => v.visibleAt <= visibleBy);
      const candidates = queryType === 4 ? visible : visible.slice(-1);
      for (const version of candidates)
        if (inRange(version.record)) out.push({ tradeId: entry.tradeId, order: structuredClone(version.record) });
    }
    return out;
  }

  /** The version of every order the API shows at the book's now. */
  visibleOrders(): PublisherOrderRecord[] {
    const out: PublisherOrderRecord[] = [];
    for (const entry of this.orders.values()) {
      const version = this.visibleVersion(entry);
      if (version) out.push(structuredClone(version.record));
    }
    return out;
  }

  /** The answer of taobao.tbk.(sc.)order.details.get at the book's now (see order-query.ts), for sandbox.setResponse. */
  answer(params: Record<string, string | undefined>): { data: Record<string, unknown> } | ErrorBody {
    return answerOrderQuery(params, {
      now: this.clock,
      maxWindowMs: this.options.maxWindowMs,
      rows: (queryType) => this.sortedRows(queryType),
    });
  }

  /**
   * The versions the API shows at the book's now, sorted by the query type's time field and trade
   * id; kept until the clock moves (an answer is then a binary search, not a pass over the book).
   */
  private sortedRows(queryType: OrderQueryType): BookRow[] {
    if (
      this.rowCache?.clock === this.clock &&
      this.rowCache.size === this.orders.size &&
      this.rowCache.queryType === queryType
    )
      return this.rowCache.rows;
    const field = ORDER_TIME_FIELDS[queryType];
    const rows: BookRow[] = [];
    for (const entry of this.orders.values()) {
      const record = this.visibleVersion(entry)?.record;
      if (!record) continue;
      const t = fieldTime(record, field);
      if (!Number.isNaN(t)) rows.push({ key: { time: t, tradeId: entry.tradeId }, entry, record });
    }
    rows.sort((a, b) => compareKeys(a.key, b.key));
    this.rowCache = { clock: this.clock, size: this.orders.size, queryType, rows };
    return rows;
  }

  private visibleVersion(entry: OrderEntry): OrderVersion | undefined {
    for (let i = entry.versions.length - 1; i >= 0; i--)
      if (entry.versions[i]!.visibleAt <= this.clock) return entry.versions[i];
    return undefined;
  }

  private arrivalGap(): number {
    const meanMs = HOUR / Math.max(0.001, this.options.ordersPerHour);
    return floorSecond(-Math.log(1 - this.random()) * meanMs);
  }

  private dwell(): number {
    const { minDwellMs, maxDwellMs } = this.options;
    return floorSecond(minDwellMs + this.random() * Math.max(0, maxDwellMs - minDwellMs)) || 1000;
  }

  private delay(): number {
    return this.random() < this.options.lateChance ? floorSecond(this.random() * this.options.maxDelayMs) : 0;
  }

  private newId(): string {
    for (;;) {
      const digits = 18 + Math.floor(this.random() * 2); // 18-19 digits, first non-zero
      let id = String(1 + Math.floor(this.random() * 9));
      while (id.length < digits) id += String(Math.floor(this.random() * 10));
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }

  private arrive(at: number): number {
    this.nextArrival = at + this.arrivalGap();
    const parentId = this.newId();
    const items = this.random() < 0.2 ? 2 + Math.floor(this.random() * 2) : 1;
    const createdAt = at - floorSecond(this.random() * 120_000);
    const role = this.random() < 0.8 ? 2 : 3;
    const relationId = this.random() < 0.3 ? 100_000 + Math.floor(this.random() * 900_000) : undefined;
    const delay = this.delay();
    for (let i = 0; i < items; i++) {
      const tradeId = items === 1 ? parentId : this.newId();
      const price = 5 + Math.floor(this.random() * 50_000) / 100;
      const num = 1 + Math.floor(this.random() * 3);
      const rate = [1.5, 3, 5, 9.99, 20][Math.floor(this.random() * 5)]!;
      const total = price * num;
      const record: PublisherOrderRecord = {
        trade_id: tradeId,
        trade_parent_id: parentId,
        tk_status: 12,
        tk_order_role: role,
        refund_tag: 0,
        tk_create_time: formatGmt8(createdAt),
        tk_paid_time: formatGmt8(at),
        tb_paid_time: formatGmt8(at),
        modified_time: formatGmt8(at),
        item_id: String(500_000_000_000 + Math.floor(this.random() * 100_000_000_000)),
        item_title: `沙箱商品 ${tradeId.slice(-4)}`,
        item_num: num,
        item_price: money(price),
        alipay_total_price: money(total),
        pay_price: '0.00',
        total_commission_rate: money(rate),
        tk_total_rate: money(rate),
        pub_share_pre_fee: money((total * rate) / 100),
        pub_share_fee: '0.00',
        total_commission_fee: '0.00',
        order_type: this.random() < 0.5 ? '天猫' : '淘宝',
        adzone_id: 111_112_234_455,
        site_id: 45_598_009,
        pub_id: 98_836_808,
      };
      if (relationId !== undefined) record.relation_id = relationId;
      const entry: OrderEntry = {
        tradeId,
        quotedIds: this.random() < 0.5,
        versions: [{ tradeId, modifiedAt: at, visibleAt: at + delay, record }],
        nextChangeAt: at + this.dwell(),
      };
      this.orders.set(tradeId, entry);
      this.open.add(entry);
    }
    return items;
  }

  private change(entry: OrderEntry, at: number): number {
    const current = entry.versions[entry.versions.length - 1]!.record;
    const record: PublisherOrderRecord = { ...structuredClone(current), modified_time: formatGmt8(at) };
    let next: number | undefined = at + this.dwell();
    const roll = this.random();
    if (current.tk_status === 12) {
      if (roll < 0.8) record.tk_status = 14;
      else {
        record.tk_status = 13;
        record.pub_share_pre_fee = '0.00';
        next = undefined;
      }
    } else if (current.tk_status === 14) {
      if (roll < 0.9) {
        const total = Number(current.alipay_total_price);
        const rate = Number(current.tk_total_rate);
        record.tk_status = 3;
        record.tk_earning_time = formatGmt8(at);
        record.pay_price = money(total);
        record.pub_share_fee = money((total * rate) / 100);
        record.total_commission_fee = money((total * Number(current.total_commission_rate)) / 100);
        // a settled order may, much later, get a refund mark: the late update
        next = this.random() < this.options.reopenChance ? at + this.dwell() + this.dwell() : undefined;
      } else {
        record.tk_status = 13;
        record.pub_share_pre_fee = '0.00';
        next = undefined;
      }
    } else {
      record.refund_tag = 1;
      next = undefined;
    }
    entry.versions.push({ tradeId: entry.tradeId, modifiedAt: at, visibleAt: at + this.delay(), record });
    entry.nextChangeAt = next;
    if (next === undefined) this.open.delete(entry);
    return 1;
  }
}

/** Makes the sandbox answer both order-details methods from this book (sandbox.setResponse). */
export function installOrderBook(
  sandbox: { setResponse(method: string, body: (params: Record<string, string>) => unknown): void },
  book: OrderBook,
): void {
  for (const method of ORDER_METHODS) sandbox.setResponse(method, (params) => book.answer(params));
}
