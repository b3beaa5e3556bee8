/**
 * In a real browser, with Node-RED running this package and @flowfuse/node-red-dashboard: the edit
 * dialog of tbk-link-convert in both languages, and the commission dashboard example
 * (examples/12-commission-dashboard.json) deployed as imported, the sandbox's orders synced, the
 * dashboard page drawn in headless Chromium.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_APP, installOrderBook, OrderBook, startSandbox, type Sandbox } from '../../lib/sandbox/index';
import { REPO_ROOT } from '../support/paths';
import {
  closeQuietly,
  launchBrowser,
  openEditor,
  PageProblems,
  SCREENSHOT_DIR,
  startNodeRed,
  type NodeRed,
} from './support';
import { requireTool } from '../support/tools';

const DASHBOARD = '@flowfuse/node-red-dashboard';
const EXAMPLE = join(REPO_ROOT, 'examples', '12-commission-dashboard.json');

type FlowNode = Record<string, unknown> & { id: string; type: string };

// Browser-side globals, used only inside page callbacks (serialised to the page).
declare const document: any;
declare const RED: any;
declare const $: any;

interface ChartSeen {
  series: number;
  points: Array<[string, number]>;
  canvas: { width: number; height: number; painted: boolean };
}

describe('tbk-link-convert and the commission dashboard in headless Chromium (e2e)', function () {
  this.timeout(120_000);
  this.slow(30_000);

  let sandbox: Sandbox | undefined;
  let nodeRed: NodeRed | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let book: OrderBook;
  const pageErrors: string[] = [];

  before(async function () {
    this.timeout(180_000);
    requireTool(this, 'chromium');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // an order book that stands still: 20 hours of orders, the last change 2 minutes ago
    book = new OrderBook({ seed: 12, start: Date.now() - 20 * 3_600_000, ordersPerHour: 30 });
    book.advance(Date.now() - 120_000 - book.now);
    sandbox = await startSandbox({ apps: [{ ...DEFAULT_APP }] });
    installOrderBook(sandbox, book);
    nodeRed = await startNodeRed(
      { TBK_ENDPOINT: sandbox.url, TBK_APP_KEY: DEFAULT_APP.appKey, TBK_APP_SECRET: DEFAULT_APP.appSecret },
      {},
      [DASHBOARD],
    );
    browser = await launchBrowser();
  });

  after(async function () {
    this.timeout(60_000);
    await closeQuietly(context);
    await closeQuietly(browser);
    await nodeRed?.stop();
    await sandbox?.close();
  });

  for (const [locale, texts] of [
    [
      'en-US',
      { palette: 'link convert', adzone: 'Ad zone id', site: 'Site id', help: 'Converts every Taobao / Tmall link' },
    ],
    ['zh-CN', { palette: '群消息转链', adzone: '推广位 ID', site: '媒体 ID', help: '把群消息中的每个淘宝' }],
  ] as const) {
    it(`edits tbk-link-convert in ${locale}: its labels, the site id only for 服务商, its help`, async function () {
      const problems = new PageProblems();
      const editor = await openEditor(browser!, nodeRed!.url, locale, problems);
      try {
        const page = editor.page;
        const palette = await page.evaluate(() => ({
          // the palette breaks a long label into lines
          label: $('.red-ui-palette-node[data-palette-type="tbk-link-convert"] .red-ui-palette-label')
            .text()
            .replace(/\s+/g, ' ')
            .trim(),
          category: $('.red-ui-palette-node[data-palette-type="tbk-link-convert"]')
            .closest('.red-ui-palette-category')
            .attr('id'),
        }));
        assert.deepEqual(palette, { label: texts.palette, category: 'red-ui-palette-container-tbk_promoter' });
        await page.evaluate(() => {
          RED.nodes.import([
            { id: 'e2e-lc-config', type: 'tbk-config', endpoint: 'http://127.0.0.1:9/router/rest', signMethod: 'md5' },
            {
              id: 'e2e-lc-node',
              type: 'tbk-link-convert',
              z: RED.workspaces.active(),
              x: 300,
              y: 100,
              config: 'e2e-lc-config',
              adzoneId: '12345678',
              wires: [[], []],
            },
          ]);
          RED.editor.edit(RED.nodes.node('e2e-lc-node'));
        });
        await page.waitForFunction(
          () => $('#node-dialog-cancel').is(':visible') && $('#node-input-adzoneId').is(':visible'),
        );
        const form = await page.evaluate(() => ({
          labels: $('#dialog-form label span')
            .map(function (this: any) {
              return $(this).text();
            })
            .get() as string[],
          siteVisible: $('#node-input-siteId').is(':visible'),
          replaceWith: $('#node-input-replaceWith').val(),
          preferCoupon: $('#node-input-preferCoupon').is(':checked'),
          errorMode: $('#node-input-errorMode').val(),
        }));
        assert.ok(form.labels.includes(texts.adzone), form.labels.join(', '));
        assert.deepEqual(
          [form.siteVisible, form.replaceWith, form.preferCoupon, form.errorMode],
          [false, 'tpwd', true, 'auto'],
          'defaults, also for a node imported without them',
        );
        await page.click('#node-input-provider');
        await page.waitForFunction(() => $('#node-input-siteId').is(':visible'));
        assert.ok(
          (
            await page.evaluate(
              () =>
                $('#dialog-form label span')
                  .map(function (this: any) {
                    return $(this).text();
                  })
                  .get() as string[],
            )
          ).includes(texts.site),
        );
        await page.screenshot({ path: join(SCREENSHOT_DIR, `edit-tbk-link-convert-${locale}.png`) });
        await page.evaluate(() => RED.sidebar.help.show('tbk-link-convert'));
        await page.waitForFunction(
          (text) => $('.red-ui-sidebar-help-stack .red-ui-help').text().includes(text),
          texts.help,
          { timeout: 10_000 },
        );
        await page.click('#node-dialog-cancel');
        await page.waitForFunction(() => $('.red-ui-tray').length === 0);
        assert.deepEqual(problems.list, [], 'page errors or console errors in the editor');
      } finally {
        await closeQuietly(editor.context);
      }
    });
  }

  it("draws the chart of commission per day and the table of orders by status from the sandbox's orders", async function () {
    const flow = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const chartNode = flow.find((n) => n.type === 'ui-chart')!;
    const deployed = await fetch(new URL('flows', nodeRed!.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify({ flows: flow }),
    });
    assert.equal(deployed.status, 200, 'deployed as imported');

    context = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    const page: Page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // the dashboard hands its charts to the page (window.uiCharts) when it runs under Cypress: let it
    await page.addInitScript(() => {
      (globalThis as unknown as { Cypress: object }).Cypress = {};
    });
    await page.goto(new URL('dashboard/commission', nodeRed!.url).toString(), { waitUntil: 'load', timeout: 60_000 });

    const seen = (await page
      .waitForFunction(
        (id: string) => {
          const w = globalThis as unknown as {
            uiCharts?: Record<
              string,
              { chart?: { getOption(): { series?: Array<{ data?: unknown[] }> }; getDom(): any } }
            >;
          };
          const chart = w.uiCharts?.[id]?.chart;
          const series = chart?.getOption().series ?? [];
          const points = (series[0]?.data ?? []) as Array<[string, number]>;
          if (points.length === 0) return undefined;
          const canvas = chart!.getDom().querySelector('canvas');
          if (!canvas) return undefined;
          // painted: some pixel of the canvas is not transparent
          const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = false;
          if (pixels) for (let i = 3; i < pixels.length && !painted; i += 4) painted = pixels[i]! > 0;
          return {
            series: series.length,
            points: points.map((p) => [String(p[0]), Number(p[1])]),
            canvas: { width: canvas.width, height: canvas.height, painted },
          };
        },
        chartNode.id,
        { timeout: 60_000, polling: 250 },
      )
      .then((handle) => handle.jsonValue())) as ChartSeen;

    const perDay = new Map<string, number>();
    const perStatus = new Map<number, number>();
    for (const order of book.visibleOrders()) {
      const day = String(order.tk_create_time).slice(0, 10);
      if (order.tk_status !== 13) perDay.set(day, (perDay.get(day) ?? 0) + Number(order.pub_share_pre_fee));
      perStatus.set(order.tk_status, (perStatus.get(order.tk_status) ?? 0) + 1);
    }
    assert.equal(seen.series, 1);
    assert.deepEqual(
      seen.points.map(([day]) => day),
      [...perDay.keys()].sort(),
      'one bar per day of the orders',
    );
    for (const [day, fee] of seen.points)
      assert.ok(Math.abs(fee - perDay.get(day)!) < 0.005, `${day}: ${fee} vs ${perDay.get(day)}`);
    assert.ok(
      seen.canvas.width > 100 && seen.canvas.height > 100 && seen.canvas.painted,
      `the chart is drawn: ${JSON.stringify(seen.canvas)}`,
    );

    // the table: one row per status, with its order count
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length > 0, undefined, {
      timeout: 30_000,
    });
    const rows = await page.$$eval('table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
    );
    const counts = new Map(rows.map((cells) => [cells[0], Number(cells[1])]));
    assert.equal(counts.get('已付款 paid'), perStatus.get(12));
    assert.equal(
      [...counts.values()].reduce((a, b) => a + b, 0),
      book.visibleOrders().length,
    );

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'dashboard-commission.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
