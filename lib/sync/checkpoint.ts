/**
 * The order sync's checkpoint: what it holds, the check of a stored one, a store in memory, and the
 * writer that saves it as the sync goes.
 */
import { z } from 'zod';
import { formatGmt8 } from '../top/time';
import type { OrderQueryType } from './orders';

/** no checkpoint can be older than the order API (2010-01-01 GMT+8) */
const EARLIEST_CURSOR = Date.UTC(2009, 11, 31, 16);
/** a stored cursor may be this far ahead of the gateway's now (clock estimates move by a second or two) */
const CURSOR_TOLERANCE_MS = 5 * 60_000;

/** The persisted checkpoint: small, plain JSON. */
export interface SyncState {
  v: 1;
  method: string;
  queryType: OrderQueryType;
  /** epoch ms: the end of the contiguous windows read completely */
  cursor: number;
  /** epoch ms: where the sync began (runs never read before it, except a backfill) */
  origin: number;
  /** trade_id -> [fingerprint, time field in epoch seconds], for the overlap region (and beyond the cursor) only */
  seen: Record<string, [string, number]>;
}

/**
 * Where the checkpoint lives (the Node-RED node: a file, Redis or a context store). save() must
 * take its copy of the state before it first yields (the sync goes on changing it).
 */
export interface CheckpointStore {
  load(): Promise<unknown> | unknown;
  save(state: SyncState): Promise<void> | void;
}

const epochMs = z.number().int().min(EARLIEST_CURSOR).max(8.64e15);
const syncStateSchema = z
  .object({
    v: z.literal(1),
    method: z.enum(['taobao.tbk.order.details.get', 'taobao.tbk.sc.order.details.get']),
    queryType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    cursor: epochMs,
    origin: epochMs,
    seen: z.record(z.string().min(1), z.tuple([z.string(), z.number().finite()])),
  })
  .refine((state) => state.origin <= state.cursor, { message: 'origin is after cursor', path: ['origin'] });

/**
 * What is wrong with a stored checkpoint, or undefined when it is valid in every field and its
 * cursor is not beyond the gateway's now.
 */
export function checkpointProblem(value: unknown, gatewayNow: number): string | undefined {
  const parsed = syncStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'checkpoint';
    return `${where}: ${issue.message}`;
  }
  if (parsed.data.cursor > gatewayNow + CURSOR_TOLERANCE_MS)
    return `cursor ${formatGmt8(parsed.data.cursor)} is after the gateway's now ${formatGmt8(gatewayNow)}`;
  return undefined;
}

/** A store in memory (JSON-cloned, like a persisted one); for tests and one-process use. */
export class MemoryCheckpointStore implements CheckpointStore {
  private text?: string;
  saves = 0;

  load(): SyncState | undefined {
    return this.text === undefined ? undefined : (JSON.parse(this.text) as SyncState);
  }

  save(state: SyncState): void {
    this.text = JSON.stringify(state);
    this.saves++;
  }
}

/**
 * Saves the state one write at a time, and as few times as it can: a save asked for before the
 * next write starts is folded into it. A write starts one event-loop turn after it is asked for,
 * and no sooner than nine times the last write's duration after it ended (at most a second): a
 * backfill remembers thousands of orders, and writing them after every page would take most of
 * the sync's time; this way writing takes at most a tenth of it. Every caller resolves once a write
 * that includes its changes is stored. The store takes its copy synchronously (CheckpointStore).
 */
export class SerialSaver {
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private lastEnd = 0;
  private lastDuration = 0;

  constructor(
    private readonly store: CheckpointStore,
    private readonly state: SyncState,
  ) {}

  save(): Promise<void> {
    this.next ??= (this.writing ?? Promise.resolve()).then(
      () => this.write(),
      () => this.write(),
    );
    return this.next;
  }

  private async write(): Promise<void> {
    const wait = Math.min(1000, this.lastEnd + 9 * this.lastDuration - Date.now());
    await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    this.next = undefined;
    const started = Date.now();
    const writing = Promise.resolve()
      .then(() => this.store.save(this.state))
      .finally(() => {
        this.lastEnd = Date.now();
        this.lastDuration = this.lastEnd - started;
        if (this.writing === writing) this.writing = undefined;
      });
    this.writing = writing;
    return writing;
  }
}
