/**
 * The two automations operators build first, as task examples: 11, a chat bot that converts the links
 * and 淘口令 of a group message (tbk-link-convert), and 12, a commission dashboard fed by the order
 * sync (@flowfuse/node-red-dashboard).
 */
import { FlowBuilder, debug, func, inject, switchNode } from './flow-builder';
import { heading, rows, type TaskExample } from './example-layout';

/** A chat message of every material form, as a group member would send it. */
export const SAMPLE_CHAT =
  '今日好物👇\n1️⃣ 47￥ CZ3457 p7lYdesjTCG￥ https://m.tb.cn/h.UQ4ceEA  我的天呐麻酱爆肚粉\n2️⃣ 煮茶器 ￥zRmVdesjTCu￥\n3️⃣ 九分裤 https://s.click.taobao.com/abc，手慢无！';

export function chatLinkConvert(): TaskExample {
  const file = '11-chat-link-convert.json';
  const b = new FlowBuilder(file, '11 群消息转链 Chat link conversion', '');
  heading(
    b,
    '11 群消息转链机器人 / Chat-bot link conversion: http in → tbk-link-convert → http response',
    `群聊机器人的 webhook：POST /tbk/chat 收到一条群消息（纯文本，或 JSON {"text": "..."}），tbk-link-convert 把其中每个淘宝 / 天猫链接和淘口令（包括“47￥ CZ3457 code￥ https://m.tb.cn/h.x 标题”这样的长口令）用万能转链换成你自己的淘口令，原位置替换，其余文字不变；应答 JSON {text, links}：text 是可以直接发回群里的文字，links 是每个物料的结果（ok、output、item_id、coupon、commission_rate，被拒绝时 error）。网关拒绝的物料（如 1001 无权限）保持原样。整次调用失败时应答 502 和错误信息。\n\n试一试（1880 是 Node-RED 的默认端口，npm start 会打印它实际用的地址）：curl -X POST http://127.0.0.1:1880/tbk/chat -H 'Content-Type: text/plain' --data-binary '复制 ￥zRmVdesjTCu￥ 或 https://s.click.taobao.com/abc'（端口按你的 Node-RED 调整），或点击 inject 用示例消息，结果显示在调试侧栏。推广位 adzoneId 在转链节点中（示例值 12345678，换成你自己的 PID 第三段）。沙箱按物料的哈希作答：部分带券，部分返回 1001。`,
    `A group-chat bot's webhook: POST /tbk/chat receives a chat message (plain text, or JSON {"text": "..."}); tbk-link-convert replaces every Taobao / Tmall link and 淘口令 in it (long forms like "47￥ CZ3457 code￥ https://m.tb.cn/h.x title" included) by your own 淘口令 from 万能转链, in place, leaving the rest of the text as it was. The answer is JSON {text, links}: the text to post back to the group, and one result per material (ok, output, item_id, coupon, commission_rate, or error when refused). A material the gateway refuses (e.g. 1001 无权限) stays as it was. When the call fails as a whole the answer is 502 with the error.\n\nTry (1880 is Node-RED's default port; npm start prints the one it uses): curl -X POST http://127.0.0.1:1880/tbk/chat -H 'Content-Type: text/plain' --data-binary '复制 ￥zRmVdesjTCu￥ 或 https://s.click.taobao.com/abc' (use your Node-RED's port), or click the inject for a sample message; the result shows in the Debug sidebar. The ad zone id is in the convert node (12345678 here: use the third part of your PID). The sandbox answers by a hash of each material: a coupon for some, 1001 for some.`,
  );
  b.add(
    'http',
    'http in',
    { name: '群消息 chat message', url: '/tbk/chat', method: 'post', upload: false, swaggerDoc: '' },
    0,
    0,
    [['text']],
  );
  b.add('sample', 'inject', inject('示例群消息 sample message', SAMPLE_CHAT), 0, 0, [['text']]);
  b.add(
    'text',
    'function',
    func(
      '消息文字 message text',
      `
// plain text, or JSON {"text": "..."} (the http in node parses JSON bodies)
const body = msg.payload;
msg.payload = typeof body === 'string' ? body : body && typeof body.text === 'string' ? body.text : '';
return msg;`,
    ),
    0,
    0,
    [['convert']],
  );
  b.add(
    'convert',
    'tbk-link-convert',
    {
      name: '转链 convert',
      config: 'cfg',
      adzoneId: '12345678',
      provider: false,
      siteId: '',
      replaceWith: 'tpwd',
      preferCoupon: true,
      relationId: '',
      specialId: '',
      errorMode: 'output',
      version: 1,
    },
    0,
    0,
    [['reply'], ['failed']],
  );
  b.add(
    'reply',
    'function',
    func('应答 {text, links}', `\nmsg.payload = { text: msg.payload, links: msg.tbk.links };\nreturn msg;`),
    0,
    0,
    [['fromHttp', 'show']],
  );
  b.add(
    'failed',
    'function',
    func(
      '转链失败 502',
      `\nmsg.statusCode = 502;\nmsg.payload = { error: msg.error.message, kind: msg.error.kind, code: msg.error.code };\nreturn msg;`,
    ),
    0,
    0,
    [['fromHttp', 'show']],
  );
  b.add('fromHttp', 'switch', switchNode('来自 HTTP? from HTTP?', 'res', [{ t: 'nnull' }]), 0, 0, [['respond']]);
  b.add('respond', 'http response', { name: '应答 reply', statusCode: '', headers: {} });
  b.add('show', 'debug', debug('转链结果 converted'));
  rows(b, [['http', 'sample'], 'text', 'convert', ['reply', 'failed'], 'fromHttp', 'respond'], ['show']);
  return { file, flow: b.build() };
}

/** Function-node code: keeps the latest state of every order, and on each run report sends the chart and table data. */
const COMMISSION_SUMMARY = `
// output 1 of the order sync: one order per message; output 2: the report after every run
const orders = context.get('orders') || {};
if (msg.topic !== 'report') {
    const order = msg.payload || {};
    const modified = String(order.modified_time || '');
    const known = orders[order.trade_id];
    // keep the latest version of each order (yyyy-MM-dd HH:mm:ss compares as text)
    if (order.trade_id && (!known || modified >= known.modified)) {
        orders[order.trade_id] = {
            day: String(order.tk_create_time || '').slice(0, 10),
            fee: Number(order.pub_share_pre_fee) || 0,
            status: Number(order.tk_status),
            modified
        };
        context.set('orders', orders);
    }
    return null;
}
// tk_status: 12 paid, 14 received, 3 settled, 13 closed (a closed order earns nothing)
const STATUS = { 12: '已付款 paid', 14: '确认收货 received', 3: '已结算 settled', 13: '已失效 closed' };
const byDay = {};
const byStatus = {};
for (const order of Object.values(orders)) {
    if (order.status !== 13) byDay[order.day] = (byDay[order.day] || 0) + order.fee;
    const row = byStatus[order.status] || (byStatus[order.status] = { orders: 0, fee: 0 });
    row.orders += 1;
    row.fee += order.fee;
}
const cents = (value) => Math.round(value * 100) / 100;
const days = Object.keys(byDay).sort().map((day) => ({ day, fee: cents(byDay[day]) }));
// in the order an order goes through: paid, received, settled; closed last
const rank = (status) => { const i = [12, 14, 3, 13].indexOf(status); return i < 0 ? 99 : i; };
const rows = Object.keys(byStatus).map(Number).sort((a, b) => rank(a) - rank(b) || a - b).map((status) => ({
    '状态 status': STATUS[status] || String(status),
    '订单数 orders': byStatus[status].orders,
    '预估佣金 commission': cents(byStatus[status].fee)
}));
return [{ topic: '预估佣金 estimated commission', payload: days }, { payload: rows }];`;

export function commissionDashboard(): TaskExample {
  const file = '12-commission-dashboard.json';
  const b = new FlowBuilder(file, '12 佣金看板 Commission dashboard', '');
  b.config('ui', 'ui-base', {
    name: '淘宝客 TBK',
    path: '/dashboard',
    appIcon: '',
    includeClientData: true,
    acceptsClientConfig: ['ui-notification', 'ui-control'],
    showPathInSidebar: false,
    navigationStyle: 'default',
    titleBarStyle: 'default',
  });
  b.config('theme', 'ui-theme', {
    name: '淘宝客 TBK',
    colors: { surface: '#ff8c42', primary: '#ff5000', bgPage: '#f9f9fb', groupBg: '#ffffff', groupOutline: '#d9d9e0' },
    sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' },
  });
  b.config('page', 'ui-page', {
    name: '佣金 Commission',
    ui: 'ui',
    path: '/commission',
    icon: 'chart-bar',
    layout: 'grid',
    theme: 'theme',
    breakpoints: [
      { name: 'Default', px: 0, cols: 3 },
      { name: 'Tablet', px: 576, cols: 6 },
      { name: 'Small Desktop', px: 768, cols: 9 },
      { name: 'Desktop', px: 1024, cols: 12 },
    ],
    order: 1,
    className: '',
    visible: 'true',
    disabled: 'false',
  });
  b.config('group', 'ui-group', {
    name: '近 24 小时订单 Orders of the last 24 hours',
    page: 'page',
    width: 12,
    height: 1,
    order: 1,
    showTitle: true,
    className: '',
    visible: 'true',
    disabled: 'false',
    groupType: 'default',
  });
  heading(
    b,
    '12 佣金看板 / Commission dashboard: tbk-order-sync → 每日预估佣金与订单状态 → 图表和表格',
    `订单同步节点（tbk-order-sync）启动时读取最近 24 小时的订单，之后每 5 分钟读取新订单和状态变化，每个订单一条消息；function 节点保存每个订单的最新状态，每次同步结束（第 2 个输出的运行报告）时计算每天的预估佣金（pub_share_pre_fee 之和，按创建日期，不含已失效订单）和各状态的订单数，分别发给柱状图（ui-chart）和表格（ui-table）。\n\n看板：http://127.0.0.1:1880/dashboard/commission（端口按你的 Node-RED 调整）。需要 @flowfuse/node-red-dashboard：\`npm start\` 已把它装进用户目录；在其他 Node-RED 中请在“节点管理”中安装。沙箱的订单簿随时间生成新订单和状态变化。`,
    `The order sync node (tbk-order-sync) reads the orders of the last 24 hours at deploy, then new orders and status changes every 5 minutes, one message per order; a function node keeps the latest state of each order and, when a sync ends (the run report on output 2), sends the estimated commission per day (the sum of pub_share_pre_fee by creation day, closed orders left out) to a bar chart (ui-chart) and the order count and commission by status to a table (ui-table).\n\nThe dashboard: http://127.0.0.1:1880/dashboard/commission (use your Node-RED's port). It needs @flowfuse/node-red-dashboard: \`npm start\` installs it in its user directory; elsewhere install it from the Palette Manager. The sandbox's order book makes new orders and status changes as time passes.`,
  );
  b.add(
    'sync',
    'tbk-order-sync',
    {
      name: '订单同步 order sync',
      config: 'cfg',
      provider: false,
      queryType: '4',
      interval: 5,
      output: 'order',
      windowMinutes: 60,
      overlapMinutes: 10,
      lagSeconds: 60,
      lookbackMinutes: 1440,
      pageSize: 100,
      orderScene: '',
      memberType: '',
      scope: 'node',
      store: '',
      contextKey: '',
      backfillFrom: '',
      backfillTo: '',
      errorMode: 'output',
    },
    0,
    0,
    [['summary'], ['summary']],
  );
  b.add('summary', 'function', func('每日佣金与状态 per day and status', COMMISSION_SUMMARY, 2), 0, 0, [
    ['chart'],
    ['table'],
  ]);
  b.add(
    'chart',
    'ui-chart',
    {
      group: 'group',
      name: '每日预估佣金 commission per day',
      label: '每日预估佣金（元）Estimated commission per day (CNY)',
      order: 1,
      chartType: 'bar',
      category: 'topic',
      categoryType: 'msg',
      xAxisLabel: '',
      xAxisProperty: 'day',
      xAxisPropertyType: 'property',
      xAxisType: 'category',
      xAxisFormat: '',
      xAxisFormatType: 'auto',
      xmin: '',
      xmax: '',
      yAxisLabel: '',
      yAxisProperty: 'fee',
      yAxisPropertyType: 'property',
      ymin: '',
      ymax: '',
      bins: 10,
      action: 'replace',
      stackSeries: false,
      pointShape: 'circle',
      pointRadius: 4,
      showLegend: true,
      removeOlder: 1,
      removeOlderUnit: '3600',
      removeOlderPoints: '',
      colors: ['#ff5000', '#ff8c42', '#ffa866', '#2ca02c', '#a347e1', '#d62728', '#ff9896', '#9467bd', '#c5b0d5'],
      textColor: ['#666666'],
      textColorDefault: true,
      gridColor: ['#e5e5e5'],
      gridColorDefault: true,
      width: 12,
      height: 6,
      className: '',
      interpolation: 'linear',
    },
    0,
    0,
    [[]],
  );
  b.add(
    'table',
    'ui-table',
    {
      group: 'group',
      name: '订单状态 orders by status',
      label: '订单状态 Orders by status',
      order: 2,
      width: 12,
      height: 0,
      maxrows: 0,
      passthru: false,
      autocols: true,
      showSearch: false,
      deselect: true,
      selectionType: 'none',
      columns: [],
      mobileBreakpoint: 'sm',
      mobileBreakpointType: 'defaults',
      action: 'replace',
      className: '',
    },
    0,
    0,
    [[]],
  );
  rows(b, ['sync', 'summary', ['chart', 'table']]);
  // the dashboard's own references between its nodes name them by key, like `config`
  const refs = new Map(['ui', 'theme', 'page', 'group'].map((key) => [key, b.id(key)]));
  const flow = b.build().map((node) => {
    const out = { ...node };
    for (const property of ['ui', 'theme', 'page', 'group'])
      if (typeof out[property] === 'string' && refs.has(out[property] as string))
        out[property] = refs.get(out[property] as string);
    return out;
  });
  return { file, flow };
}
