/**
 * The task example flows (examples/01-…json to examples/12-…json), as data (11 and 12 in
 * example-automations.ts, what they share in example-layout.ts). Each runs as imported
 * in the Node-RED of `npm start`, whatever the ports: the one config node they share reads the
 * gateway and the credentials from TBK_ENDPOINT, TBK_APP_KEY and TBK_APP_SECRET, which `npm start`
 * sets for its Node-RED (a note on each canvas says what to set elsewhere). The sandbox answers with
 * the documented response examples: function nodes map the documented response fields to msg
 * properties, which the next method node's parameter rows read (type msg or jsonata), and clear
 * msg.payload.
 *
 * Most rows read msg properties set by function nodes; a Function node may also build msg.payload
 * itself (09 and 10 do): objects from its vm context are taken as parameters (lib/objects.ts).
 * Every required parameter of a method node is set or mapped from msg, so that every node is valid
 * in the editor. Rows are laid out from the nodes' label widths (FlowBuilder.row).
 */
import {
  FlowBuilder,
  change,
  debug,
  fromPayload,
  func,
  inject,
  methodNode,
  switchNode,
  template,
} from './flow-builder';
import { chatLinkConvert, commissionDashboard } from './example-automations';
import { heading, rows, ROW, TOP, type TaskExample } from './example-layout';

export type { TaskExample };
export { SAMPLE_CHAT } from './example-automations';

/** Function-node code that reads the first converted link of a general.link.convert answer. */
const FIRST_LINK = `
const data = (msg.payload && msg.payload.data) || {};
const wrapped = data.material_url_list;
// a list, or {material_url_list: [...]} when the config node does not simplify answers
const entries = Array.isArray(wrapped) ? wrapped : (wrapped && wrapped.material_url_list) || [];
const link = (entries[0] && entries[0].link_info_dto) || {};
const url = link.coupon_short_url || link.cps_short_url || link.coupon_long_url || link.cps_long_url;
if (!url) {
    node.warn('no converted link in the answer: ' + JSON.stringify(entries[0] || {}));
    return null;
}
msg.link = url;`;

function genericCall(): TaskExample {
  const file = '01-generic-api-call.json';
  const b = new FlowBuilder(file, '01 通用节点 Generic API call', '');
  heading(
    b,
    '01 通用 API 调用 / Generic API call (tbk-api)',
    `通用节点 tbk-api（“TOP 接口”）按方法名调用任意淘宝客（TOP）接口，msg.payload 是接口参数。点击 inject 节点左侧的按钮，在“调试”侧栏查看结果。\n\n- 第一行：方法名在节点里设置（物料搜索 taobao.tbk.dg.material.optional.upgrade）。\n- 第二行：节点里的方法名留空，由 msg.method 指定（生成淘口令 taobao.tbk.tpwd.create）。\n\n第二个输出是错误输出，msg.error 说明失败原因（kind、code、sub_code 等）。凭据只保存在 flows_cred.json 中，不会出现在导出的流程里。`,
    `The generic tbk-api node ("TOP API") calls any 淘宝客 (TOP) method by name; msg.payload carries the parameters. Click the button of an inject node; the result shows in the Debug sidebar.\n\n- First row: the method is set in the node (material search, taobao.tbk.dg.material.optional.upgrade).\n- Second row: the node's method is blank and msg.method names it (create a 淘口令, taobao.tbk.tpwd.create).\n\nThe second output is the error output: msg.error describes the failure (kind, code, sub_code ...). Credentials live only in flows_cred.json and never appear in an exported flow.`,
  );
  b.add('search', 'inject', inject('搜索 女装 / search', { q: '女装', adzone_id: '12345678', page_size: 5 }), 0, 0, [
    ['searchApi'],
  ]);
  b.add(
    'searchApi',
    'tbk-api',
    {
      name: '物料搜索 material search',
      config: 'cfg',
      method: 'taobao.tbk.dg.material.optional.upgrade',
      writes: false,
      errorMode: 'output',
      batch: false,
      batchSize: 20,
    },
    0,
    0,
    [['result'], ['error']],
  );
  b.add(
    'tpwd',
    'inject',
    inject(
      'msg.method = taobao.tbk.tpwd.create',
      { url: 'https://s.click.taobao.com/YI3Uopu' },
      { extra: [{ p: 'method', v: 'taobao.tbk.tpwd.create', vt: 'str' }] },
    ),
    0,
    0,
    [['tpwdApi']],
  );
  b.add(
    'tpwdApi',
    'tbk-api',
    {
      name: '方法来自 msg.method',
      config: 'cfg',
      method: '',
      writes: false,
      errorMode: 'output',
      batch: false,
      batchSize: 20,
    },
    0,
    0,
    [['result'], ['error']],
  );
  b.add('result', 'debug', debug('结果 result', 'true'));
  b.add('error', 'debug', debug('错误 error', 'error'));
  b.grid(
    [
      ['search', 'searchApi', 'result'],
      ['tpwd', 'tpwdApi', 'error'],
    ],
    { top: TOP, rowHeight: ROW },
  );
  return { file, flow: b.build() };
}

function searchToPost(): TaskExample {
  const file = '02-search-convert-tpwd.json';
  const b = new FlowBuilder(file, '02 物料搜索→转链→淘口令 Search, convert, 淘口令', '');
  heading(
    b,
    '02 物料搜索 → 转链 → 淘口令 → 文案 / Search → convert → 淘口令 → post text',
    `按关键词搜索物料（taobao.tbk.dg.material.optional.upgrade），取第一个商品，用万能转链（taobao.tbk.dg.general.link.convert）生成推广短链，再生成淘口令（taobao.tbk.tpwd.create），最后用 template 节点拼出一条可以直接发到群里的文案，显示在“调试”侧栏。\n\n点击“搜索 女装”左侧的按钮即可运行；关键词在 inject 的 msg.payload 中（{"q": "女装"}），推广位 adzone_id 在搜索和转链节点的参数里。每个方法节点的第二个输出是错误输出（msg.error）。`,
    `Searches materials by keyword (taobao.tbk.dg.material.optional.upgrade), takes the first item, converts it to a promotion short link (taobao.tbk.dg.general.link.convert), creates a 淘口令 for the link (taobao.tbk.tpwd.create), and a template node writes a message ready to post; it shows in the Debug sidebar.\n\nClick the button of "搜索 女装 / search" to run it; the keyword is in the inject's msg.payload ({"q": "女装"}), the adzone_id in the parameters of the search and convert nodes. The second output of each method node is the error output (msg.error).`,
  );
  b.add('start', 'inject', inject('搜索 女装 / search', { q: '女装' }), 0, 0, [['search']]);
  b.add(
    'search',
    'tbk-dg-material-optional-upgrade',
    methodNode('cfg', '物料搜索 search', {
      errorMode: 'output',
      params: { adzone_id: { value: '12345678', type: 'num' }, page_size: { value: '5', type: 'num' } },
    }),
    0,
    0,
    [['pick'], ['failed']],
  );
  b.add(
    'pick',
    'function',
    func(
      '第一个商品 → 转链参数 first item → convert',
      `
// the first item of the search, and the parameters of the convert node for it
const list = msg.payload.result_list;
const items = Array.isArray(list) ? list : (list && list.map_data) || [];
if (items.length === 0) {
    node.warn('no item found');
    return null;
}
const item = items[0];
const basic = item.item_basic_info || {};
const price = item.price_promotion_info || {};
msg.item = {
    id: item.item_id,
    title: basic.short_title || basic.title,
    price: price.final_promotion_price || price.zk_final_price
};
// the convert node reads msg.item.id in its item_id_list row; an empty msg.payload adds nothing
msg.payload = null;
return msg;`,
    ),
    0,
    0,
    [['convert']],
  );
  b.add(
    'convert',
    'tbk-dg-general-link-convert',
    methodNode('cfg', '转链 convert', {
      errorMode: 'output',
      params: { adzone_id: { value: '12345678', type: 'num' }, item_id_list: { value: 'item.id', type: 'msg' } },
    }),
    0,
    0,
    [['tpwdRequest'], ['failed']],
  );
  b.add('tpwdRequest', 'function', func('短链 msg.link', `${FIRST_LINK}\nmsg.payload = null;\nreturn msg;`), 0, 0, [
    ['tpwd'],
  ]);
  b.add(
    'tpwd',
    'tbk-tpwd-create',
    methodNode('cfg', '生成淘口令 create 淘口令', {
      errorMode: 'output',
      params: { url: { value: 'link', type: 'msg' } },
    }),
    0,
    0,
    [['keepTpwd'], ['failed']],
  );
  b.add(
    'keepTpwd',
    'change',
    change('msg.tpwd = 淘口令', [{ t: 'set', p: 'tpwd', pt: 'msg', to: 'payload.data.password_simple', tot: 'msg' }]),
    0,
    0,
    [['post']],
  );
  b.add(
    'post',
    'template',
    template(
      '发群文案 post text',
      '【{{{item.title}}}】到手价 ¥{{{item.price}}}\n复制 {{{tpwd}}} 打开手机淘宝 / copy it and open the Taobao app\n{{{link}}}',
    ),
    0,
    0,
    [['show']],
  );
  b.add('show', 'debug', debug('可发布的文案 ready to post'));
  b.add('failed', 'debug', debug('错误 error: msg.error', 'error'));
  rows(b, ['start', 'search', 'pick', 'convert', 'failed'], ['tpwdRequest', 'tpwd', 'keepTpwd', 'post', 'show']);
  return { file, flow: b.build() };
}

function parseUserLink(): TaskExample {
  const file = '03-parse-user-link.json';
  const b = new FlowBuilder(file, '03 解析用户发来的口令 Parse what a user sent', '');
  heading(
    b,
    '03 解析淘口令/链接 → 商品详情 → 转链 / Parse a 淘口令 or link → item details → converted link',
    `用户在群里或私聊中发来一段带淘口令或链接的文字（inject 的 msg.payload 模拟这条消息）。function 节点取出淘口令或链接，万能解析（taobao.tbk.dg.general.link.parse）得到商品 ID，商品详情（taobao.tbk.item.info.upgrade.get）取标题和到手价，万能转链（taobao.tbk.dg.general.link.convert）生成你自己的推广链接，最后拼出回复给用户的文字。\n\n实际使用时，把 inject 换成接收消息的节点（如企业微信、钉钉、Telegram 节点），把 debug 换成发送回复的节点。`,
    `A user sends a text holding a 淘口令 or a link (the inject's msg.payload stands in for that message). A function node finds the 淘口令 or link, the universal parser (taobao.tbk.dg.general.link.parse) gives the item id, item details (taobao.tbk.item.info.upgrade.get) the title and final price, the general link convert (taobao.tbk.dg.general.link.convert) your own promotion link, and the last function node writes the reply.\n\nIn real use, replace the inject by the node that receives messages (a chat integration) and the debug node by the one that sends the reply.`,
  );
  b.add(
    'start',
    'inject',
    inject(
      '用户消息 a user message',
      '【淘宝】复制 ￥zRmVdesjTCu￥ 打开手机淘宝 https://m.tb.cn/h.UQ4cewa 麻酱爆肚粉六袋装',
    ),
    0,
    0,
    [['parseRequest']],
  );
  b.add(
    'parseRequest',
    'function',
    func(
      '找出淘口令/链接 find the 淘口令 or link',
      `
const text = String(msg.payload || '');
// a 淘口令 sits between two currency-like signs; otherwise take the first http(s) link
const tpwd = text.match(/[￥¥$€£¢₤₳₴]([A-Za-z0-9]{8,20})[￥¥$€£¢₤₳₴]/);
const link = text.match(/https?:\\/\\/[^\\s，。]+/);
const material = tpwd ? tpwd[0] : link ? link[0] : '';
if (!material) {
    node.warn('no 淘口令 or link in the message');
    return null;
}
msg.userText = text;
msg.material = material;
msg.payload = null;
return msg;`,
    ),
    0,
    0,
    [['parse']],
  );
  b.add(
    'parse',
    'tbk-dg-general-link-parse',
    methodNode('cfg', '万能解析 parse', {
      errorMode: 'output',
      params: {
        adzone_id: { value: '12345678', type: 'num' },
        material_dto: { value: '{"material_url": material}', type: 'jsonata' },
      },
    }),
    0,
    0,
    [['detailsRequest'], ['failed']],
  );
  b.add(
    'detailsRequest',
    'function',
    func(
      '商品 ID → 详情参数 item id → details',
      `
const data = (msg.payload && msg.payload.data) || {};
const wrapped = data.material_url_list;
const entries = Array.isArray(wrapped) ? wrapped : (wrapped && wrapped.material_url_list) || [];
const info = (entries[0] && entries[0].link_info_dto) || {};
// material_type 1 is an item (2 a shop, 3 an event page, ...)
if (String(info.material_type) !== '1' || !info.material_id) {
    node.warn('the message does not point at an item');
    return null;
}
msg.itemId = String(info.material_id);
msg.payload = null;
return msg;`,
    ),
    0,
    0,
    [['details']],
  );
  b.add(
    'details',
    'tbk-item-info-upgrade-get',
    methodNode('cfg', '商品详情 item details', {
      errorMode: 'output',
      params: { item_id: { value: 'itemId', type: 'msg' } },
    }),
    0,
    0,
    [['convertRequest'], ['failed']],
  );
  b.add(
    'convertRequest',
    'function',
    func(
      '详情 → 转链参数 details → convert',
      `
const results = msg.payload.results;
const details = Array.isArray(results) ? results : (results && results.tbk_item_detail) || [];
const detail = details[0] || {};
const basic = detail.item_basic_info || {};
const price = detail.price_promotion_info || {};
msg.item = {
    id: msg.itemId,
    title: basic.short_title || basic.title || '',
    price: price.final_promotion_price || price.zk_final_price || ''
};
msg.payload = null;
return msg;`,
    ),
    0,
    0,
    [['convert']],
  );
  b.add(
    'convert',
    'tbk-dg-general-link-convert',
    methodNode('cfg', '转链 convert', {
      errorMode: 'output',
      params: { adzone_id: { value: '12345678', type: 'num' }, item_id_list: { value: 'itemId', type: 'msg' } },
    }),
    0,
    0,
    [['reply'], ['failed']],
  );
  b.add(
    'reply',
    'function',
    func(
      '回复文字 reply text',
      `${FIRST_LINK}\nmsg.payload = msg.item.title + ' 到手价 ¥' + msg.item.price + '\\n' + url;\nreturn msg;`,
    ),
    0,
    0,
    [['show']],
  );
  b.add('show', 'debug', debug('回复给用户 reply'));
  b.add('failed', 'debug', debug('错误 error: msg.error', 'error'));
  rows(
    b,
    ['start', 'parseRequest', 'parse', 'detailsRequest'],
    ['details', 'convertRequest', 'convert', 'reply', 'show'],
    ['failed'],
  );
  return { file, flow: b.build() };
}

function orderPolling(): TaskExample {
  const file = '04-order-polling.json';
  const b = new FlowBuilder(file, '04 订单轮询 Order polling', '');
  heading(
    b,
    '04 每 5 分钟拉取订单，写入 JSON Lines 文件 / Poll orders every 5 minutes into a JSON Lines file',
    `inject 每 5 分钟触发一次（也可以点击按钮），msg.payload 是当前时间（毫秒）；订单节点的 start_time / end_time 参数用 JSONata 由它算出最近 10 分钟的时间窗（东八区时间；窗口相互重叠，边界上的订单不会漏掉，按 trade_id 去重即可）。所有订单查询节点（taobao.tbk.order.details.get）的“分页”设为“所有页，合并”，自己按 position_index 翻页，把各页订单合并成一个列表。split 节点逐条拆开，每个订单写成文件 tbk-orders.jsonl 中的一行 JSON（相对于 Node-RED 的工作目录）。\n\n订单号 trade_id、trade_parent_id 等超过 JavaScript 精确整数范围的数字，节点会保持为精确的字符串，写入文件后依然一位不差。\n\n查询类型 query_type 4 按订单更新时间查询，适合同步订单状态变化。时间窗日常不能超过 3 小时，大促期间不能超过 20 分钟。专门的订单同步节点另行提供；本例展示普通的方法节点。`,
    `The inject fires every 5 minutes (or click its button) with the current time in ms as msg.payload; the start_time / end_time parameters of the order node are JSONata expressions of it: the last 10 minutes in GMT+8 (windows overlap so that no order on an edge is missed; de-duplicate on trade_id). The order details node (taobao.tbk.order.details.get) has "Pages" set to "every page, merged": it pages itself with position_index and merges the orders of every page into one list. A split node takes them one by one and each order becomes one JSON line of the file tbk-orders.jsonl (relative to Node-RED's working directory).\n\nOrder ids (trade_id, trade_parent_id ...) beyond JavaScript's exact integers stay exact digit strings, in msg.payload and in the file.\n\nquery_type 4 queries by update time, which is what syncing order status needs. A window may not exceed 3 hours (20 minutes during big sales). A dedicated order-sync node is provided separately; this example shows the plain method node.`,
  );
  // the inject's msg.payload is the current time in ms: both ends of the window come from it
  const gmt8 = (expression: string): string =>
    `$fromMillis(${expression}, '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01]', '+0800')`;
  b.add('every5', 'inject', inject('每 5 分钟 every 5 minutes', undefined, { repeat: '300' }), 0, 0, [['orders']]);
  b.add(
    'orders',
    'tbk-order-details-get',
    methodNode('cfg', '所有订单 order details', {
      errorMode: 'output',
      paging: 'merge',
      maxPages: 50,
      params: {
        start_time: { value: gmt8('payload - 10 * 60 * 1000'), type: 'jsonata' },
        end_time: { value: gmt8('payload'), type: 'jsonata' },
        query_type: { value: '4', type: 'num' },
        page_size: { value: '100', type: 'num' },
      },
    }),
    0,
    0,
    [['split', 'pages'], ['failed']],
  );
  b.add(
    'split',
    'split',
    {
      name: '逐个订单 one order each',
      splt: '\\n',
      spltType: 'str',
      arraySplt: 1,
      arraySpltType: 'len',
      stream: false,
      addname: '',
      property: 'payload',
    },
    0,
    0,
    [['line']],
  );
  b.add(
    'line',
    'function',
    func(
      '一行 JSON one JSON line',
      `\n// one order per line; the order ids are exact digit strings already\nmsg.payload = JSON.stringify(msg.payload);\nreturn msg;`,
    ),
    0,
    0,
    [['file']],
  );
  b.add(
    'file',
    'file',
    {
      name: 'tbk-orders.jsonl',
      filename: 'tbk-orders.jsonl',
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'utf8',
    },
    0,
    0,
    [[]],
  );
  b.add('pages', 'debug', debug('页数与总数 pages, total: msg.tbk', 'tbk'));
  b.add('failed', 'debug', debug('错误 error: msg.error', 'error'));
  b.row(TOP, ['every5', 'orders', 'split', 'line', 'file']);
  b.row(TOP + ROW, ['pages', 'failed'], { left: 380 });
  return { file, flow: b.build() };
}

function tljBusinessFailure(): TaskExample {
  const file = '05-tlj-business-failure.json';
  const b = new FlowBuilder(file, '05 淘礼金与业务失败 淘礼金 and business failures', '');
  heading(
    b,
    '05 创建淘礼金，处理业务失败 / Create a 淘礼金, handle business failures',
    `淘礼金创建（taobao.tbk.dg.vegas.tlj.create）的参数在节点中设置；发放开始/结束时间用 JSONata 表达式按东八区的当前时间计算。\n\n接口调用成功但业务失败（result.success 为 false，例如额度不足、商品不支持）时，节点把它当作错误，从第二个输出送出，msg.error.kind 为 "business"，msg.error.msg 是平台给出的原因。switch 节点把业务失败与其他错误（参数错误、网络、限流……）分开处理。\n\n沙箱按文档示例作答，而文档示例本身就是 success: false，所以在沙箱中会走“业务失败”分支。该方法会创建数据，失败后不会自动重试。`,
    `The parameters of 淘礼金 creation (taobao.tbk.dg.vegas.tlj.create) are set in the node; the send start and end times are JSONata expressions of the current time in GMT+8.\n\nWhen the call succeeds but the business fails (result.success false: no budget left, item not eligible ...), the node treats it as an error and sends it on its second output with msg.error.kind "business" and the platform's reason in msg.error.msg. The switch node keeps business failures apart from other errors (validation, network, throttling ...).\n\nThe sandbox answers with the documented example, which itself reports success: false, so in the sandbox the flow takes the business-failure branch. This method creates data: a failed call is never retried automatically.`,
  );
  const now = "$fromMillis($millis(), '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01]', '+0800')";
  const tomorrow = "$fromMillis($millis() + 86400000, '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01]', '+0800')";
  b.add('start', 'inject', inject('创建淘礼金 create', undefined), 0, 0, [['tlj']]);
  b.add(
    'tlj',
    'tbk-dg-vegas-tlj-create',
    methodNode('cfg', '淘礼金创建 create 淘礼金', {
      errorMode: 'output',
      params: {
        adzone_id: { value: '1234567', type: 'num' },
        item_id: { value: '12323', type: 'str' },
        name: { value: '淘礼金来啦', type: 'str' },
        per_face: { value: '10', type: 'str' },
        total_num: { value: '10', type: 'num' },
        user_total_win_num_limit: { value: '1', type: 'num' },
        security_switch: { value: 'true', type: 'bool' },
        send_start_time: { value: now, type: 'jsonata' },
        send_end_time: { value: tomorrow, type: 'jsonata' },
      },
    }),
    0,
    0,
    [['created'], ['kind']],
  );
  b.add(
    'created',
    'function',
    func(
      '淘礼金链接 the 淘礼金',
      `\nconst model = (msg.payload.result && msg.payload.result.model) || {};\nmsg.payload = { rights_id: model.rights_id, send_url: model.send_url };\nreturn msg;`,
    ),
    0,
    0,
    [['showCreated']],
  );
  b.add('showCreated', 'debug', debug('已创建 created'));
  b.add(
    'kind',
    'switch',
    switchNode('业务失败? business?', 'error.kind', [{ t: 'eq', v: 'business', vt: 'str' }, { t: 'else' }]),
    0,
    0,
    [['business'], ['otherError']],
  );
  b.add('business', 'debug', debug('business failure: msg.error.msg', 'error.msg'));
  b.add('otherError', 'debug', debug('其他错误 other error: msg.error', 'error'));
  b.row(TOP, ['start', 'tlj', 'created', 'showCreated']);
  b.row(TOP + ROW, ['kind', ['business', 'otherError']], { left: 380 });
  return { file, flow: b.build() };
}

function planCallback(): TaskExample {
  const file = '06-sf-plan-callback.json';
  const b = new FlowBuilder(file, '06 生态发单回调 Plan callback', '');
  heading(
    b,
    '06 生态发单：接收计划消息 → 转链 → 回调结果 / 生态发单: plan message → convert → report the result',
    `http in 节点接收 POST /tbk/plan 的计划消息（JSON：group_id、scd_id、msg_id、offset_code，以及要推广的 material_url）；也可以点击 inject 用示例消息代替。流程用万能转链处理这条消息，然后用生态发单结果回调（taobao.tbk.sf.group.activity.callback）上报结果，回调节点的七个参数全部在节点中映射：group_id、scd_id、msg_id、offset_code 读取 msg.plan（计划消息），res_code / res_desc 读取 msg.result（处理结果：本例成功记 1、失败记 0，请按你的计划约定的结果码调整），time_stamp 是 JSONata 表达式 $millis()，即当前时间的毫秒数。最后由 http response 节点应答请求方。\n\n试一试：curl -X POST http://127.0.0.1:1880/tbk/plan -H 'Content-Type: application/json' -d '{"group_id":"R:15323432","scd_id":125452,"msg_id":"CG8PX7V5","offset_code":"6KNj7vzS6CG8PX7V5","material_url":"https://s.click.taobao.com/pQBDhNu"}'（端口按你的 Node-RED 调整）。`,
    `The http in node receives plan messages on POST /tbk/plan (JSON: group_id, scd_id, msg_id, offset_code, and the material_url to promote); the inject stands in with a sample message. The flow converts the link, then reports the result with the plan callback (taobao.tbk.sf.group.activity.callback), whose seven parameters are all mapped in the node: group_id, scd_id, msg_id, offset_code read msg.plan (the plan message), res_code / res_desc read msg.result (the outcome: 1 for success and 0 for failure here; use the result codes your plan agreed on), time_stamp is the JSONata expression $millis(), the current time in milliseconds. The http response node answers the caller.\n\nTry: curl -X POST http://127.0.0.1:1880/tbk/plan -H 'Content-Type: application/json' -d '{"group_id":"R:15323432","scd_id":125452,"msg_id":"CG8PX7V5","offset_code":"6KNj7vzS6CG8PX7V5","material_url":"https://s.click.taobao.com/pQBDhNu"}' (use your Node-RED's port).`,
  );
  const plan = {
    group_id: 'R:15323432',
    scd_id: 125452,
    msg_id: 'CG8PX7V5',
    offset_code: '6KNj7vzS6CG8PX7V5',
    material_url: 'https://s.click.taobao.com/pQBDhNu',
  };
  b.add(
    'http',
    'http in',
    { name: '计划消息 plan message', url: '/tbk/plan', method: 'post', upload: false, swaggerDoc: '' },
    0,
    0,
    [['keepPlan']],
  );
  b.add('sample', 'inject', inject('示例计划消息 sample plan', plan), 0, 0, [['keepPlan']]);
  b.add(
    'keepPlan',
    'function',
    func(
      '计划消息 msg.plan',
      `
const plan = msg.payload || {};
msg.plan = plan;
// the method nodes read msg.plan in their parameter rows; an empty msg.payload adds nothing
msg.payload = null;
if (!plan.group_id || !plan.msg_id || !plan.offset_code || !plan.material_url) {
    msg.result = { code: 0, desc: 'plan message lacks group_id, msg_id, offset_code or material_url' };
    return [null, msg];
}
return [msg, null];`,
      2,
    ),
    0,
    0,
    [['convert'], ['callback']],
  );
  b.add(
    'convert',
    'tbk-dg-general-link-convert',
    methodNode('cfg', '转链 convert', {
      errorMode: 'output',
      params: {
        adzone_id: { value: '12345678', type: 'num' },
        material_list: { value: 'plan.material_url', type: 'msg' },
      },
    }),
    0,
    0,
    [['converted'], ['convertFailed']],
  );
  b.add(
    'converted',
    'function',
    func(
      '转链成功 converted',
      `${FIRST_LINK}\nmsg.result = { code: 1, desc: 'converted: ' + url };\nmsg.payload = null;\nreturn msg;`,
    ),
    0,
    0,
    [['callback']],
  );
  b.add(
    'convertFailed',
    'function',
    func(
      '转链失败 failed',
      `\nmsg.result = { code: 0, desc: String(msg.error.message).slice(0, 200) };\ndelete msg.error;\nmsg.payload = null;\nreturn msg;`,
    ),
    0,
    0,
    [['callback']],
  );
  b.add(
    'callback',
    'tbk-sf-group-activity-callback',
    methodNode('cfg', '生态发单回调 plan callback', {
      errorMode: 'output',
      params: {
        group_id: { value: 'plan.group_id', type: 'msg' },
        scd_id: { value: 'plan.scd_id', type: 'msg' },
        msg_id: { value: 'plan.msg_id', type: 'msg' },
        offset_code: { value: 'plan.offset_code', type: 'msg' },
        res_code: { value: 'result.code', type: 'msg' },
        res_desc: { value: 'result.desc', type: 'msg' },
        time_stamp: { value: '$millis()', type: 'jsonata' },
      },
    }),
    0,
    0,
    [['answer'], ['answer']],
  );
  b.add(
    'answer',
    'function',
    func(
      '应答内容 answer',
      `
msg.payload = {
    ok: !msg.error && msg.result.code === 1,
    msg_id: msg.plan.msg_id,
    result: msg.result,
    link: msg.link,
    callback: msg.error ? { error: msg.error.message } : { is_success: msg.payload.is_success, request_id: msg.tbk && msg.tbk.request_id }
};
return msg;`,
    ),
    0,
    0,
    [['fromHttp', 'show']],
  );
  b.add('fromHttp', 'switch', switchNode('来自 HTTP? from HTTP?', 'res', [{ t: 'nnull' }]), 0, 0, [['reply']]);
  b.add('reply', 'http response', { name: '应答 reply', statusCode: '', headers: {} });
  b.add('show', 'debug', debug('回调结果 callback result'));
  rows(
    b,
    [['http', 'sample'], 'keepPlan', 'convert', ['converted', 'convertFailed']],
    ['callback', 'answer', ['fromHttp', 'show'], 'reply'],
  );
  return { file, flow: b.build() };
}

function providerSession(): TaskExample {
  const file = '07-provider-session.json';
  const b = new FlowBuilder(file, '07 服务商：按用户的 session Provider: per-user session', '');
  heading(
    b,
    "07 服务商：每个用户的授权 session 放在 msg.session / Provider: each user's session in msg.session",
    `服务商（taobao.tbk.sc.*）接口代表已授权的淘宝客调用，需要该用户的授权 session。session 可以写在配置节点里（所有调用共用），也可以每条消息用 msg.session 指定，后者优先。\n\n第一行模拟用户完成授权：function 节点把用户 user-1 的 session 存进 flow 上下文（flow.tbk_sessions，按用户 ID 存放）。第二行为该用户转链：change 节点用 JSONata 从 flow 上下文取出 msg.user 对应的 session 放进 msg.session，服务商转链节点（taobao.tbk.sc.general.link.convert，参数含 site_id 与 adzone_id）就以这个用户的身份调用。先点第一行，再点第二行。\n\nsession 是机密：不要把它打印到调试侧栏或日志中。沙箱接受任何非空的 session。`,
    `Provider (taobao.tbk.sc.*) methods act for an authorized 淘宝客 and need that user's session. It can be set in the config node (shared by every call) or per message in msg.session, which wins.\n\nThe first row stands in for a user's authorization: a function node keeps the session of user-1 in flow context (flow.tbk_sessions, by user id). The second row converts a link for that user: a change node puts the user's session from flow context into msg.session with JSONata, and the provider link convert (taobao.tbk.sc.general.link.convert, with site_id and adzone_id) calls as that user. Click the first row, then the second.\n\nA session is a secret: never show it in the Debug sidebar or a log. The sandbox accepts any non-empty session.`,
  );
  b.add(
    'authorized',
    'inject',
    inject('用户 user-1 已授权 user-1 authorized', 'sandbox-session-of-user-1', {
      extra: [{ p: 'user', v: 'user-1', vt: 'str' }],
    }),
    0,
    0,
    [['store']],
  );
  b.add(
    'store',
    'function',
    func(
      '保存 session store the session',
      `
const sessions = flow.get('tbk_sessions') || {};
sessions[msg.user] = msg.payload;
flow.set('tbk_sessions', sessions);
msg.payload = 'stored the session of ' + msg.user;
return msg;`,
    ),
    0,
    0,
    [['stored']],
  );
  b.add('stored', 'debug', debug('已保存 stored'));
  b.add(
    'convertFor',
    'inject',
    inject(
      '为 user-1 转链 convert for user-1',
      { material_list: ['https://s.click.taobao.com/pQBDhNu'] },
      { extra: [{ p: 'user', v: 'user-1', vt: 'str' }] },
    ),
    0,
    0,
    [['session']],
  );
  b.add(
    'session',
    'change',
    change('msg.session = 该用户的 session', [
      { t: 'set', p: 'session', pt: 'msg', to: "$lookup($flowContext('tbk_sessions'), user)", tot: 'jsonata' },
    ]),
    0,
    0,
    [['scConvert']],
  );
  b.add(
    'scConvert',
    'tbk-sc-general-link-convert',
    methodNode('cfg', '服务商转链 provider convert', {
      errorMode: 'output',
      params: { adzone_id: { value: '123456', type: 'num' }, site_id: { value: '123456', type: 'num' } },
    }),
    0,
    0,
    [['link'], ['failed']],
  );
  b.add(
    'link',
    'function',
    func(
      '推广链接 the link',
      `${FIRST_LINK}\nmsg.payload = { user: msg.user, link: url };\ndelete msg.session;\nreturn msg;`,
    ),
    0,
    0,
    [['show']],
  );
  b.add('show', 'debug', debug('转链结果 converted'));
  b.add('failed', 'debug', debug('错误 error: msg.error', 'error'));
  rows(b, ['authorized', 'store', 'stored'], ['convertFor', 'session', 'scConvert', ['link', 'failed'], 'show']);
  return { file, flow: b.build() };
}

function errorHandling(): TaskExample {
  const file = '08-error-handling.json';
  const b = new FlowBuilder(file, '08 错误处理 Error handling', '');
  heading(
    b,
    '08 错误处理：错误输出、Catch、限流重试 / Error handling: error output, Catch, throttling retries',
    `每个节点的“出错时”（errorMode）决定错误去向：\n\n- **output**：总是从第二个输出送出，msg.error = {kind, message, code, msg, sub_code, sub_msg, request_id, param, retryable, attempts, source}；\n- **catch**：总是交给 Catch 节点：Catch 节点收到的 msg.error 由 Node-RED 生成，含 message（按 Node-RED 的语言设置）、source、code（TOP 错误码），msg.error.cause 中是 kind、code、sub_code、sub_msg、request_id 等字段的值，调试侧栏可以直接展开查看；\n- **auto**（默认）：第二个输出已连线就走输出，否则交给 Catch。\n\n第 1 行向沙箱的控制接口 POST /__sandbox/faults（地址由 inject 用 JSONata 从环境变量 TBK_ENDPOINT 算出，放在 msg.url 中）注入一条故障规则 [{"kind":"tbk-throttle","count":1}]：下一次调用会被限流（sub_code 9100）。随后点第 2 行，节点状态先显示“被限流，N 秒后重试”，自动重试后成功，调试侧栏中 msg.tbk.attempts 为 2。这个控制接口只有沙箱有，真实网关没有。\n\n两个商品详情节点都把必填参数 item_id 映射为 msg.payload.item_id（必填参数必须在节点中设置或映射到 msg，否则编辑器把节点标为无效）。第 3 行的 msg.payload 中没有 item_id，节点在发出请求前就报告校验错误（kind "validation"，param "item_id"），从错误输出送出；第 4 行是同样的调用，但节点设为 catch，错误由 Catch 节点接住。第 5 行用通用节点 tbk-api 按方法名调用，错误同样走第二个输出。`,
    `Each node's "On error" (errorMode) decides where a failure goes:\n\n- **output**: always the second output, with msg.error = {kind, message, code, msg, sub_code, sub_msg, request_id, param, retryable, attempts, source};\n- **catch**: always a Catch node. Node-RED builds the msg.error a Catch node gets: message (in Node-RED's language), source and code (the TOP error code); msg.error.cause holds kind, code, sub_code, sub_msg, request_id and the other fields as plain values, which the Debug sidebar shows;\n- **auto** (default): the second output when it is wired, else Catch.\n\nRow 1 posts a fault rule [{"kind":"tbk-throttle","count":1}] to the sandbox's control endpoint POST /__sandbox/faults (its address is in msg.url, worked out from TBK_ENDPOINT by a JSONata expression in the inject): the next call is throttled (sub_code 9100). Click row 2 then: the node's status shows "throttled, retry in Ns", the automatic retry succeeds, and msg.tbk.attempts is 2 in the Debug sidebar. Only the sandbox has this control endpoint, not the real gateway.\n\nBoth item details nodes map the required item_id from msg.payload.item_id (a required parameter must be set or mapped from msg, or the editor marks the node invalid). Row 3's msg.payload has no item_id: the node reports a validation error before sending anything (kind "validation", param "item_id") on its error output; row 4 is the same call with the node set to catch, and a Catch node receives the error. Row 5 calls by method name with the generic tbk-api node, whose errors take the second output too.`,
  );
  // the control endpoint sits beside /router/rest on the sandbox that TBK_ENDPOINT names
  const faultsUrl = {
    p: 'url',
    v: "$replace($env('TBK_ENDPOINT'), '/router/rest', '/__sandbox/faults')",
    vt: 'jsonata',
  };
  b.add(
    'fault',
    'inject',
    inject('1 注入限流故障 inject a throttle fault', [{ kind: 'tbk-throttle', count: 1 }], { extra: [faultsUrl] }),
    0,
    0,
    [['post']],
  );
  b.add(
    'post',
    'http request',
    {
      name: 'POST /__sandbox/faults',
      method: 'POST',
      ret: 'obj',
      paytoqs: 'ignore',
      url: '',
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
    },
    0,
    0,
    [['rules']],
  );
  b.add('rules', 'debug', debug('沙箱故障规则 sandbox fault rules'));
  b.add('valid', 'inject', inject('2 商品详情 item details', { item_id: '3232' }), 0, 0, [['outputMode']]);
  b.add('invalid', 'inject', inject('3 缺少 item_id (output)', {}), 0, 0, [['outputMode']]);
  b.add(
    'outputMode',
    'tbk-item-info-upgrade-get',
    methodNode('cfg', 'errorMode: output', { errorMode: 'output', params: fromPayload('item_id') }),
    0,
    0,
    [['attempts'], ['errorOutput']],
  );
  b.add('attempts', 'debug', debug('成功 ok: msg.tbk (attempts)', 'tbk'));
  b.add('errorOutput', 'debug', debug('错误输出 error output: msg.error', 'error'));
  b.add('invalidCatch', 'inject', inject('4 缺少 item_id (catch)', {}), 0, 0, [['catchMode']]);
  b.add(
    'catchMode',
    'tbk-item-info-upgrade-get',
    methodNode('cfg', 'errorMode: catch', { errorMode: 'catch', params: fromPayload('item_id') }),
    0,
    0,
    [['catchOk']],
  );
  b.add('catchOk', 'debug', debug('成功 ok'));
  b.add('catcher', 'catch', { name: 'Catch: errorMode catch', scope: ['catchMode'], uncaught: false }, 0, 0, [
    ['caught'],
  ]);
  b.add('caught', 'debug', debug('Catch 收到 caught: msg.error', 'error'));
  b.add('generic', 'inject', inject('5 tbk-api: taobao.tbk.tpwd.parse', { password_content: '￥asaff￥' }), 0, 0, [
    ['api'],
  ]);
  b.add(
    'api',
    'tbk-api',
    {
      name: '通用节点 generic node',
      config: 'cfg',
      method: 'taobao.tbk.tpwd.parse',
      writes: false,
      errorMode: 'output',
    },
    0,
    0,
    [['apiOk'], ['apiError']],
  );
  b.add('apiOk', 'debug', debug('tbk-api 响应 response'));
  b.add('apiError', 'debug', debug('tbk-api 错误 error: msg.error', 'error'));
  rows(
    b,
    ['fault', 'post', 'rules'],
    [['valid', 'invalid'], 'outputMode', ['attempts', 'errorOutput']],
    ['invalidCatch', 'catchMode', 'catchOk'],
    ['catcher', 'caught'],
    ['generic', 'api', ['apiOk', 'apiError']],
  );
  return { file, flow: b.build() };
}

function batchConvert(): TaskExample {
  const file = '09-batch-calls.json';
  const b = new FlowBuilder(file, '09 批量调用 Batch calls', '');
  heading(
    b,
    '09 批量调用：40 个商品一次查询 / Batch calls: 40 items in one go (tbk-api, /router/batch)',
    `通用节点 tbk-api 勾选“批量”后，数组形式的 msg.payload（每项一组参数）按 TOP 批量协议（/router/batch）发送，每批最多 batchSize 个（默认 20，本例 40 个分两批并行），输出一条消息：msg.payload 是按输入顺序排列的逐项结果 {ok: true, response} 或 {ok: false, error}，msg.tbk.batch 说明分了几批。整批失败（签名、时间戳、网络）走第二个输出。\n\n批量协议的格式来自官方 SDK；单批上限、批量调用如何计入配额与 40 次/秒 的限流、eco.taobao.com 是否提供 /router/batch，官方文档没有说明（SDK 使用 gw.api.taobao.com）。`,
    `With Batch ticked, the generic tbk-api node sends an array msg.payload (one parameter object per call) as TOP batch requests (/router/batch), at most batchSize per batch (default 20; here 40 items in two batches, in parallel), and outputs one message: msg.payload holds the per-call results in input order, {ok: true, response} or {ok: false, error}; msg.tbk.batch says how it was split. A whole-batch failure (signature, timestamp, network) takes the second output.\n\nThe wire format comes from the official SDKs; the maximum per batch, how a batch counts against quotas and the 40 calls/s limit, and whether eco.taobao.com serves /router/batch are not documented (the SDKs use gw.api.taobao.com).`,
  );
  b.add('start', 'inject', inject('40 个商品 40 items', undefined), 0, 0, [['build']]);
  b.add(
    'build',
    'function',
    func(
      '每个商品一组参数 one parameter object per item',
      `msg.payload = Array.from({ length: 40 }, (_, i) => ({ item_id: String(3232 + i) }));\nreturn msg;`,
    ),
    0,
    0,
    [['batch']],
  );
  b.add(
    'batch',
    'tbk-api',
    {
      name: '批量商品详情 batch item details',
      config: 'cfg',
      method: 'taobao.tbk.item.info.upgrade.get',
      writes: false,
      errorMode: 'output',
      batch: true,
      batchSize: 20,
    },
    0,
    0,
    [['summary'], ['failed']],
  );
  b.add(
    'summary',
    'function',
    func(
      '统计 summary',
      `const results = msg.payload;\nconst ok = results.filter((r) => r.ok).length;\nmsg.payload = { calls: results.length, ok, failed: results.length - ok, batches: msg.tbk.batch.chunks };\nreturn msg;`,
    ),
    0,
    0,
    [['show']],
  );
  b.add('show', 'debug', debug('批量结果 batch results'));
  b.add('failed', 'debug', debug('整批失败 whole batch failed: msg.error', 'error'));
  rows(b, ['start', 'build', 'batch', ['summary', 'failed'], 'show']);
  return { file, flow: b.build() };
}

function sharedLimit(): TaskExample {
  const file = '10-shared-rate-limit.json';
  const b = new FlowBuilder(file, '10 多实例共享限流 Shared rate limit', '');
  heading(
    b,
    '10 限流：100 条消息排队，无一丢失；多个实例共享限流 / Rate limit: 100 messages queue, none dropped; one limit for several instances (Redis)',
    `配置节点的“每秒次数”（本例与所有示例共用的配置节点：40 次/秒，同一个阿里妈妈账号约 40 次/秒）对使用它的所有节点生效：点击 inject，function 节点一次发出 100 条消息，商品详情节点排队发送，不会丢弃任何消息；调试侧栏显示全部完成时的统计。\n\n多个 Node-RED 实例（或多个配置节点）使用同一个 App Key 时，每个实例各自限流是不够的：双击配置节点，在“Redis URL”（一项凭据，不会写进流程）中填写 \${TBK_REDIS_URL}，并在每个实例的环境中设置 TBK_REDIS_URL=redis://127.0.0.1:6379/0（同一个 Redis），它们就共同遵守这个每秒次数（按 App Key 计数）。填写了 \${TBK_REDIS_URL} 而未设置该变量时，配置节点报错“TBK_REDIS_URL is not set”，每次调用都失败，不会悄悄改用本地限流。Redis 不可达时自动回退到本地限流，使用该配置的节点状态显示“local limit: Redis unreachable”，Redis 恢复后回到共享限流。`,
    `The config node's calls per second (here the config node all examples share: 40 per second, about what an Alimama account gets) holds for every node that uses it: click the inject, a function node sends 100 messages at once, the item details node queues them and drops none; the Debug sidebar shows the count when all are done.\n\nWhen several Node-RED instances (or config nodes) use the same App Key, a limit per instance is not enough: double-click the config node, enter \${TBK_REDIS_URL} as its "Redis URL" (a credential, kept out of the flow), and give every instance TBK_REDIS_URL=redis://127.0.0.1:6379/0 (the same Redis): together they keep that one limit (counted per App Key). With \${TBK_REDIS_URL} entered and the variable not set, the config node reports "TBK_REDIS_URL is not set" and every call fails, rather than quietly limiting locally. If Redis is unreachable the config falls back to the local limit, the nodes using it show "local limit: Redis unreachable", and the shared limit returns with Redis.`,
  );
  b.add('start', 'inject', inject('100 条消息 100 messages', undefined), 0, 0, [['fanOut']]);
  b.add(
    'fanOut',
    'function',
    func(
      '100 条消息 100 messages',
      `for (let i = 0; i < 100; i++) node.send({ payload: { item_id: String(3232 + i) }, index: i });\nreturn null;`,
    ),
    0,
    0,
    [['details']],
  );
  b.add(
    'details',
    'tbk-item-info-upgrade-get',
    methodNode('cfg', '商品详情 item details', { errorMode: 'output', params: fromPayload('item_id') }),
    0,
    0,
    [['count'], ['count']],
  );
  b.add(
    'count',
    'function',
    func(
      '统计 count',
      `const done = (context.get('done') || 0) + 1;\nconst failed = (context.get('failed') || 0) + (msg.error ? 1 : 0);\ncontext.set('done', done);\ncontext.set('failed', failed);\nif (done < 100) return null;\ncontext.set('done', 0);\ncontext.set('failed', 0);\nmsg.payload = { messages: done, failed };\nreturn msg;`,
    ),
    0,
    0,
    [['show']],
  );
  b.add('show', 'debug', debug('100 条完成 all 100 done'));
  rows(b, ['start', 'fanOut', 'details', 'count', 'show']);
  return { file, flow: b.build() };
}

export function taskExamples(): TaskExample[] {
  return [
    genericCall(),
    searchToPost(),
    parseUserLink(),
    orderPolling(),
    tljBusinessFailure(),
    planCallback(),
    providerSession(),
    errorHandling(),
    batchConvert(),
    sharedLimit(),
    chatLinkConvert(),
    commissionDashboard(),
  ];
}
