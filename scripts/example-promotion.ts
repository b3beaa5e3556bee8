/**
 * Task examples 01 to 03, finding and promoting items: the generic node calling any method by name
 * (01), search → convert → 淘口令 → a post (02), and the reply to a user's 淘口令 or link (03).
 */
import { FlowBuilder, change, debug, func, inject, methodNode, template } from './flow-builder';
import { FIRST_LINK, heading, rows, ROW, TOP, type TaskExample } from './example-layout';

export function genericCall(): TaskExample {
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

export function searchToPost(): TaskExample {
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

export function parseUserLink(): TaskExample {
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
