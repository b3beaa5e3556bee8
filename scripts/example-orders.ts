/**
 * Task examples 04 to 06, orders and the calls that create or report something: order polling into
 * a JSON Lines file (04), a 淘礼金 created and its business failures (05), the 生态发单 plan callback
 * behind an http in node (06).
 */
import { FlowBuilder, debug, func, inject, methodNode, switchNode } from './flow-builder';
import { FIRST_LINK, heading, rows, ROW, TOP, type TaskExample } from './example-layout';

export function orderPolling(): TaskExample {
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

export function tljBusinessFailure(): TaskExample {
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

export function planCallback(): TaskExample {
  const file = '06-sf-plan-callback.json';
  const b = new FlowBuilder(file, '06 生态发单回调 Plan callback', '');
  heading(
    b,
    '06 生态发单：接收计划消息 → 转链 → 回调结果 / 生态发单: plan message → convert → report the result',
    `http in 节点接收 POST /tbk/plan 的计划消息（JSON：group_id、scd_id、msg_id、offset_code，以及要推广的 material_url）；也可以点击 inject 用示例消息代替。流程用万能转链处理这条消息，然后用生态发单结果回调（taobao.tbk.sf.group.activity.callback）上报结果，回调节点的七个参数全部在节点中映射：group_id、scd_id、msg_id、offset_code 读取 msg.plan（计划消息），res_code / res_desc 读取 msg.result（处理结果：本例成功记 1、失败记 0，请按你的计划约定的结果码调整），time_stamp 是 JSONata 表达式 $millis()，即当前时间的毫秒数。最后由 http response 节点应答请求方。\n\n试一试（1880 是 Node-RED 的默认端口，npm start 会打印它实际用的地址）：curl -X POST http://127.0.0.1:1880/tbk/plan -H 'Content-Type: application/json' -d '{"group_id":"R:15323432","scd_id":125452,"msg_id":"CG8PX7V5","offset_code":"6KNj7vzS6CG8PX7V5","material_url":"https://s.click.taobao.com/pQBDhNu"}'（端口按你的 Node-RED 调整）。`,
    `The http in node receives plan messages on POST /tbk/plan (JSON: group_id, scd_id, msg_id, offset_code, and the material_url to promote); the inject stands in with a sample message. The flow converts the link, then reports the result with the plan callback (taobao.tbk.sf.group.activity.callback), whose seven parameters are all mapped in the node: group_id, scd_id, msg_id, offset_code read msg.plan (the plan message), res_code / res_desc read msg.result (the outcome: 1 for success and 0 for failure here; use the result codes your plan agreed on), time_stamp is the JSONata expression $millis(), the current time in milliseconds. The http response node answers the caller.\n\nTry (1880 is Node-RED's default port; npm start prints the one it uses): curl -X POST http://127.0.0.1:1880/tbk/plan -H 'Content-Type: application/json' -d '{"group_id":"R:15323432","scd_id":125452,"msg_id":"CG8PX7V5","offset_code":"6KNj7vzS6CG8PX7V5","material_url":"https://s.click.taobao.com/pQBDhNu"}' (use your Node-RED's port).`,
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
