/**
 * `npm start`: the local TOP sandbox gateway, a Node-RED with this package installed in a local user
 * directory (.userdir/), and a demo flow deployed on the first start. Ctrl-C stops both.
 *
 * Environment: PORT (editor, default 1880 or a free port), SANDBOX_PORT (default 8787 or a free port;
 * 0 = any free port), TBK_ENDPOINT + TBK_APP_KEY + TBK_APP_SECRET (use that gateway, no sandbox),
 * TBK_ADZONE_ID (adzone of the demo search), TBK_USER_DIR (another Node-RED user directory).
 * Node-RED gets TBK_ENDPOINT, TBK_APP_KEY and TBK_APP_SECRET (the sandbox's unless given): the config
 * node of the demo and of every example reads them, so imported examples run whatever the ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../lib/sandbox/index';
import { specForMethod } from '../lib/method-specs/index';
import { EXAMPLE_CONFIG_ID, EXAMPLE_ENV, exampleConfigNode } from './flow-builder';
import { packageRoot } from '../lib/package-root';

const REPO_ROOT = packageRoot();
const PACKAGE_NAME = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string }).name;
const HOST = '127.0.0.1';
const DEFAULT_EDITOR_PORT = 1880;
const DEFAULT_SANDBOX_PORT = 8787;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** Ids of the demo flow: fixed, so later starts can recognise it. */
export const DEMO_IDS = {
  tab: 'tbk-demo-tab',
  config: EXAMPLE_CONFIG_ID,
  comment: 'tbk-demo-comment',
  searchInject: 'tbk-demo-search-inject',
  searchApi: 'tbk-demo-search-api',
  searchResult: 'tbk-demo-search-result',
  searchError: 'tbk-demo-search-error',
  tpwdInject: 'tbk-demo-tpwd-inject',
  tpwdNode: 'tbk-demo-tpwd-create',
  tpwdResult: 'tbk-demo-tpwd-result',
  tpwdError: 'tbk-demo-tpwd-error',
} as const;

class StartError extends Error {}

interface Gateway {
  url: string;
  appKey: string;
  appSecret: string;
  /** the sandbox, when we run one */
  sandbox?: Sandbox;
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

// ---------------------------------------------------------------------------------------------
// ports

/** PORT-style variable: undefined when unset or blank, else 0..65535. */
function portFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StartError(`${name} must be a port number 0..65535, not "${raw}"`);
  return port;
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(bound));
    });
  });
}

/**
 * The preferred port if it is free, else (unless it was asked for explicitly) any free port.
 * Node-RED binds it a moment later: a race is possible, but only on a busy machine.
 */
async function choosePort(preferred: number, explicit: boolean, envName: string): Promise<number> {
  try {
    return await listenOnce(preferred);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (explicit) throw new StartError(`${envName}=${preferred}: port ${preferred} on ${HOST} is in use`);
    return listenOnce(0);
  }
}

// ---------------------------------------------------------------------------------------------
// user directory

function userDirectory(): string {
  const fromEnv = process.env.TBK_USER_DIR?.trim();
  return fromEnv ? resolve(fromEnv) : join(REPO_ROOT, '.userdir');
}

/**
 * Installs this package into the user directory the way npm does for a `file:` dependency: a symlink
 * in node_modules, and the dependency in package.json so the Palette Manager lists it as installed.
 */
function installPackageLink(userDir: string): void {
  installModuleLink(userDir, PACKAGE_NAME, REPO_ROOT);
}

/** Installs the package `name` found at `target` into the user directory as a `file:` dependency (see installPackageLink). */
function installModuleLink(userDir: string, name: string, target: string): void {
  const linkPath = join(userDir, 'node_modules', ...name.split('/'));
  mkdirSync(dirname(linkPath), { recursive: true });
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(linkPath);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isSymbolicLink()) {
    console.warn(
      `Note: ${linkPath} is a real directory (installed from npm?): Node-RED loads that copy, not this checkout.`,
    );
  } else {
    let current: string | undefined;
    try {
      current = stat ? realpathSync(linkPath) : undefined;
    } catch {
      current = undefined; // dangling link
    }
    if (current !== realpathSync(target)) {
      if (stat) rmSync(linkPath, { force: true });
      if (process.platform === 'win32') symlinkSync(target, linkPath, 'junction');
      else symlinkSync(relative(dirname(linkPath), target), linkPath, 'dir');
    }
  }

  const packageFile = join(userDir, 'package.json');
  let userPackage: { dependencies?: Record<string, string>; [key: string]: unknown } = {
    name: 'node-red-project',
    description: 'Node-RED user directory of `npm start` (@tbkflow/node-red-taobaoke)',
    version: '0.0.1',
    private: true,
  };
  if (existsSync(packageFile)) userPackage = JSON.parse(readFileSync(packageFile, 'utf8')) as typeof userPackage;
  const dependencies = userPackage.dependencies ?? {};
  const wanted = `file:${relative(userDir, target).split('\\').join('/') || '.'}`;
  if (dependencies[name] !== wanted) {
    userPackage.dependencies = { ...dependencies, [name]: wanted };
    writeFileSync(packageFile, JSON.stringify(userPackage, null, 2) + '\n');
  }
}

function settingsText(credentialSecret: string): string {
  return `// Node-RED settings for \`npm start\` of ${PACKAGE_NAME}.
// Written once by scripts/start.ts and never overwritten: edit freely.
// npm start passes --port; uiPort below is used when Node-RED is started without it.
// Full reference: node_modules/node-red/settings.js, https://nodered.org/docs/user-guide/runtime/configuration
module.exports = {
    flowFile: 'flows.json',
    flowFilePretty: true,
    // Encrypts flows_cred.json. Keep it: without it the stored credentials cannot be read.
    credentialSecret: ${JSON.stringify(credentialSecret)},
    uiHost: '127.0.0.1',
    uiPort: ${DEFAULT_EDITOR_PORT},
    // No login: the editor listens on 127.0.0.1 only. To add one, see
    // https://nodered.org/docs/user-guide/runtime/securing-node-red
    // adminAuth: { type: 'credentials', users: [{ username: 'admin', password: '<bcrypt hash>', permissions: '*' }] },
    // The runtime's language (the nodes' errors and status texts): Node-RED takes only the first two
    // letters of LANG ("zh"), for which it has no texts; zh-CN on a Chinese system, else its default.
    lang: /^zh/i.test(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '') ? 'zh-CN' : undefined,
    telemetry: { enabled: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
}

/** Creates the user directory and its settings file (once). Returns the settings file. */
function prepareUserDir(userDir: string): string {
  mkdirSync(userDir, { recursive: true });
  installPackageLink(userDir);
  installDashboard(userDir);
  const settingsFile = join(userDir, 'settings.js');
  if (!existsSync(settingsFile)) {
    writeFileSync(settingsFile, settingsText(randomBytes(32).toString('hex')), { mode: 0o600 });
  }
  return settingsFile;
}

/**
 * The sandbox port the flows of an earlier start point at: user directories made before the config
 * node read TBK_ENDPOINT have the sandbox URL written in; the same port keeps them working.
 */
function sandboxPortOfExistingDemo(flowFile: string): number | undefined {
  try {
    const flows = JSON.parse(readFileSync(flowFile, 'utf8')) as FlowNode[];
    for (const node of flows) {
      const match =
        node.type === 'tbk-config' && typeof node.endpoint === 'string'
          ? /^http:\/\/127\.0\.0\.1:(\d+)\/router\/rest$/.exec(node.endpoint)
          : null;
      if (match) return Number(match[1]);
    }
  } catch {
    // no flows yet
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// gateway

async function startGateway(flowFile: string): Promise<Gateway> {
  const endpoint = process.env.TBK_ENDPOINT?.trim();
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new StartError(`TBK_ENDPOINT is not a URL: "${endpoint}"`);
    }
    return {
      url: endpoint,
      appKey: process.env.TBK_APP_KEY?.trim() ?? '',
      appSecret: process.env.TBK_APP_SECRET?.trim() ?? '',
    };
  }
  const explicit = portFromEnv('SANDBOX_PORT');
  const preferred = explicit ?? sandboxPortOfExistingDemo(flowFile) ?? DEFAULT_SANDBOX_PORT;
  const options = {
    apps: [{ ...DEFAULT_APP }],
    liveOrders: true,
    log: (line: string) => console.log(`[sandbox] ${line}`),
  };
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ ...options, port: preferred });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (explicit !== undefined) throw new StartError(`SANDBOX_PORT=${explicit}: port ${explicit} on ${HOST} is in use`);
    sandbox = await startSandbox({ ...options, port: 0 });
  }
  return { url: sandbox.url, appKey: DEFAULT_APP.appKey, appSecret: DEFAULT_APP.appSecret, sandbox };
}

// ---------------------------------------------------------------------------------------------
// Node-RED

function startNodeRed(userDir: string, settingsFile: string, port: number, env: NodeJS.ProcessEnv): ChildProcess {
  const redJs = join(dirname(require.resolve('node-red/package.json', { paths: [REPO_ROOT] })), 'red.js');
  return spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
    // files the flows write with relative paths (the examples' order logs) land in the user directory
    cwd: userDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Waits until the admin API answers; rejects when Node-RED exits first or takes too long. */
async function waitUntilReady(editorUrl: string, child: ChildProcess): Promise<{ adminAuth: boolean }> {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new StartError('Node-RED exited during start-up (see its log above)');
    try {
      const response = await fetch(new URL('auth/login', editorUrl), { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        const login = (await response.json()) as { type?: string };
        return { adminAuth: typeof login.type === 'string' };
      }
    } catch {
      // not listening yet
    }
    await delay(250);
  }
  throw new StartError(`Node-RED did not answer on ${editorUrl} within ${READY_TIMEOUT_MS / 1000} s`);
}

interface NodeSetInfo {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  loaded?: boolean;
  err?: string;
}

async function loadedTypes(editorUrl: string): Promise<{ types: Set<string>; problems: string[] }> {
  const response = await fetch(new URL('nodes', editorUrl), { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new StartError(`GET /nodes answered ${response.status}`);
  const sets = ((await response.json()) as NodeSetInfo[]).filter((set) => set.module === PACKAGE_NAME);
  const types = new Set<string>();
  const problems: string[] = [];
  for (const set of sets) {
    if (set.enabled && set.loaded !== false && !set.err) set.types.forEach((t) => types.add(t));
    else if (set.err) problems.push(`${set.id}: ${set.err}`);
  }
  if (sets.length === 0) problems.push(`${PACKAGE_NAME} is not installed in the user directory`);
  return { types, problems };
}

const COMMENT_INFO = `## 淘宝客 Node-RED 演示 / 淘宝客 Node-RED demo

**中文**：点击 inject 节点左侧的按钮发起一次调用，结果显示在右侧“调试”侧栏中。
配置节点（tbk-config）与示例流程共用：网关地址和凭据读取环境变量 TBK_ENDPOINT、TBK_APP_KEY、TBK_APP_SECRET，\`npm start\` 为 Node-RED 设置好它们（本地沙箱网关和沙箱凭据，端口是哪个都可以）。流程中和 flows_cred.json 中都没有凭据本身。
沙箱会校验签名、时间戳和必填参数，并返回文档中的示例数据。
要连接真实网关：以 TBK_ENDPOINT=https://eco.taobao.com/router/rest 和自己的 TBK_APP_KEY / TBK_APP_SECRET 运行 \`npm start\`，或在配置节点中直接填写。
第二个输出是错误输出（msg.error）。

**English**: click the button on the left of an inject node to make a call; the result shows in the Debug sidebar.
The config node (tbk-config) is the one the examples use: it reads the gateway and the credentials from the environment variables TBK_ENDPOINT, TBK_APP_KEY and TBK_APP_SECRET, which \`npm start\` sets for Node-RED (the local sandbox gateway and its test app, on whatever port). Neither the flow nor flows_cred.json holds the credentials themselves.
The sandbox checks the signature, the timestamp and the required parameters, and answers the documented example data.
To call the real gateway: run \`npm start\` with TBK_ENDPOINT=https://eco.taobao.com/router/rest and your own TBK_APP_KEY / TBK_APP_SECRET, or type them into the config node.
The second output is the error output (msg.error).`;

/** The demo flow; the tpwd part only when the method nodes are installed. */
export function demoFlow(adzoneId: string, withTpwd: boolean): FlowNode[] {
  const z = DEMO_IDS.tab;
  const flow: FlowNode[] = [
    { id: z, type: 'tab', label: '淘宝客 Demo', disabled: false, info: '' },
    // the config node of the examples: importing them later adds no second one
    exampleConfigNode(),
    {
      id: DEMO_IDS.comment,
      type: 'comment',
      z,
      name: '淘宝客 演示 / demo：点击 inject 按钮 / click an inject button',
      info: COMMENT_INFO,
      x: 330,
      y: 40,
      wires: [],
    },
    {
      id: DEMO_IDS.searchInject,
      type: 'inject',
      z,
      name: '搜索 女装 / search',
      props: [{ p: 'payload' }],
      repeat: '',
      crontab: '',
      once: false,
      onceDelay: 0.1,
      topic: '',
      payload: JSON.stringify({ q: '女装', adzone_id: adzoneId, page_size: 5 }),
      payloadType: 'json',
      x: 150,
      y: 120,
      wires: [[DEMO_IDS.searchApi]],
    },
    {
      id: DEMO_IDS.searchApi,
      type: 'tbk-api',
      z,
      name: '物料搜索 material search',
      config: DEMO_IDS.config,
      method: 'taobao.tbk.dg.material.optional.upgrade',
      writes: false,
      errorMode: 'output',
      outputs: 2,
      x: 390,
      y: 120,
      wires: [[DEMO_IDS.searchResult], [DEMO_IDS.searchError]],
    },
    debugNode(DEMO_IDS.searchResult, '结果 result', 'true', 640, 100),
    debugNode(DEMO_IDS.searchError, '错误 error', 'error', 640, 140),
  ];
  if (withTpwd) {
    const spec = specForMethod('taobao.tbk.tpwd.create');
    flow.push(
      {
        id: DEMO_IDS.tpwdInject,
        type: 'inject',
        z,
        name: '生成淘口令 / create',
        props: [{ p: 'payload' }],
        repeat: '',
        crontab: '',
        once: false,
        onceDelay: 0.1,
        topic: '',
        payload: '{}',
        payloadType: 'json',
        x: 150,
        y: 220,
        wires: [[DEMO_IDS.tpwdNode]],
      },
      {
        id: DEMO_IDS.tpwdNode,
        type: 'tbk-tpwd-create',
        z,
        name: '',
        config: DEMO_IDS.config,
        version: spec?.version ?? 1,
        params: { url: { value: 'https://s.click.taobao.com/YI3Uopu', type: 'str' } },
        allowExtra: false,
        errorMode: 'output',
        outputs: 2,
        x: 390,
        y: 220,
        wires: [[DEMO_IDS.tpwdResult], [DEMO_IDS.tpwdError]],
      },
      debugNode(DEMO_IDS.tpwdResult, '淘口令 result', 'true', 640, 200),
      debugNode(DEMO_IDS.tpwdError, '错误 error', 'error', 640, 240),
    );
  }
  return flow;
}

function debugNode(id: string, name: string, complete: string, x: number, y: number): FlowNode {
  return {
    id,
    type: 'debug',
    z: DEMO_IDS.tab,
    name,
    active: true,
    tosidebar: true,
    console: false,
    tostatus: false,
    complete,
    targetType: complete === 'true' ? 'full' : 'msg',
    statusVal: '',
    statusType: 'auto',
    x,
    y,
    wires: [],
  };
}

async function deployFlows(editorUrl: string, flows: FlowNode[]): Promise<void> {
  const response = await fetch(new URL('flows', editorUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify({ flows }),
  });
  if (!response.ok) throw new StartError(`deploying the demo flow failed: POST /flows answered ${response.status}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const userDir = userDirectory();
  const flowFile = join(userDir, 'flows.json');
  const firstStart = !existsSync(flowFile);
  if (
    process.env.TBK_ENDPOINT?.trim() &&
    firstStart &&
    !(process.env.TBK_APP_KEY?.trim() && process.env.TBK_APP_SECRET?.trim())
  ) {
    throw new StartError(
      'TBK_ENDPOINT is set: set TBK_APP_KEY and TBK_APP_SECRET too (the config node of the demo and the examples reads them)',
    );
  }
  const settingsFile = prepareUserDir(userDir);
  const explicitPort = portFromEnv('PORT');
  const editorPort = await choosePort(
    explicitPort ?? DEFAULT_EDITOR_PORT,
    explicitPort !== undefined && explicitPort !== 0,
    'PORT',
  );
  const gateway = await startGateway(flowFile);
  const editorUrl = `http://${HOST}:${editorPort}/`;

  // the config node of the demo and of every example reads the gateway and the credentials from these
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [EXAMPLE_ENV.endpoint]: gateway.url,
    [EXAMPLE_ENV.appKey]: process.env[EXAMPLE_ENV.appKey] || gateway.appKey,
    [EXAMPLE_ENV.appSecret]: process.env[EXAMPLE_ENV.appSecret] || gateway.appSecret,
  };
  const child = startNodeRed(userDir, settingsFile, editorPort, env);
  let stopping = false;
  const stop = async (exitCode: number): Promise<never> => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGINT'); // red.js stops the flows, then exits
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await gateway.sandbox?.close();
    process.exit(exitCode);
  };
  const onSignal = (): void => {
    if (!stopping) {
      console.log('\nStopping Node-RED and the sandbox… / 正在停止…');
      void stop(0);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`Node-RED exited (${signal ?? `code ${code}`}); stopping the sandbox.`);
    void stop(code && code > 0 ? code : 1);
  });

  try {
    const { adminAuth } = await waitUntilReady(editorUrl, child);
    const { types, problems } = await loadedTypes(editorUrl).catch((err: unknown) => ({
      types: new Set<string>(),
      problems: [(err as Error).message],
    }));
    for (const problem of problems) console.warn(`Warning: ${problem}`);

    let demoNote = 'Your flows are kept as they are. / 保留现有流程。';
    if (firstStart && adminAuth) {
      demoNote = 'adminAuth is set in settings.js: the demo flow was not deployed. / 已启用登录，未部署演示流程。';
    } else if (firstStart) {
      await deployFlows(
        editorUrl,
        demoFlow(process.env.TBK_ADZONE_ID?.trim() || '12345678', types.has('tbk-tpwd-create')),
      );
      demoNote = 'Demo flow deployed (tab "淘宝客 Demo"). / 已部署演示流程。';
    }

    console.log('');
    console.log('淘宝客 Node-RED is running / 已启动');
    console.log(`  Node-RED editor 编辑器: ${editorUrl}`);
    if (gateway.sandbox) {
      console.log(`  TOP sandbox 沙箱网关:   ${gateway.url}`);
      console.log(`    App Key:    ${gateway.appKey}`);
      console.log(`    App Secret: ${gateway.appSecret}   (test credentials of the local sandbox / 本地沙箱测试凭据)`);
      console.log(`    Control:    ${gateway.sandbox.origin}/__sandbox/stats`);
    } else {
      console.log(`  TOP gateway 网关:       ${gateway.url} (TBK_ENDPOINT; no sandbox)`);
    }
    console.log(`  User directory 用户目录: ${userDir}`);
    if (dashboardInstalled(userDir)) console.log(`  Dashboard 看板 (example 12): ${editorUrl}dashboard/commission`);
    console.log(`  ${demoNote}`);
    if (!adminAuth)
      console.log(
        '  Note: the editor has no login (127.0.0.1 only); set adminAuth in settings.js to add one. / 编辑器未设登录。',
      );
    console.log('  Press Ctrl-C to stop. / 按 Ctrl-C 停止。');
  } catch (err) {
    console.error(err instanceof StartError ? err.message : err);
    if (!stopping) await stop(1);
  }
}

// ---------------------------------------------------------------------------------------------
// The dashboard of example 12

export const DASHBOARD_PACKAGE = '@flowfuse/node-red-dashboard';

/**
 * The commission dashboard example needs @flowfuse/node-red-dashboard, a devDependency: it is linked
 * from the repository's node_modules into the user directory (offline; Node-RED loads nodes from
 * <userDir>/node_modules and the package's own dependencies resolve from the repository). Without it
 * (a production install) nothing happens and the Palette Manager can install it.
 */
function installDashboard(userDir: string): void {
  let target: string;
  try {
    target = dirname(require.resolve(`${DASHBOARD_PACKAGE}/package.json`, { paths: [REPO_ROOT] }));
  } catch {
    return;
  }
  installModuleLink(userDir, DASHBOARD_PACKAGE, target);
}

function dashboardInstalled(userDir: string): boolean {
  return existsSync(join(userDir, 'node_modules', ...DASHBOARD_PACKAGE.split('/'), 'package.json'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof StartError ? err.message : err);
    process.exit(1);
  });
}
