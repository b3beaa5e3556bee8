/** What the sandbox gateway takes (its options) and offers (its handle, its stats, the requests it recorded). */
import type { LiveOrderBookOptions } from './live-orders';
import type { FaultKind, FaultRule } from './faults';
import type { ReceivedFile, SandboxApp } from './gateway';
import type { MethodSpec } from '../method-specs/types';

export interface SandboxOptions {
  /** 0 = ephemeral (default) */
  port?: number;
  /** 127.0.0.1 only (localhost is taken as 127.0.0.1); anything else is refused */
  host?: string;
  /** default [{ appKey: 'sandbox-app', appSecret: 'sandbox-secret' }] */
  apps?: SandboxApp[];
  /** default loadSpecs() (none when specs/methods is missing) */
  specs?: MethodSpec[];
  /** allowed clock skew, default 10 minutes */
  timestampWindowMs?: number;
  /** gzip answers above 1 KB when the client accepts gzip (default true) */
  gzip?: boolean;
  /** valid sessions; default: any non-empty session is valid */
  sessions?: string[];
  /** initial fault rules */
  faults?: FaultRule[];
  /** seed of the random that decides probabilistic faults (default 1) */
  seed?: number;
  /** how many requests requests() keeps (default 200) */
  recordLimit?: number;
  /** one line per call; never carries secrets or sessions */
  log?: (line: string) => void;
  /**
   * answer taobao.tbk.(sc.)order.details.get from a generated order book that follows the wall
   * clock (new orders, status changes, late updates), instead of the documented example page
   */
  liveOrders?: boolean | LiveOrderBookOptions;
  /**
   * The gateway's clock (epoch ms; default Date.now): timestamps are checked against it, every
   * answer carries it in its `Date` header, and the live order book follows it. A clock other than
   * the host's simulates a host whose clock is off.
   */
  clock?: () => number;
  /**
   * a token the control endpoints (/__sandbox/...) require, as `Authorization: Bearer <token>` or
   * `X-Sandbox-Token: <token>`; default none (they still answer only loopback requests whose Host
   * is a loopback name and that carry no foreign Origin)
   */
  controlToken?: string;
}

export interface SandboxStats {
  totalCalls: number;
  callsByMethod: Record<string, number>;
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** error_response codes answered (injected ones included), by code */
  errorsByCode: Record<string, number>;
  /** epoch second -> calls started in it */
  callsPerSecond: Record<string, number>;
  maxCallsPerSecond: number;
  /** start time (epoch ms) of each call, the last 100 000 */
  callStarts: number[];
  inFlight: number;
  maxConcurrent: number;
  /** /router/batch requests (each of their calls also counts in totalCalls) */
  batchRequests: number;
}

export interface RecordedRequest {
  /** epoch ms */
  time: number;
  httpMethod: string;
  path: string;
  method?: string;
  appKey?: string;
  /** every text field as received (query and body merged, query first), sign included */
  params: Record<string, string>;
  /** names of the params that came in the query string */
  queryKeys: string[];
  files: ReceivedFile[];
  headers: Record<string, string | string[] | undefined>;
  contentType?: string;
  /** the raw body of a /router/batch request */
  body?: string;
}

export type ResponseOverride = unknown | ((params: Record<string, string>) => unknown);

export interface Sandbox {
  /** http://127.0.0.1:PORT/router/rest */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** replace the fault rules (a seed restarts the fault random) */
  setFaults(rules: FaultRule[], seed?: number): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  faults(): FaultRule[];
  stats(): SandboxStats;
  requests(): RecordedRequest[];
  resetStats(): void;
  /** the answer of a method: a body (wrapped or not, or an error_response) or a function of the params */
  setResponse(method: string, body: ResponseOverride): void;
  clearResponses(): void;
  /** closes the listening socket, every kept-alive connection and every pending timer */
  close(): Promise<void>;
}
