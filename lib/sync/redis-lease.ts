/**
 * One order sync at a time across processes: a lease in Redis per checkpoint key, and the
 * checkpoint beside it, written only by the lease's holder.
 *
 * The lease is `SET lease <token>:<instance> NX PX leaseMs`, the token a counter INCRed for each
 * taking (a fencing token: a later holder always has a larger one). The holder renews it every
 * leaseMs / 3 with a compare-and-PEXPIRE; a holder that dies stops renewing, and another instance
 * takes it once it expires. Every checkpoint write is a compare-and-SET in one script: it lands only
 * while the lease still holds this instance's token, so a holder that lost its lease (a pause, a
 * network split) can never overwrite the new holder's progress. Before it hands orders on, the
 * holder also checks that its lease is still valid by its own clock (mayEmit), with a margin.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { CheckpointStore, SyncState } from './checkpoint';

export const DEFAULT_LEASE_MS = 30_000;
const CONNECT_TIMEOUT_MS = 3000;
const COMMAND_TIMEOUT_MS = 3000;

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const FENCED_SET_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end
return 0`;

type LeaseCommands = Redis & {
  tbkLeaseRenew(lease: string, value: string, ms: number): Promise<number>;
  tbkLeaseRelease(lease: string, value: string): Promise<number>;
  tbkFencedSet(lease: string, key: string, value: string, text: string): Promise<number>;
};

export class LeaseLostError extends Error {
  readonly code = 'ERR_LEASE_LOST';
  constructor(message = 'the order sync lease is held by another instance') {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface RedisSyncLeaseOptions {
  /** a redis:// or rediss:// URL */
  redisUrl: string;
  /** the checkpoint key (what is synced: app key, method, query type, session hash) */
  key: string;
  /** how long the lease lasts without renewal; default 30 s */
  leaseMs?: number;
  /** told when this instance gains or loses the lease */
  onChange?: (held: boolean) => void;
}

export class RedisSyncLease {
  readonly leaseMs: number;
  readonly instance = randomUUID();
  private readonly redisUrl: string;
  private readonly leaseKey: string;
  private readonly checkpointKey: string;
  private readonly fenceKey: string;
  private readonly onChange?: (held: boolean) => void;
  private client: LeaseCommands | undefined;
  private value: string | undefined;
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: RedisSyncLeaseOptions) {
    this.redisUrl = options.redisUrl;
    this.leaseMs = options.leaseMs && options.leaseMs >= 1000 ? Math.floor(options.leaseMs) : DEFAULT_LEASE_MS;
    const base = `tbk:order-sync:{${options.key}}`;
    this.leaseKey = `${base}:lease`;
    this.checkpointKey = `${base}:checkpoint`;
    this.fenceKey = `${base}:fence`;
    this.onChange = options.onChange;
  }

  /** The fencing token of the lease this instance holds, if it holds one. */
  get token(): number | undefined {
    return this.value ? Number(this.value.split(':')[0]) : undefined;
  }

  /** Whether this instance holds the lease, by its own clock, with a margin for renewal and pauses. */
  mayEmit(): boolean {
    return this.value !== undefined && Date.now() < this.validUntil - Math.min(2000, this.leaseMs / 10);
  }

  /**
   * Starts keeping the lease: takes it when it is free, renews it while held, and tries again every
   * leaseMs / 3 while another instance holds it. Resolves once the first attempt is answered.
   */
  async start(): Promise<void> {
    await this.tick();
  }

  /** The checkpoint in Redis; writes land only while this instance holds the lease. */
  readonly checkpoint: CheckpointStore = {
    load: async () => {
      const text = await this.redis().get(this.checkpointKey);
      if (text === null) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text; // not JSON: the sync reports it as an invalid checkpoint
      }
    },
    save: async (state: SyncState) => {
      const value = this.value;
      if (!value) throw new LeaseLostError();
      const stored = await this.redis().tbkFencedSet(this.leaseKey, this.checkpointKey, value, JSON.stringify(state));
      if (stored !== 1) {
        this.lose();
        throw new LeaseLostError();
      }
    },
  };

  /** Gives the lease up (if held) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (this.value) await client.tbkLeaseRelease(this.leaseKey, this.value);
    } catch {
      // Redis gone: the lease expires by itself
    }
    this.value = undefined;
    await client.quit().catch(() => client.disconnect());
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.value) await this.renew();
      else await this.tryAcquire();
    } catch {
      // Redis unreachable: a held lease stays usable until validUntil, then counts as lost
      if (this.value && Date.now() >= this.validUntil) this.lose();
      this.dropClient();
    }
    if (!this.closed) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    }
  }

  private async tryAcquire(): Promise<void> {
    const client = this.redis();
    const token = await client.incr(this.fenceKey);
    const value = `${token}:${this.instance}`;
    const asked = Date.now();
    const taken = await client.set(this.leaseKey, value, 'PX', this.leaseMs, 'NX');
    if (taken !== 'OK' || this.closed) return;
    this.value = value;
    this.validUntil = asked + this.leaseMs;
    this.onChange?.(true);
  }

  private async renew(): Promise<void> {
    const asked = Date.now();
    const renewed = await this.redis().tbkLeaseRenew(this.leaseKey, this.value!, this.leaseMs);
    if (renewed === 1) this.validUntil = asked + this.leaseMs;
    else this.lose();
  }

  private lose(): void {
    if (!this.value) return;
    this.value = undefined;
    this.validUntil = 0;
    this.onChange?.(false);
  }

  private redis(): LeaseCommands {
    if (this.closed) throw new LeaseLostError('the order sync lease is closed');
    if (this.client && this.client.status !== 'end') return this.client;
    // commands fail at once while Redis is down (no offline queue, no reconnection loop of ioredis's
    // own: tick() makes a new connection on its next round)
    const options: RedisOptions = {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      retryStrategy: () => null,
    };
    const client = new Redis(this.redisUrl, options) as LeaseCommands;
    client.on('error', () => undefined);
    client.defineCommand('tbkLeaseRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    client.defineCommand('tbkLeaseRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    client.defineCommand('tbkFencedSet', { numberOfKeys: 2, lua: FENCED_SET_SCRIPT });
    this.client = client;
    return client;
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    client?.disconnect();
  }
}
