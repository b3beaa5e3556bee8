/**
 * The commission dashboard example (examples/12-commission-dashboard.json) in a real browser: Node-RED
 * with this package and @flowfuse/node-red-dashboard, the flow deployed as imported, the sandbox's
 * orders synced, and the dashboard page drawn in headless Chromium.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_APP, installOrderBook, OrderBook, startSandbox, type Sandbox } from '../../lib/sandbox/index';
import { REPO_ROOT } from '../support/paths';
import { closeQuietly, launchBrowser, SCREENSHOT_DIR, startNodeRed, type NodeRed } from './support';

const DASHBOARD = '@flowfuse/node-red-dashboard';
const EXAMPLE = join(REPO_ROOT, 'examples', '12-commission-dashboard.json');

type FlowNode = Record<string, unknown> & { id: string; type: string };

// Browser-side global, used only inside page callbacks (serialised to the page).
declare const document: any;

interface ChartSeen {
  series: number;
  points: Array<[string, number]>;
  canvas: { width: number; height: number; painted: boolean };
}

describe('commission dashboard example in headless Chromium (e2e)', function () {
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
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // an order book that stands still: 20 hours of orders, the last change 2 minutes ago
    book = new OrderBook({ seed: 12, start: Date.now() - 20 * 3_600_000, ordersPerHour: 30 });
    book.advance(Date.now() - 120_000 - book.now);
    sandbox = await startSandbox({ apps: [{ ...DEFAULT_APP }] });
    installOrderBook(sandbox, book);
    nodeRed = await startNodeRed({ TBK_ENDPOINT: sandbox.url, TBK_APP_KEY: DEFAULT_APP.appKey, TBK_APP_SECRET: DEFAULT_APP.appSecret }, [DASHBOARD]);
    browser = await launchBrowser();
  });

  after(async function () {
    this.timeout(60_000);
    await closeQuietly(context);
    await closeQuietly(browser);
    await nodeRed?.stop();
    await sandbox?.close();
  });

  it('draws the chart of commission per day and the table of orders by status from the sandbox\'s orders', async function () {
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
          const w = globalThis as unknown as { uiCharts?: Record<string, { chart?: { getOption(): { series?: Array<{ data?: unknown[] }> }; getDom(): any } }> };
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
          return { series: series.length, points: points.map((p) => [String(p[0]), Number(p[1])]), canvas: { width: canvas.width, height: canvas.height, painted } };
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
    assert.deepEqual(seen.points.map(([day]) => day), [...perDay.keys()].sort(), 'one bar per day of the orders');
    for (const [day, fee] of seen.points) assert.ok(Math.abs(fee - perDay.get(day)!) < 0.005, `${day}: ${fee} vs ${perDay.get(day)}`);
    assert.ok(seen.canvas.width > 100 && seen.canvas.height > 100 && seen.canvas.painted, `the chart is drawn: ${JSON.stringify(seen.canvas)}`);

    // the table: one row per status, with its order count
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length > 0, undefined, { timeout: 30_000 });
    const rows = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    const counts = new Map(rows.map((cells) => [cells[0], Number(cells[1])]));
    assert.equal(counts.get('已付款 paid'), perStatus.get(12));
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0), book.visibleOrders().length);

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'dashboard-commission.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
