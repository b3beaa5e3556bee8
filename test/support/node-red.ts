/** node-red-node-test-helper with the few typings the node tests need, and flow-building shortcuts. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../lib/sandbox';

export interface TestNode {
  id: string;
  type: string;
  wires?: string[][];
  on(event: string, listener: (arg: any) => void): void;
  receive(msg: Record<string, unknown>): void;
  [key: string]: any;
}

export interface TestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown, flow: Array<Record<string, unknown>>, credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(done: (err?: unknown) => void): void;
  stopServer(done: (err?: unknown) => void): void;
  clearFlows(): Promise<void>;
  _redNodes: { stopFlows(): Promise<void> };
}

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
(helper as unknown as { settings(settings: Record<string, unknown>): unknown }).settings({ userDir: TEST_USER_DIR });

export const catchNode: unknown = requireFromNodeRed('@node-red/nodes/core/common/25-catch.js');
export const completeNode: unknown = requireFromNodeRed('@node-red/nodes/core/common/24-complete.js');

/** A config node pointing at the sandbox, plus its credentials (the test app by default). */
export function configFlow(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'cfg', type: 'tbk-config', name: 'sandbox', endpoint: url, signMethod: 'md5', timeout: 5000, retries: 0, rateLimit: 0, concurrency: 0, ...extra };
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
      const timer = setTimeout(() => reject(new Error(`expected ${count} messages, got ${this.messages.length}`)), limitMs);
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
  return new Promise<void>((resolve, reject) => helper.startServer((err?: unknown) => (err ? reject(err as Error) : resolve())));
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
