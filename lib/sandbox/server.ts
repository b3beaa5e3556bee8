/**
 * A local TOP gateway on 127.0.0.1: signature, timestamp, required parameters, documented examples,
 * and injected faults. Used by the tests, the examples, `npm start` and the benchmarks.
 */
import { installLiveOrderBook, type LiveOrderBookOptions } from './order-book';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Response as UndiciResponse } from 'undici';
import { BATCH_SEPARATOR_HEADER, DEFAULT_BATCH_SEPARATOR, parseBatchBody } from '../top/batch-wire';
import { isBlank } from '../top/sign';
import { loadSpecs } from '../method-specs';
import type { MethodSpec } from '../method-specs/types';
import { FaultSet, checkFaultRule, type FaultKind, type FaultRule } from './faults';
import {
  ECHO_METHOD,
  TBK_THROTTLE_SUB_MSG,
  checkCall,
  checkEnvelope,
  checkMethodCall,
  exampleResponse,
  injectBusinessFailure,
  innerResponse,
  newRequestId,
  serializeBody,
  successBody,
  topError,
  type CheckResult,
  type GatewayCall,
  type GatewayConfig,
  type ReceivedFile,
  type SandboxApp,
  type TopErrorFields,
} from './gateway';

export type { SandboxApp } from './gateway';

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

export const DEFAULT_APP: Readonly<SandboxApp> = Object.freeze({ appKey: 'sandbox-app', appSecret: 'sandbox-secret' });
const GZIP_MIN_BYTES = 1024;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const MAX_CALL_STARTS = 100_000;
const TRANSPORT_KINDS: ReadonlySet<FaultKind> = new Set(['http500', 'http502', 'reset', 'malformed', 'truncated', 'empty', 'throttle', 'isp', 'tbk-throttle', 'top-error']);
/** A batch request gets these as a whole; the error_response kinds apply to each of its calls. */
const HTTP_KINDS: ReadonlySet<FaultKind> = new Set(['http500', 'http502', 'reset', 'malformed', 'truncated', 'empty']);
const ERROR_KINDS: ReadonlySet<FaultKind> = new Set(['throttle', 'isp', 'tbk-throttle', 'top-error']);
/** System parameters a batch's calls take from its URL, whatever their segments say. */
const BATCH_ENVELOPE_KEYS = ['app_key', 'timestamp', 'v', 'format', 'sign_method', 'partner_id', 'simplify'] as const;
const LATENCY_KIND: ReadonlySet<FaultKind> = new Set(['latency']);
const BUSINESS_KIND: ReadonlySet<FaultKind> = new Set(['business']);

function defaultSpecs(): MethodSpec[] {
  try {
    return loadSpecs();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function loopbackHost(host: string | undefined): string {
  if (host === undefined || host === '127.0.0.1' || host === 'localhost') return '127.0.0.1';
  throw new Error(`The sandbox listens on 127.0.0.1 only, not on "${host}"`);
}

function emptyStats(): SandboxStats {
  return { totalCalls: 0, callsByMethod: {}, faultsByKind: {}, errorsByCode: {}, callsPerSecond: {}, maxCallsPerSecond: 0, callStarts: [], inFlight: 0, maxConcurrent: 0, batchRequests: 0 };
}

function htmlPage(status: number, title: string): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function charsetOf(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return m ? m[1]!.toLowerCase() : undefined;
}

interface ParsedRequest {
  params: Record<string, string>;
  queryKeys: string[];
  files: ReceivedFile[];
}

async function parseRequest(req: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const params: Record<string, string> = {};
  const queryKeys: string[] = [];
  // Servlet order: query string values come before body values, and the first value wins.
  for (const [key, value] of url.searchParams) {
    if (!(key in params)) {
      params[key] = value;
      queryKeys.push(key);
    }
  }
  const files: ReceivedFile[] = [];
  if (req.method !== 'POST') return { params, queryKeys, files };
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) if (!(key in params)) params[key] = value;
  } else if (mediaType === 'multipart/form-data') {
    const form = await new UndiciResponse(body, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') {
        if (!(key in params)) params[key] = value;
      } else {
        files.push({ name: key, filename: value.name, size: value.size, contentType: value.type });
      }
    }
  }
  return { params, queryKeys, files };
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** localhost, 127.x.x.x or [::1], with or without a port: what a Host header names when no DNS answer was involved. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!match) return false;
  const name = match[1]!;
  return name === 'localhost' || name === '[::1]' || /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(name);
}

/**
 * Why a control request is refused, or undefined. A page a browser shows can make the browser
 * send requests to 127.0.0.1: through a DNS name rebound to 127.0.0.1 its Host header is that
 * name; as a cross-origin form or fetch it carries the page's Origin. Either reads recorded
 * signatures and parameters or changes faults. Only the sandbox's own origin is not foreign.
 */
function controlRefusal(req: IncomingMessage, ownPort: number, token: string | undefined): { status: number; error: string } | undefined {
  if (!isLoopback(req.socket.remoteAddress)) return { status: 403, error: 'loopback only' };
  if (!isLoopbackHostHeader(req.headers.host)) return { status: 403, error: 'the Host header must name a loopback address (localhost, 127.0.0.1, [::1])' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let own: boolean;
    try {
      const url = new URL(origin);
      own = url.protocol === 'http:' && isLoopbackHostHeader(url.host) && Number(url.port || 80) === ownPort;
    } catch {
      own = false;
    }
    if (!own) return { status: 403, error: 'cross-origin requests are refused' };
  }
  if (token !== undefined && !carriesToken(req, token)) return { status: 401, error: 'this sandbox requires its control token (Authorization: Bearer <token> or X-Sandbox-Token)' };
  return undefined;
}

function carriesToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers['x-sandbox-token'];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const given = bearer ?? (typeof header === 'string' ? header : undefined);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = loopbackHost(options.host);
  const controlToken = options.controlToken === undefined || options.controlToken === '' ? undefined : options.controlToken;
  const appList = options.apps ?? [DEFAULT_APP];
  const apps = new Map<string, SandboxApp>();
  for (const app of appList) apps.set(app.appKey, { ...app, faults: app.faults?.map(checkFaultRule) });
  const specs = new Map<string, MethodSpec>();
  for (const spec of options.specs ?? defaultSpecs()) specs.set(spec.method, spec);
  const config: GatewayConfig = {
    apps,
    specs,
    timestampWindowMs: options.timestampWindowMs ?? 10 * 60 * 1000,
    sessions: options.sessions ? new Set(options.sessions) : undefined,
  };
  const clock = options.clock ?? Date.now;
  const useGzip = options.gzip ?? true;
  const recordLimit = options.recordLimit ?? 200;
  const log = options.log;
  const faults = new FaultSet(options.seed ?? 1);
  if (options.faults) faults.set(options.faults);
  const overrides = new Map<string, ResponseOverride>();
  let stats = emptyStats();
  let recorded: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

  const count = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, text: string): void {
    let payload: Buffer = Buffer.from(text, 'utf8');
    const headers: Record<string, string | number> = { 'Content-Type': contentType };
    const accepts = /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
    if (useGzip && accepts && payload.length > GZIP_MIN_BYTES) {
      payload = gzipSync(payload);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(status, headers);
    res.end(payload);
  }

  function sendJson(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    send(req, res, 200, 'application/json;charset=UTF-8', serializeBody(body));
  }

  /** An error_response body (counted in the stats). */
  function errorBody(error: TopErrorFields): unknown {
    count(stats.errorsByCode, String(error.code));
    return { error_response: { ...error, request_id: newRequestId() } };
  }

  function sendError(req: IncomingMessage, res: ServerResponse, error: TopErrorFields): void {
    sendJson(req, res, errorBody(error));
  }

  function trackInFlight(res: ServerResponse): void {
    stats.inFlight++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.inFlight);
    res.on('close', () => {
      stats.inFlight--;
    });
  }

  function record(req: IncomingMessage, url: URL, parsed: ParsedRequest, time: number, body?: string): void {
    recorded.push({
      time,
      httpMethod: req.method ?? '',
      path: url.pathname,
      method: parsed.params.method,
      appKey: parsed.params.app_key,
      params: { ...parsed.params },
      queryKeys: parsed.queryKeys,
      files: parsed.files,
      headers: { ...req.headers },
      contentType: req.headers['content-type'],
      ...(body !== undefined ? { body } : {}),
    });
    if (recorded.length > recordLimit) recorded = recorded.slice(-recordLimit);
  }

  function countCallStart(method: string | undefined, time: number): void {
    stats.totalCalls++;
    count(stats.callsByMethod, method || '(none)');
    const second = String(Math.floor(time / 1000));
    count(stats.callsPerSecond, second);
    stats.maxCallsPerSecond = Math.max(stats.maxCallsPerSecond, stats.callsPerSecond[second]!);
    stats.callStarts.push(time);
    if (stats.callStarts.length > MAX_CALL_STARTS) stats.callStarts.splice(0, stats.callStarts.length - MAX_CALL_STARTS);
  }

  function pickFault(kinds: ReadonlySet<FaultKind>, method: string | undefined, appKey: string | undefined): FaultRule | undefined {
    const call = { method, appKey };
    const appRules = appKey !== undefined ? apps.get(appKey)?.faults : undefined;
    const rule = (appRules && faults.pickFrom(appRules, call, kinds)) || faults.pick(call, kinds);
    if (rule) count(stats.faultsByKind as Record<string, number>, rule.kind);
    return rule;
  }

  /** Answers an injected transport or gateway fault. */
  function answerFault(req: IncomingMessage, res: ServerResponse, rule: FaultRule, method: string): void {
    switch (rule.kind) {
      case 'http500':
        send(req, res, 500, 'text/html', htmlPage(500, 'Internal Server Error'));
        return;
      case 'http502':
        send(req, res, 502, 'text/html', htmlPage(502, 'Bad Gateway'));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'empty':
        res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': 0 });
        res.end();
        return;
      case 'malformed':
      case 'truncated': {
        const full = serializeBody(successBody(method, { result: { note: 'x'.repeat(64) } }, false, newRequestId()));
        const half = full.slice(0, Math.floor(full.length / 2));
        if (rule.kind === 'malformed') {
          send(req, res, 200, 'application/json;charset=UTF-8', half);
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(full) });
        res.write(half, () => req.socket.destroy());
        return;
      }
      case 'throttle':
      case 'isp':
      case 'tbk-throttle':
      case 'top-error':
        sendError(req, res, faultError(rule));
        return;
      default:
        throw new Error(`fault kind ${rule.kind} is not a transport fault`);
    }
  }

  /** The error_response of an injected gateway error. */
  function faultError(rule: FaultRule): TopErrorFields {
    switch (rule.kind) {
      case 'throttle':
        return topError(7, undefined, rule.subCode ?? 'accesscontrol.limited-by-app-access-count', rule.subMsg ?? `This ban will last for ${rule.banSeconds ?? 1} more seconds`);
      case 'isp':
        return topError(15, undefined, rule.subCode ?? 'isp.tbkapi-service-unavailable', rule.subMsg ?? '淘宝客API服务不可用');
      case 'tbk-throttle':
        return topError(15, undefined, rule.subCode ?? '9100', rule.subMsg ?? TBK_THROTTLE_SUB_MSG);
      case 'top-error':
        return topError(rule.code ?? 15, rule.msg, rule.subCode, rule.subMsg);
      default:
        throw new Error(`fault kind ${rule.kind} is not a gateway error`);
    }
  }

  async function handleGateway(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    trackInFlight(res);
    if (req.method !== 'GET' && req.method !== 'POST') {
      countCallStart(undefined, started);
      sendError(req, res, topError(9, undefined, undefined, 'use POST or GET'));
      return;
    }
    let parsed: ParsedRequest;
    try {
      parsed = await parseRequest(req, url);
    } catch {
      countCallStart(undefined, started);
      if (!res.destroyed) sendError(req, res, topError(43, undefined, undefined, 'the request body could not be read'));
      return;
    }
    const { params } = parsed;
    const method = params.method;
    countCallStart(method, started);
    record(req, url, parsed, started);
    const charset = charsetOf(req.headers['content-type'] ?? '');
    const latency = pickFault(LATENCY_KIND, method, params.app_key);
    if (latency) {
      await delay(latency.latencyMs ?? 1000);
      if (closed || res.destroyed) return;
    }
    const fault = pickFault(TRANSPORT_KINDS, method, params.app_key);
    let outcome: string;
    if (fault) {
      answerFault(req, res, fault, method || ECHO_METHOD);
      outcome = `fault ${fault.kind}`;
    } else if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendError(req, res, topError(47, undefined, undefined, 'send UTF-8'));
      outcome = 'code 47';
    } else {
      outcome = await answerCall(req, res, { params, files: parsed.files, now: clock() });
    }
    // app keys are not secrets; sessions, signatures and secrets never reach the log
    log?.(`${req.method} ${url.pathname} ${method ?? '-'} app=${params.app_key ?? '-'} -> ${outcome} (${Date.now() - started} ms)`);
  }

  async function answerCall(req: IncomingMessage, res: ServerResponse, call: GatewayCall): Promise<string> {
    const checked = checkCall(call, config);
    if (!checked.ok) {
      sendError(req, res, checked.error);
      return `code ${checked.error.code}`;
    }
    const { body, outcome } = await answerBody(call, checked);
    sendJson(req, res, body);
    return outcome;
  }

  /** The answer of a call that passed the checks: override, documented example or echo, business faults. */
  async function answerBody(call: GatewayCall, checked: Extract<CheckResult, { ok: true }>): Promise<{ body: unknown; outcome: string }> {
    const { method, spec } = checked;
    let inner: Record<string, unknown> | undefined;
    if (overrides.has(method)) {
      const override = overrides.get(method);
      let body: unknown;
      try {
        body = typeof override === 'function' ? await (override as (p: Record<string, string>) => unknown)({ ...call.params }) : structuredClone(override);
      } catch (err) {
        return { body: errorBody(topError(15, undefined, 'isp.sandbox-override-error', (err as Error).message)), outcome: 'override threw' };
      }
      inner = innerResponse(method, body);
      if (!inner) {
        const error = (body as { error_response: TopErrorFields }).error_response;
        return { body: errorBody(error), outcome: `code ${error.code}` };
      }
    } else {
      inner = exampleResponse(method, spec, call);
    }
    const business = pickFault(BUSINESS_KIND, method, checked.app.appKey);
    if (business) injectBusinessFailure(inner, business);
    return { body: successBody(method, inner, call.params.simplify === 'true', newRequestId()), outcome: 'ok' };
  }

  /**
   * `/router/batch`: system parameters in the URL, signed with the raw body; the body's calls,
   * answered one by one as /router/rest would (gateway-error faults apply per call), joined by the
   * separator. A batch rejected as a whole gets a single error_response.
   */
  async function handleBatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    trackInFlight(res);
    stats.batchRequests++;
    const params: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (!(key in params)) params[key] = value;
    const appKey = params.app_key;
    if (req.method !== 'POST') {
      countCallStart(undefined, started);
      sendError(req, res, topError(9, undefined, undefined, 'batch calls are POSTed'));
      return;
    }
    let body: string;
    try {
      body = (await readBody(req)).toString('utf8');
    } catch {
      countCallStart(undefined, started);
      if (!res.destroyed) sendError(req, res, topError(43, undefined, undefined, 'the request body could not be read'));
      return;
    }
    const header = req.headers[BATCH_SEPARATOR_HEADER];
    const separator = typeof header === 'string' && header !== '' ? header : DEFAULT_BATCH_SEPARATOR;
    const { shared, calls } = parseBatchBody(body, separator);
    const methodOf = (segment: Record<string, string>): string | undefined => segment.method ?? shared.method;
    if (calls.length === 0) countCallStart(undefined, started);
    for (const segment of calls) countCallStart(methodOf(segment), started);
    record(req, url, { params, queryKeys: Object.keys(params), files: [] }, started, body);
    const latency = pickFault(LATENCY_KIND, shared.method, appKey);
    if (latency) {
      await delay(latency.latencyMs ?? 1000);
      if (closed || res.destroyed) return;
    }
    const finish = (outcome: string): void => log?.(`POST ${url.pathname} ${shared.method ?? '-'} x${calls.length} app=${appKey ?? '-'} -> ${outcome} (${Date.now() - started} ms)`);
    const fault = pickFault(HTTP_KINDS, shared.method, appKey);
    if (fault) {
      answerFault(req, res, fault, shared.method || ECHO_METHOD);
      return finish(`fault ${fault.kind}`);
    }
    const charset = charsetOf(req.headers['content-type'] ?? '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendError(req, res, topError(47, undefined, undefined, 'send UTF-8'));
      return finish('code 47');
    }
    const envelope = checkEnvelope(params, started, config, body);
    if (!envelope.ok) {
      sendError(req, res, envelope.error);
      return finish(`code ${envelope.error.code}`);
    }
    if (calls.length === 0) {
      sendError(req, res, topError(40, 'Missing required arguments', 'isv.missing-parameter:body', 'the batch holds no call'));
      return finish('code 40');
    }
    const pieces: string[] = [];
    let failed = 0;
    for (const segment of calls) {
      const callParams: Record<string, string> = { ...shared, ...segment };
      for (const key of BATCH_ENVELOPE_KEYS) {
        if (params[key] !== undefined) callParams[key] = params[key];
        else delete callParams[key];
      }
      for (const key of ['session', 'target_app_key'] as const) if (isBlank(callParams[key]) && params[key] !== undefined) callParams[key] = params[key];
      const answer = await answerBatchCall({ params: callParams, files: [], now: clock() }, envelope.app);
      if (!answer.ok) failed++;
      pieces.push(serializeBody(answer.body));
    }
    send(req, res, 200, 'text/plain;charset=UTF-8', pieces.join(separator));
    finish(`${calls.length - failed} ok, ${failed} failed`);
  }

  async function answerBatchCall(call: GatewayCall, app: SandboxApp): Promise<{ ok: boolean; body: unknown }> {
    const method = call.params.method;
    if (isBlank(method)) return { ok: false, body: errorBody(topError(21)) };
    const fault = pickFault(ERROR_KINDS, method, app.appKey);
    if (fault) return { ok: false, body: errorBody(faultError(fault)) };
    const checked = checkMethodCall(method!, call, config, app);
    if (!checked.ok) return { ok: false, body: errorBody(checked.error) };
    const { body, outcome } = await answerBody(call, checked);
    return { ok: outcome === 'ok', body };
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body: unknown): void => send(req, res, status, 'application/json;charset=UTF-8', JSON.stringify(body));
    const refusal = controlRefusal(req, sandbox.port, controlToken);
    if (refusal) {
      req.resume();
      return reply(refusal.status, { error: refusal.error });
    }
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'POST /__sandbox/faults': {
          const body = JSON.parse((await readBody(req)).toString('utf8') || '[]') as unknown;
          const list = Array.isArray(body) ? body : (body as { rules?: unknown }).rules;
          if (!Array.isArray(list)) return reply(400, { error: 'send a list of fault rules, or {"rules": [...], "seed": n}' });
          const seed = Array.isArray(body) ? undefined : (body as { seed?: unknown }).seed;
          faults.set(list as FaultRule[], typeof seed === 'number' ? seed : undefined);
          return reply(200, { ok: true, rules: faults.list() });
        }
        case 'GET /__sandbox/faults':
          return reply(200, { rules: faults.list() });
        case 'DELETE /__sandbox/faults':
          faults.clear();
          return reply(200, { ok: true });
        case 'GET /__sandbox/stats':
          return reply(200, sandbox.stats());
        case 'GET /__sandbox/requests':
          return reply(200, recorded.map((r) => ({ ...r, params: maskSession(r.params) })));
        case 'POST /__sandbox/reset':
          sandbox.resetStats();
          recorded = [];
          faults.clear();
          return reply(200, { ok: true });
        default:
          return reply(404, { error: `no control route ${route}` });
      }
    } catch (err) {
      return reply(400, { error: (err as Error).message });
    }
  }

  const server: Server = createServer((req, res) => {
    // the real gateway's Date header is its own clock; a client measures the skew from it
    res.setHeader('Date', new Date(clock()).toUTCString());
    const url = new URL(req.url ?? '/', `http://${host}`);
    const handle = url.pathname === '/router/rest' ? handleGateway : url.pathname === '/router/batch' ? handleBatch : url.pathname.startsWith('/__sandbox/') ? handleControl : undefined;
    if (!handle) {
      send(req, res, 404, 'text/html', htmlPage(404, 'Not Found'));
      return;
    }
    handle(req, res, url).catch((err: unknown) => {
      log?.(`sandbox error: ${(err as Error).message}`);
      if (!res.headersSent && !res.destroyed) send(req, res, 500, 'text/html', htmlPage(500, 'Internal Server Error'));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const sandbox: Sandbox = {
    url: '',
    origin: '',
    port: 0,
    setFaults: (rules, seed) => faults.set(rules, seed),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    stats: () => structuredClone(stats),
    requests: () => recorded.map((r) => structuredClone(r)),
    resetStats: () => {
      const inFlight = stats.inFlight;
      stats = emptyStats();
      stats.inFlight = inFlight;
      recorded = [];
    },
    setResponse: (method, body) => {
      overrides.set(method, body);
    },
    clearResponses: () => overrides.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };
  if (options.liveOrders) installLiveOrderBook(sandbox, { ...(options.liveOrders === true ? {} : options.liveOrders), clock });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      sandbox.port = port;
      sandbox.origin = `http://${host}:${port}`;
      sandbox.url = `${sandbox.origin}/router/rest`;
      resolve(sandbox);
    });
  });
}

function maskSession(params: Record<string, string>): Record<string, string> {
  return 'session' in params ? { ...params, session: '***' } : params;
}
