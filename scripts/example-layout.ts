/**
 * What every task example shares: its setup text (how to run it under npm start and elsewhere), its
 * heading (the title comment, the note for use outside npm start, the shared config node), the
 * layout of its rows, and the Function-node code that reads a converted link.
 */
import {
  EXAMPLE_CONFIG_NAME,
  FlowBuilder,
  OUTSIDE_NPM_START,
  comment,
  type Column,
  type FlowNode,
} from './flow-builder';

export interface TaskExample {
  /** file name under examples/ (the Import > Examples menu entry) */
  file: string;
  flow: FlowNode[];
}

const SETUP_ZH = [
  '**运行方式**：在本包目录运行 `npm start`：它启动本地沙箱网关，并为 Node-RED 设置环境变量 `TBK_ENDPOINT`（沙箱地址，端口是哪个都可以）、`TBK_APP_KEY`、`TBK_APP_SECRET`（沙箱凭据）。导入后直接部署即可运行。',
  OUTSIDE_NPM_START.zh,
  `本示例的配置节点“${EXAMPLE_CONFIG_NAME}”与其他示例共用（相同的 ID），导入多个示例也只有这一个配置节点。它不含任何凭据，只引用上面的环境变量。`,
  '连接真实网关：把 `TBK_ENDPOINT` 设为 https://eco.taobao.com/router/rest，`TBK_APP_KEY` / `TBK_APP_SECRET` 设为自己的凭据（或在配置节点中直接填写），并把示例中的推广位 adzone_id 等换成自己的。沙箱多数接口按文档中的响应示例作答（与请求内容无关）；万能转链按每个物料作答，订单查询来自随时间变化的模拟订单簿。',
].join('\n\n');

const SETUP_EN = [
  "**Running it**: `npm start` in this package's directory starts the local sandbox gateway and gives Node-RED the environment variables `TBK_ENDPOINT` (the sandbox, on whatever port it got), `TBK_APP_KEY` and `TBK_APP_SECRET` (the sandbox app). Deploy the imported flow and it runs.",
  OUTSIDE_NPM_START.en,
  `The config node "${EXAMPLE_CONFIG_NAME}" is the same one (same id) in every example: importing several leaves one config node. It carries no credentials, only references to the variables above.`,
  'For the real gateway: set `TBK_ENDPOINT` to https://eco.taobao.com/router/rest and `TBK_APP_KEY` / `TBK_APP_SECRET` to your own credentials (or type them into the config node), and use your own adzone_id and the like. The sandbox answers most methods with the documented response example, whatever the request asks; 万能转链 answers material by material, and order queries come from an order book that changes over time.',
].join('\n\n');

export function info(zh: string, en: string): string {
  return `**中文**\n\n${zh.trim()}\n\n${SETUP_ZH}\n\n**English**\n\n${en.trim()}\n\n${SETUP_EN}`;
}

/** Rows of the content start here; the title comment and the note above sit at 40 and 80. */
export const TOP = 150;
export const ROW = 90;

/** The example's title comment and the note for running it outside npm start, at the top left. */
export function heading(b: FlowBuilder, title: string, zh: string, en: string): void {
  b.exampleConfig();
  b.add('about', 'comment', comment(title, info(zh, en)));
  b.outsideNpmStartNote(0, 0);
  b.row(40, ['about']);
  b.row(80, ['outsideNpmStart']);
}

/** Function-node code that reads the first converted link of a general.link.convert answer. */
export const FIRST_LINK = `
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

/** Lays out rows of columns, ROW apart from TOP. */
export function rows(b: FlowBuilder, ...list: Array<readonly Column[]>): void {
  list.forEach((columns, i) => b.row(TOP + i * ROW, columns));
}
