import { createHash } from 'node:crypto';
import type { OrderDetailsMethod, OrderQueryType } from './orders';

export interface CheckpointIdentity {
  appKey: string;
  method: OrderDetailsMethod;
  queryType: OrderQueryType;
  /** the authorized user's session (服务商), if any: only a hash of it goes in the key */
  session?: string;
  /** parameters that narrow the orders read (order_scene, member_type ...): another set, another checkpoint */
  filters?: Record<string, unknown>;
  /** a name the user gave the checkpoint, to keep two syncs of the same account apart */
  name?: string;
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * What one checkpoint is of: app key + method + query type + a hash of the session, plus a hash of
 * the filters and the given name when there are any. Two syncs with the same key read the same
 * orders, so they share a checkpoint (and, with Redis, a lease).
 */
export function checkpointKey(identity: CheckpointIdentity): string {
  const method = identity.method === 'taobao.tbk.sc.order.details.get' ? 'sc-order' : 'order';
  const parts = [
    identity.appKey,
    method,
    `q${identity.queryType}`,
    identity.session ? `s${shortHash(identity.session)}` : 'app',
  ];
  const filters = Object.entries(identity.filters ?? {}).filter(([, value]) => value !== undefined && value !== '');
  if (filters.length > 0) parts.push(`f${shortHash(JSON.stringify(filters.sort(([a], [b]) => (a < b ? -1 : 1))))}`);
  if (identity.name) parts.push(`n${shortHash(identity.name)}`);
  return parts.join('.');
}
