/**
 * Writes the example flows: the task flows (scripts/example-flows.ts) as examples/0N-….json, and
 * from the method specs one catalog flow per family as examples/catalog/<role>.json, where every
 * node type has an inject carrying its documented example parameters, wired to the node, with both
 * outputs to debug nodes. The files are committed; test/nodes/examples.test.ts fails when they are stale.
 *
 * Usage: node dist/scripts/generate-examples.js [--check]   (--check: exit 1 if a file would change)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { detectBusinessFailure } from '../lib/top/response';
import { loadSpecs } from '../lib/method-specs';
import type { MethodSpec, ParamSpec, Role } from '../lib/method-specs/types';
import { taskExamples } from './example-flows';
import {
  FlowBuilder,
  OUTSIDE_NPM_START,
  comment,
  debug,
  fromPayload,
  inject,
  methodNode,
  type Column,
  type FlowNode,
} from './flow-builder';
import { packageRoot } from '../lib/package-root';

export const ROLES: readonly Role[] = ['promoter', 'provider', 'common', 'other'];
export const EXAMPLES_DIR = join(packageRoot(), 'examples');

/** The session the catalog injects carry for methods that need one (the sandbox takes any). */
export const CATALOG_SESSION = 'sandbox-user-session';

const FAMILY_TITLES: Record<Role, { zh: string; en: string }> = {
  promoter: { zh: '推广者', en: 'promoter' },
  provider: { zh: '服务商', en: 'provider' },
  common: { zh: '公用', en: 'common' },
  other: { zh: '其他', en: 'other' },
};

const ROWS_PER_BLOCK = 30;
const ROW_HEIGHT = 80;
const FIRST_ROW_Y = 160;
const BLOCK_GAP = 120;

const NUMERIC = /^-?\d+(\.\d+)?$/;
const PLACEHOLDER_DATE = '2024-01-01 00:00:00';

export interface ExampleValue {
  value: unknown;
  /** where the value came from when the spec documents none */
  placeholder?: string;
}

/** A documented example string as a value of the parameter's kind. */
export function exampleValue(param: ParamSpec, example: string): unknown {
  const text = example.trim();
  switch (param.kind) {
    case 'number': {
      const n = Number(text);
      return NUMERIC.test(text) && (!Number.isInteger(n) || Number.isSafeInteger(n)) ? n : example;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : example;
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return example;
      }
    case 'string[]':
      return text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    case 'number[]':
      return text.split(',').map((part) => {
        const item = part.trim();
        const n = Number(item);
        return NUMERIC.test(item) && Number.isSafeInteger(n) ? n : item;
      });
    default:
      return example;
  }
}

function kindPlaceholder(param: ParamSpec): unknown {
  switch (param.kind) {
    case 'number':
      return 1;
    case 'number[]':
      return [1];
    case 'boolean':
      return true;
    case 'date':
      return PLACEHOLDER_DATE;
    case 'string[]':
      return ['example'];
    case 'json':
      return {};
    default:
      return 'example';
  }
}

/** An object from the documented fields of an object parameter: their examples, or placeholders for required ones. */
function objectFromChildren(children: readonly ParamSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of children) {
    if (child.kind === 'file') continue;
    if (child.example !== undefined) out[child.name] = exampleValue(child, child.example);
    else if (child.children?.length) out[child.name] = objectFromChildren(child.children);
    else if (child.required) out[child.name] = kindPlaceholder(child);
  }
  return out;
}

/** Documented examples of each parameter name across the specs, first spec (by method) first. */
function examplesByName(specs: readonly MethodSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of [...specs].sort((a, b) => a.method.localeCompare(b.method))) {
    for (const param of spec.params)
      if (param.example !== undefined && !out.has(param.name)) out.set(param.name, param.example);
  }
  return out;
}

/**
 * The msg.payload of a method's catalog inject: every documented example, converted to the
 * parameter's kind. A required parameter without one gets the example of its sibling method or of
 * a same-named parameter elsewhere, else a placeholder of its kind; file parameters are left out.
 */
export function catalogPayload(
  spec: MethodSpec,
  specs: readonly MethodSpec[],
  byName = examplesByName(specs),
): { payload: Record<string, unknown>; placeholders: string[] } {
  const payload: Record<string, unknown> = {};
  const placeholders: string[] = [];
  const sibling = spec.sibling ? specs.find((s) => s.method === spec.sibling) : undefined;
  for (const param of spec.params) {
    if (param.kind === 'file') {
      if (param.required) placeholders.push(`${param.name}: binary content, not in an inject`);
      continue;
    }
    if (param.example !== undefined) {
      payload[param.name] = exampleValue(param, param.example);
      continue;
    }
    if (!param.required) continue;
    const siblingExample = sibling?.params.find((p) => p.name === param.name)?.example;
    const borrowed = siblingExample ?? byName.get(param.name);
    if (borrowed !== undefined) {
      payload[param.name] = exampleValue(param, borrowed);
      placeholders.push(`${param.name}: example of a same-named parameter`);
    } else if (param.kind === 'json' && param.children?.length) {
      payload[param.name] = objectFromChildren(param.children);
      placeholders.push(`${param.name}: built from its documented fields`);
    } else {
      payload[param.name] = kindPlaceholder(param);
      placeholders.push(`${param.name}: placeholder`);
    }
  }
  return { payload, placeholders };
}

/**
 * The methods whose documented response example itself reports a business failure (success false,
 * result_code or biz_error_code set ...): the sandbox answers with it, so their nodes end on the
 * error output with kind "business". Method -> "code message".
 */
export function documentedFailures(specs: readonly MethodSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs) {
    const example = spec.responseExample;
    if (!example) continue;
    const keys = Object.keys(example);
    const inner =
      keys.length === 1 && keys[0]!.endsWith('_response') ? (example[keys[0]!] as Record<string, unknown>) : example;
    const failure = detectBusinessFailure(inner, spec.business);
    if (failure) out.set(spec.method, `${failure.code ?? ''} ${failure.message}`.trim());
  }
  return out;
}

function catalogInfo(role: Role, count: number, failures: readonly string[]): string {
  const title = FAMILY_TITLES[role];
  const failuresZh = failures.length
    ? [
        '',
        `以下方法文档中的响应示例本身就是业务失败，沙箱照此作答，所以它们会走错误输出（msg.error.kind 为 "business"）：${failures.join('、')}。`,
      ]
    : [];
  const failuresEn = failures.length
    ? [
        '',
        `The documented response examples of these methods report a business failure themselves; the sandbox answers with them, so their nodes end on the error output (msg.error.kind "business"): ${failures.join(', ')}.`,
      ]
    : [];
  return [
    '**中文**',
    '',
    `本流程由 scripts/generate-examples.ts 根据 specs/methods 中的方法说明自动生成（请勿手工修改），列出“${title.zh}”类的全部 ${count} 个节点。每一行：inject 节点的 msg.payload 是该方法文档中的示例参数（已按参数类型转换为数字、布尔值、JSON），连到方法节点，两个输出分别连到“响应”和“错误”调试节点。点击 inject 左侧的按钮即可调用。`,
    '',
    `文档没有给出示例的必填参数，使用同名参数的文档示例或按类型生成的占位值（见各 inject 节点的说明）。需要用户授权的方法，inject 同时设置 msg.session = "${CATALOG_SESSION}"（沙箱接受任何非空 session；连接真实网关时删掉它，改用配置节点或 TBK_SESSION 中的 session）。`,
    '',
    '每个方法节点的必填参数都映射为 msg.payload 中的同名字段（参数类型 msg，值 payload.<参数名>），所以节点在编辑器中有效，参数来自 inject。',
    '',
    `配置节点与其他示例共用（相同的 ID，导入多个示例也只有一个）：网关地址和凭据读取环境变量 TBK_ENDPOINT、TBK_APP_KEY、TBK_APP_SECRET，\`npm start\` 会为它的 Node-RED 设置好它们（沙箱，端口是哪个都可以）。沙箱按文档中的响应示例作答。`,
    '',
    OUTSIDE_NPM_START.zh,
    ...failuresZh,
    '',
    '**English**',
    '',
    `Generated by scripts/generate-examples.ts from the method specs in specs/methods (do not edit by hand): all ${count} nodes of the ${title.en} family. Each row: an inject whose msg.payload is the method's documented example parameters (converted to numbers, booleans, JSON as the parameter's type says), wired to the method node, both outputs to a "response" and an "error" debug node. Click an inject's button to call.`,
    '',
    `A required parameter the documentation gives no example for gets the documented example of a same-named parameter or a placeholder of its type (see the inject's description). For methods that need a user session the inject also sets msg.session = "${CATALOG_SESSION}" (the sandbox takes any non-empty session; for the real gateway remove it and use the config node's session or TBK_SESSION).`,
    '',
    'The required parameters of every method node are mapped from the same-named fields of msg.payload (type msg, value payload.<name>), so every node is valid in the editor and takes its parameters from the inject.',
    '',
    `The config node is the one all examples share (same id: importing several leaves one): it reads the gateway and the credentials from the environment variables TBK_ENDPOINT, TBK_APP_KEY and TBK_APP_SECRET, which \`npm start\` sets for its Node-RED (the sandbox, on whatever port). The sandbox answers with the documented response examples.`,
    '',
    OUTSIDE_NPM_START.en,
    ...failuresEn,
  ].join('\n');
}

/** The palette labels of a node type in both languages (a method node without a name shows one of them). */
function methodLabels(specs: readonly MethodSpec[]): (node: FlowNode) => string[] | undefined {
  const byType = new Map(specs.map((spec) => [spec.type, [spec.label.en, spec.label.zh].filter(Boolean)]));
  return (node) =>
    node.type === 'tbk-api' && typeof node.method === 'string' && node.method ? [node.method] : byType.get(node.type);
}

/** The catalog flow of one family: blocks of inject -> node -> response / error rows, side by side. */
export function catalogFlow(role: Role, specs: readonly MethodSpec[]): FlowNode[] {
  const file = `catalog/${role}.json`;
  const family = specs.filter((s) => s.role === role).sort((a, b) => a.type.localeCompare(b.type));
  const withApi = role === 'common';
  const count = family.length + (withApi ? 1 : 0);
  const title = FAMILY_TITLES[role];
  const b = new FlowBuilder(file, `TBK ${title.zh} ${title.en} (catalog)`, '', methodLabels(specs));
  b.exampleConfig();
  const failures = [...documentedFailures(family).keys()];
  b.add(
    'about',
    'comment',
    comment(
      `淘宝客·${title.zh}：全部 ${count} 个节点的文档示例 / TBK ${title.en}: documented examples of all ${count} nodes`,
      catalogInfo(role, count, failures),
    ),
  );
  b.outsideNpmStartNote(0, 0);
  b.row(40, ['about']);
  b.row(80, ['outsideNpmStart']);
  const byName = examplesByName(specs);

  const rows: Column[][] = [];
  const row = (
    key: string,
    injectProps: Record<string, unknown>,
    nodeType: string,
    nodeProps: Record<string, unknown>,
  ): void => {
    b.add(`${key}:inject`, 'inject', injectProps, 0, 0, [[`${key}:node`]]);
    b.add(`${key}:node`, nodeType, nodeProps, 0, 0, [[`${key}:ok`], [`${key}:error`]]);
    b.add(`${key}:ok`, 'debug', debug('响应 response'));
    b.add(`${key}:error`, 'debug', debug('错误 error', 'error'));
    rows.push([`${key}:inject`, `${key}:node`, [`${key}:ok`, `${key}:error`]]);
  };

  family.forEach((spec) => {
    const { payload, placeholders } = catalogPayload(spec, specs, byName);
    const session = spec.auth === 'required' ? [{ p: 'session', v: CATALOG_SESSION, vt: 'str' }] : [];
    const injectProps = {
      ...inject(spec.method, payload, { topic: spec.method, extra: session }),
      info: placeholders.length
        ? `Not documented, filled in / 文档未给出，已补：\n\n${placeholders.map((p) => `- ${p}`).join('\n')}`
        : '',
    };
    const required = spec.validate ? spec.params.filter((p) => p.required && p.kind !== 'file').map((p) => p.name) : [];
    row(
      spec.type,
      injectProps,
      spec.type,
      methodNode('cfg', '', { version: spec.version, errorMode: 'output', params: fromPayload(...required) }),
    );
  });
  if (withApi) {
    row(
      'tbk-api',
      inject('tbk-api: taobao.tbk.tpwd.parse', { password_content: '￥asaff￥' }, { topic: 'tbk-api' }),
      'tbk-api',
      {
        name: '',
        config: 'cfg',
        method: 'taobao.tbk.tpwd.parse',
        writes: false,
        errorMode: 'output',
        batch: false,
        batchSize: 20,
      },
    );
  }
  let left = 20;
  for (let from = 0; from < rows.length; from += ROWS_PER_BLOCK) {
    const { right } = b.grid(rows.slice(from, from + ROWS_PER_BLOCK), {
      left,
      top: FIRST_ROW_Y,
      rowHeight: ROW_HEIGHT,
    });
    left = right + BLOCK_GAP;
  }
  return b.build();
}

export function renderFlow(flow: FlowNode[]): string {
  return JSON.stringify(flow, null, 4) + '\n';
}

/** Every generated file, relative to examples/, with its content. */
export function generatedExamples(specs: readonly MethodSpec[] = loadSpecs()): Map<string, string> {
  const files = new Map<string, string>();
  for (const example of taskExamples()) files.set(example.file, renderFlow(example.flow));
  for (const role of ROLES) files.set(`catalog/${role}.json`, renderFlow(catalogFlow(role, specs)));
  return files;
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [name, text] of generatedExamples()) {
    const path = join(EXAMPLES_DIR, name);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === text) continue;
    stale.push(name);
    if (!check) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  if (check && stale.length > 0) {
    console.error(`generate-examples: stale files in examples/: ${stale.join(', ')} (run npm run build)`);
    process.exit(1);
  }
  console.log(`generate-examples: ${stale.length === 0 ? 'examples/ up to date' : `wrote ${stale.join(', ')}`}`);
}

if (require.main === module) main();
