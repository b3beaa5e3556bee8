/**
 * End-to-end support: a Node-RED child process with this package installed in a throw-away user
 * directory, and a headless Chromium (the system one: no browser is ever downloaded) driven by
 * playwright-core, with every page error and console error collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/paths';
import { INSTALL_HINTS, toolPath } from '../support/tools';

export const PACKAGE_NAME = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string })
  .name;
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

const NODE_RED_READY_MS = 90_000;
const NODE_RED_STOP_MS = 10_000;

/** The system Chromium (TBK_CHROMIUM, else `chromium` on the PATH): no browser is ever downloaded. */
export function chromiumPath(): string {
  const path = toolPath('chromium');
  if (!path) throw new Error(`Chromium not found: ${INSTALL_HINTS.chromium}, or set TBK_CHROMIUM`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Node-RED

export interface NodeRed {
  /** editor and admin API root, ending in "/" */
  url: string;
  userDir: string;
  flowFile: string;
  credentialsFile: string;
  /** everything Node-RED printed so far */
  log(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// mocha --exit ends the process without running after hooks of a suite that timed out: never leave a Node-RED behind
process.once('exit', () => {
  for (const child of running) killQuietly(child, 'SIGKILL');
});

function killQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  } catch {
    // already gone
  }
}

function settingsText(extra: Record<string, unknown>): string {
  return `module.exports = ${JSON.stringify(
    {
      flowFile: 'flows.json',
      flowFilePretty: true,
      credentialSecret: 'e2e-credential-secret-8c1f2a77d4',
      uiHost: '127.0.0.1',
      uiPort: 0,
      telemetry: { enabled: false },
      editorTheme: { tours: false, palette: { catalogues: [] } },
      externalModules: { palette: { allowInstall: false } },
      logging: { console: { level: 'info', metrics: false, audit: false } },
      ...extra,
    },
    null,
    2,
  )};\n`;
}

/**
 * A throw-away user directory where the package is installed as npm installs a `file:` dependency
 * (node_modules/@tbkflow/node-red-taobaoke -> the repository), so Node-RED loads it under its scoped
 * name: resources/@tbkflow/..., icons/@tbkflow/... and the examples library all resolve as for a user.
 */
function prepareUserDir(settings: Record<string, unknown>, modules: readonly string[]): string {
  const userDir = mkdtempSync(join(tmpdir(), 'tbk-e2e-'));
  const installed: Record<string, string> = { [PACKAGE_NAME]: REPO_ROOT };
  // other node packages (e.g. @flowfuse/node-red-dashboard) from the repository's node_modules, the same way
  for (const name of modules)
    installed[name] = dirname(require.resolve(`${name}/package.json`, { paths: [REPO_ROOT] }));
  const dependencies: Record<string, string> = {};
  for (const [name, target] of Object.entries(installed)) {
    const link = join(userDir, 'node_modules', ...name.split('/'));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
    dependencies[name] = `file:${target}`;
  }
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'tbk-e2e', version: '0.0.0', private: true, dependencies }, null, 2),
  );
  writeFileSync(join(userDir, 'settings.js'), settingsText(settings));
  return userDir;
}

/**
 * Starts Node-RED on a free loopback port (`settings` added to the test's settings.js, `modules`: more
 * node packages to install); resolves once the editor answers.
 */
export async function startNodeRed(
  env: Record<string, string>,
  settings: Record<string, unknown> = {},
  modules: readonly string[] = [],
): Promise<NodeRed> {
  const userDir = prepareUserDir(settings, modules);
  const redJs = join(dirname(require.resolve('node-red/package.json', { paths: [REPO_ROOT] })), 'red.js');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_RED_ENABLE_PROJECTS;
  const child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
    cwd: userDir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killQuietly(child, 'SIGTERM');
      const timer = setTimeout(() => killQuietly(child, 'SIGKILL'), NODE_RED_STOP_MS);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(userDir, { recursive: true, force: true });
  };

  try {
    // uiPort 0: Node-RED reports the port it got in its "Server now running at ..." line
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`Node-RED did not start within ${NODE_RED_READY_MS / 1000} s:\n${output}`)),
        NODE_RED_READY_MS,
      );
      const poll = setInterval(() => {
        const match = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
        if (match && match[1] && !match[1].endsWith(':0')) done(undefined, `${match[1]}/`);
      }, 100);
      const onExit = (code: number | null): void =>
        done(new Error(`Node-RED exited (${code}) during start-up:\n${output}`));
      const done = (err?: Error, value?: string): void => {
        clearTimeout(timer);
        clearInterval(poll);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      };
      child.once('exit', onExit);
    });
    const response = await fetch(new URL('settings', url), { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET /settings answered ${response.status}`);
    return {
      url,
      userDir,
      flowFile: join(userDir, 'flows.json'),
      credentialsFile: join(userDir, 'flows_cred.json'),
      log: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Chromium

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
  // the editor talks to 127.0.0.1 only: any other host fails to resolve instead of reaching the network
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Chromium with a fresh profile (playwright creates a temporary user-data dir and removes it on close). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Node-RED core problems that this package only exposes, ignored (and listed) instead of failing:
 * the help sidebar lists a module's node types in a treeList that adds more than 30 children in
 * timed chunks; when the node sets register slowly (a busy machine) the list is rebuilt while a chunk
 * is pending and the stale chunk throws (Node-RED 4.1 editor-client, treeList / refreshHelpIndex).
 */
const KNOWN_CORE_ERRORS: Array<{ message: RegExp; stack: RegExp }> = [
  {
    message: /^cannot call methods on editableList prior to initialization; attempted to call method 'addItem'$/,
    stack: /^(?![\s\S]*tbk)[\s\S]*\/red\/red(\.min)?\.js/,
  },
];

/** Page errors, console errors and the shared editor script's own warnings, as text. */
export class PageProblems {
  readonly list: string[] = [];
  /** known Node-RED core errors seen (not failures) */
  readonly ignored: string[] = [];

  watch(page: Page, label: string): void {
    page.on('pageerror', (err) => {
      const stack = err.stack ?? '';
      const text = `[${label}] page error: ${err.message}\n${stack.split('\n').slice(0, 14).join('\n')}`;
      if (KNOWN_CORE_ERRORS.some((known) => known.message.test(err.message) && known.stack.test(stack)))
        this.ignored.push(text);
      else this.list.push(text);
    });
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error') this.list.push(`[${label}] console error: ${text} (${message.location().url})`);
      else if (message.type() === 'warning' && text.startsWith('[tbk-editor]')) this.list.push(`[${label}] ${text}`);
    });
    page.on('crash', () => this.list.push(`[${label}] page crashed`));
  }

  /** The problems since `mark` (a length of list taken earlier). */
  since(mark: number): string[] {
    return this.list.slice(mark);
  }
}

export interface Editor {
  context: BrowserContext;
  page: Page;
}

/** A new context in `locale` with the editor loaded and this package's palette drawn. */
export async function openEditor(
  browser: Browser,
  url: string,
  locale: string,
  problems: PageProblems,
): Promise<Editor> {
  const context = await browser.newContext({ locale, viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  problems.watch(page, locale);
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  // the palette is drawn once every node set's HTML has been loaded and the flows imported
  await page.waitForSelector('.red-ui-palette-node[data-palette-type="tbk-dg-material-optional-upgrade"]', {
    timeout: 90_000,
  });
  await page.waitForFunction(
    () => {
      const w = globalThis as any;
      return Boolean(
        w.RED &&
        w.RED.nodes &&
        w.RED.workspaces &&
        w.RED.workspaces.active() &&
        w.TbkEditor &&
        !w.$('#red-ui-loading-progress').is(':visible'),
      );
    },
    undefined,
    { timeout: 60_000 },
  );
  return { context, page };
}

export async function closeQuietly(target: { close(): Promise<unknown> } | undefined): Promise<void> {
  try {
    await target?.close();
  } catch {
    // already closed
  }
}
