/**
 * Task examples 07 to 10, how calls behave: a session per user in msg.session (07), errors on the
 * error output or a Catch node and throttling retries (08), batch calls (09), the rate limit that
 * queues messages and can be shared through Redis (10).
 */
import { FlowBuilder, change, debug, fromPayload, func, inject, methodNode } from './flow-builder';
import { FIRST_LINK, heading, rows, type TaskExample } from './example-layout';

export function providerSession(): TaskExample {
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

export function errorHandling(): TaskExample {
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

export function batchConvert(): TaskExample {
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

export function sharedLimit(): TaskExample {
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
