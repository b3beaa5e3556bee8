/**
 * The contenders of the throughput benchmark. Each one makes the same material search against
 * the sandbox, with `concurrency` calls outstanding, rate limiting off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { TopClient } from '../lib/top/client';
import { encodeParams, formEncode } from '../lib/top/encode';
import { sign } from '../lib/top/sign';
import { topTimestamp } from '../lib/top/time';
import { post } from '../lib/top/transport';
import { startNodeRed, type FlowNode } from './nodered';
import { APP_KEY, APP_SECRET, METHOD, closedLoop, closedLoopAsync, searchParams, type LoopOutcome } from './workload';
import { SPECS_DIR } from '../lib/method-specs';

export const CONTENDERS = ['limit', 'dispatch', 'topclient', 'node-red-method', 'peer', 'node-red-diy'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

export const CONTENDER_LABELS: Record<ContenderName, string> = {
  limit: 'undici limit (pre-signed)',
  dispatch: 'undici dispatch (pre-signed)',
  topclient: 'TopClient.call',
  'node-red-method': 'Node-RED method node',
  peer: 'node-taobao-topclient',
  'node-red-diy': 'Node-RED DIY flow',
};

export interface Contender {
  cell(concurrency: number, calls: number): Promise<LoopOutcome>;
  close(): Promise<void>;
}

const RESPONSE_KEY = 'tbk_dg_material_optional_upgrade_response';

/** What a search answer must look like to count as a success. */
function checkSearchAnswer(inner: unknown): Error | undefined {
  const list = (inner as { result_list?: { map_data?: unknown[] } } | undefined)?.result_list?.map_data;
  return Array.isArray(list) && list.length > 0
    ? undefined
    : new Error(`unexpected answer: ${JSON.stringify(inner).slice(0, 200)}`);
}

const PRESIGNED_HEADERS = {
  'accept-encoding': 'gzip, deflate',
  'user-agent': 'node-red-taobaoke',
  'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
};

/** One search signed and form-encoded in advance: valid for the 10-minute timestamp window. */
function presignedSearch(): string {
  const all: Record<string, string> = {
    ...encodeParams(searchParams()).text,
    method: METHOD,
    app_key: APP_KEY,
    timestamp: topTimestamp(),
    format: 'json',
    v: '2.0',
    sign_method: 'md5',
  };
  all.sign = sign(all, APP_SECRET, 'md5');
  return formEncode(all);
}

/** A contender sending the pre-signed search (re-signed at the start of each cell) over an Agent set up as the client's. */
function presignedContender(
  send: (agent: Agent, body: string) => Promise<{ status: number; bytes: number }>,
): Contender {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });
  return {
    async cell(concurrency, calls) {
      const body = presignedSearch();
      return closedLoopAsync(concurrency, calls, async () => {
        const { status, bytes } = await send(agent, body);
        if (status !== 200 || bytes < 1000) throw new Error(`HTTP ${status}, ${bytes} bytes`);
      });
    },
    close: () => agent.close(),
  };
}

/** The limit the targets are set against: undici `request`, the body read as bytes. */
async function limitContender(url: string): Promise<Contender> {
  return presignedContender(async (agent, body) => {
    const res = await request(url, { method: 'POST', headers: PRESIGNED_HEADERS, body, dispatcher: agent });
    const raw = await res.body.arrayBuffer();
    return { status: res.statusCode, bytes: raw.byteLength };
  });
}

/**
 * The same through undici's dispatch API (lib/transport.ts, which TopClient uses): no Readable
 * stream per answer. The cheapest way undici offers; shown for reference.
 */
async function dispatchContender(url: string): Promise<Contender> {
  return presignedContender(async (agent, body) => {
    const answer = await post(agent, url, body, PRESIGNED_HEADERS);
    return { status: answer.status, bytes: answer.body.length };
  });
}

async function topClientContender(url: string): Promise<Contender> {
  const client = new TopClient({ appKey: APP_KEY, appSecret: APP_SECRET, endpoint: url, rateLimit: false });
  const params = searchParams();
  return {
    cell: (concurrency, calls) =>
      closedLoopAsync(concurrency, calls, async () => {
        const problem = checkSearchAnswer(await client.call(METHOD, params));
        if (problem) throw problem;
      }),
    close: () => client.close(),
  };
}

/** node-taobao-topclient 0.1.x: `request` with the global agent, JSON.parse, local-time timestamps. */
interface PeerClient {
  execute(method: string, params: Record<string, unknown>): Promise<unknown>;
}

async function peerContender(url: string): Promise<Contender> {
  const offset = new Date().getTimezoneOffset();
  if (offset !== -480)
    throw new Error(
      `node-taobao-topclient stamps requests in local time: run it with TZ=Asia/Shanghai (offset now ${offset} min)`,
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: PeerTopClient } = require('node-taobao-topclient') as {
    default: new (options: Record<string, string>) => PeerClient;
  };
  const client = new PeerTopClient({ appkey: APP_KEY, appsecret: APP_SECRET, REST_URL: url });
  const params = searchParams();
  return {
    cell: (concurrency, calls) =>
      // the peer writes `method` into the object it is given: a fresh copy per call
      closedLoopAsync(concurrency, calls, async () => {
        const problem = checkSearchAnswer(await client.execute(METHOD, { ...params }));
        if (problem) throw problem;
      }),
    close: async () => undefined,
  };
}

/** A closed loop over a Node-RED flow: messages go into `entry`, bench-sink nodes report them back. */
async function flowContender(
  flows: FlowNode[],
  credentials: Record<string, Record<string, string>>,
  entry: string,
  answerOf: (msg: Record<string, unknown>) => Error | undefined,
  settings: Record<string, unknown> = {},
): Promise<Contender> {
  const pending = new Map<number, (err?: unknown) => void>();
  let nextId = 0;
  const runtime = await startNodeRed(
    flows,
    credentials,
    (msg) => {
      const id = msg._benchId as number;
      const done = pending.get(id);
      if (!done) return;
      pending.delete(id);
      done(msg.error ?? answerOf(msg));
    },
    settings,
  );
  const node = runtime.node(entry);
  return {
    cell: (concurrency, calls) =>
      closedLoop(concurrency, calls, (done) => {
        const id = nextId++;
        pending.set(id, done);
        node.receive({ _msgid: `bench-${id}`, _benchId: id, payload: '' });
      }),
    close: () => runtime.stop(),
  };
}

function nodeRedMethodContender(url: string): Promise<Contender> {
  const spec = JSON.parse(readFileSync(join(SPECS_DIR, `${METHOD}.json`), 'utf8')) as { type: string; version: number };
  const params = searchParams();
  const rows: Record<string, { value: string; type: string }> = {};
  for (const [name, value] of Object.entries(params))
    rows[name] = {
      value: String(value),
      type: typeof value === 'number' ? 'num' : typeof value === 'boolean' ? 'bool' : 'str',
    };
  const flows: FlowNode[] = [
    { id: 'tab', type: 'tab', label: 'bench' },
    // rate limit and concurrency 0: off, as for every contender
    {
      id: 'cfg',
      type: 'tbk-config',
      name: 'sandbox',
      endpoint: url,
      signMethod: 'md5',
      rateLimit: 0,
      concurrency: 0,
      timeout: 15000,
      retries: 2,
    },
    {
      id: 'search',
      z: 'tab',
      x: 300,
      y: 100,
      type: spec.type,
      name: '',
      config: 'cfg',
      version: spec.version,
      params: rows,
      allowExtra: false,
      errorMode: 'output',
      paging: 'one',
      maxPages: 10,
      wires: [['sink'], ['sink']],
    },
    { id: 'sink', z: 'tab', x: 600, y: 100, type: 'bench-sink', wires: [] },
  ];
  return flowContender(flows, { cfg: { appKey: APP_KEY, appSecret: APP_SECRET } }, 'search', (msg) =>
    checkSearchAnswer(msg.payload),
  );
}

/** The function a do-it-yourself flow signs with: TOP's md5 signature, GMT+8 timestamp, a form body. */
export const DIY_SIGN_FUNCTION = `
const params = Object.assign({}, PARAMS, {
  method: METHOD,
  app_key: env.get('TBK_APP_KEY'),
  timestamp: new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' '),
  format: 'json',
  v: '2.0',
  sign_method: 'md5',
});
const secret = env.get('TBK_APP_SECRET');
let text = secret;
for (const key of Object.keys(params).sort()) text += key + params[key];
text += secret;
params.sign = crypto.createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
msg.payload = Object.keys(params).map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(params[k])).join('&');
msg.headers = { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' };
return msg;
`;

function nodeRedDiyContender(url: string): Promise<Contender> {
  process.env.TBK_APP_KEY = APP_KEY;
  process.env.TBK_APP_SECRET = APP_SECRET;
  const func = DIY_SIGN_FUNCTION.replace('PARAMS', JSON.stringify(searchParams())).replace(
    'METHOD',
    JSON.stringify(METHOD),
  );
  const flows: FlowNode[] = [
    { id: 'tab', type: 'tab', label: 'bench' },
    {
      id: 'sign',
      z: 'tab',
      x: 200,
      y: 100,
      type: 'function',
      name: 'sign TOP request',
      func,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [{ var: 'crypto', module: 'crypto' }],
      wires: [['http']],
    },
    // keep-alive on (persist): the do-it-yourself flow at its best
    {
      id: 'http',
      z: 'tab',
      x: 400,
      y: 100,
      type: 'http request',
      name: '',
      method: 'POST',
      ret: 'obj',
      paytoqs: 'ignore',
      url,
      tls: '',
      persist: true,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      wires: [['sink']],
    },
    { id: 'catch', z: 'tab', x: 400, y: 200, type: 'catch', name: '', scope: null, uncaught: false, wires: [['sink']] },
    { id: 'sink', z: 'tab', x: 600, y: 100, type: 'bench-sink', wires: [] },
  ];
  return flowContender(
    flows,
    {},
    'sign',
    (msg) => {
      const payload = msg.payload as Record<string, unknown> | undefined;
      return msg.statusCode === 200
        ? checkSearchAnswer(payload?.[RESPONSE_KEY])
        : new Error(`HTTP ${String(msg.statusCode)}`);
    },
    { functionExternalModules: true },
  );
}

export function createContender(name: ContenderName, url: string): Promise<Contender> {
  switch (name) {
    case 'limit':
      return limitContender(url);
    case 'dispatch':
      return dispatchContender(url);
    case 'topclient':
      return topClientContender(url);
    case 'peer':
      return peerContender(url);
    case 'node-red-method':
      return nodeRedMethodContender(url);
    case 'node-red-diy':
      return nodeRedDiyContender(url);
  }
}
