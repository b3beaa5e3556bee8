/**
 * Smoke test of `npm start` (dist/scripts/start.js) as a child process: Node-RED and the sandbox on
 * free loopback ports, a throw-away user directory, the demo flow, a call through it, and shutdown.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP } from '../../lib/sandbox/index';
import { EXAMPLE_CONFIG_ID, exampleConfigNode } from '../../scripts/flow-builder';
import { REPO_ROOT } from '../support/paths';

const START_SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'start.js');
const START_TIMEOUT_MS = 60_000;
const SEARCH_METHOD = 'taobao.tbk.dg.material.optional.upgrade';
const TPWD_METHOD = 'taobao.tbk.tpwd.create';
const PACKAGE_NAME = '@tbkflow/node-red-taobaoke';

interface Running {
  child: ChildProcess;
  output: () => string;
  editorUrl: string;
  sandboxOrigin: string;
  sandboxUrl: string;
}

function startEnv(userDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SANDBOX_PORT: '0', TBK_USER_DIR: userDir };
  for (const name of ['TBK_ENDPOINT', 'TBK_APP_KEY', 'TBK_APP_SECRET', 'TBK_ADZONE_ID']) delete env[name];
  return env;
}

/** Starts the script and resolves once it has printed its summary (the last line is the Ctrl-C hint). */
function start(userDir: string): Promise<Running> {
  // its own process group, so cleanup can reach Node-RED even if the start script died
  const child = spawn(process.execPath, [START_SCRIPT], {
    cwd: REPO_ROOT,
    env: startEnv(userDir),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`no summary within ${START_TIMEOUT_MS / 1000} s:\n${text}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (!text.includes('Press Ctrl-C')) return;
      const editor = /editor[^\n]*?(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      const sandbox = /sandbox[^\n]*?(http:\/\/127\.0\.0\.1:\d+)(\/router\/rest)/.exec(text);
      if (!editor || !sandbox) return finish(new Error(`summary without the URLs:\n${text}`));
      finish(undefined, {
        child,
        output: () => text,
        editorUrl: editor[1]!,
        sandboxOrigin: sandbox[1]!,
        sandboxUrl: sandbox[1]! + sandbox[2]!,
      });
    };
    const onExit = (code: number | null): void =>
      finish(new Error(`start script exited (${code}) before it was ready:\n${text}`));
    const finish = (err?: Error, running?: Running): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      // keep draining the pipes so the child never blocks on a full pipe
      child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      if (err) {
        killGroup(child);
        reject(err);
      } else resolve(running!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('exit', onExit);
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGTERM, as a service manager would; resolves with the exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error('start script did not exit within 30 s of SIGTERM'));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers: { Accept: 'application/json', ...headers } });
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** POST /inject/<id>; a deploy answers before its flows have started, so a 404 is retried for a while. */
async function fireInject(editorUrl: string, id: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status } = await fetch(`${editorUrl}inject/${id}`, { method: 'POST' });
    if (status !== 404 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

describe('npm start (scripts/start.ts)', function () {
  this.timeout(90_000);
  let userDir: string;
  let running: Running | undefined;

  before(async function () {
    userDir = mkdtempSync(join(tmpdir(), 'tbk-start-'));
    running = await start(userDir);
  });

  after(async function () {
    if (running) {
      killGroup(running.child);
      running = undefined;
    }
    rmSync(userDir, { recursive: true, force: true });
  });

  it('serves the Node-RED editor on the printed URL', async function () {
    const response = await fetch(running!.editorUrl);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /Node-RED/);
  });

  it('loads this package from the user directory (a link to the checkout, listed in package.json)', async function () {
    const link = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    assert.equal(realpathSync(link), realpathSync(REPO_ROOT));
    const userPackage = JSON.parse(readFileSync(join(userDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.match(userPackage.dependencies[PACKAGE_NAME]!, /^file:/);

    const sets = await getJson<Array<{ module: string; types: string[]; enabled: boolean; err?: string }>>(
      running!.editorUrl + 'nodes',
    );
    const ours = sets.filter((s) => s.module === PACKAGE_NAME);
    const types = ours.flatMap((s) => s.types);
    assert.ok(types.includes('tbk-config') && types.includes('tbk-api'), `types loaded: ${types.join(', ')}`);
    for (const set of ours) assert.equal(set.err, undefined, `node set error: ${set.err}`);
  });

  it('writes settings with a credential secret, no telemetry and no tours', function () {
    const settings = readFileSync(join(userDir, 'settings.js'), 'utf8');
    assert.match(settings, /credentialSecret: "[0-9a-f]{64}"/);
    assert.match(settings, /telemetry: \{ enabled: false \}/);
    assert.match(settings, /tours: false/);
    assert.match(settings, /uiHost: '127\.0\.0\.1'/);
  });

  it("deploys the demo flow with the examples' config node (gateway and credentials from the environment npm start sets), no secret in the flows", async function () {
    const response = await fetch(running!.editorUrl + 'flows');
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.ok(!body.includes(DEFAULT_APP.appSecret), 'GET /flows must not contain the App Secret');
    const flows = JSON.parse(body) as FlowNode[];
    const config = flows.find((n) => n.type === 'tbk-config');
    assert.ok(config, 'a tbk-config node');
    const { credentials: _credentials, ...shared } = exampleConfigNode();
    assert.deepEqual(config, shared, 'the config node of the examples, so that importing them adds no second one');
    assert.equal(config.id, EXAMPLE_CONFIG_ID);
    const api = flows.find((n) => n.type === 'tbk-api');
    assert.ok(api, 'a tbk-api node');
    assert.equal(api.config, config.id);
    assert.equal(api.method, SEARCH_METHOD);
    assert.ok(
      flows.some((n) => n.type === 'inject' && (n.wires as string[][])[0]!.includes(api.id)),
      'an inject wired to tbk-api',
    );
    assert.ok(
      flows.some((n) => n.type === 'comment'),
      'a comment',
    );

    assert.ok(!readFileSync(join(userDir, 'flows.json'), 'utf8').includes(DEFAULT_APP.appSecret));
    const credentials = readFileSync(join(userDir, 'flows_cred.json'), 'utf8');
    assert.match(credentials, /"\$"/, 'flows_cred.json is encrypted');
    assert.ok(!credentials.includes(DEFAULT_APP.appSecret) && !credentials.includes(DEFAULT_APP.appKey));
  });

  it('makes signed calls to the sandbox when the demo injects fire (tbk-api, then the tbk-tpwd-create method node)', async function () {
    const flows = await getJson<FlowNode[]>(running!.editorUrl + 'flows');
    const injectInto = (target: FlowNode): FlowNode => {
      const inject = flows.find((n) => n.type === 'inject' && (n.wires as string[][])[0]!.includes(target.id));
      assert.ok(inject, `an inject wired to ${target.type}`);
      return inject;
    };
    const api = flows.find((n) => n.type === 'tbk-api')!;
    const tpwd = flows.find((n) => n.type === 'tbk-tpwd-create');
    assert.ok(tpwd, 'the demo has a tbk-tpwd-create node (the method nodes are installed)');
    assert.equal(tpwd.config, api.config);
    assert.equal(await fireInject(running!.editorUrl, injectInto(api).id), 200);
    assert.equal(await fireInject(running!.editorUrl, injectInto(tpwd).id), 200);

    const deadline = Date.now() + 20_000;
    let stats = await getJson<{ callsByMethod: Record<string, number>; errorsByCode: Record<string, number> }>(
      running!.sandboxOrigin + '/__sandbox/stats',
    );
    while (!(stats.callsByMethod[SEARCH_METHOD] && stats.callsByMethod[TPWD_METHOD]) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      stats = await getJson(running!.sandboxOrigin + '/__sandbox/stats');
    }
    assert.deepEqual(
      stats.callsByMethod,
      { [SEARCH_METHOD]: 1, [TPWD_METHOD]: 1 },
      `sandbox stats: ${JSON.stringify(stats)}`,
    );
    assert.deepEqual(stats.errorsByCode, {}, 'the sandbox accepted the signatures, timestamps and parameters');
    const requests = await getJson<Array<{ method?: string; appKey?: string; params: Record<string, string> }>>(
      running!.sandboxOrigin + '/__sandbox/requests',
    );
    const search = requests.find((r) => r.method === SEARCH_METHOD)!;
    assert.equal(search.appKey, DEFAULT_APP.appKey);
    assert.match(search.params.sign ?? '', /^[0-9A-F]{32}$/);
    assert.equal(search.params.q, '女装');
    assert.equal(requests.find((r) => r.method === TPWD_METHOD)!.params.url, 'https://s.click.taobao.com/YI3Uopu');
  });

  it('lists examples/ under Import > Examples; each, deployed as imported, reaches the sandbox on its free port, signed correctly', async function () {
    const files = readdirSync(join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'examples/*.json');
    const library = running!.editorUrl + 'library/examples/flows/';
    assert.ok((await getJson<string[]>(library)).includes(PACKAGE_NAME), 'the package has examples');
    const entries = await getJson<Array<string | { fn: string }>>(library + PACKAGE_NAME);
    const listed = entries.flatMap((e) => (typeof e === 'string' ? [] : [e.fn]));
    assert.deepEqual([...listed].sort(), files.map((f) => f.replace(/\.json$/, '')).sort());

    // test/nodes/examples.test.ts checks what each example produces; here: they run as imported in npm start
    for (const name of listed) {
      const flow = await getJson<FlowNode[]>(`${library}${PACKAGE_NAME}/${encodeURIComponent(name)}`);
      // deployed exactly as imported: the sandbox of this test runs on a port of the kernel's choosing
      assert.deepEqual(
        flow.filter((n) => n.type === 'tbk-config'),
        [exampleConfigNode()],
        `${name}: the shared config node`,
      );
      const tab = { id: 'example-tab', type: 'tab', label: name };
      const nodes = flow.map((n) => (n.type === 'tbk-config' || n.z === undefined ? n : { ...n, z: tab.id }));
      const deployed = await fetch(running!.editorUrl + 'flows', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Node-RED-API-Version': 'v2',
          'Node-RED-Deployment-Type': 'full',
        },
        body: JSON.stringify({ flows: [tab, ...nodes] }),
      });
      assert.equal(deployed.status, 200, `${name}: deploy`);

      assert.equal((await fetch(running!.sandboxOrigin + '/__sandbox/reset', { method: 'POST' })).status, 200);
      const injects = flow.filter((n) => n.type === 'inject');
      for (const inject of injects)
        assert.equal(await fireInject(running!.editorUrl, inject.id), 200, `${name}: inject ${inject.id}`);
      const deadline = Date.now() + 20_000;
      let stats = await getJson<{ totalCalls: number; errorsByCode: Record<string, number> }>(
        running!.sandboxOrigin + '/__sandbox/stats',
      );
      while (stats.totalCalls < 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        stats = await getJson(running!.sandboxOrigin + '/__sandbox/stats');
      }
      assert.ok(stats.totalCalls >= 1, `${name}: no call reached the sandbox: ${JSON.stringify(stats)}`);
      // the gateway and the credentials came from TBK_ENDPOINT / TBK_APP_KEY / TBK_APP_SECRET, which npm start sets
      for (const code of ['24', '25', '26', '28', '29', '30', '31'])
        assert.equal(stats.errorsByCode[code], undefined, `${name}: protocol error ${code}: ${JSON.stringify(stats)}`);
    }
  });

  // BEGIN issue 14
  it('installs @flowfuse/node-red-dashboard in the user directory: Node-RED loads its nodes (ui-chart, ui-table)', async function () {
    const link = join(userDir, 'node_modules', '@flowfuse', 'node-red-dashboard');
    assert.equal(realpathSync(link), realpathSync(join(REPO_ROOT, 'node_modules', '@flowfuse', 'node-red-dashboard')));
    const userPackage = JSON.parse(readFileSync(join(userDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.match(userPackage.dependencies['@flowfuse/node-red-dashboard']!, /^file:/);
    const sets = await getJson<Array<{ module: string; types: string[]; enabled: boolean; err?: string }>>(
      running!.editorUrl + 'nodes',
    );
    const dashboard = sets.filter((set) => set.module === '@flowfuse/node-red-dashboard');
    assert.ok(dashboard.length > 0, 'the dashboard module is loaded');
    for (const set of dashboard) assert.equal(set.err, undefined, `${set.types.join(',')}: ${set.err}`);
    assert.ok(
      dashboard.some((set) => set.types.includes('ui-chart')) &&
        dashboard.some((set) => set.types.includes('ui-table')),
    );
    assert.match(running!.output(), /Dashboard[^\n]*\/dashboard\/commission/);
  });
  // END issue 14

  it('stops Node-RED and the sandbox on SIGTERM', async function () {
    const { child, editorUrl, sandboxOrigin } = running!;
    const code = await stop(child);
    running = undefined;
    assert.equal(code, 0);
    assert.equal(await answers(editorUrl), false, 'the editor port is closed');
    assert.equal(await answers(sandboxOrigin + '/__sandbox/stats'), false, 'the sandbox port is closed');
  });

  it('keeps the user flows on a later start', async function () {
    const flowFile = join(userDir, 'flows.json');
    assert.ok(existsSync(flowFile));
    const before = readFileSync(flowFile, 'utf8');
    running = await start(userDir);
    assert.match(running.output(), /flows are kept/);
    const flows = await getJson<FlowNode[]>(running.editorUrl + 'flows');
    assert.deepEqual(flows, JSON.parse(before));
    assert.equal(await stop(running.child), 0);
    running = undefined;
  });
});
