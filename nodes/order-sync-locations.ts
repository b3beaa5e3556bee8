/**
 * The checkpoints of one tbk-order-sync node, one per account it syncs (the config node's, or another's
 * through msg.session): each located once (order-sync-checkpoint.ts) and, with Redis, its lease
 * taken; the context checkpoint an earlier version kept, which the new location takes over; the
 * leases given up when the node closes.
 */
import type { CheckpointStore } from '../lib/sync';
import { checkpointKey } from '../lib/sync/checkpoint-key';
import { TopError } from '../lib/top/errors';
import type { NodeAPI } from 'node-red';
import { redisHostPort, type TbkConfigNode } from './config-settings';
import type { WiredNode } from './failure';
import { validationError } from './input';
import {
  contextCheckpoint,
  locateCheckpoint,
  type CheckpointKind,
  type CheckpointLocation,
} from './order-sync-checkpoint';
import type { OrderSyncSettings } from './order-sync-settings';
import { runtimeText } from './runtime-text';

export interface SyncLocationsHooks {
  /** whether the node is closing: a location found then gives its lease up at once */
  closing(): boolean;
  /** the lease of the config account's checkpoint was taken (true) or lost to another instance */
  onLeaseChange(held: boolean): void;
}

export class SyncLocations {
  private readonly locations = new Map<string, Promise<CheckpointLocation>>();
  /** where the checkpoint of the config's account is, once located */
  defaultKind: CheckpointKind | undefined;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: WiredNode,
    private readonly settings: OrderSyncSettings,
    private readonly configId: unknown,
    private readonly hooks: SyncLocationsHooks,
  ) {}

  /** The checkpoint (and lease) of one account: msg.session is another account, with its own. */
  locationFor(session: string | undefined): Promise<CheckpointLocation> {
    const config =
      typeof this.configId === 'string' && this.configId !== ''
        ? (this.RED.nodes.getNode(this.configId) as TbkConfigNode | null)
        : null;
    const account = config?.syncAccount?.();
    if (!account) return Promise.reject(validationError('config', { key: 'node.noConfig' }));
    const { settings } = this;
    const key = checkpointKey({
      appKey: account.appKey,
      method: settings.method,
      queryType: settings.queryType,
      session,
      filters: settings.extraParams,
      name: settings.contextKey,
    });
    let found = this.locations.get(key);
    if (!found) {
      found = this.newLocation(key, session, account.redisUrl, session === undefined);
      this.locations.set(key, found);
      found.catch(() => this.locations.delete(key));
    }
    return found;
  }

  /** Gives up the lease of every checkpoint located (once the last run has written its checkpoint). */
  async close(): Promise<void> {
    const locations = await Promise.allSettled([...this.locations.values()]);
    await Promise.allSettled(locations.map((l) => (l.status === 'fulfilled' ? l.value.lease?.close() : undefined)));
  }

  private async newLocation(
    key: string,
    session: string | undefined,
    redisUrl: string,
    isDefault: boolean,
  ): Promise<CheckpointLocation> {
    const { settings, node } = this;
    const legacy = legacyCheckpoint(node, settings, key, session);
    const location = locateCheckpoint({
      key,
      redisUrl,
      redisWhere: redisUrl ? `Redis ${redisHostPort(redisUrl)}` : '',
      contextStorage: this.RED.settings?.contextStorage,
      storeName: settings.store,
      userDir: typeof this.RED.settings?.userDir === 'string' ? this.RED.settings.userDir : undefined,
      legacy: legacy.store,
      legacyName: legacy.name,
      leaseMs: settings.leaseMs,
      ...(isDefault ? { onLeaseChange: (held: boolean) => this.hooks.onLeaseChange(held) } : {}),
    });
    if (location.kind === 'file')
      node.warn(
        runtimeText(this.RED, 'sync.checkpointFile', { store: settings.store || 'default', where: location.where }),
      );
    else node.log(runtimeText(this.RED, 'sync.checkpointAt', { where: location.where }));
    if (isDefault) this.defaultKind = location.kind;
    if (this.hooks.closing()) {
      await location.lease?.close();
      throw new TopError({ kind: 'aborted', message: 'node closed' });
    }
    await location.lease?.start();
    return location;
  }
}

/**
 * Where an earlier version kept the checkpoint: in the node's, flow's or global context, under the
 * node's contextKey or a key of its own (with the session's part of `key` for another account).
 */
function legacyCheckpoint(
  node: WiredNode,
  settings: OrderSyncSettings,
  key: string,
  session: string | undefined,
): { store: CheckpointStore; name: string } {
  let legacyKey = settings.contextKey || (settings.scope === 'node' ? 'tbkOrderSync' : `tbkOrderSync_${node.id}`);
  if (session) legacyKey += `_${key.split('.')[3]!.slice(1, 13)}`;
  const context = node.context();
  const target = settings.scope === 'flow' ? context.flow : settings.scope === 'global' ? context.global : context;
  return {
    store: contextCheckpoint(target, legacyKey, settings.store),
    name: `${settings.scope} context${settings.scope === 'global' ? '' : ` of ${settings.scope === 'flow' ? String(node.z) : node.id}`}, key ${legacyKey}`,
  };
}
