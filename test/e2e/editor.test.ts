/**
 * The editor in a real browser: Node-RED with this package installed, driven in headless Chromium.
 * Every test fails on any page error, console error or warning of the shared editor script.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_APP, startSandbox, type Sandbox } from '../../lib/sandbox/index';
import { loadSpecs, type MethodSpec, type Role } from '../../lib/method-specs/index';
import { REPO_ROOT } from '../support/paths';
import { freePort } from '../support/redis';
import { requireTool } from '../support/tools';
import {
  closeQuietly,
  launchBrowser,
  openEditor,
  PACKAGE_NAME,
  PageProblems,
  SCREENSHOT_DIR,
  startNodeRed,
  type Editor,
  type NodeRed,
} from './support';

// Browser-side globals, used only inside page.evaluate / waitForFunction callbacks (serialised to the page).
declare const RED: any;
declare const $: any;

const SPECS = loadSpecs();
const ROLES: Role[] = ['promoter', 'provider', 'common', 'other'];
/** palette category of each role: 'tbk promoter' ..., drawn as #red-ui-palette-container-tbk_promoter */
const categoryId = (role: Role): string => `red-ui-palette-container-tbk_${role}`;
const EXAMPLE_FILE = '01-generic-api-call';
const DIALOG_TYPE = 'tbk-dg-material-optional-upgrade';
/** an app of our own, so the secret typed in the config dialog is a string found nowhere else */
const E2E_APP = {
  appKey: `e2e-app-${randomBytes(4).toString('hex')}`,
  appSecret: `e2e-secret-${randomBytes(12).toString('hex')}`,
};
const E2E_SESSION = `e2e-session-${randomBytes(12).toString('hex')}`;

interface DialogSeen {
  type: string;
  rows: number;
  required: string[];
  starred: number;
  config: string;
  help: string;
  error?: string;
}

/**
 * Runs in the page: opens the edit dialog of each node, reads what the shared editor script drew and
 * what the help sidebar shows, then cancels, as the Cancel button does.
 */
async function openDialogsInPage(
  items: Array<{ id: string; type: string; method: string; rows: number }>,
): Promise<DialogSeen[]> {
  const until = <T>(condition: () => T, what: string, limitMs = 15_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = (): void => {
        let value: T | undefined;
        try {
          value = condition();
        } catch {
          value = undefined;
        }
        if (value) resolve(value);
        else if (Date.now() - started > limitMs) reject(new Error(`timed out waiting for ${what}`));
        else setTimeout(poll, 10);
      };
      poll();
    });
  const results: DialogSeen[] = [];
  for (const item of items) {
    const result: DialogSeen = { type: item.type, rows: 0, required: [], starred: 0, config: '', help: '' };
    try {
      RED.editor.edit(RED.nodes.node(item.id));
      const container = `#tbk-params-${item.type}`;
      await until(
        () =>
          $('#node-dialog-cancel').is(':visible') &&
          (item.rows === 0 ? $(`${container} .tbk-note`).length > 0 : $(`${container} .tbk-param`).length >= item.rows),
        'the parameter rows',
      );
      // fully open: the tray raises the editor stack once its opening timers have run (cancelling earlier races them)
      await until(() => $('#red-ui-editor-stack').css('z-index') === '13', 'the dialog to finish opening');
      const requiredRows = $(`${container} .tbk-param.tbk-required`);
      result.rows = $(`${container} .tbk-param`).length;
      result.required = requiredRows
        .map((_: number, row: unknown) => $(row).attr('data-name'))
        .get()
        .sort();
      result.starred = requiredRows.filter(
        (_: number, row: unknown) => $(row).find('.tbk-star').length === 1 && $(row).is(':visible'),
      ).length;
      result.config = String($('#node-input-config').val());
      RED.sidebar.help.show(item.type);
      result.help = await until(
        () => {
          const text: string = $('.red-ui-sidebar-help-stack .red-ui-help').text();
          return text.includes(item.method) ? text : '';
        },
        'the help',
        5_000,
      ).catch(() => $('.red-ui-sidebar-help-stack .red-ui-help').text());
    } catch (err) {
      result.error = (err as Error).message;
    }
    try {
      $('#node-dialog-cancel').trigger('click');
      await until(() => $('.red-ui-tray').length === 0, 'the dialog to close');
    } catch (err) {
      result.error = result.error ?? (err as Error).message;
    }
    results.push(result);
  }
  return results;
}

describe('editor in headless Chromium (e2e)', function () {
  this.timeout(120_000);
  this.slow(30_000);

  let sandbox: Sandbox | undefined;
  let nodeRed: NodeRed | undefined;
  let browser: Browser | undefined;
  let editor: Editor | undefined;
  const problems = new PageProblems();

  before(async function () {
    this.timeout(180_000);
    requireTool(this, 'chromium');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const file of readdirSync(SCREENSHOT_DIR))
      if (file.startsWith('failure-')) rmSync(join(SCREENSHOT_DIR, file), { force: true });
    // a port of the kernel's choosing: the examples find the sandbox through TBK_ENDPOINT, as under npm start
    sandbox = await startSandbox({ apps: [{ ...DEFAULT_APP }, E2E_APP], port: 0 });
    nodeRed = await startNodeRed({
      TBK_ENDPOINT: sandbox.url,
      TBK_APP_KEY: DEFAULT_APP.appKey,
      TBK_APP_SECRET: DEFAULT_APP.appSecret,
    });
    browser = await launchBrowser();
    editor = await openEditor(browser, nodeRed.url, 'en-US', problems);
  });

  after(async function () {
    this.timeout(60_000);
    if (problems.ignored.length)
      console.log(
        `      (ignored ${problems.ignored.length} known Node-RED core error(s): ${problems.ignored[0]!.split('\n')[0]})`,
      );
    await closeQuietly(editor?.context);
    await closeQuietly(browser);
    await nodeRed?.stop();
    await sandbox?.close();
  });

  /** A test that also fails on any browser problem reported while it ran. */
  function check(title: string, body: (page: Page) => Promise<void>, timeoutMs = 60_000): void {
    it(title, async function () {
      this.timeout(timeoutMs);
      assert.ok(editor, 'the editor did not open (see the before hook)');
      const mark = problems.list.length;
      try {
        await body(editor.page);
      } catch (err) {
        // what the editor showed when it failed, for whoever reads the CI log
        const file = join(SCREENSHOT_DIR, `failure-${title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
        await editor.page.screenshot({ path: file }).then(
          () => console.error(`screenshot of the failure: ${file}`),
          () => undefined,
        );
        throw err;
      } finally {
        const found = problems.since(mark);
        if (found.length) {
          // an assertion failure of the body stays the reported one; the browser problems are printed
          console.error(`browser problems during "${title}":\n${found.join('\n')}`);
        }
      }
      assert.deepEqual(problems.since(mark), [], 'page errors or console errors in the browser');
    });
  }

  check('shows every tbk node type in the palette, under its family category', async (page) => {
    const placed: Array<{ type: string; category: string }> = await page.evaluate(() =>
      $('.red-ui-palette-node[data-palette-type^="tbk-"]')
        .map(function (this: any) {
          return {
            type: $(this).attr('data-palette-type'),
            category: $(this).closest('.red-ui-palette-category').attr('id'),
          };
        })
        .get(),
    );
    const byType = new Map(placed.map((p) => [p.type, p.category]));
    // node types of this package that are not method nodes (tbk-api, and any other the package adds): from the runtime
    const sets = (await (
      await fetch(new URL('nodes', nodeRed!.url), { headers: { Accept: 'application/json' } })
    ).json()) as Array<{ module: string; types: string[]; err?: string }>;
    const moduleTypes = sets.filter((set) => set.module === PACKAGE_NAME).flatMap((set) => set.types);
    assert.deepEqual(
      sets.filter((set) => set.module === PACKAGE_NAME && set.err).map((set) => set.err),
      [],
      'node sets that failed to load',
    );
    const otherTypes = moduleTypes.filter((type) => !SPECS.some((spec) => spec.type === type) && type !== 'tbk-config');
    assert.ok(otherTypes.includes('tbk-api'), 'the runtime has tbk-api');
    assert.equal(byType.size, placed.length, 'a type shows twice in the palette');
    const expected = new Map<string, string>(SPECS.map((spec) => [spec.type, categoryId(spec.role)]));
    expected.set('tbk-api', categoryId('common'));
    // the other non-method types: in the palette, under one of the tbk categories
    for (const type of otherTypes)
      if (!expected.has(type) && byType.get(type)?.startsWith('red-ui-palette-container-tbk_'))
        expected.set(type, byType.get(type)!);
    assert.deepEqual(
      otherTypes.filter((type) => !expected.has(type)),
      [],
      'non-method types missing from the tbk categories',
    );
    const missing = [...expected.keys()].filter((type) => !byType.has(type));
    assert.deepEqual(missing, [], 'types missing from the palette');
    const misplaced = [...expected]
      .filter(([type, category]) => byType.get(type) !== category)
      .map(([type, category]) => `${type}: ${byType.get(type)} (expected ${category})`);
    assert.deepEqual(misplaced, [], 'types under the wrong category');
    assert.deepEqual(
      [...byType.keys()].filter((type) => !expected.has(type)),
      [],
      'unexpected tbk types in the palette',
    );
    assert.ok(!byType.has('tbk-config'), 'the config node must not be in the palette');
    for (const role of ROLES) {
      const count = placed.filter((p) => p.category === categoryId(role)).length;
      const specCount =
        SPECS.filter((spec) => spec.role === role).length +
        otherTypes.filter((type) => expected.get(type) === categoryId(role)).length;
      assert.equal(count, specCount, `nodes in the ${role} category`);
    }
    await screenshotPalette(page, 'palette-en-US.png');
  });

  check('palette search finds a node by its Chinese title and by its method name', async (page) => {
    const search = async (text: string, visible: string[], hidden: string[]): Promise<void> => {
      await page.fill('#red-ui-palette-search input', text);
      await page.press('#red-ui-palette-search input', 'End');
      await page
        .waitForFunction(
          ([show, hide]) =>
            show!.every((t) => $(`.red-ui-palette-node[data-palette-type="${t}"]`).is(':visible')) &&
            hide!.every((t) => !$(`.red-ui-palette-node[data-palette-type="${t}"]`).is(':visible')),
          [visible, hidden],
          { timeout: 15_000 },
        )
        .catch(() =>
          assert.fail(
            `searching "${text}" should show ${visible.join(', ') || 'nothing'} and hide ${hidden.join(', ')}`,
          ),
        );
    };
    try {
      await search('物料搜索升级版', [DIALOG_TYPE], ['tbk-tpwd-create', 'tbk-api']);
      await search('淘口令生成', ['tbk-tpwd-create'], [DIALOG_TYPE]);
      await search(
        'taobao.tbk.dg.material.optional.upgrade',
        [DIALOG_TYPE],
        ['tbk-tpwd-create', 'tbk-dg-material-optional'],
      );
      await search('taobao.tbk.tpwd.create', ['tbk-tpwd-create'], [DIALOG_TYPE]);
      await search('zzqqxx-no-such-node', [], [DIALOG_TYPE, 'tbk-tpwd-create', 'tbk-api']);
      // the generic node by what it is, in both languages
      for (const term of ['通用', '任意接口', 'any method'])
        await search(term, ['tbk-api'], [DIALOG_TYPE, 'tbk-tpwd-create']);
      // every link conversion by 转链, whatever its title calls it (商品链接转换, 店铺链接转换 ...)
      const conversions = SPECS.filter(
        (spec) => /\.convert$/.test(spec.method) || /转链|链接转换/.test(spec.title.zh + spec.label.zh),
      ).map((spec) => spec.type);
      assert.ok(
        ['tbk-item-convert', 'tbk-shop-convert', 'tbk-sc-shop-convert', 'tbk-dg-general-link-convert'].every((type) =>
          conversions.includes(type),
        ),
        conversions.join(', '),
      );
      await search('转链', conversions, ['tbk-tpwd-create', 'tbk-api', DIALOG_TYPE]);
    } finally {
      await page.fill('#red-ui-palette-search input', '');
      await page.press('#red-ui-palette-search input', 'End');
    }
    // cleared: the filter shows every node again (its category may stay collapsed)
    await page.waitForFunction(
      (types) =>
        types.every((type) => $(`.red-ui-palette-node[data-palette-type="${type}"]`).css('display') !== 'none'),
      [DIALOG_TYPE, 'tbk-tpwd-create', 'tbk-api'],
    );
  });

  check(
    'opens and closes the edit dialog of every node type, with its required fields and its help',
    async (page) => {
      assert.ok(browser && nodeRed);
      const failures: string[] = [];
      const extraEditors: Editor[] = [];
      try {
        // The dialogs wait mostly on the tray's animation timers, not on the CPU: a few pages side by side
        // divide the time. Each page's loop runs in the page (one round trip per batch).
        const pages = Math.max(1, Number(process.env.TBK_E2E_DIALOG_PAGES) || 3);
        const opened = await Promise.allSettled(
          Array.from({ length: pages - 1 }, () => openEditor(browser!, nodeRed!.url, 'en-US', problems)),
        );
        for (const result of opened) if (result.status === 'fulfilled') extraEditors.push(result.value);
        const workers = [page, ...extraEditors.map((e) => e.page)];
        await Promise.all(workers.map((worker) => importDialogNodes(worker)));
        const items = SPECS.map((spec, i) => ({
          id: `e2e-dialog-${i}`,
          type: spec.type,
          method: spec.method,
          rows: spec.params.length,
        }));
        const seen = new Map<string, DialogSeen>();
        await Promise.all(
          workers.map(async (worker, w) => {
            const mine = items.filter((_, i) => i % workers.length === w);
            for (let from = 0; from < mine.length; from += 20)
              for (const result of await worker.evaluate(openDialogsInPage, mine.slice(from, from + 20)))
                seen.set(result.type, result);
          }),
        );
        for (const spec of SPECS) {
          const failure = methodDialogFailure(
            spec,
            seen.get(spec.type) ?? {
              type: spec.type,
              rows: 0,
              required: [],
              starred: 0,
              config: '',
              help: '',
              error: 'not opened',
            },
          );
          if (failure) failures.push(`${spec.type}: ${failure}`);
        }
        await page.evaluate(
          (id) => RED.editor.edit(RED.nodes.node(id)),
          `e2e-dialog-${SPECS.findIndex((spec) => spec.type === DIALOG_TYPE)}`,
        );
        await page.waitForFunction(
          (type) =>
            $(`#tbk-params-${type} .tbk-param`).length > 0 &&
            $('#node-dialog-cancel').is(':visible') &&
            $('.red-ui-tray').css('right') === '0px',
          DIALOG_TYPE,
        );
        await page.screenshot({ path: join(SCREENSHOT_DIR, `edit-${DIALOG_TYPE}-en-US.png`) });
        await page.click('#node-dialog-cancel');
        await page.waitForFunction(() => $('.red-ui-tray').length === 0);
        const apiFailure = await checkOtherDialog(page, 'tbk-api', 'e2e-dialog-api').catch((err: Error) => err.message);
        if (apiFailure) failures.push(`tbk-api: ${apiFailure}`);
        const configFailure = await checkOtherDialog(page, 'tbk-config', 'e2e-dialog-config').catch(
          (err: Error) => err.message,
        );
        if (configFailure) failures.push(`tbk-config: ${configFailure}`);
      } finally {
        for (const extra of extraEditors) await closeQuietly(extra.context);
        await closeAnyDialog(page);
        await page.evaluate(() => {
          const ids: string[] = [];
          RED.nodes.eachNode((n: any) => {
            if (String(n.id).startsWith('e2e-dialog-')) ids.push(n.id);
          });
          ids.forEach((id) => RED.nodes.remove(id));
          if (RED.nodes.node('e2e-dialog-config')) RED.nodes.remove('e2e-dialog-config');
          RED.nodes.dirty(false);
          RED.view.redraw(true);
        });
      }
      assert.deepEqual(failures, [], 'edit dialogs');
    },
    240_000,
  );

  check(
    'keeps the App Secret and session of a config node created in the editor out of flows.json and GET /flows',
    async (page) => {
      assert.ok(nodeRed && sandbox);
      const tab: string = await page.evaluate(() => RED.workspaces.active());
      await page.evaluate((z) => {
        RED.view.importNodes(
          [
            {
              id: 'e2e-cfg-inject',
              type: 'inject',
              z,
              name: 'e2e tpwd',
              props: [{ p: 'payload' }],
              payload: '{"url":"https://s.click.taobao.com/e2e"}',
              payloadType: 'json',
              repeat: '',
              once: false,
              x: 150,
              y: 80,
              wires: [['e2e-cfg-tpwd']],
            },
            {
              id: 'e2e-cfg-tpwd',
              type: 'tbk-tpwd-create',
              z,
              name: 'e2e tpwd create',
              params: { url: { value: 'payload.url', type: 'msg' } },
              x: 380,
              y: 80,
              wires: [['e2e-cfg-debug'], ['e2e-cfg-debug']],
            },
            {
              id: 'e2e-cfg-debug',
              type: 'debug',
              z,
              name: 'e2e-cfg-debug',
              active: true,
              tosidebar: true,
              console: false,
              complete: 'true',
              targetType: 'full',
              x: 620,
              y: 80,
              wires: [],
            },
          ],
          { generateIds: false, addFlow: false, touchImport: true },
        );
      }, tab);
      await dropImported(page);
      // the method node's dialog: "Add new tbk-config..." in its config select, then the pencil opens the config dialog
      await page.evaluate(() => RED.editor.edit(RED.nodes.node('e2e-cfg-tpwd')));
      await page.waitForSelector('#node-input-config', { state: 'attached' });
      await page.waitForFunction(
        () => $('#node-dialog-ok').is(':visible') && $('#node-input-config option').length > 0,
      );
      await page.click('#node-input-btn-config-add');
      await page.waitForSelector('#node-config-input-appSecret', { state: 'visible' });
      await page.fill('#node-config-input-name', 'e2e config');
      await page.fill('#node-config-input-appKey', E2E_APP.appKey);
      await page.fill('#node-config-input-appSecret', E2E_APP.appSecret);
      await page.fill('#node-config-input-session', E2E_SESSION);
      await page.fill('#node-config-input-endpoint', sandbox.url);
      await page.click('#node-config-dialog-ok');
      await page.waitForSelector('#node-config-input-appSecret', { state: 'detached' });
      await page.waitForFunction(() => /e2e config/.test($('#node-input-config option:selected').text()));
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      const configId: string = await page.evaluate(() => RED.nodes.node('e2e-cfg-tpwd').config);
      assert.match(configId, /^[0-9a-f]{16}$/, 'the method node points at the new config node');

      await deploy(page);

      const flowsText = readFileSync(nodeRed.flowFile, 'utf8');
      const flows = JSON.parse(flowsText) as Array<Record<string, unknown>>;
      const config = flows.find((n) => n.id === configId);
      assert.ok(config, 'the config node is in flows.json');
      assert.equal(config.endpoint, sandbox.url);
      assert.ok(!('credentials' in config), 'no credentials property in flows.json');
      for (const secret of [E2E_APP.appSecret, E2E_SESSION])
        assert.ok(!flowsText.includes(secret), 'a secret is in flows.json');
      const credentialsText = readFileSync(nodeRed.credentialsFile, 'utf8');
      for (const secret of [E2E_APP.appSecret, E2E_SESSION])
        assert.ok(!credentialsText.includes(secret), 'flows_cred.json is not encrypted');
      const apiResponse = await fetch(new URL('flows', nodeRed.url), { headers: { 'Node-RED-API-Version': 'v2' } });
      assert.equal(apiResponse.status, 200);
      const apiText = await apiResponse.text();
      assert.ok(apiText.includes(configId), 'GET /flows lists the config node');
      for (const secret of [E2E_APP.appSecret, E2E_SESSION])
        assert.ok(!apiText.includes(secret), 'a secret is in GET /flows');
      const editorCredentials = await (await fetch(new URL(`credentials/tbk-config/${configId}`, nodeRed.url))).text();
      for (const secret of [E2E_APP.appSecret, E2E_SESSION])
        assert.ok(!editorCredentials.includes(secret), 'a secret is sent back to the editor');

      // the stored credentials work: the call through the new config node is signed with them
      const before = sandbox.stats().totalCalls;
      await clickInject(page, 'e2e-cfg-inject');
      await waitForDebug(page, 'e2e-cfg-debug', 1);
      const call = sandbox.requests().slice(-1)[0];
      assert.ok(sandbox.stats().totalCalls > before && call, 'the sandbox got the call');
      assert.equal(call.method, 'taobao.tbk.tpwd.create');
      assert.equal(call.appKey, E2E_APP.appKey);
      const debugText = await debugMessages(page, 'e2e-cfg-debug');
      assert.ok(
        !/error/i.test(debugText[0]!.split('\n')[0]!) || /payload/.test(debugText[0]!),
        `debug shows the answer: ${debugText[0]}`,
      );
      await removeNodes(page, ['e2e-cfg-inject', 'e2e-cfg-tpwd', 'e2e-cfg-debug', configId]);
    },
    90_000,
  );

  check(
    'moves a Redis URL that an earlier version left in flows.json into the credentials when the config dialog is saved',
    async (page) => {
      assert.ok(nodeRed && sandbox);
      const password = `redis-pw-${randomBytes(8).toString('hex')}`;
      const redisPort = await freePort();
      const legacyUrl = `redis://tbk:${password}@127.0.0.1:${redisPort}/0`;
      const tab: string = await page.evaluate(() => RED.workspaces.active());
      // the config node as 0.1 saved it: the URL a plain property
      await page.evaluate(
        ([z, endpoint, url]) =>
          RED.view.importNodes(
            [
              {
                id: 'e2e-redis-config',
                type: 'tbk-config',
                name: 'legacy redis',
                endpoint,
                signMethod: 'md5',
                rateLimit: 5,
                redisUrl: url,
              },
              {
                id: 'e2e-redis-api',
                type: 'tbk-api',
                z,
                name: 'e2e redis',
                x: 150,
                y: 200,
                config: 'e2e-redis-config',
                method: 'taobao.tbk.item.info.get',
                wires: [[], []],
              },
            ],
            { generateIds: false, addFlow: false, touchImport: true },
          ),
        [tab, sandbox.url, legacyUrl] as const,
      );
      await dropImported(page);
      await deploy(page);
      assert.ok(
        readFileSync(nodeRed.flowFile, 'utf8').includes(password),
        'the starting point: the URL is in flows.json',
      );
      await waitForLog(
        nodeRed,
        /stored in the flow \(flows\.json\) in plain text/,
        'the runtime warns about the URL in the flow',
      );

      await page.evaluate(() => RED.editor.editConfig('', 'tbk-config', 'e2e-redis-config'));
      await page.waitForFunction(
        () => $('#node-config-dialog-ok').is(':visible') && $('#tbk-config-input-redis').is(':visible'),
        undefined,
        { timeout: 15_000 },
      );
      assert.equal(
        await page.evaluate(() => $('#tbk-config-input-redis').val()),
        legacyUrl,
        'the dialog shows the URL of the flow',
      );
      assert.equal(await page.evaluate(() => $('#tbk-config-input-redis').attr('type')), 'password');
      await page.click('#node-config-dialog-ok');
      await page.waitForSelector('#tbk-config-input-redis', { state: 'detached' });
      const logMark = nodeRed.log().length;
      await deploy(page);

      const flowsText = readFileSync(nodeRed.flowFile, 'utf8');
      assert.ok(!flowsText.includes(password), 'the password left flows.json');
      const config = (JSON.parse(flowsText) as Array<Record<string, unknown>>).find((n) => n.id === 'e2e-redis-config');
      assert.ok(config && !config.redisUrl, `no redisUrl property left: ${JSON.stringify(config)}`);
      assert.ok(!readFileSync(nodeRed.credentialsFile, 'utf8').includes(password), 'flows_cred.json is encrypted');
      const apiText = await (
        await fetch(new URL('flows', nodeRed.url), { headers: { 'Node-RED-API-Version': 'v2' } })
      ).text();
      assert.ok(!apiText.includes(password), 'GET /flows does not return it');
      const editorCredentials = (await (
        await fetch(new URL('credentials/tbk-config/e2e-redis-config', nodeRed.url))
      ).json()) as Record<string, unknown>;
      assert.equal(editorCredentials.has_redisUrl, true, 'the credential is stored');
      assert.ok(!JSON.stringify(editorCredentials).includes(password), 'and not sent back to the editor');
      // the redeployed config node reads it from the credentials: it tries that Redis, without the flow warning
      await waitForLog(
        nodeRed,
        new RegExp(`Redis 127\\.0\\.0\\.1:${redisPort}`),
        'the runtime uses the Redis URL of the credentials',
        logMark,
      );
      assert.doesNotMatch(nodeRed.log().slice(logMark), /stored in the flow/);
      assert.ok(!nodeRed.log().includes(password), 'the password is never logged');
      await removeNodes(page, ['e2e-redis-api', 'e2e-redis-config']);
    },
    90_000,
  );

  check(
    `imports the example ${EXAMPLE_FILE} from the examples library, deploys it and shows the answers in the debug sidebar`,
    async (page) => {
      assert.ok(sandbox);
      assert.ok(
        existsSync(join(REPO_ROOT, 'examples', `${EXAMPLE_FILE}.json`)),
        `examples/${EXAMPLE_FILE}.json is missing`,
      );
      // the library the Import > Examples dialog browses
      const listing: Array<string | { fn?: string }> = await page.evaluate(
        (module) => $.getJSON(`library/examples/flows/${module}`),
        PACKAGE_NAME,
      );
      assert.ok(
        listing.some((entry) => (typeof entry === 'string' ? entry : entry.fn) === EXAMPLE_FILE),
        `the examples library lists ${EXAMPLE_FILE}: ${JSON.stringify(listing)}`,
      );
      const flow: Array<Record<string, any>> = await page.evaluate(
        ([module, file]) => $.getJSON(`library/examples/flows/${module}/${file}`),
        [PACKAGE_NAME, EXAMPLE_FILE] as const,
      );
      const config = flow.find((n) => n.type === 'tbk-config');
      assert.ok(config, 'the example has a config node');
      assert.equal(
        config.endpoint,
        '${TBK_ENDPOINT}',
        'the gateway comes from the environment, whatever the sandbox port',
      );
      const debugNodes = flow.filter((n) => n.type === 'debug');
      const injects = flow.filter((n) => n.type === 'inject');
      assert.ok(debugNodes.length > 0 && injects.length > 0, 'the example has inject and debug nodes');
      const resultDebug = debugNodes.find((n) =>
        flow.some((m) => m.type === 'tbk-api' && m.wires?.[0]?.includes(n.id)),
      );
      const errorDebug = debugNodes.find(
        (n) => flow.some((m) => m.type === 'tbk-api' && m.wires?.[1]?.includes(n.id)) && n !== resultDebug,
      );
      assert.ok(resultDebug, 'a debug node on the result output');

      await page.evaluate(
        (nodes) => RED.view.importNodes(nodes, { generateIds: false, addFlow: true, touchImport: true }),
        flow,
      );
      await dropImported(page);
      await page
        .waitForFunction(
          (ids) => ids.every((id) => RED.nodes.node(id) || RED.nodes.workspace(id)),
          flow.map((n) => n.id as string),
          { timeout: 10_000 },
        )
        .catch(async () =>
          assert.fail(
            `the example's nodes were not imported: ${await page.evaluate(() => $('.red-ui-notification').text())}`,
          ),
        );
      await deploy(page);

      const callsBefore = sandbox.stats().totalCalls;
      for (const inject of injects) await clickInject(page, inject.id);
      await waitForDebug(page, resultDebug.name, injects.length);
      const shown = await debugMessages(page, resultDebug.name);
      assert.equal(shown.length, injects.length, `one result per inject: ${shown.join(' | ')}`);
      if (errorDebug) assert.deepEqual(await debugMessages(page, errorDebug.name), [], 'nothing on the error output');
      const methods = sandbox
        .requests()
        .slice(-(sandbox.stats().totalCalls - callsBefore))
        .map((r) => r.method);
      const expectedMethods = flow.filter((n) => n.type === 'tbk-api' && n.method).map((n) => n.method as string);
      for (const method of expectedMethods)
        assert.ok(methods.includes(method), `the sandbox got ${method}: ${methods.join(', ')}`);
      // the search answer of the sandbox is the documented example: a result list of items
      const expanded = await expandedDebugText(page, resultDebug.name);
      assert.match(expanded, /result_list|model/, `the debug message shows the answer: ${expanded.slice(0, 300)}`);
    },
    90_000,
  );

  check(
    'imports every example through the Import dialog: one config node, every node valid, none overlapping; deployed, they reach the sandbox on its port',
    async (page) => {
      assert.ok(sandbox);
      const listing: Array<string | { fn?: string }> = await page.evaluate(
        (module) => $.getJSON(`library/examples/flows/${module}`),
        PACKAGE_NAME,
      );
      // a string is a folder (catalog/), an object a file
      const names = listing
        .map((entry) => (typeof entry === 'string' ? undefined : entry.fn))
        .filter((name): name is string => Boolean(name));
      assert.ok(listing.includes('catalog'), 'the catalog folder');
      const files = readdirSync(join(REPO_ROOT, 'examples'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''));
      assert.deepEqual([...names].sort(), files.sort(), 'the examples library lists examples/*.json');
      const catalogs: Array<string | { fn?: string }> = await page.evaluate(
        (module) => $.getJSON(`library/examples/flows/${module}/catalog`),
        PACKAGE_NAME,
      );
      const paths = [
        ...names,
        ...catalogs.flatMap((entry) => (typeof entry === 'string' ? [] : [`catalog/${entry.fn}`])),
      ];
      assert.equal(paths.length, files.length + 4, 'every task example and the four catalog flows');
      const importedTabs: string[] = [];
      let copies = 0;
      for (const path of paths) {
        const flow: Array<Record<string, any>> = await page.evaluate(
          ([module, file]) => $.getJSON(`library/examples/flows/${module}/${file}`),
          [PACKAGE_NAME, path] as const,
        );
        const { tabs, copied } = await importThroughDialog(page, flow);
        importedTabs.push(...tabs);
        if (copied) copies++;
      }
      assert.ok(
        copies >= paths.length - 1,
        `every import after the first met the config node already there (${copies} of ${paths.length})`,
      );
      const configs: Array<{ id: string; endpoint: string; users: number; valid: boolean }> = await page.evaluate(
        () => {
          const out: Array<{ id: string; endpoint: string; users: number; valid: boolean }> = [];
          RED.nodes.eachConfig((n: any) => {
            if (n.type === 'tbk-config')
              out.push({ id: n.id, endpoint: n.endpoint, users: n.users.length, valid: n.valid !== false });
          });
          return out;
        },
      );
      assert.equal(
        configs.length,
        1,
        `one sandbox config node after importing ${paths.length} examples: ${JSON.stringify(configs)}`,
      );
      assert.equal(configs[0]!.endpoint, '${TBK_ENDPOINT}');
      assert.ok(
        configs[0]!.valid && configs[0]!.users > 150,
        `the config node serves every example: ${JSON.stringify(configs[0])}`,
      );

      const invalid: string[] = await page.evaluate((tabs) => {
        const out: string[] = [];
        RED.nodes.eachNode((n: any) => {
          if (tabs.includes(n.z) && n.valid === false)
            out.push(`${n.type} ${n.name || n.id}: ${(n.validationErrors || []).join('; ')}`);
        });
        return out;
      }, importedTabs);
      assert.deepEqual(invalid, [], 'invalid nodes in the imported examples');

      // as drawn: the size Node-RED gives each node from its label, tab by tab
      const overlaps: string[] = await page.evaluate(async (tabs) => {
        const out: string[] = [];
        for (const tab of tabs) {
          RED.workspaces.show(tab);
          RED.view.redraw(true);
          await new Promise((resolve) => setTimeout(resolve, 50));
          const nodes: any[] = [];
          RED.nodes.eachNode((n: any) => {
            if (n.z === tab) nodes.push(n);
          });
          for (let i = 0; i < nodes.length; i++) {
            for (let j = i + 1; j < nodes.length; j++) {
              const a = nodes[i];
              const b = nodes[j];
              if (Math.abs(a.x - b.x) < (a.w + b.w) / 2 + 4 && Math.abs(a.y - b.y) < (a.h + b.h) / 2 + 4)
                out.push(`${RED.nodes.workspace(tab).label}: ${a.name || a.type} / ${b.name || b.type}`);
            }
          }
        }
        return out;
      }, importedTabs);
      assert.deepEqual(overlaps, [], 'nodes drawn over each other');

      await page.evaluate(() => RED.nodes.dirty(true));
      await deploy(page);
      const search = await page.evaluate((tabs) => {
        let id = '';
        RED.nodes.eachNode((n: any) => {
          if (
            !id &&
            tabs.includes(n.z) &&
            n.type === 'inject' &&
            n.name === '搜索 女装 / search' &&
            RED.nodes.workspace(n.z).label.startsWith('02')
          )
            id = n.id;
        });
        return id;
      }, importedTabs);
      assert.ok(search, 'the inject of example 02');
      const callsBefore = sandbox.stats().totalCalls;
      await clickInject(page, search);
      await waitForDebug(page, '可发布的文案 ready to post', 1);
      assert.ok(sandbox.stats().totalCalls >= callsBefore + 3, 'search, convert and 淘口令 reached the sandbox');
      assert.match((await debugMessages(page, '可发布的文案 ready to post'))[0]!, /到手价/);
    },
    300_000,
  );

  check(
    'marks a method node invalid while a required parameter is neither set nor mapped from msg, and says why in the dialog',
    async (page) => {
      const z: string = await page.evaluate(() => RED.workspaces.active());
      await page.evaluate((tab) => {
        RED.nodes.import([
          {
            id: 'e2e-required',
            type: 'tbk-item-info-upgrade-get',
            z: tab,
            x: 300,
            y: 600,
            config: '',
            params: {},
            wires: [[], []],
          },
        ]);
        RED.nodes.dirty(false);
      }, z);
      const before = await page.evaluate(() => {
        const node = RED.nodes.node('e2e-required');
        RED.editor.validateNode(node);
        return { valid: node.valid, errors: node.validationErrors };
      });
      assert.equal(before.valid, false, 'the red triangle');
      assert.ok(
        before.errors.some((e: string) => /Required, but neither set nor mapped from msg: item_id/.test(e)),
        JSON.stringify(before.errors),
      );
      await page.evaluate(() => RED.editor.edit(RED.nodes.node('e2e-required')));
      await page.waitForFunction(() => $('#tbk-params-tbk-item-info-upgrade-get .tbk-problem').is(':visible'));
      assert.match(
        await page.evaluate(() => $('#tbk-params-tbk-item-info-upgrade-get .tbk-problem').text()),
        /item_id/,
      );
      assert.equal(await page.evaluate(() => $('.tbk-param[data-name="item_id"]').hasClass('tbk-missing')), true);
      // mapped from msg: msg.payload.item_id
      await page.evaluate(() => {
        const input = $('.tbk-param[data-name="item_id"] input[id^="tbk-param-"]');
        input.typedInput('type', 'msg');
        input.typedInput('value', 'payload.item_id');
        input.trigger('change');
      });
      await page.waitForFunction(() => !$('#tbk-params-tbk-item-info-upgrade-get .tbk-problem').is(':visible'));
      await page.click('#node-dialog-ok');
      await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
      const after = await page.evaluate(() => {
        const node = RED.nodes.node('e2e-required');
        return {
          params: node.params,
          missing: (node.validationErrors || []).filter((e: string) => /Required/.test(e)),
        };
      });
      assert.deepEqual(after.params, { item_id: { value: 'payload.item_id', type: 'msg' } });
      assert.deepEqual(after.missing, [], 'no longer missing (the config is still to choose)');
      await page.evaluate(() => {
        RED.nodes.remove('e2e-required');
        RED.nodes.dirty(false);
        RED.view.redraw(true);
      });
    },
  );

  check(
    "shows each method's help with its official page, tables wrapped at the sidebar's default width",
    async (page) => {
      const sample = SPECS.filter((spec) => spec.docId && spec.response.length > 10)
        .slice(0, 3)
        .concat(SPECS.filter((spec) => !spec.docId).slice(0, 1));
      for (const spec of sample) {
        const seen = await page.evaluate(async (type) => {
          RED.sidebar.help.show(type);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const help = $('.red-ui-sidebar-help-stack .red-ui-help').last();
          const width = help.width();
          const tables = help.find('table.tbk-help-table');
          const cut = tables.filter(function (this: any) {
            return this.scrollWidth > this.clientWidth + 1 || $(this).outerWidth() > width + 1;
          }).length;
          return {
            width,
            tables: tables.length,
            cut,
            links: help
              .find('a[href*="open.taobao.com/api.htm?docId="]')
              .map(function (this: any) {
                return $(this).attr('href');
              })
              .get(),
            text: help.text(),
            markers: help.html().includes('<!--tbk:'),
          };
        }, spec.type);
        assert.ok(seen.width > 200 && seen.width < 500, `the sidebar at its default width: ${seen.width}`);
        assert.ok(seen.tables >= 1, `${spec.type}: tables`);
        assert.equal(seen.cut, 0, `${spec.type}: a table wider than the sidebar`);
        assert.equal(seen.markers, false, `${spec.type}: the shared sections in place`);
        assert.match(seen.text, /Outputs[\s\S]*request_id, attempts, duration_ms/);
        if (spec.docId)
          assert.ok(
            seen.links.some((href: string) => href.includes(`docId=${spec.docId}&`)),
            `${spec.type}: its official page: ${seen.links.join(', ')}`,
          );
        else assert.match(seen.text, /No official document page is known/);
      }
    },
  );

  check(
    'shows the Chinese labels when the browser language is zh-CN',
    async () => {
      assert.ok(browser && nodeRed);
      const zh = await openEditor(browser, nodeRed.url, 'zh-CN', problems);
      try {
        const texts = await zh.page.evaluate(
          (type) => ({
            lang: RED.i18n.lang(),
            categories: ['promoter', 'provider', 'common', 'other'].map((role) =>
              $(`#red-ui-palette-header-tbk_${role} span`).first().text().trim(),
            ),
            label: $(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).text().trim(),
          }),
          DIALOG_TYPE,
        );
        assert.match(texts.lang, /^zh/);
        assert.deepEqual(texts.categories, ['淘宝客·推广者', '淘宝客·服务商', '淘宝客·公用', '淘宝客·其他']);
        // every palette label tells its type apart, as written (no entity shows)
        const paletteLabels: Array<{ type: string; text: string }> = await zh.page.evaluate(() =>
          $('.red-ui-palette-node[data-palette-type^="tbk-"] .red-ui-palette-label')
            .map(function (this: any) {
              return {
                type: $(this).closest('.red-ui-palette-node').attr('data-palette-type'),
                text: $(this).text().trim(),
              };
            })
            .get(),
        );
        assert.ok(paletteLabels.length >= 150);
        const byText = new Map<string, string[]>();
        for (const { type, text } of paletteLabels) byText.set(text, [...(byText.get(text) ?? []), type]);
        assert.deepEqual(
          [...byText].filter(([, types]) => types.length > 1),
          [],
          'palette labels shared by two types',
        );
        assert.deepEqual(
          paletteLabels.filter((l) => /&(amp|lt|gt);/.test(l.text)),
          [],
          'an HTML entity shows in a label',
        );
        assert.equal(paletteLabels.find((l) => l.type === 'tbk-sc-material-optional')!.text, '物料搜索（服务商）');
        assert.equal(paletteLabels.find((l) => l.type === 'tbk-dg-material-optional')!.text, '物料搜索');
        // the hand-written nodes' texts come from the shared editor script's text(), which their <script src> has Node-RED run first
        const handWritten = ['tbk-config', 'tbk-api', 'tbk-order-sync', 'tbk-link-convert'];
        const shownLabels: string[] = await zh.page.evaluate(
          (types) => types.map((type) => RED.nodes.getType(type).paletteLabel.call(RED.nodes.getType(type))),
          handWritten,
        );
        const catalogLabels = handWritten.map(
          (type) =>
            (
              JSON.parse(readFileSync(join(REPO_ROOT, 'nodes', 'locales', 'zh-CN', `${type}.json`), 'utf8')) as Record<
                string,
                { paletteLabel: string }
              >
            )[type]!.paletteLabel,
        );
        assert.deepEqual(shownLabels, catalogLabels);
        const spec = SPECS.find((s) => s.type === DIALOG_TYPE)!;
        assert.equal(texts.label, spec.label.zh);
        await screenshotPalette(zh.page, 'palette-zh-CN.png');
        const dialog = await zh.page.evaluate(() => {
          RED.nodes.import([
            { id: 'e2e-zh-config', type: 'tbk-config', endpoint: 'http://127.0.0.1:9/router/rest', signMethod: 'md5' },
            {
              id: 'e2e-zh-node',
              type: 'tbk-dg-material-optional-upgrade',
              z: RED.workspaces.active(),
              x: 300,
              y: 100,
              config: 'e2e-zh-config',
              wires: [[], []],
            },
          ]);
          RED.editor.edit(RED.nodes.node('e2e-zh-node'));
          return true;
        });
        assert.ok(dialog);
        await zh.page.waitForFunction(
          (type) => $(`#tbk-params-${type} .tbk-param`).length > 0 && $('#node-dialog-cancel').is(':visible'),
          DIALOG_TYPE,
        );
        const labels: string[] = await zh.page.evaluate(() =>
          $('#dialog-form label span')
            .map(function (this: any) {
              return $(this).text();
            })
            .get(),
        );
        assert.ok(
          labels.includes('配置') || labels.some((l) => /[\u4e00-\u9fff]/.test(l)),
          `Chinese field labels in the dialog: ${labels.slice(0, 8).join(', ')}`,
        );
        await zh.page.screenshot({ path: join(SCREENSHOT_DIR, `edit-${DIALOG_TYPE}-zh-CN.png`) });
        await zh.page.click('#node-dialog-cancel');
        await zh.page.waitForSelector('#node-dialog-cancel', { state: 'detached' });
      } finally {
        await closeQuietly(zh.context);
      }
    },
    120_000,
  );

  // ------------------------------------------------------------------------------------------
  // helpers (closures over nothing but their arguments: the page callbacks run in the browser)

  async function screenshotPalette(page: Page, file: string): Promise<void> {
    // collapse the other categories so the tbk ones are in view
    await page.evaluate(() => {
      $('.red-ui-palette-category').each(function (this: any) {
        if (!/tbk_/.test(this.id)) $(this).find('.red-ui-palette-content').hide();
      });
      $('#red-ui-palette-container-tbk_promoter')[0]?.scrollIntoView();
    });
    await page.screenshot({ path: join(SCREENSHOT_DIR, file), clip: { x: 0, y: 0, width: 420, height: 1000 } });
    await page.evaluate(() => $('.red-ui-palette-category .red-ui-palette-content').show());
  }

  /** A method node of every type (ids e2e-dialog-<index of its spec>), tbk-api and a config node, on the active flow. */
  async function importDialogNodes(page: Page): Promise<void> {
    const tab: string = await page.evaluate(() => RED.workspaces.active());
    const methodNodes = SPECS.map((spec, i) => ({
      id: `e2e-dialog-${i}`,
      type: spec.type,
      z: tab,
      x: 150 + (i % 10) * 180,
      y: 60 + Math.floor(i / 10) * 60,
      config: 'e2e-dialog-config',
      wires: [[], []],
    }));
    await page.evaluate(
      ([nodes, z]) => {
        RED.nodes.import([
          {
            id: 'e2e-dialog-config',
            type: 'tbk-config',
            name: 'dialogs',
            endpoint: 'http://127.0.0.1:9/router/rest',
            signMethod: 'md5',
          },
          {
            id: 'e2e-dialog-api',
            type: 'tbk-api',
            z,
            x: 150,
            y: 1100,
            config: 'e2e-dialog-config',
            method: '',
            wires: [[], []],
          },
          ...(nodes as any[]),
        ]);
      },
      [methodNodes, tab] as const,
    );
  }

  function methodDialogFailure(spec: MethodSpec, seen: DialogSeen): string {
    if (seen.error) return seen.error;
    const required = spec.params
      .filter((p) => p.required)
      .map((p) => p.name)
      .sort();
    if (seen.rows !== spec.params.length) return `${seen.rows} parameter rows instead of ${spec.params.length}`;
    if (JSON.stringify(seen.required) !== JSON.stringify(required))
      return `required rows ${seen.required.join(',')} instead of ${required.join(',')}`;
    if (seen.starred !== required.length)
      return `${seen.starred} of ${required.length} required rows are visible with their star`;
    if (seen.config !== 'e2e-dialog-config') return `the config select shows ${seen.config}`;
    if (!seen.help.includes(spec.method))
      return `the help sidebar does not name ${spec.method}: ${seen.help.slice(0, 120)}`;
    return '';
  }

  async function checkOtherDialog(page: Page, type: 'tbk-api' | 'tbk-config', id: string): Promise<string> {
    const fields =
      type === 'tbk-api'
        ? ['#node-input-config', '#node-input-method', '#node-input-errorMode']
        : [
            '#node-config-input-appKey',
            '#node-config-input-appSecret',
            '#node-config-input-session',
            '#node-config-input-endpoint',
          ];
    if (type === 'tbk-api') await page.evaluate((nodeId) => RED.editor.edit(RED.nodes.node(nodeId)), id);
    else await page.evaluate((nodeId) => RED.editor.editConfig('', 'tbk-config', nodeId), id);
    const cancel = type === 'tbk-api' ? '#node-dialog-cancel' : '#node-config-dialog-cancel';
    await page.waitForFunction(
      ([button, wanted]) => $(button).is(':visible') && wanted!.every((f: string) => $(f).is(':visible')),
      [cancel, fields] as const,
      { timeout: 15_000 },
    );
    const help = await helpText(page, type);
    await page.click(cancel);
    await page.waitForFunction(() => $('.red-ui-tray').length === 0, undefined, { timeout: 15_000 });
    if (help.length < 50) return `help too short: "${help}"`;
    return '';
  }

  /** The help sidebar's text for a type (the sidebar's help tab, as the book button of the info tab opens it). */
  async function helpText(page: Page, type: string): Promise<string> {
    await page.evaluate((t) => RED.sidebar.help.show(t), type);
    const handle = await page.waitForFunction(
      () => {
        const text = $('.red-ui-sidebar-help-stack .red-ui-help').text().trim();
        return text.length > 20 && !$('.red-ui-sidebar-help-stack .red-ui-help-info-none').is(':visible')
          ? text
          : false;
      },
      undefined,
      { timeout: 10_000 },
    );
    return String(await handle.jsonValue());
  }

  async function closeAnyDialog(page: Page): Promise<void> {
    await page
      .evaluate(() => {
        for (let i = 0; i < 3 && $('.red-ui-tray').length; i++) {
          const cancel = $('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible').first();
          if (!cancel.length) break;
          cancel.trigger('click');
        }
      })
      .catch(() => undefined);
  }

  /**
   * Imports a flow as a user does: Import (Ctrl-I), the flow pasted, Import; when nodes of it are
   * already there (the config node every example shares), the notification's "Import copy" (Node-RED
   * 4.1's editor then gives the copies new ids but keeps a config node already there under the same
   * id: importNodes with generateIds). Returns the tabs it added and whether it took a copy.
   */
  async function importThroughDialog(
    page: Page,
    flow: Array<Record<string, any>>,
  ): Promise<{ tabs: string[]; copied: boolean }> {
    const tabsBefore: string[] = await page.evaluate(() => RED.nodes.getWorkspaceOrder().slice());
    await page.evaluate(() => RED.actions.invoke('core:show-import-dialog'));
    await page.waitForSelector('#red-ui-clipboard-dialog-import-text', { state: 'visible' });
    await page.fill('#red-ui-clipboard-dialog-import-text', JSON.stringify(flow));
    await page.press('#red-ui-clipboard-dialog-import-text', 'End'); // the dialog checks the text on keyup
    await page.waitForFunction(
      () =>
        !$('#red-ui-clipboard-dialog-ok').hasClass('disabled') && !$('#red-ui-clipboard-dialog-ok').prop('disabled'),
    );
    await page.click('#red-ui-clipboard-dialog-ok');
    await page.waitForSelector('#red-ui-clipboard-dialog-import-text', { state: 'hidden' });
    const copy = await page.evaluate(() => RED._('clipboard.import.importCopy'));
    const button = page.locator('.red-ui-notification button', { hasText: copy });
    const conflict = await button
      .first()
      .isVisible({ timeout: 1_000 })
      .catch(() => false);
    if (conflict) await button.first().click();
    await page.waitForFunction((count) => RED.nodes.getWorkspaceOrder().length > count, tabsBefore.length, {
      timeout: 10_000,
    });
    const tabs: string[] = await page.evaluate(
      (before) => RED.nodes.getWorkspaceOrder().filter((id: string) => !before.includes(id)),
      tabsBefore,
    );
    return { tabs, copied: conflict };
  }

  /**
   * Nodes imported with touchImport are placed at once instead of following the mouse; the view then
   * marks the flows changed as it does when the user drops them (a mouse drop proved flaky headless).
   */
  async function dropImported(page: Page): Promise<void> {
    await page.evaluate(() => {
      RED.nodes.dirty(true);
      RED.view.redraw(true);
    });
  }

  /** Waits until Node-RED printed a line matching `pattern` (after `from` characters of its output). */
  async function waitForLog(red: NodeRed, pattern: RegExp, what: string, from = 0): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (pattern.test(red.log().slice(from))) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${what}: no ${pattern} in the Node-RED log`);
  }

  async function deploy(page: Page): Promise<void> {
    await page.waitForFunction(() => RED.nodes.dirty() && !$('#red-ui-header-button-deploy').hasClass('disabled'));
    await page.click('#red-ui-header-button-deploy');
    // a confirmation (unused config nodes, invalid nodes) would be a problem of the flow under test
    await page.waitForFunction(
      () =>
        !RED.nodes.dirty() ||
        $('.red-ui-deploy-dialog-confirm-deploy-button, #red-ui-deploy-dialog-confirm-deploy').is(':visible'),
      undefined,
      { timeout: 30_000 },
    );
    assert.equal(await page.evaluate(() => RED.nodes.dirty()), false, 'deploy asked for a confirmation');
    await page.waitForFunction(() => $('#red-ui-header-button-deploy').hasClass('disabled'));
  }

  /** Clicks an inject node's button on the canvas (the node must be on the active flow). */
  async function clickInject(page: Page, id: string): Promise<void> {
    await page.evaluate((nodeId) => {
      const node = RED.nodes.node(nodeId);
      if (RED.workspaces.active() !== node.z) RED.workspaces.show(node.z);
      RED.view.reveal(nodeId);
    }, id);
    const button = page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-button-button`);
    await button.waitFor({ state: 'visible' });
    await button.click();
  }

  async function showDebugTab(page: Page): Promise<void> {
    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.waitForSelector('.red-ui-debug-content', { state: 'visible' });
  }

  async function waitForDebug(page: Page, name: string, count: number): Promise<void> {
    await showDebugTab(page);
    await page
      .waitForFunction(
        ([n, c]) =>
          $('.red-ui-debug-msg').filter(function (this: any) {
            return $(this)
              .find('.red-ui-debug-msg-name')
              .text()
              .includes(n as string);
          }).length >= (c as number),
        [name, count] as const,
        { timeout: 30_000 },
      )
      .catch(async () =>
        assert.fail(
          `expected ${count} debug message(s) from "${name}"; the debug sidebar shows: ${(await debugMessages(page)).join(' | ') || 'nothing'}`,
        ),
      );
  }

  async function debugMessages(page: Page, name?: string): Promise<string[]> {
    return page.evaluate(
      (n) =>
        $('.red-ui-debug-msg')
          .filter(function (this: any) {
            return !n || $(this).find('.red-ui-debug-msg-name').text().includes(n);
          })
          .map(function (this: any) {
            return $(this).text();
          })
          .get(),
      name ?? '',
    );
  }

  /** The first debug message of a node with its object tree expanded two levels. */
  async function expandedDebugText(page: Page, name: string): Promise<string> {
    const message = page
      .locator('.red-ui-debug-msg', { has: page.locator('.red-ui-debug-msg-name', { hasText: name }) })
      .first();
    // a click on a collapsed entry's header expands it (msg, then payload, then its first fields)
    for (let clicks = 0; clicks < 6; clicks++) {
      const collapsed = message.locator('.collapsed > .red-ui-debug-msg-expandable').first();
      if ((await collapsed.count()) === 0) break;
      await collapsed.click();
    }
    return message.innerText();
  }

  async function removeNodes(page: Page, ids: string[]): Promise<void> {
    await page.evaluate((list) => {
      for (const id of list) if (RED.nodes.node(id)) RED.nodes.remove(id);
      RED.nodes.dirty(true);
      RED.view.redraw(true);
    }, ids);
    await deploy(page);
  }
});
