/**
 * A local TOP gateway on 127.0.0.1: signature, timestamp, required parameters, documented examples,
 * and injected faults. Used by the tests, the examples, `npm start` and the benchmarks.
 * This is its HTTP server and handle: /router/rest and /router/batch are answered here (the checks
 * and bodies are gateway.ts, injected faults fault-answers.ts, the stats traffic.ts), /__sandbox/...
 * in control.ts.
 */
import { installLiveOrderBook } from './live-orders';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BATCH_SEPARATOR_HEADER, DEFAULT_BATCH_SEPARATOR, parseBatchBody } from '../top/batch-wire';
import { isBlank } from '../top/sign';
import { loadSpecs } from '../method-specs';
import type { MethodSpec } from '../method-specs/types';
import { FaultSet, checkFaultRule, type FaultKind, type FaultRule } from './faults';
import {
  ECHO_METHOD,
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
  type SandboxApp,
  type TopErrorFields,
} from './gateway';

export type { SandboxApp } from './gateway';
export type { RecordedRequest, ResponseOverride, Sandbox, SandboxOptions, SandboxStats } from './api';
import type { ResponseOverride, Sandbox, SandboxOptions } from './api';
import { answerControl } from './control';
import {
  BUSINESS_KIND,
  ERROR_KINDS,
  HTTP_KINDS,
  LATENCY_KIND,
  TRANSPORT_KINDS,
  answerFault,
  faultError,
} from './fault-answers';
import { charsetOf, htmlPage, parseRequest, readBody, type ParsedRequest } from './request';
import { Traffic, count } from './traffic';

export const DEFAULT_APP: Readonly<SandboxApp> = Object.freeze({ appKey: 'sandbox-app', appSecret: 'sandbox-secret' });
const GZIP_MIN_BYTES = 1024;
/** System parameters a batch's calls take from its URL, whatever their segments say. */
const BATCH_ENVELOPE_KEYS = ['app_key', 'timestamp', 'v', 'format', 'sign_method', 'partner_id', 'simplify'] as const;

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

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = loopbackHost(options.host);
  const controlToken =
    options.controlToken === undefined || options.controlToken === '' ? undefined : options.controlToken;
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
  const log = options.log;
  const faults = new FaultSet(options.seed ?? 1);
  if (options.faults) faults.set(options.faults);
  const overrides = new Map<string, ResponseOverride>();
  const traffic = new Traffic(options.recordLimit ?? 200);
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

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
    count(traffic.stats.errorsByCode, String(error.code));
    return { error_response: { ...error, request_id: newRequestId() } };
  }

  function sendError(req: IncomingMessage, res: ServerResponse, error: TopErrorFields): void {
    sendJson(req, res, errorBody(error));
  }

  function pickFault(
    kinds: ReadonlySet<FaultKind>,
    method: string | undefined,
    appKey: string | undefined,
  ): FaultRule | undefined {
    const call = { method, appKey };
    const appRules = appKey !== undefined ? apps.get(appKey)?.faults : undefined;
    const rule = (appRules && faults.pickFrom(appRules, call, kinds)) || faults.pick(call, kinds);
    if (rule) count(traffic.stats.faultsByKind as Record<string, number>, rule.kind);
    return rule;
  }

  async function handleGateway(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    traffic.trackInFlight(res);
    if (req.method !== 'GET' && req.method !== 'POST') {
      traffic.countCallStart(undefined, started);
      sendError(req, res, topError(9, undefined, undefined, 'use POST or GET'));
      return;
    }
    let parsed: ParsedRequest;
    try {
      parsed = await parseRequest(req, url);
    } catch {
      traffic.countCallStart(undefined, started);
      if (!res.destroyed) sendError(req, res, topError(43, undefined, undefined, 'the request body could not be read'));
      return;
    }
    const { params } = parsed;
    const method = params.method;
    traffic.countCallStart(method, started);
    traffic.record(req, url, parsed, started);
    const charset = charsetOf(req.headers['content-type'] ?? '');
    const latency = pickFault(LATENCY_KIND, method, params.app_key);
    if (latency) {
      await delay(latency.latencyMs ?? 1000);
      if (closed || res.destroyed) return;
    }
    const fault = pickFault(TRANSPORT_KINDS, method, params.app_key);
    let outcome: string;
    if (fault) {
      answerFault(req, res, fault, method || ECHO_METHOD, { send, sendError });
      outcome = `fault ${fault.kind}`;
    } else if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendError(req, res, topError(47, undefined, undefined, 'send UTF-8'));
      outcome = 'code 47';
    } else {
      outcome = await answerCall(req, res, { params, files: parsed.files, now: clock() });
    }
    // app keys are not secrets; sessions, signatures and secrets never reach the log
    log?.(
      `${req.method} ${url.pathname} ${method ?? '-'} app=${params.app_key ?? '-'} -> ${outcome} (${Date.now() - started} ms)`,
    );
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
  async function answerBody(
    call: GatewayCall,
    checked: Extract<CheckResult, { ok: true }>,
  ): Promise<{ body: unknown; outcome: string }> {
    const { method, spec } = checked;
    let inner: Record<string, unknown> | undefined;
    if (overrides.has(method)) {
      const override = overrides.get(method);
      let body: unknown;
      try {
        body =
          typeof override === 'function'
            ? await (override as (p: Record<string, string>) => unknown)({ ...call.params })
            : structuredClone(override);
      } catch (err) {
        return {
          body: errorBody(topError(15, undefined, 'isp.sandbox-override-error', (err as Error).message)),
          outcome: 'override threw',
        };
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
    traffic.trackInFlight(res);
    traffic.stats.batchRequests++;
    const params: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (!(key in params)) params[key] = value;
    const appKey = params.app_key;
    if (req.method !== 'POST') {
      traffic.countCallStart(undefined, started);
      sendError(req, res, topError(9, undefined, undefined, 'batch calls are POSTed'));
      return;
    }
    let body: string;
    try {
      body = (await readBody(req)).toString('utf8');
    } catch {
      traffic.countCallStart(undefined, started);
      if (!res.destroyed) sendError(req, res, topError(43, undefined, undefined, 'the request body could not be read'));
      return;
    }
    const header = req.headers[BATCH_SEPARATOR_HEADER];
    const separator = typeof header === 'string' && header !== '' ? header : DEFAULT_BATCH_SEPARATOR;
    const { shared, calls } = parseBatchBody(body, separator);
    const methodOf = (segment: Record<string, string>): string | undefined => segment.method ?? shared.method;
    if (calls.length === 0) traffic.countCallStart(undefined, started);
    for (const segment of calls) traffic.countCallStart(methodOf(segment), started);
    traffic.record(req, url, { params, queryKeys: Object.keys(params), files: [] }, started, body);
    const latency = pickFault(LATENCY_KIND, shared.method, appKey);
    if (latency) {
      await delay(latency.latencyMs ?? 1000);
      if (closed || res.destroyed) return;
    }
    const finish = (outcome: string): void =>
      log?.(
        `POST ${url.pathname} ${shared.method ?? '-'} x${calls.length} app=${appKey ?? '-'} -> ${outcome} (${Date.now() - started} ms)`,
      );
    const fault = pickFault(HTTP_KINDS, shared.method, appKey);
    if (fault) {
      answerFault(req, res, fault, shared.method || ECHO_METHOD, { send, sendError });
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
      sendError(
        req,
        res,
        topError(40, 'Missing required arguments', 'isv.missing-parameter:body', 'the batch holds no call'),
      );
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
      for (const key of ['session', 'target_app_key'] as const)
        if (isBlank(callParams[key]) && params[key] !== undefined) callParams[key] = params[key];
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

  const handleControl = (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> =>
    answerControl(req, url, sandbox, controlToken, (status, body) =>
      send(req, res, status, 'application/json;charset=UTF-8', JSON.stringify(body)),
    );

  const server: Server = createServer((req, res) => {
    // the real gateway's Date header is its own clock; a client measures the skew from it
    res.setHeader('Date', new Date(clock()).toUTCString());
    const url = new URL(req.url ?? '/', `http://${host}`);
    const handle =
      url.pathname === '/router/rest'
        ? handleGateway
        : url.pathname === '/router/batch'
          ? handleBatch
          : url.pathname.startsWith('/__sandbox/')
            ? handleControl
            : undefined;
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
    stats: () => structuredClone(traffic.stats),
    requests: () => traffic.recorded.map((r) => structuredClone(r)),
    resetStats: () => traffic.reset(),
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
  if (options.liveOrders)
    installLiveOrderBook(sandbox, { ...(options.liveOrders === true ? {} : options.liveOrders), clock });

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
