/**
 * Deeper tests of the flagship method nodes than every-method gives: editor rows with payload
 * overrides, paging, exact order ids, the write methods (never re-sent after a reset), the
 * 生态发单 callback field by field and its business failure.
 */
import { strict as assert } from 'node:assert';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { Collector, helper } from '../support/node-red';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import configNode = require('../../nodes/tbk-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import promoterSet = require('../../nodes/tbk-promoter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import otherSet = require('../../nodes/tbk-other');

const APP = { appKey: 'flagship-app', appSecret: 'flagship-secret' };

describe('flagship method nodes', function () {
  let sandbox: Sandbox;
  before(async function () {
    sandbox = await startSandbox({ apps: [APP] });
  });
  after(async function () {
    await sandbox.close();
  });
  afterEach(async function () {
    await helper.unload();
    sandbox.clearFaults();
    sandbox.clearResponses();
  });

  async function load(type: string, node: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
    const flow = [
      { id: 'f1', type: 'tab' },
      {
        id: 'cfg',
        type: 'tbk-config',
        endpoint: sandbox.url,
        signMethod: 'md5',
        timeout: 2000,
        retries: 2,
        rateLimit: 0,
        concurrency: 0,
        ...config,
      },
      {
        id: 'n',
        type,
        z: 'f1',
        x: 0,
        y: 0,
        config: 'cfg',
        version: 1,
        params: {},
        errorMode: 'output',
        wires: [['ok'], ['err']],
        ...node,
      },
      { id: 'ok', type: 'helper', z: 'f1', x: 0, y: 0 },
      { id: 'err', type: 'helper', z: 'f1', x: 0, y: 0 },
    ];
    await helper.load([configNode, promoterSet, otherSet], flow, { cfg: APP });
    return {
      node: helper.getNode('n'),
      ok: new Collector(helper.getNode('ok')),
      err: new Collector(helper.getNode('err')),
    };
  }
  const sentFor = (method: string) => sandbox.requests().filter((r) => r.method === method);

  it('material recommend: editor rows, payload overrides, documented answer', async function () {
    const { node, ok } = await load('tbk-dg-material-recommend', {
      params: {
        adzone_id: { value: '111', type: 'num' },
        material_id: { value: '80309', type: 'num' },
        page_size: { value: '10', type: 'num' },
      },
    });
    node.receive({ payload: { page_size: 20, item_id: '652' } });
    const [msg] = await ok.waitFor(1);
    const params = sentFor('taobao.tbk.dg.material.recommend').at(-1)!.params;
    assert.equal(params.adzone_id, '111');
    assert.equal(params.material_id, '80309');
    assert.equal(params.page_size, '20', 'msg.payload overrides the row');
    assert.equal(params.item_id, '652');
    assert.ok(Array.isArray((msg!.payload.result_list as { map_data: unknown[] }).map_data));
  });

  it('material search (upgrade): all pages merged, through the node itself', async function () {
    let calls = 0;
    sandbox.setResponse('taobao.tbk.dg.material.optional.upgrade', (p: Record<string, string>) => {
      calls++;
      const page = Number(p.page_no ?? 1);
      return {
        tbk_dg_material_optional_upgrade_response: {
          total_results: 5,
          result_list: { map_data: Array.from({ length: page < 3 ? 2 : 1 }, (_v, i) => ({ item_id: `${page}-${i}` })) },
        },
      };
    });
    const { node, ok } = await load('tbk-dg-material-optional-upgrade', {
      paging: 'merge',
      maxPages: 10,
      params: { adzone_id: { value: '111', type: 'num' }, page_size: { value: '2', type: 'num' } },
    });
    node.receive({ payload: { q: '女装' } });
    const [msg] = await ok.waitFor(1);
    assert.deepEqual(
      (msg!.payload as Array<{ item_id: string }>).map((i) => i.item_id),
      ['1-0', '1-1', '2-0', '2-1', '3-0'],
    );
    assert.equal(calls, 3);
  });

  it('order details: 18-19 digit ids stay exact', async function () {
    sandbox.setResponse('taobao.tbk.order.details.get', () => ({
      tbk_order_details_get_response: {
        data: {
          has_next: false,
          results: {
            publisher_order_dto: [
              { trade_id: 2941598874450643071n, trade_parent_id: 294159887445064307n, tk_status: 12 },
            ],
          },
        },
      },
    }));
    const { node, ok } = await load('tbk-order-details-get');
    node.receive({ payload: { start_time: '2024-05-20 08:00:00', end_time: '2024-05-20 08:20:00', query_type: 1 } });
    const [msg] = await ok.waitFor(1);
    const order = (msg!.payload.data as any).results.publisher_order_dto[0];
    assert.equal(order.trade_id, '2941598874450643071');
    assert.equal(order.trade_parent_id, '294159887445064307');
  });

  it('adzone create is a write: a connection reset is not retried', async function () {
    sandbox.addFault({ kind: 'reset', method: 'taobao.tbk.adzone.create', count: 1 });
    const { node, err } = await load('tbk-adzone-create');
    const sentBefore = sentFor('taobao.tbk.adzone.create').length;
    node.receive({ payload: { site_id: 123, adzone_name: '测试推广位' } });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'transport');
    assert.equal(msg!.error.attempts, 1);
    assert.equal(sentFor('taobao.tbk.adzone.create').length, sentBefore + 1, 'sent once');
  });

  it('adzone create succeeds with the documented answer', async function () {
    const { node, ok } = await load('tbk-adzone-create');
    node.receive({ payload: { site_id: 123, adzone_name: '测试推广位' } });
    const [msg] = await ok.waitFor(1);
    assert.deepEqual((msg!.payload as any).data, { model: 'mm_1_1_1' });
  });

  it('生态发单 callback: all seven parameters as documented; is_success false is a business error', async function () {
    sandbox.setResponse('taobao.tbk.sf.group.activity.callback', () => ({
      tbk_sf_group_activity_callback_response: { is_success: false, biz_error_code: 21, biz_error_desc: '无权限' },
    }));
    const { node, err } = await load('tbk-sf-group-activity-callback');
    const payload = {
      group_id: 'R:15323432',
      scd_id: 125452,
      res_desc: '配置缺失',
      res_code: 1,
      msg_id: 'CG8PX7V5',
      offset_code: '6KNj7vzS6CG8PX7V5',
      time_stamp: 1749091000704,
    };
    const sentBefore = sentFor('taobao.tbk.sf.group.activity.callback').length;
    node.receive({ payload });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'business');
    assert.equal(msg!.error.code, 21);
    assert.equal(msg!.error.msg, '无权限');
    const params = sentFor('taobao.tbk.sf.group.activity.callback').at(-1)!.params;
    for (const [name, value] of Object.entries(payload)) assert.equal(params[name], String(value), name);
    assert.equal(
      sentFor('taobao.tbk.sf.group.activity.callback').length,
      sentBefore + 1,
      'a business failure is not retried',
    );
  });

  it('生态发单 callback: a missing offset_code is refused naming it, nothing sent', async function () {
    const { node, err } = await load('tbk-sf-group-activity-callback');
    const sentBefore = sentFor('taobao.tbk.sf.group.activity.callback').length;
    node.receive({ payload: { group_id: 'R:1', res_code: 1, msg_id: 'M', time_stamp: 1749091000704 } });
    const [msg] = await err.waitFor(1);
    assert.equal(msg!.error.kind, 'validation');
    assert.equal(msg!.error.param, 'offset_code');
    assert.match(msg!.error.message, /offset_code.*计划消费点位/);
    assert.equal(sentFor('taobao.tbk.sf.group.activity.callback').length, sentBefore, 'nothing sent');
  });
});
