/**
 * The example flows: well-formed, without credentials, covering every node type, up to date with
 * the specs, and each one running in a real Node-RED (with the real core nodes it uses) against a
 * sandbox on an ephemeral port.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { loadSpecs } from '../../lib/method-specs/index';
import { EXAMPLES_DIR, ROLES, documentedFailures, generatedExamples } from '../../scripts/generate-examples';
import { EXAMPLE_CONFIG_ID, OUTSIDE_NPM_START, exampleConfigNode, layoutProblems } from '../../scripts/flow-builder';
import { SAMPLE_CHAT } from '../../scripts/example-flows';
import { OrderBook, installOrderBook } from '../../lib/sandbox/order-book';
import { checkpointDirectory } from '../../nodes/order-sync-checkpoint';
import { findMaterials } from '../../lib/links/materials';
import type { NodeInitializer } from 'node-red';
import {
  Collector,
  assertNoSecrets,
  delay,
  helper,
  requireFromNodeRed,
  type TestNode,
  stopRuntime,
  TEST_USER_DIR,
} from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import apiNode = require('../../nodes/tbk-api');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import promoterSet = require('../../nodes/tbk-promoter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import providerSet = require('../../nodes/tbk-provider');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import commonSet = require('../../nodes/tbk-common');
import { maxInAnyWindow } from '../support/assertions';
import { SandboxProcess } from '../support/sandbox-process';
import { freePort } from '../support/redis';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import linkConvertNode = require('../../nodes/tbk-link-convert');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import orderSyncNode = require('../../nodes/tbk-order-sync');

type FlowNode = Record<string, any> & { id: string; type: string };
type NodeModule = NodeInitializer;

const core = (path: string): NodeModule => requireFromNodeRed(`@node-red/nodes/core/${path}`) as NodeModule;
const CORE_NODES: Record<string, NodeModule> = {
  inject: core('common/20-inject.js'),
  debug: core('common/21-debug.js'),
  comment: core('common/90-comment.js'),
  catch: core('common/25-catch.js'),
  function: core('function/10-function.js'),
  switch: core('function/10-switch.js'),
  change: core('function/15-change.js'),
  template: core('function/80-template.js'),
  split: core('sequence/17-split.js'),
  file: core('storage/10-file.js'),
  'http request': core('network/21-httprequest.js'),
};
const httpInModule = core('network/21-httpin.js');
const TBK_NODES: NodeModule[] = [
  configNode,
  apiNode,
  promoterSet,
  providerSet,
  commonSet,
  otherSet,
  linkConvertNode,
  orderSyncNode,
];

const TASK_FILES = [
  '01-generic-api-call.json',
  '02-search-convert-tpwd.json',
  '03-parse-user-link.json',
  '04-order-polling.json',
  '05-tlj-business-failure.json',
  '06-sf-plan-callback.json',
  '07-provider-session.json',
  '08-error-handling.json',
  '09-batch-calls.json',
  '10-shared-rate-limit.json',
  '11-chat-link-convert.json',
  '12-commission-dashboard.json',
];

/**
 * The catalog nodes that end on their error output in the sandbox: those whose documented response
 * example itself reports a business failure (e.g. taobao.tbk.dg.vegas.tlj.create documents
 * `"success": false, "msg_code": "1"`). The sandbox answers with that example, and the node rightly
 * reports it as kind "business". Every other catalog node must end on its response output.
 */
const DOCUMENTED_FAILURES = [
  'taobao.tbk.coupon.convert',
  'taobao.tbk.dg.punish.order.get',
  'taobao.tbk.dg.vegas.tlj.create',
  'taobao.tbk.feed.indicator.upload',
  'taobao.tbk.feed.opt.upload',
  'taobao.tbk.feed.order.check',
  'taobao.tbk.feed.relation.upload',
  'taobao.tbk.order.refund.get',
  'taobao.tbk.seed.event.fee.update',
];

/** The node types the editor HTML of every node set in package.json registers (dist/, after the build). */
function registeredTypes(): string[] {
  const root = join(EXAMPLES_DIR, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  const types: string[] = [];
  for (const file of Object.values(pkg['node-red'].nodes)) {
    const html = readFileSync(join(root, file.replace(/\.js$/, '.html')), 'utf8');
    for (const match of html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)) types.push(match[1]!);
  }
  return types;
}

function exampleFiles(dir = EXAMPLES_DIR): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...exampleFiles(path));
    else if (name.endsWith('.json')) out.push(path);
  }
  return out;
}

function readFlow(file: string): FlowNode[] {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[];
}

/** The flow as the test runs it: files in a temporary folder (the gateway comes from TBK_ENDPOINT). */
function forSandbox(flow: FlowNode[], workDir: string): FlowNode[] {
  const out = JSON.parse(JSON.stringify(flow)) as FlowNode[];
  for (const node of out) if (node.type === 'file') node.filename = join(workDir, String(node.filename));
  return out;
}

function byName(flow: FlowNode[], type: string, name: string): FlowNode {
  const node = flow.find((n) => n.type === type && n.name === name);
  assert.ok(node, `no ${type} node named ${name}`);
  return node;
}

/** Adds a helper node on the given output of a node and returns its id. */
function probe(flow: FlowNode[], node: FlowNode, output = 0, id = `${node.id}-probe${output}`): string {
  if (!flow.some((n) => n.id === id)) flow.push({ id, type: 'helper', z: node.z, x: 0, y: 0 });
  node.wires[output] = [...(node.wires[output] ?? []), id];
  return id;
}

/** A probe beside a debug node: on every wire that reaches it. */
function probeDebug(flow: FlowNode[], debugNode: FlowNode): string {
  const id = `${debugNode.id}-probe`;
  flow.push({ id, type: 'helper', z: debugNode.z, x: 0, y: 0 });
  for (const node of flow) for (const list of node.wires ?? []) if (list.includes(debugNode.id)) list.push(id);
  return id;
}

describe('example flows', function () {
  this.timeout(60_000);
  const specs = loadSpecs();
  const files = exampleFiles();

  describe('files', function () {
    it('are valid JSON flows, each with a comment node and config nodes without credentials', function () {
      assert.ok(files.length >= TASK_FILES.length + ROLES.length, `found ${files.length} example files`);
      for (const path of files) {
        const name = relative(EXAMPLES_DIR, path);
        const flow = JSON.parse(readFileSync(path, 'utf8')) as FlowNode[];
        assert.ok(Array.isArray(flow) && flow.length > 0, `${name} is a list of nodes`);
        assert.ok(
          flow.some((n) => n.type === 'comment' && String(n.name).trim() && String(n.info ?? '').trim()),
          `${name} has a comment node`,
        );
        const ids = new Set<string>();
        for (const node of flow) {
          assert.equal(typeof node.id, 'string', `${name}: a node without id`);
          assert.ok(!ids.has(node.id), `${name}: duplicate id ${node.id}`);
          ids.add(node.id);
        }
        // one config node, the same in every file (the editor's import then keeps one), reading the environment
        assert.deepEqual(
          flow.filter((n) => n.type === 'tbk-config'),
          [exampleConfigNode()],
          `${name}: the shared config node`,
        );
        for (const node of flow)
          if (node.type !== 'tbk-config')
            assert.equal(node.credentials, undefined, `${name}: ${node.id} carries credentials`);
        assert.ok(
          flow.some(
            (n) =>
              n.type === 'comment' && n.name === OUTSIDE_NPM_START.title && String(n.info).includes('TBK_ENDPOINT'),
          ),
          `${name}: the note for use outside npm start`,
        );
        // a sandbox address written in fails as soon as the sandbox runs on another port (npm start picks a free one)
        const written = JSON.stringify(flow).match(
          /:8787\b|https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])[^"\s]*\/(?:router\/(?:rest|batch)|__sandbox)/g,
        );
        assert.deepEqual(written, null, `${name}: a sandbox address written into the flow`);
        for (const node of flow) {
          for (const list of node.wires ?? [])
            for (const target of list) assert.ok(ids.has(target), `${name}: ${node.id} wired to missing ${target}`);
          if (typeof node.config === 'string' && node.type.startsWith('tbk-'))
            assert.ok(ids.has(node.config), `${name}: ${node.id} names a missing config node`);
        }
      }
    });

    it('are laid out without overlapping nodes, in both languages of the method labels', function () {
      const labels = new Map(specs.map((spec) => [spec.type, [spec.label.en, spec.label.zh]]));
      const problems: string[] = [];
      for (const path of files) {
        const flow = JSON.parse(readFileSync(path, 'utf8')) as FlowNode[];
        const found = layoutProblems(flow, (node) =>
          node.type === 'tbk-api' && node.method ? [String(node.method)] : labels.get(node.type),
        );
        problems.push(...found.map((problem) => `${relative(EXAMPLES_DIR, path)}: ${problem}`));
        assert.ok(
          flow.filter((n) => typeof n.x === 'number').every((n) => n.y! >= 0 && n.x! >= 0),
          `${relative(EXAMPLES_DIR, path)}: coordinates`,
        );
      }
      assert.deepEqual(problems, []);
    });

    it('set or map from msg every required parameter of their method nodes (else the editor marks them invalid)', function () {
      const missing: string[] = [];
      for (const path of files) {
        for (const node of JSON.parse(readFileSync(path, 'utf8')) as FlowNode[]) {
          const spec = specs.find((s) => s.type === node.type);
          if (!spec?.validate) continue;
          for (const param of spec.params)
            if (param.required && param.kind !== 'file' && !String(node.params?.[param.name]?.value ?? '').trim())
              missing.push(`${relative(EXAMPLES_DIR, path)}: ${node.type} ${param.name}`);
        }
      }
      assert.deepEqual(missing, []);
    });

    it('use every node type of the package (149 method nodes, tbk-api, tbk-config and any other node set)', function () {
      const used = new Set<string>();
      for (const path of files)
        for (const node of JSON.parse(readFileSync(path, 'utf8')) as FlowNode[]) used.add(node.type);
      const registered = registeredTypes();
      assert.equal(specs.length, 149);
      for (const type of ['tbk-config', 'tbk-api', ...specs.map((s) => s.type)])
        assert.ok(registered.includes(type), `${type} is registered by a node set's HTML`);
      const missing = registered.filter((type) => !used.has(type));
      assert.deepEqual(missing, [], `node types without an example: ${missing.join(', ')}`);
    });

    it('are up to date with the specs and scripts/example-flows.ts (npm run build regenerates them)', function () {
      const generated = generatedExamples(specs);
      assert.equal(generated.size, TASK_FILES.length + ROLES.length);
      for (const [name, text] of generated) {
        const current = readFileSync(join(EXAMPLES_DIR, name), 'utf8');
        assert.ok(
          current === text,
          `examples/${name} is stale: run npm run build (or node dist/scripts/generate-examples.js)`,
        );
      }
    });

    it('know which documented response examples are business failures', function () {
      assert.deepEqual([...documentedFailures(specs).keys()].sort(), DOCUMENTED_FAILURES);
    });

    it('give every catalog node its inject, and every inject its documented required parameters', function () {
      for (const role of ROLES) {
        const flow = readFlow(`catalog/${role}.json`);
        for (const spec of specs.filter((s) => s.role === role)) {
          const node = flow.find((n) => n.type === spec.type);
          assert.ok(node, `${role}: no ${spec.type}`);
          const feeding = flow.find((n) => n.type === 'inject' && n.wires?.[0]?.includes(node.id));
          assert.ok(feeding, `${spec.type} has an inject`);
          const payload = JSON.parse(feeding.payload) as Record<string, unknown>;
          for (const param of spec.params) {
            if (param.required && param.kind !== 'file')
              assert.ok(param.name in payload, `${spec.type}: required ${param.name} missing`);
            if (param.example !== undefined && param.kind === 'number' && /^\d{1,15}$/.test(param.example))
              assert.equal(payload[param.name], Number(param.example), `${spec.type}.${param.name} is a number`);
            if (param.example !== undefined && param.kind === 'boolean' && /^(true|false)$/.test(param.example))
              assert.equal(payload[param.name], param.example === 'true');
          }
          assert.equal(feeding.topic, spec.method);
          assert.equal(
            feeding.props.some((p: { p: string }) => p.p === 'session'),
            spec.auth === 'required',
            `${spec.type}: msg.session only for methods that need it`,
          );
        }
      }
    });
  });

  describe('in Node-RED against the sandbox', function () {
    let sandbox: Sandbox;
    let workDir: string;
    let httpNode: RequestListener | undefined;
    let server: Server | undefined;
    const savedEnv: Record<string, string | undefined> = {};
    const httpIn: NodeModule = (RED) => {
      httpNode = RED.httpNode;
      return httpInModule(RED);
    };

    before(async function () {
      for (const name of ['TBK_ENDPOINT', 'TBK_APP_KEY', 'TBK_APP_SECRET', 'TBK_SESSION'])
        savedEnv[name] = process.env[name];
      process.env.TBK_APP_KEY = 'sandbox-app';
      process.env.TBK_APP_SECRET = 'sandbox-secret';
      delete process.env.TBK_SESSION;
      // a port of the kernel's choosing: the examples find the sandbox through TBK_ENDPOINT, as under npm start
      sandbox = await startSandbox();
      process.env.TBK_ENDPOINT = sandbox.url;
      workDir = mkdtempSync(join(tmpdir(), 'tbk-examples-'));
      // as imported into a fresh Node-RED: no order sync checkpoint of the same account left by another suite
      rmSync(checkpointDirectory(TEST_USER_DIR), { recursive: true, force: true });
    });
    after(async function () {
      await sandbox.close();
      rmSync(workDir, { recursive: true, force: true });
      for (const [name, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    beforeEach(function (done) {
      sandbox.clearFaults();
      sandbox.resetStats();
      helper.startServer(done);
    });
    afterEach(async function () {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
      await stopRuntime();
    });

    async function load(flow: FlowNode[], credentials: Record<string, Record<string, string>> = {}): Promise<void> {
      const types = new Set(flow.map((n) => n.type));
      const coreModules = Object.entries(CORE_NODES)
        .filter(([type]) => types.has(type))
        .map(([, module]) => module);
      if (types.has('http in') || types.has('http response')) coreModules.push(httpIn);
      await helper.load([...TBK_NODES, ...coreModules], flow, credentials);
    }

    const node = (id: string): TestNode => helper.getNode(id);
    const fire = (id: string): void => node(id).receive({});
    const requestsOf = (method: string): Array<Record<string, string>> =>
      sandbox
        .requests()
        .filter((r) => r.method === method)
        .map((r) => r.params);

    it('01: the generic node calls the method set in it, and the one msg.method names', async function () {
      const flow = forSandbox(readFlow('01-generic-api-call.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '结果 result'));
      const failed = probeDebug(flow, byName(flow, 'debug', '错误 error'));
      await load(flow);
      const results = new Collector(node(shown));
      const errors = new Collector(node(failed));
      fire(byName(flow, 'inject', '搜索 女装 / search').id);
      fire(byName(flow, 'inject', 'msg.method = taobao.tbk.tpwd.create').id);
      await results.waitFor(2);
      assert.equal(errors.messages.length, 0);
      assert.equal(requestsOf('taobao.tbk.dg.material.optional.upgrade')[0]!.q, '女装');
      assert.equal(requestsOf('taobao.tbk.tpwd.create')[0]!.url, 'https://s.click.taobao.com/YI3Uopu');
    });

    it('02: search -> convert -> 淘口令 -> a message ready to post', async function () {
      const flow = forSandbox(readFlow('02-search-convert-tpwd.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '可发布的文案 ready to post'));
      const failed = probeDebug(flow, byName(flow, 'debug', '错误 error: msg.error'));
      await load(flow);
      const post = new Collector(node(shown));
      const errors = new Collector(node(failed));
      fire(byName(flow, 'inject', '搜索 女装 / search').id);
      const [msg] = await post.waitFor(1);
      assert.equal(
        msg!.payload,
        '【九分裤显瘦高腰韩版】到手价 ¥69.9\n复制 ￥SIH6XbwRfyt￥ 打开手机淘宝 / copy it and open the Taobao app\nhttps://s.click.taobao.com/DvHjOPu',
      );
      assert.equal(requestsOf('taobao.tbk.dg.material.optional.upgrade')[0]!.q, '女装');
      assert.equal(requestsOf('taobao.tbk.dg.general.link.convert')[0]!.item_id_list, 'qeqscd1231-uqwenqe');
      assert.equal(requestsOf('taobao.tbk.tpwd.create')[0]!.url, 'https://s.click.taobao.com/DvHjOPu');
      assert.equal(errors.messages.length, 0);
    });

    it('03: a 淘口令 a user sent -> parse -> item details -> converted link', async function () {
      const flow = forSandbox(readFlow('03-parse-user-link.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '回复给用户 reply'));
      await load(flow);
      const reply = new Collector(node(shown));
      fire(byName(flow, 'inject', '用户消息 a user message').id);
      const [msg] = await reply.waitFor(1);
      assert.equal(
        msg!.payload,
        '巴布豆菠萝超薄干爽拉拉裤xl60+6 到手价 ¥69.9\nhttps://s.click.taobao.com/DvHjOPu',
        'the short_title and final price of the documented item details',
      );
      assert.deepEqual(JSON.parse(requestsOf('taobao.tbk.dg.general.link.parse')[0]!.material_dto!), {
        material_url: '￥zRmVdesjTCu￥',
      });
      assert.equal(
        requestsOf('taobao.tbk.item.info.upgrade.get')[0]!.item_id,
        '688401422805',
        'the parsed item id goes to item details',
      );
      assert.equal(requestsOf('taobao.tbk.dg.general.link.convert')[0]!.item_id_list, '688401422805');
    });

    it('04: order polling pages itself and writes JSON lines with exact ids', async function () {
      const flow = forSandbox(readFlow('04-order-polling.json'), workDir);
      const fileNode = flow.find((n) => n.type === 'file')!;
      const written = probe(flow, fileNode);
      const failed = probeDebug(flow, byName(flow, 'debug', '错误 error: msg.error'));
      await load(flow);
      const lines = new Collector(node(written));
      const errors = new Collector(node(failed));
      fire(byName(flow, 'inject', '每 5 分钟 every 5 minutes').id);
      await lines.waitFor(1);
      await delay(100);
      assert.equal(errors.messages.length, 0);
      const text = readFileSync(fileNode.filename, 'utf8');
      const rows = text.trim().split('\n');
      assert.equal(rows.length, lines.messages.length);
      // the sandbox sends trade_id as a bare JSON integer beyond 2^53: the file keeps every digit
      assert.ok(rows[0]!.includes('"trade_id":"294159887445064307"'), rows[0]!.slice(0, 200));
      assert.ok(rows[0]!.includes('"trade_parent_id":"294159887445064307"'));
      assert.equal(JSON.parse(rows[0]!).item_title, 'tsh_rj_测试请不要拍_阶佣11.1');
      const sent = requestsOf('taobao.tbk.order.details.get')[0]!;
      assert.equal(sent.query_type, '4');
      assert.equal(sent.page_size, '100');
      const span =
        Date.parse(sent.end_time!.replace(' ', 'T') + '+08:00') -
        Date.parse(sent.start_time!.replace(' ', 'T') + '+08:00');
      assert.equal(span, 10 * 60 * 1000, 'both ends come from the one inject timestamp');
      assert.ok(
        Math.abs(Date.parse(sent.end_time!.replace(' ', 'T') + '+08:00') - Date.now()) < 60_000,
        'the window ends now, in GMT+8',
      );
    });

    it('05: a 淘礼金 business failure takes the business branch of the switch', async function () {
      const flow = forSandbox(readFlow('05-tlj-business-failure.json'), workDir);
      const business = probeDebug(flow, byName(flow, 'debug', 'business failure: msg.error.msg'));
      const other = probeDebug(flow, byName(flow, 'debug', '其他错误 other error: msg.error'));
      const created = probeDebug(flow, byName(flow, 'debug', '已创建 created'));
      await load(flow);
      const failures = new Collector(node(business));
      const others = new Collector(node(other));
      const successes = new Collector(node(created));
      fire(byName(flow, 'inject', '创建淘礼金 create').id);
      const [msg] = await failures.waitFor(1);
      assert.equal(msg!.error.kind, 'business');
      assert.equal(msg!.error.msg, '1', 'the documented msg_info');
      assert.equal(msg!.error.attempts, 1, 'a write is not retried');
      await delay(100);
      assert.equal(others.messages.length + successes.messages.length, 0);
      const sent = requestsOf('taobao.tbk.dg.vegas.tlj.create')[0]!;
      assert.equal(sent.security_switch, 'true');
      assert.match(sent.send_start_time!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.ok(
        Math.abs(Date.parse(sent.send_start_time!.replace(' ', 'T') + '+08:00') - Date.now()) < 60_000,
        'send_start_time is now in GMT+8',
      );
    });

    it('06: a plan message over HTTP is converted and reported with all seven callback parameters', async function () {
      const flow = forSandbox(readFlow('06-sf-plan-callback.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '回调结果 callback result'));
      await load(flow);
      const results = new Collector(node(shown));
      assert.ok(httpNode, 'the http in node registered its route');
      server = createServer(httpNode);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const plan = {
        group_id: 'R:777',
        scd_id: 42,
        msg_id: 'MSG-1',
        offset_code: 'OFF-1',
        material_url: 'https://s.click.taobao.com/abc',
      };
      const before = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/tbk/plan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(plan),
      });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as Record<string, any>;
      assert.equal(answer.ok, true);
      assert.equal(answer.msg_id, 'MSG-1');
      assert.equal(
        answer.link,
        'https://s.click.taobao.com/BxeWDkk',
        "the sandbox's conversion of the plan's material (its coupon link)",
      );
      assert.equal(answer.callback.is_success, true);
      assert.equal(
        requestsOf('taobao.tbk.dg.general.link.convert')[0]!.material_list,
        'https://s.click.taobao.com/abc',
      );
      const callback = requestsOf('taobao.tbk.sf.group.activity.callback')[0]!;
      assert.equal(callback.group_id, 'R:777');
      assert.equal(callback.scd_id, '42');
      assert.equal(callback.msg_id, 'MSG-1');
      assert.equal(callback.offset_code, 'OFF-1');
      assert.equal(callback.res_code, '1');
      assert.equal(callback.res_desc, 'converted: https://s.click.taobao.com/BxeWDkk');
      assert.match(callback.time_stamp!, /^\d{13}$/, 'time_stamp in milliseconds');
      assert.ok(Number(callback.time_stamp) >= before && Number(callback.time_stamp) <= Date.now());
      await results.waitFor(1);

      // the inject stands in for the plan message: same work, no HTTP answer to give
      fire(byName(flow, 'inject', '示例计划消息 sample plan').id);
      const [, fromInject] = await results.waitFor(2);
      assert.equal(fromInject!.payload.ok, true);
      assert.equal(requestsOf('taobao.tbk.sf.group.activity.callback')[1]!.group_id, 'R:15323432');
    });

    it("07: a provider call takes the user's session from flow context into msg.session", async function () {
      const flow = forSandbox(readFlow('07-provider-session.json'), workDir);
      const stored = probeDebug(flow, byName(flow, 'debug', '已保存 stored'));
      const shown = probeDebug(flow, byName(flow, 'debug', '转链结果 converted'));
      const failed = probeDebug(flow, byName(flow, 'debug', '错误 error: msg.error'));
      await load(flow);
      const storedMsgs = new Collector(node(stored));
      const converted = new Collector(node(shown));
      const errors = new Collector(node(failed));
      fire(byName(flow, 'inject', '用户 user-1 已授权 user-1 authorized').id);
      await storedMsgs.waitFor(1);
      fire(byName(flow, 'inject', '为 user-1 转链 convert for user-1').id);
      const [msg] = await converted.waitFor(1);
      assert.deepEqual(
        JSON.parse(JSON.stringify(msg!.payload)),
        { user: 'user-1', link: 'https://s.click.taobao.com/DkFfUu3' },
        "the sandbox's conversion of the material for ad zone 123456",
      );
      const sent = requestsOf('taobao.tbk.sc.general.link.convert')[0]!;
      assert.equal(sent.session, 'sandbox-session-of-user-1');
      assert.equal(sent.site_id, '123456');
      assert.equal(errors.messages.length, 0);
      assertNoSecrets([storedMsgs.messages, converted.messages], ['sandbox-session-of-user-1']);
    });

    it('08: error output, Catch, and a throttle fault retried', async function () {
      const flow = forSandbox(readFlow('08-error-handling.json'), workDir);
      const rules = probeDebug(flow, byName(flow, 'debug', '沙箱故障规则 sandbox fault rules'));
      const ok = probeDebug(flow, byName(flow, 'debug', '成功 ok: msg.tbk (attempts)'));
      const errorOutput = probeDebug(flow, byName(flow, 'debug', '错误输出 error output: msg.error'));
      const caught = probeDebug(flow, byName(flow, 'debug', 'Catch 收到 caught: msg.error'));
      const apiOk = probeDebug(flow, byName(flow, 'debug', 'tbk-api 响应 response'));
      await load(flow);
      const ruleMsgs = new Collector(node(rules));
      const oks = new Collector(node(ok));
      const errs = new Collector(node(errorOutput));
      const catches = new Collector(node(caught));
      const apiOks = new Collector(node(apiOk));

      fire(byName(flow, 'inject', '1 注入限流故障 inject a throttle fault').id);
      const [ruleMsg] = await ruleMsgs.waitFor(1);
      assert.equal(ruleMsg!.statusCode, 200);
      assert.equal(ruleMsg!.payload.rules[0].kind, 'tbk-throttle');

      fire(byName(flow, 'inject', '2 商品详情 item details').id);
      const [okMsg] = await oks.waitFor(1);
      assert.equal(okMsg!.tbk.attempts, 2, 'throttled once, then retried');
      assert.equal(sandbox.stats().faultsByKind['tbk-throttle'], 1);

      fire(byName(flow, 'inject', '3 缺少 item_id (output)').id);
      const [errMsg] = await errs.waitFor(1);
      assert.equal(errMsg!.error.kind, 'validation');
      assert.equal(errMsg!.error.param, 'item_id');

      const catchMode = byName(flow, 'tbk-item-info-upgrade-get', 'errorMode: catch');
      fire(byName(flow, 'inject', '4 缺少 item_id (catch)').id);
      const [caughtMsg] = await catches.waitFor(1);
      assert.equal(caughtMsg!.error.source.id, catchMode.id);
      assert.match(caughtMsg!.error.message, /item_id/);
      assert.equal(errs.messages.length, 1, 'the catch-mode node does not use an output');

      fire(byName(flow, 'inject', '5 tbk-api: taobao.tbk.tpwd.parse').id);
      const [apiMsg] = await apiOks.waitFor(1);
      assert.equal(apiMsg!.payload.data.origin_url, 'https://uland.taobao.com/coupon/edetail?e=xxx');
    });

    it('09: 40 item lookups as batch calls, results in input order', async function () {
      const flow = forSandbox(readFlow('09-batch-calls.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '批量结果 batch results'));
      await load(flow);
      const results = new Collector(node(shown));
      fire(byName(flow, 'inject', '40 个商品 40 items').id);
      const [msg] = await results.waitFor(1);
      assert.deepEqual({ ...msg!.payload }, { calls: 40, ok: 40, failed: 0, batches: 2 }); // made in a Function node: another realm's Object
      assert.equal(sandbox.stats().batchRequests, 2);
    });

    it("10: 100 messages through the config node's rate limit, none dropped", async function () {
      this.timeout(30_000);
      delete process.env.TBK_REDIS_URL;
      // the gateway in a process of its own stamps arrivals as a remote one would (see SandboxProcess)
      const gateway = await SandboxProcess.start({ recordLimit: 500 });
      process.env.TBK_ENDPOINT = gateway.url;
      const flow = forSandbox(readFlow('10-shared-rate-limit.json'), workDir);
      const shown = probeDebug(flow, byName(flow, 'debug', '100 条完成 all 100 done'));
      await load(flow);
      const done = new Collector(node(shown));
      fire(byName(flow, 'inject', '100 条消息 100 messages').id);
      const [msg] = await done.waitFor(1, 20_000);
      assert.deepEqual({ ...msg!.payload }, { messages: 100, failed: 0 });
      process.env.TBK_ENDPOINT = sandbox.url;
      const stats = await gateway.stats();
      await gateway.close();
      assert.equal(stats.totalCalls, 100);
      assert.ok(
        maxInAnyWindow(stats.callStarts) <= 40,
        `at most 40 calls in any second (${maxInAnyWindow(stats.callStarts)})`,
      );
    });

    it('10, with ${TBK_REDIS_URL} entered as its info says: the limit is set up from the variable (here a Redis nobody answers: the local fallback); without the variable every call fails', async function () {
      this.timeout(30_000);
      const flow = forSandbox(readFlow('10-shared-rate-limit.json'), workDir);
      const config = flow.find((n) => n.type === 'tbk-config')!;
      const shown = probeDebug(flow, byName(flow, 'debug', '100 条完成 all 100 done'));
      const redisPort = await freePort();
      process.env.TBK_REDIS_URL = `redis://127.0.0.1:${redisPort}/0`;
      try {
        await load(flow, { [config.id]: { redisUrl: '${TBK_REDIS_URL}' } });
        const done = new Collector(node(shown));
        fire(byName(flow, 'inject', '100 条消息 100 messages').id);
        const [msg] = await done.waitFor(1, 20_000);
        assert.deepEqual({ ...msg!.payload }, { messages: 100, failed: 0 });
        assert.ok(maxInAnyWindow(sandbox.stats().callStarts) <= 40, 'at most 40 calls in any second');
        const logged = ((helper as any).log().args as unknown[][]).map((a) => String((a[0] as { msg?: unknown }).msg));
        assert.ok(
          logged.some((line) => new RegExp(`rate limit is local .*Redis 127\\.0\\.0\\.1:${redisPort}`).test(line)),
          'the config node tried that Redis',
        );
      } finally {
        delete process.env.TBK_REDIS_URL;
      }
      await helper.unload();
      sandbox.resetStats();
      await load(flow, { [config.id]: { redisUrl: '${TBK_REDIS_URL}' } });
      const done = new Collector(node(shown));
      fire(byName(flow, 'inject', '100 条消息 100 messages').id);
      const [msg] = await done.waitFor(1, 20_000);
      assert.deepEqual({ ...msg!.payload }, { messages: 100, failed: 100 });
      assert.equal(sandbox.stats().totalCalls, 0);
    });

    /** Serves the flow's http in nodes on a loopback port; returns its origin. */
    async function serveHttpIn(): Promise<string> {
      assert.ok(httpNode, 'the http in node registered its route');
      server = createServer(httpNode);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    }

    it('11: a chat message posted to the webhook comes back with its links and 淘口令 converted', async function () {
      const flow = forSandbox(readFlow('11-chat-link-convert.json'), workDir);
      assert.equal(flow.find((n) => n.type === 'tbk-config')!.id, EXAMPLE_CONFIG_ID);
      const shown = probeDebug(flow, byName(flow, 'debug', '转链结果 converted'));
      await load(flow);
      const results = new Collector(node(shown));
      const origin = await serveHttpIn();

      const res = await fetch(`${origin}/tbk/chat`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: SAMPLE_CHAT,
      });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as { text: string; links: Array<Record<string, any>> };
      const materials = findMaterials(SAMPLE_CHAT);
      assert.deepEqual(
        answer.links.map((l) => l.input),
        materials.map((m) => m.text),
      );
      assert.deepEqual(
        answer.links.map((l) => l.ok),
        [true, false, true],
        'the sandbox refuses ￥zRmVdesjTCu￥ (1001)',
      );
      assert.deepEqual(answer.links[1]!.error, { code: 1001, msg: '无权限' });
      let expected = SAMPLE_CHAT;
      for (const link of answer.links) expected = expected.replace(link.input, link.output);
      assert.equal(answer.text, expected);
      assert.notEqual(answer.text, SAMPLE_CHAT);
      assert.ok(answer.text.endsWith('，手慢无！'));
      const sent = requestsOf('taobao.tbk.dg.general.link.convert');
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.adzone_id, '12345678');

      // JSON {"text": ...} works too; a text without materials comes back as it was, with no call
      const json = await fetch(`${origin}/tbk/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: '早上好，今天没有链接' }),
      });
      assert.deepEqual(await json.json(), { text: '早上好，今天没有链接', links: [] });
      assert.equal(requestsOf('taobao.tbk.dg.general.link.convert').length, 1);

      // a call that fails as a whole: 502 with the error
      sandbox.addFault({ kind: 'top-error', code: 25, method: 'taobao.tbk.dg.general.link.convert', count: 1 });
      const failed = await fetch(`${origin}/tbk/chat`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: SAMPLE_CHAT,
      });
      assert.equal(failed.status, 502);
      assert.equal(((await failed.json()) as { code: number }).code, 25);

      fire(byName(flow, 'inject', '示例群消息 sample message').id);
      await results.waitFor(4);
      assert.equal(results.messages[3]!.payload.text, answer.text, 'the sample message converts the same');
    });

    it('12: the order sync feeds the chart (commission per day) and the table (orders by status)', async function () {
      this.timeout(30_000);
      // an order book that stands still: 20 hours of orders, the last change 2 minutes ago
      const book = new OrderBook({ seed: 14, start: Date.now() - 20 * 3_600_000, ordersPerHour: 30 });
      book.advance(Date.now() - 120_000 - book.now);
      installOrderBook(sandbox, book);
      try {
        const flow = forSandbox(readFlow('12-commission-dashboard.json'), workDir).filter(
          (n) => !['ui-base', 'ui-page', 'ui-group', 'ui-theme'].includes(n.type),
        );
        // the dashboard widgets are exercised in the browser suite (test/e2e); here helpers stand in for them
        for (const n of flow)
          if (n.type === 'ui-chart' || n.type === 'ui-table') Object.assign(n, { type: 'helper', group: undefined });
        const chartId = flow.find((n) => n.name === '每日预估佣金 commission per day')!.id;
        const tableId = flow.find((n) => n.name === '订单状态 orders by status')!.id;
        await load(flow);
        const chart = new Collector(node(chartId));
        const table = new Collector(node(tableId));
        const [chartMsg] = await chart.waitFor(1, 25_000);
        const [tableMsg] = await table.waitFor(1);

        const orders = book.visibleOrders();
        assert.ok(orders.length > 300, `${orders.length} orders in the book`);
        const perDay = new Map<string, number>();
        const perStatus = new Map<number, number>();
        for (const order of orders) {
          const day = String(order.tk_create_time).slice(0, 10);
          if (order.tk_status !== 13) perDay.set(day, (perDay.get(day) ?? 0) + Number(order.pub_share_pre_fee));
          perStatus.set(order.tk_status, (perStatus.get(order.tk_status) ?? 0) + 1);
        }
        // made in a Function node: another realm's arrays and objects
        const days = JSON.parse(JSON.stringify(chartMsg!.payload)) as Array<{ day: string; fee: number }>;
        assert.deepEqual(
          days.map((d) => d.day),
          [...perDay.keys()].sort(),
        );
        for (const d of days)
          assert.ok(Math.abs(d.fee - perDay.get(d.day)!) < 0.005, `${d.day}: ${d.fee} vs ${perDay.get(d.day)}`);
        assert.equal(chartMsg!.topic, '预估佣金 estimated commission');
        const rows = JSON.parse(JSON.stringify(tableMsg!.payload)) as Array<Record<string, unknown>>;
        assert.equal(
          rows.reduce((sum, r) => sum + Number(r['订单数 orders']), 0),
          orders.length,
        );
        const names: Record<number, string> = {
          12: '已付款 paid',
          14: '确认收货 received',
          3: '已结算 settled',
          13: '已失效 closed',
        };
        const expectedRows = [12, 14, 3, 13]
          .filter((status) => perStatus.has(status))
          .map((status) => [names[status], perStatus.get(status)]);
        assert.deepEqual(
          rows.map((r) => [r['状态 status'], r['订单数 orders']]),
          expectedRows,
          'in the order an order goes through',
        );
      } finally {
        sandbox.clearResponses();
      }
    });

    it('a msg.payload object built in a Function node is taken as parameters', async function () {
      const z = 'realm-tab';
      const flow: FlowNode[] = [
        { id: z, type: 'tab' },
        { id: EXAMPLE_CONFIG_ID, type: 'tbk-config', endpoint: sandbox.url },
        {
          id: 'fn',
          type: 'function',
          z,
          x: 0,
          y: 0,
          func: "msg.payload = { item_id: '3232' };\nreturn msg;",
          outputs: 1,
          wires: [['call']],
        },
        {
          id: 'call',
          type: 'tbk-item-info-upgrade-get',
          z,
          x: 0,
          y: 0,
          config: EXAMPLE_CONFIG_ID,
          version: 1,
          params: {},
          errorMode: 'output',
          wires: [['ok'], ['err']],
        },
        { id: 'ok', type: 'helper', z, x: 0, y: 0 },
        { id: 'err', type: 'helper', z, x: 0, y: 0 },
      ];
      await load(flow);
      const oks = new Collector(node('ok'));
      const errs = new Collector(node('err'));
      node('fn').receive({});
      await Promise.race([oks.waitFor(1), errs.waitFor(1)]);
      assert.deepEqual(
        errs.messages.map((m) => m.error.message),
        [],
      );
      assert.equal(requestsOf('taobao.tbk.item.info.upgrade.get')[0]!.item_id, '3232');
    });

    for (const role of ROLES) {
      it(`catalog/${role}: every inject ends in exactly one output of its node`, async function () {
        const flow = forSandbox(readFlow(`catalog/${role}.json`), workDir);
        const methodNodes = flow.filter((n) => n.type.startsWith('tbk-') && n.type !== 'tbk-config');
        for (const n of methodNodes) {
          probe(flow, n, 0, 'ok-probe');
          probe(flow, n, 1, 'error-probe');
        }
        await load(flow);
        const oks = new Collector(node('ok-probe'));
        const errors = new Collector(node('error-probe'));
        const injects = flow.filter((n) => n.type === 'inject');
        assert.equal(injects.length, methodNodes.length);
        for (const n of injects) fire(n.id);
        const total = methodNodes.length;
        await new Promise<void>((resolve, reject) => {
          const started = Date.now();
          const check = (): void => {
            if (oks.messages.length + errors.messages.length >= total) return resolve();
            if (Date.now() - started > 45_000)
              return reject(new Error(`${oks.messages.length} + ${errors.messages.length} of ${total} outputs`));
            setTimeout(check, 50);
          };
          check();
        });
        await delay(300);
        const count = new Map<string, number>();
        for (const msg of [...oks.messages, ...errors.messages]) count.set(msg.topic, (count.get(msg.topic) ?? 0) + 1);
        for (const n of injects) assert.equal(count.get(n.topic), 1, `${n.topic}: ${count.get(n.topic) ?? 0} outputs`);
        const failed = Object.fromEntries(errors.messages.map((m) => [m.topic, `${m.error.kind}: ${m.error.message}`]));
        const expected = [...documentedFailures(specs).keys()].filter((method) =>
          injects.some((n) => n.topic === method),
        );
        assert.deepEqual(
          Object.keys(failed).sort(),
          expected.sort(),
          `unexpected error outputs: ${JSON.stringify(failed, null, 1)}`,
        );
        for (const msg of errors.messages)
          assert.equal(msg.error.kind, 'business', `${msg.topic}: ${msg.error.message}`);
      });
    }
  });
});
