/**
 * An embedded Node-RED runtime (no editor, no HTTP server) with this package installed the way npm
 * links a `file:` dependency, plus a tiny `bench-sink` node that hands what it receives to the
 * benchmark. Messages go in through a node's receive() (what an Inject node's send does).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../lib/package-root';

const REPO_ROOT = packageRoot();
const PACKAGE_NAME = '@tbkflow/node-red-taobaoke';
export const SINK_KEY = Symbol.for('tbk-bench.sink');

export type FlowNode = Record<string, unknown> & { id: string; type: string };
export type Sink = (msg: Record<string, unknown>) => void;

interface RuntimeNode {
  receive(msg: Record<string, unknown>): void;
}

interface EmbeddedRed {
  init(settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): RuntimeNode | null };
}

export interface Runtime {
  node(id: string): RuntimeNode;
  stop(): Promise<void>;
}

const SINK_JS = `module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    const sink = globalThis[Symbol.for('tbk-bench.sink')];
    this.on('input', function (msg, send, done) { sink(msg); done(); });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
`;

const SINK_HTML = `<script type="text/javascript">
  RED.nodes.registerType('bench-sink', { category: 'common', defaults: { name: { value: '' } }, inputs: 1, outputs: 0, label: 'bench sink' });
</script>
`;

/** Starts Node-RED with the given flows; every message a bench-sink node receives goes to sink. */
export async function startNodeRed(
  flows: FlowNode[],
  credentials: Record<string, Record<string, string>>,
  sink: Sink,
  settings: Record<string, unknown> = {},
): Promise<Runtime> {
  (globalThis as Record<symbol, unknown>)[SINK_KEY] = sink;
  const userDir = mkdtempSync(join(tmpdir(), 'tbk-bench-red-'));
  const link = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  mkdirSync(resolve(link, '..'), { recursive: true });
  symlinkSync(REPO_ROOT, link, 'dir');
  const sinkDir = join(userDir, 'bench-nodes');
  mkdirSync(sinkDir);
  writeFileSync(join(sinkDir, 'bench-sink.js'), SINK_JS);
  writeFileSync(join(sinkDir, 'bench-sink.html'), SINK_HTML);
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  // credentialSecret false: the credentials file is plain JSON (the sandbox's public test app)
  writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials));

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as EmbeddedRed;
  RED.init({
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    nodesDir: [sinkDir],
    telemetry: { enabled: false },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    ...settings,
  });
  await RED.start();
  await flowsStarted(RED, flows);
  return {
    node(id) {
      const node = RED.nodes.getNode(id);
      if (!node) throw new Error(`Node-RED has no node ${id} (did the package load?)`);
      return node;
    },
    async stop() {
      await RED.stop();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** RED.start() resolves before the flows run: wait until every node of the flow exists. */
async function flowsStarted(RED: EmbeddedRed, flows: FlowNode[]): Promise<void> {
  const ids = flows.filter((n) => n.type !== 'tab').map((n) => n.id);
  const deadline = Date.now() + 30_000;
  while (ids.some((id) => !RED.nodes.getNode(id))) {
    if (Date.now() > deadline)
      throw new Error(`Node-RED did not start the nodes ${ids.filter((id) => !RED.nodes.getNode(id)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
