/**
 * Runtime texts in the user's language: every message key the lib and the nodes use has a text in
 * the en-US and zh-CN catalogues (en-US equal to the English message), and a real Node-RED, its
 * `lang` set to zh-CN or en-US, shows errors, Catch messages and status texts in that language.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TopClient, TopError } from '../../lib/index';
import { topErrorText } from '../../lib/top/errors';
import { MESSAGES, fillTemplate, resolveArgs, type MessageArgs } from '../../lib/top/messages';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox/index';
import { loadSpecs } from '../../lib/method-specs/index';
import { validateParams } from '../../lib/method-specs/schema';
import { NODE_MESSAGES } from '../../nodes/runtime-text';
import { startNodeRed, type NodeRed } from '../e2e/support';
import { REPO_ROOT } from '../support/paths';

type Catalogue = Record<string, unknown>;

function catalogue(lang: string): Catalogue {
  return (
    JSON.parse(readFileSync(join(REPO_ROOT, 'nodes', 'locales', lang, 'tbk-api.json'), 'utf8')) as { errors: Catalogue }
  ).errors;
}

function lookup(errors: Catalogue, key: string): string | undefined {
  let current: unknown = errors;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return typeof current === 'string' ? current : undefined;
}

/** What RED._ makes of a message with a catalogue (i18next fills __name__ markers the same way). */
function render(errors: Catalogue, key: string, args: MessageArgs): string {
  const one = (k: string, values: MessageArgs): string => fillTemplate(lookup(errors, k) ?? `<missing ${k}>`, values);
  return one(key, resolveArgs(args, one));
}

function markers(text: string): string[] {
  return [...new Set([...text.matchAll(/__([A-Za-z0-9_]+?)__/g)].map((m) => m[1]!))].sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const EN = catalogue('en-US');
const ZH = catalogue('zh-CN');
const ENGLISH: Record<string, string> = { ...MESSAGES, ...NODE_MESSAGES };

/** Errors the lib really makes, of every family of message. */
async function sampleErrors(): Promise<TopError[]> {
  const spec = loadSpecs().find((s) => s.method === 'taobao.tbk.dg.material.optional.upgrade')!;
  const errors: TopError[] = [];
  const capture = (run: () => unknown): void => {
    try {
      run();
    } catch (err) {
      errors.push(err as TopError);
    }
  };
  capture(() => validateParams(spec, {}));
  capture(() => validateParams(spec, { adzone_id: 'abc', page_size: [1], q: Symbol('x') }));
  capture(() => validateParams(spec, { adzone_id: 1, nope: 1, other: 2 }));
  capture(() => new TopClient({ appKey: 'k', appSecret: 's', endpoint: 'ftp://x' }));
  errors.push(new TopError({ kind: 'top', code: 25, ...topErrorText(25, 'Invalid signature', undefined, undefined) }));
  errors.push(
    new TopError({
      kind: 'top',
      code: 15,
      ...topErrorText(15, 'Remote service error', 'isv.invalid-parameter', 'bad'),
    }),
  );
  errors.push(new TopError({ kind: 'top', ...topErrorText(undefined, undefined, 'x', undefined) }));
  const port = await freePort();
  const client = new TopClient({
    appKey: 'k',
    appSecret: 's',
    endpoint: `http://127.0.0.1:${port}/router/rest`,
    retry: false,
  });
  try {
    await client.call('taobao.tbk.tpwd.create', { url: 'https://s.click.taobao.com/x' });
  } catch (err) {
    errors.push(err as TopError);
  } finally {
    await client.close();
  }
  return errors;
}

describe('runtime texts', function () {
  describe('catalogues (nodes/locales/*/tbk-api.json, "errors")', function () {
    it('have every English message of the lib and the nodes, en-US word for word, zh-CN with the same values', function () {
      const problems: string[] = [];
      for (const [key, english] of Object.entries(ENGLISH)) {
        if (lookup(EN, key) !== english) problems.push(`en-US ${key}: ${lookup(EN, key)}`);
        const zh = lookup(ZH, key);
        if (zh === undefined) problems.push(`zh-CN ${key}: missing`);
        else if (JSON.stringify(markers(zh)) !== JSON.stringify(markers(english)))
          problems.push(`zh-CN ${key}: values ${markers(zh).join(',')} instead of ${markers(english).join(',')}`);
      }
      assert.deepEqual(problems, []);
    });

    it('have a text for every message key written in lib/ and nodes/', function () {
      const keys = new Set<string>();
      for (const file of [...sourceFiles(join(REPO_ROOT, 'lib')), ...sourceFiles(join(REPO_ROOT, 'nodes'))]) {
        const source = readFileSync(file, 'utf8');
        for (const match of source.matchAll(
          /(?:messageFields|nodeMessageFields)\('([^']+)'|messageKey: '([^']+)'|\{ key: '([a-z]+\.[A-Za-z.]+)'/g,
        ))
          keys.add((match[1] ?? match[2] ?? match[3])!);
      }
      assert.ok(keys.size > 40, `${keys.size} keys found`);
      assert.deepEqual(
        [...keys].filter((key) => lookup(EN, key) === undefined || lookup(ZH, key) === undefined),
        [],
      );
    });

    it('give the English message of real errors in en-US and a Chinese one in zh-CN, every value filled', async function () {
      const errors = await sampleErrors();
      assert.ok(errors.length >= 8);
      for (const err of errors) {
        assert.ok(err.messageKey, `no key: ${err.message}`);
        assert.equal(render(EN, err.messageKey, err.messageArgs ?? {}), err.message);
        const zh = render(ZH, err.messageKey, err.messageArgs ?? {});
        assert.match(zh, /[\u4e00-\u9fff]/, zh);
        assert.doesNotMatch(zh, /__\w+__|<missing/, zh);
      }
    });

    it('hint that the sandbox may not be running when a loopback endpoint refuses the connection', async function () {
      const refused = (await sampleErrors()).find((err) => err.kind === 'transport')!;
      assert.equal(refused.messageKey, 'transport.connectLoopback');
      assert.match(refused.message, /is the sandbox running\? Start it with npm start or npx tbk-sandbox/);
      assert.match(render(ZH, refused.messageKey!, refused.messageArgs!), /沙箱是否在运行/);
    });
  });

  describe('in a Node-RED whose lang setting is zh-CN or en-US', function () {
    this.timeout(120_000);
    let sandbox: Sandbox;

    before(async function () {
      sandbox = await startSandbox({ apps: [{ ...DEFAULT_APP }] });
    });
    after(async function () {
      await sandbox?.close();
    });

    /**
     * A flow of http-in endpoints: /t/validation (a required parameter missing, error output),
     * /t/refused (a loopback port nobody listens on), /t/catch (a bad signature, reported to a Catch
     * node), /t/ok; /t/status lists the status texts the method nodes showed.
     */
    async function flowFor(refusedPort: number): Promise<Array<Record<string, unknown>>> {
      const z = 'rt-tab';
      const http = (id: string, url: string, target: string): Record<string, unknown> => ({
        id,
        type: 'http in',
        z,
        url,
        method: 'get',
        upload: false,
        swaggerDoc: '',
        x: 100,
        y: 100,
        wires: [[target]],
      });
      const method = (
        id: string,
        type: string,
        config: string,
        params: Record<string, unknown>,
        errorMode: string,
        wires: string[][],
      ): Record<string, unknown> => ({
        id,
        type,
        z,
        name: id,
        config,
        version: 1,
        params,
        allowExtra: false,
        errorMode,
        paging: 'one',
        maxPages: 10,
        x: 300,
        y: 100,
        wires,
      });
      const toPayload = (id: string, expression: string): Record<string, unknown> => ({
        id,
        type: 'function',
        z,
        name: id,
        func: `msg.payload = ${expression};\nreturn msg;`,
        outputs: 1,
        x: 500,
        y: 100,
        wires: [['reply']],
      });
      return [
        { id: z, type: 'tab', label: 'runtime texts' },
        {
          id: 'sandbox-cfg',
          type: 'tbk-config',
          endpoint: sandbox.url,
          retries: 0,
          credentials: { appKey: DEFAULT_APP.appKey, appSecret: DEFAULT_APP.appSecret },
        },
        {
          id: 'bad-secret-cfg',
          type: 'tbk-config',
          endpoint: sandbox.url,
          retries: 0,
          credentials: { appKey: DEFAULT_APP.appKey, appSecret: 'not-the-secret' },
        },
        {
          id: 'refused-cfg',
          type: 'tbk-config',
          endpoint: `http://127.0.0.1:${refusedPort}/router/rest`,
          retries: 0,
          credentials: { appKey: 'k', appSecret: 's' },
        },
        http('in-validation', '/t/validation', 'validation'),
        method('validation', 'tbk-item-info-upgrade-get', 'sandbox-cfg', {}, 'output', [['answer'], ['error-out']]),
        http('in-refused', '/t/refused', 'refused'),
        method(
          'refused',
          'tbk-tpwd-create',
          'refused-cfg',
          { url: { value: 'https://s.click.taobao.com/x', type: 'str' } },
          'output',
          [['answer'], ['error-out']],
        ),
        http('in-catch', '/t/catch', 'catch-mode'),
        method(
          'catch-mode',
          'tbk-tpwd-create',
          'bad-secret-cfg',
          { url: { value: 'https://s.click.taobao.com/x', type: 'str' } },
          'catch',
          [['answer']],
        ),
        {
          id: 'catcher',
          type: 'catch',
          z,
          scope: ['catch-mode'],
          uncaught: false,
          x: 100,
          y: 300,
          wires: [['caught']],
        },
        http('in-ok', '/t/ok', 'ok'),
        method(
          'ok',
          'tbk-tpwd-create',
          'sandbox-cfg',
          { url: { value: 'https://s.click.taobao.com/x', type: 'str' } },
          'output',
          [['answer'], ['error-out']],
        ),
        toPayload('answer', '{ ok: true }'),
        toPayload('error-out', 'msg.error'),
        toPayload('caught', 'msg.error'),
        {
          id: 'statuses',
          type: 'status',
          z,
          scope: ['validation', 'refused', 'catch-mode', 'ok'],
          x: 100,
          y: 400,
          wires: [['keep-status']],
        },
        {
          id: 'keep-status',
          type: 'function',
          z,
          func: "const list = global.get('statuses') || [];\nlist.push(msg.status.text || '');\nglobal.set('statuses', list);\nreturn null;",
          outputs: 1,
          x: 300,
          y: 400,
          wires: [[]],
        },
        http('in-status', '/t/status', 'list-status'),
        toPayload('list-status', "global.get('statuses') || []"),
        { id: 'reply', type: 'http response', z, statusCode: '', headers: {}, x: 700, y: 100, wires: [] },
      ];
    }

    async function deployed(lang: string): Promise<NodeRed> {
      const nodeRed = await startNodeRed({}, { lang });
      const flows = await flowFor(await freePort());
      const response = await fetch(new URL('flows', nodeRed.url), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Node-RED-API-Version': 'v2',
          'Node-RED-Deployment-Type': 'full',
        },
        body: JSON.stringify({ flows }),
      });
      assert.equal(response.status, 200, await response.text());
      return nodeRed;
    }

    async function get(nodeRed: NodeRed, path: string): Promise<any> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const response = await fetch(new URL(path.slice(1), nodeRed.url), { signal: AbortSignal.timeout(15_000) });
        // the flows start a moment after the deploy answers
        if (response.status !== 404 || Date.now() > deadline) {
          assert.equal(response.status, 200, `${path}: ${response.status}`);
          return response.json();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    for (const lang of ['zh-CN', 'en-US'] as const) {
      it(`${lang}: errors on the error output and to Catch nodes, and the status texts`, async function () {
        const nodeRed = await deployed(lang);
        try {
          const zh = lang === 'zh-CN';
          const validation = await get(nodeRed, '/t/validation');
          assert.equal(validation.kind, 'validation');
          assert.equal(validation.param, 'item_id');
          assert.match(validation.message, zh ? /^参数 "item_id".*为必填项$/ : /^Parameter "item_id".* is required$/);

          const refused = await get(nodeRed, '/t/refused');
          assert.equal(refused.kind, 'transport');
          assert.match(
            refused.message,
            zh
              ? /无法连接网关 127\.0\.0\.1:\d+（ECONNREFUSED）：沙箱是否在运行/
              : /Cannot connect to the gateway 127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the sandbox running\?/,
          );

          // a Catch node: Node-RED's msg.error, the message in the language, the fields as plain values in cause
          const caught = await get(nodeRed, '/t/catch');
          assert.match(
            caught.message,
            zh
              ? /签名无效（25）：请检查 App Secret 和签名方式/
              : /Invalid signature \(25\): check the App Secret and sign method/,
          );
          assert.equal(caught.source.id, 'catch-mode');
          assert.equal(caught.cause.kind, 'top');
          assert.equal(caught.cause.code, 25);
          for (const field of ['kind', 'code', 'msg', 'request_id'])
            assert.ok(
              ['string', 'number'].includes(typeof caught.cause[field]),
              `cause.${field}: ${JSON.stringify(caught.cause)}`,
            );
          assert.ok(!JSON.stringify(caught).includes('[object Object]'));

          assert.deepEqual(await get(nodeRed, '/t/ok'), { ok: true });
          const wanted = zh
            ? [/^\d+ 个请求中$/, /^成功 \d+ 毫秒$/, /^validation: 参数 "item_id"/, /^transport: 无法连接网关/]
            : [/^\d+ in flight$/, /^ok \d+ ms$/, /^validation: Parameter "item_id"/, /^transport: Cannot connect/];
          // routine status updates are coalesced (at most one per 200 ms): the last one shows a moment later
          let statuses: string[] = [];
          for (
            const deadline = Date.now() + 5_000;
            Date.now() < deadline;
            await new Promise((resolve) => setTimeout(resolve, 100))
          ) {
            statuses = await get(nodeRed, '/t/status');
            if (wanted.every((pattern) => statuses.some((text) => pattern.test(text)))) break;
          }
          for (const pattern of wanted)
            assert.ok(
              statuses.some((text) => pattern.test(text)),
              `no status like ${pattern}: ${JSON.stringify(statuses)}`,
            );
          assert.ok(!nodeRed.log().includes('[object Object]'), 'the log shows the cause as text');
        } finally {
          await nodeRed.stop();
        }
      });
    }
  });
});
