/** node-red-node-test-helper with its typings, the parts of it the tests reach beyond them, and flow-building shortcuts. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, NodeInitializer, NodeMessage } from 'node-red';
import type { TestFlowsItem } from 'node-red-node-test-helper';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../lib/sandbox';

/** The helper module as its typings describe it. */
type HelperModule = typeof import('node-red-node-test-helper');

/** A node of a test flow: the id, type and wires the helper's typings ask for, and the node's own properties. */
export type FlowNode = TestFlowsItem & Record<string, unknown>;

/**
 * A node of a test flow, as the helper hands it out. Beyond @types/node-red's Node, the tests reach:
 *  - `call:<method>` events: the helper spies on every node's log, status, warn, error, debug, trace
 *    and send, and emits one of these per call with the sinon spy call (its args as the method got them);
 *  - `_complete(msg, err)`: what Node-RED's done() calls, wrapped by countDone to count them;
 *  - `_wireCount`: how many nodes its outputs are wired to (the soak re-points a wired node's own send).
 */
export type TestNode = Node & {
  on(event: `call:${string}`, listener: (call: { args: any[] }) => void): TestNode;
  _complete(msg: NodeMessage, err?: unknown): void;
  _wireCount: number;
};

/**
 * The helper as the tests use it. Beyond its typings (0.3.5):
 *  - getNode gives a TestNode (above);
 *  - startServer and stopServer hand their callback the error of a failure (0.3.6 does);
 *  - settings() also takes a context store's `config` and this package's own runtime setting
 *    tbkOrderSyncNow (the order sync's clock);
 *  - `_redNodes`, `_context` and `_settings`, the runtime modules and settings the helper loaded: the
 *    order sync and redeploy tests stop and start the flows, or replace them, as a Node-RED restart or
 *    a deploy does (the helper never loads settings.contextStorage into the context module itself).
 */
export type TestHelper = Omit<HelperModule, 'getNode' | 'startServer' | 'stopServer' | 'settings'> & {
  getNode(id: string): TestNode;
  startServer(done?: (err?: unknown) => void): Promise<void>;
  stopServer(done?: (err?: unknown) => void): Promise<void>;
  settings(
    settings: Omit<Parameters<HelperModule['settings']>[0], 'contextStorage'> & {
      contextStorage?: Record<string, { module: string; config?: Record<string, unknown> }>;
      tbkOrderSyncNow?: () => number;
    },
  ): ReturnType<HelperModule['settings']>;
  _redNodes: {
    stopFlows(): Promise<void>;
    startFlows(): Promise<void>;
    setFlows(
      flows: FlowNode[],
      credentials: Record<string, Record<string, string>>,
      type: 'full' | 'flows' | 'nodes',
    ): Promise<unknown>;
  };
  _context: { init(settings: unknown): void; load(): Promise<unknown> };
  _settings: Record<string, unknown>;
};

/**
 * The Node-RED under test: the devDependency, or another install named by TBK_NODE_RED
 * (the folder holding its node_modules) for the version matrix in .ci/run.
 */
const nodeRedRoot = process.env.TBK_NODE_RED ? [process.env.TBK_NODE_RED] : [__dirname];
export const nodeRedPath = require.resolve('node-red', { paths: nodeRedRoot });
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const requireFromNodeRed = (id: string): unknown => require(require.resolve(id, { paths: [nodeRedPath] }));

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: TestHelper = require('node-red-node-test-helper');
helper.init(nodeRedPath);

/**
 * The Node-RED user directory of the in-process runtimes (files the nodes keep, such as order sync
 * checkpoints, go there instead of ~/.node-red); removed when the test process exits. Suites that
 * replace the settings pass it on.
 */
export const TEST_USER_DIR = mkdtempSync(join(tmpdir(), 'tbk-userdir-'));
process.once('exit', () => rmSync(TEST_USER_DIR, { recursive: true, force: true }));
helper.settings({ userDir: TEST_USER_DIR });

// Node-RED's core nodes, untyped JavaScript modules
export const catchNode = requireFromNodeRed('@node-red/nodes/core/common/25-catch.js') as NodeInitializer;
export const completeNode = requireFromNodeRed('@node-red/nodes/core/common/24-complete.js') as NodeInitializer;

/** A config node pointing at the sandbox, plus its credentials (the test app by default). */
export function configFlow(url: string, extra: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'cfg',
    type: 'tbk-config',
    name: 'sandbox',
    endpoint: url,
    signMethod: 'md5',
    timeout: 5000,
    retries: 0,
    rateLimit: 0,
    concurrency: 0,
    ...extra,
  };
}

export const SANDBOX_SECRET = 'sandbox-secret';
export const CONFIG_SESSION = 'config-session-6100e25f';

export function credentials(extra: Record<string, string> = {}): Record<string, Record<string, string>> {
  return { cfg: { appKey: 'sandbox-app', appSecret: SANDBOX_SECRET, session: CONFIG_SESSION, ...extra } };
}

/** Collects what a helper node receives; `next()` waits for the next message. */
export class Collector {
  readonly messages: Array<Record<string, any>> = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(node: TestNode) {
    node.on('input', (msg: Record<string, any>) => {
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (this.messages.length >= w.count) w.resolve();
        return this.messages.length < w.count;
      });
    });
  }

  /** Resolves once `count` messages in all have arrived (rejects after a generous limit). */
  waitFor(count: number, limitMs = 10_000): Promise<Array<Record<string, any>>> {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} messages, got ${this.messages.length}`)),
        limitMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.messages);
        },
      });
    });
  }
}

/** Counts done() calls of a node: Node-RED calls _complete once per done(). */
export function countDone(node: TestNode): { count: number; errors: unknown[] } {
  const record = { count: 0, errors: [] as unknown[] };
  const original = node._complete as (msg: unknown, err?: unknown) => void;
  node._complete = function (msg: unknown, err?: unknown) {
    record.count++;
    if (err) record.errors.push(err);
    return original.call(this, msg, err);
  };
  return record;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition` holds (polled every 5 ms); fails naming `what` after `limitMs`. */
export async function until(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** Everything a node emitted or showed, as text, must not carry a secret. */
export function assertNoSecrets(what: unknown, secrets: string[]): void {
  const text = JSON.stringify(what);
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked into ${text.slice(0, 200)}`);
}

/** The test helper's Node-RED server started (its callback as a promise). */
export function startRuntime(): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    helper.startServer((err?: unknown) => (err ? reject(err as Error) : resolve())),
  );
}

/** The test flow unloaded and the test helper's server stopped. */
export async function stopRuntime(): Promise<void> {
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
}

/**
 * The hooks of a node suite: one sandbox for the suite (handed to `started`), and for every test
 * the sandbox's faults, answers and stats cleared and a fresh Node-RED test server.
 */
export function useSandboxAndRuntime(options: SandboxOptions, started: (sandbox: Sandbox) => void): void {
  let sandbox: Sandbox | undefined;
  before(async function () {
    sandbox = await startSandbox(options);
    started(sandbox);
  });
  after(async function () {
    await sandbox?.close();
  });
  beforeEach(async function () {
    sandbox!.clearFaults();
    sandbox!.clearResponses();
    sandbox!.resetStats();
    await startRuntime();
  });
  afterEach(stopRuntime);
}
