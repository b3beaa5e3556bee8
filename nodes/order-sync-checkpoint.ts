/**
 * Where a tbk-order-sync node keeps its checkpoint:
 *  - in Redis, beside a lease that lets one instance sync at a time, when the config node has a
 *    Redis URL;
 *  - else in the Node-RED context store the node names, when that store is persistent;
 *  - else (Node-RED's memory store, which every deploy and restart empties) in a file of its own
 *    under the Node-RED user directory.
 * A checkpoint an earlier version left in context is taken over by the file or Redis on first use.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeContextData } from 'node-red';
import type { CheckpointStore, SyncState } from '../lib/sync';
import { FileCheckpointStore } from '../lib/sync/file-checkpoint';
import { RedisSyncLease } from '../lib/sync/redis-lease';

type ContextCallback = (err: Error | null | undefined, value?: unknown) => void;

/** The part of a Node-RED context (node, flow or global) the checkpoint uses. */
export type ContextTarget = Pick<NodeContextData, 'get' | 'set'>;

export type CheckpointKind = 'redis' | 'context' | 'file';

export interface CheckpointLocation {
  kind: CheckpointKind;
  /** for logs: the file, the Redis host, or the context store */
  where: string;
  store: CheckpointStore;
  /** with Redis: the lease of this checkpoint */
  lease?: RedisSyncLease;
}

const running = new Map<string, Promise<unknown>>();

/**
 * Runs `work` once no other run of the same checkpoint (`where`) is in progress in this process: two
 * nodes syncing the same orders take turns, and the second reads what the first recorded. (Across
 * processes the Redis lease does this.)
 */
export async function oneRunAtATime<T>(where: string, work: () => Promise<T>): Promise<T> {
  const before = running.get(where) ?? Promise.resolve();
  const mine = before.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  running.set(where, settled);
  try {
    return await mine;
  } finally {
    if (running.get(where) === settled) running.delete(where);
  }
}

/** The checkpoint in a Node-RED context, copied in and out (the memory store keeps references). */
export function contextCheckpoint(target: ContextTarget, key: string, store: string): CheckpointStore {
  const call = (run: (callback: ContextCallback) => void): Promise<unknown> =>
    new Promise((resolve, reject) => {
      run((err, value) => (err ? reject(err) : resolve(value)));
    });
  return {
    async load() {
      const value = await call((cb) => (store ? target.get(key, store, cb) : target.get(key, cb)));
      return value === undefined || value === null ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
    },
    async save(state: SyncState) {
      const copy = JSON.parse(JSON.stringify(state)) as unknown;
      await call((cb) => (store ? target.set(key, copy, store, cb) : target.set(key, copy, cb)));
    },
  };
}

/** A store that, while `primary` holds nothing yet, reads `legacy` once (a checkpoint being moved). */
function takingOver(primary: CheckpointStore, legacy: CheckpointStore): CheckpointStore {
  let moved = false;
  return {
    async load() {
      const value = await primary.load();
      if (value !== undefined || moved) return value;
      moved = true;
      return legacy.load();
    },
    save: (state) => primary.save(state),
  };
}

interface StoreConfig {
  module?: unknown;
}

/**
 * Whether the Node-RED context store `name` ('' for the default) keeps its data across restarts.
 * Without contextStorage there is only the memory store, and Node-RED also empties a node's memory
 * context whenever the node stops (every deploy). A store of another module is taken as persistent.
 */
export function contextStoreIsPersistent(contextStorage: unknown, name: string): boolean {
  if (!contextStorage || typeof contextStorage !== 'object') return false;
  const stores = contextStorage as Record<string, StoreConfig | string | undefined>;
  const names = Object.keys(stores).filter((n) => n !== '_');
  if (names.length === 0) return false;
  let wanted = name || 'default';
  if (!(wanted in stores)) wanted = 'default';
  let entry = stores[wanted];
  if (typeof entry === 'string') entry = stores[entry];
  // no 'default': Node-RED takes the first store defined
  if (entry === undefined && wanted === 'default') entry = stores[names.find((n) => typeof stores[n] === 'object')!];
  const module = typeof entry === 'object' ? entry?.module : undefined;
  return module !== undefined && module !== 'memory';
}

export interface LocateOptions {
  key: string;
  redisUrl: string;
  redisWhere: string;
  contextStorage: unknown;
  storeName: string;
  userDir: string | undefined;
  legacy: CheckpointStore;
  /** what the legacy (context) checkpoint is: scope, node or flow id and key */
  legacyName: string;
  leaseMs: number;
  onLeaseChange?: (held: boolean) => void;
}

/** The directory the checkpoint files go in: `tbk-order-sync` in the Node-RED user directory. */
export function checkpointDirectory(userDir: string | undefined): string {
  return join(userDir || join(homedir(), '.node-red'), 'tbk-order-sync');
}

export function locateCheckpoint(options: LocateOptions): CheckpointLocation {
  if (options.redisUrl) {
    const lease = new RedisSyncLease({
      redisUrl: options.redisUrl,
      key: options.key,
      leaseMs: options.leaseMs,
      onChange: options.onLeaseChange,
    });
    return {
      kind: 'redis',
      where: `${options.redisWhere} (tbk:order-sync:{${options.key}})`,
      store: takingOver(lease.checkpoint, options.legacy),
      lease,
    };
  }
  if (contextStoreIsPersistent(options.contextStorage, options.storeName)) {
    return {
      kind: 'context',
      where: `context store "${options.storeName || 'default'}", ${options.legacyName}`,
      store: options.legacy,
    };
  }
  const file = new FileCheckpointStore(checkpointDirectory(options.userDir), options.key);
  return { kind: 'file', where: file.path, store: takingOver(file, options.legacy) };
}
