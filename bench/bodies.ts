/**
 * The answers the benchmark sandbox serves, built from the documented examples in specs/methods:
 * the material search (upgrade) item replicated and varied into pages of 20 (and ~500 KB), the
 * documented tpwd.create answer lengthened to ~1 KB, and a 20-item page whose seller ids are
 * 18-digit bare integers (the lossless parser's slow path).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { responseKey } from '../lib/top/response';
import { seededRandom } from '../lib/sandbox/faults';
import { SPECS_DIR } from '../lib/method-specs/index';

export const SEARCH_METHOD = 'taobao.tbk.dg.material.optional.upgrade';
export const TPWD_METHOD = 'taobao.tbk.tpwd.create';

/** Which answer the sandbox gives, chosen by the `q` parameter of a search (see variantOf). */
export type BodyVariant = 'items20' | 'ids18' | 'large';
export const LARGE_PAGE_ITEMS = 110;

function documentedExample(method: string): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(join(SPECS_DIR, `${method}.json`), 'utf8')) as {
    responseExample: Record<string, unknown>;
  };
  return spec.responseExample;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TITLES = [
  '复古女裤子秋冬九分裤萝卜裤显瘦高腰韩版新款',
  '夏季纯棉短袖T恤女宽松百搭上衣ins潮',
  '无线蓝牙耳机半入耳式降噪超长续航运动款',
  '儿童保温杯带吸管316不锈钢幼儿园水杯',
  '家用电动牙刷成人声波软毛自动充电式情侣款',
  '云南普洱茶熟茶饼357g七子饼茶叶礼盒装',
  '加厚珊瑚绒毛毯冬季午睡毯办公室盖腿毯子',
  '不粘锅炒锅家用麦饭石色平底锅电磁炉燃气灶通用',
];
const SHOPS = ['魔黛娅内衣旗舰店', '南极人官方旗舰店', '小米官方旗舰店', '良品铺子旗舰店', '苏泊尔官方旗舰店'];
const CITIES = ['浙江 杭州', '广东 广州', '江苏 苏州', '福建 泉州', '上海'];

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json {
  return value as Json;
}

function money(n: number): string {
  return n.toFixed(2);
}

/** The documented item with its ids, texts and figures varied. */
function variedItem(template: Json, index: number, random: () => number, bareSellerIds: boolean): Json {
  const item = structuredClone(template);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const token = (length: number): string =>
    Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
  const numericId = String(500000000000 + Math.floor(random() * 199999999999));
  item.item_id = `${token(10)}-${token(8)}${token(Math.floor(random() * 20))}`;
  const basic = asRecord(item.item_basic_info);
  basic.title = `${pick(TITLES)} ${index + 1}`;
  basic.short_title = String(basic.title).slice(0, 10);
  basic.shop_title = pick(SHOPS);
  basic.provcity = pick(CITIES);
  basic.volume = Math.floor(random() * 50000);
  basic.category_id = 50000000 + Math.floor(random() * 9999999);
  basic.seller_id = bareSellerIds
    ? 200000000000000000n + BigInt(Math.floor(random() * 1e15))
    : 1000000 + Math.floor(random() * 3000000000);
  basic.pict_url = `//img.alicdn.com/bao/uploaded/i${1 + (index % 4)}/${basic.seller_id}/O1CN01${token(22)}_!!0-item_pic.jpg`;
  basic.white_image = `https:${basic.pict_url}`;
  const publish = asRecord(item.publish_info);
  publish.click_url = `//item.taobao.com/item.htm?id=${numericId}&scm=1007.16190.92234.0&pvid=${token(8)}-${token(4)}-${token(4)}&app_pvid=${token(26)}`;
  publish.income_rate = money(1 + random() * 30);
  publish.two_hour_promotion_sales = Math.floor(random() * 500);
  publish.daily_promotion_sales = Math.floor(random() * 5000);
  const price = asRecord(item.price_promotion_info);
  const reserve = 10 + random() * 500;
  price.reserve_price = money(reserve);
  price.zk_final_price = money(reserve * 0.8);
  price.final_promotion_price = money(reserve * 0.7);
  return item;
}

function searchPage(items: number, seed: number, bareSellerIds: boolean): Json {
  const example = asRecord(asRecord(documentedExample(SEARCH_METHOD))[responseKey(SEARCH_METHOD)]);
  const template = (asRecord(example.result_list).map_data as Json[])[0]!;
  const random = seededRandom(seed);
  const list = Array.from({ length: items }, (_, i) => variedItem(template, i, random, bareSellerIds));
  return { total_results: 1212, result_list: { map_data: list }, uvid_msg: example.uvid_msg };
}

/** The inner (unwrapped) answers; the sandbox adds the <name>_response wrapper and a request id. */
export function searchBodies(): Record<BodyVariant, Json> {
  return {
    items20: searchPage(20, 20, false),
    ids18: searchPage(20, 20, true),
    large: searchPage(LARGE_PAGE_ITEMS, 500, false),
  };
}

export function tpwdBody(): Json {
  const example = asRecord(asRecord(documentedExample(TPWD_METHOD))[responseKey(TPWD_METHOD)]);
  const data = structuredClone(asRecord(example.data));
  const share =
    '【淘宝】限时特惠，领券立减，全场满299减50，叠加店铺券与88VIP折扣，前1000名加赠同款小样一份，库存有限先到先得';
  data.model = `${String(data.model)} ${share} https://m.tb.cn/h.VvkiWSm?tk=hxlgccEumBB 「复古女裤子秋冬九分裤萝卜裤显瘦高腰韩版」点击链接直接打开 或者 淘宝搜索直接打开 ${share}`;
  return { data };
}

/** The q parameter that asks the sandbox for a variant of the search answer. */
export const VARIANT_QUERY: Record<BodyVariant, string> = { items20: '女装', ids18: '女装 ids18', large: '女装 large' };

export function variantOf(q: string | undefined): BodyVariant {
  if (q === VARIANT_QUERY.large) return 'large';
  if (q === VARIANT_QUERY.ids18) return 'ids18';
  return 'items20';
}
