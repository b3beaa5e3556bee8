/**
 * The sandbox's 万能转链 answers (taobao.tbk.dg.general.link.convert and the 服务商 variant
 * taobao.tbk.sc.general.link.convert), material by material: each material of `material_list` gets
 * converted links and 淘口令 derived from a hash, so the same material always gets the same answer.
 * By the hash of the material alone, about 15 % are refused with code 1001 (无权限, as the gateway
 * answers a material the app may not convert) and about 40 % carry a coupon.
 * A call without `material_list` keeps the documented example answer.
 */
import { createHash } from 'node:crypto';
import { findMaterials } from '../links/materials';
import { formatGmt8, parseGmt8 } from '../top/time';
import type { GatewayCall, TopErrorFields } from './gateway';

export const LINK_CONVERT_METHODS: ReadonlySet<string> = new Set([
  'taobao.tbk.dg.general.link.convert',
  'taobao.tbk.sc.general.link.convert',
]);

/** Materials the sandbox converts in one call; more are refused (code 41) so that callers chunk. */
export const SANDBOX_MAX_MATERIALS = 20;

/** Percent of materials refused with 1001, and percent (of all) answered with a coupon. */
const REFUSED_PERCENT = 15;
const COUPON_PERCENT = 40;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const TITLES = [
  '我的天呐麻酱爆肚粉香辣花甲粉重庆酸辣粉方便速食粉条六袋装',
  'olayks煮茶器喷淋式黑茶白茶煮茶壶家用自动蒸汽养生壶办公室小型',
  '九分裤女显瘦高腰韩版宽松直筒阔腿裤春秋新款',
  '巴布豆菠萝超薄干爽拉拉裤XL60+6片',
  '三只松鼠每日坚果混合果仁750g/30袋',
  '小米手环8 NFC版 智能运动手环 心率血氧监测',
  '南极人纯棉四件套全棉床单被套学生宿舍三件套',
  '蓝月亮深层洁净洗衣液3kg*2瓶 薰衣草香',
];

const COUPON_AMOUNTS = [3, 5, 10, 15, 20, 30, 50, 80];
const COUPON_STEPS = [10, 20, 50, 100];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** `length` characters of base 62 from the hash, starting at byte `offset`. */
function base62(hash: Buffer, offset: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[hash[(offset + i) % hash.length]! % 62];
  return out;
}

function materialsOf(call: GatewayCall): string[] | undefined {
  const list = call.params.material_list;
  if (list === undefined || list.trim() === '') return undefined;
  return list
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
}

/** More materials than one call converts: code 41 on material_list. */
export function checkLinkConvertParams(method: string, call: GatewayCall): TopErrorFields | undefined {
  if (!LINK_CONVERT_METHODS.has(method)) return undefined;
  const materials = materialsOf(call);
  if (materials && materials.length > SANDBOX_MAX_MATERIALS) {
    return {
      code: 41,
      msg: 'Invalid arguments:material_list',
      sub_code: 'isv.invalid-parameter:material_list',
      sub_msg: `material_list holds ${materials.length} materials: at most ${SANDBOX_MAX_MATERIALS} a call`,
    };
  }
  return undefined;
}

/** The start of the GMT+8 day of an instant. */
function gmt8Midnight(now: number): number {
  return parseGmt8(`${formatGmt8(now).slice(0, 10)} 00:00:00`);
}

/** The answer entry of one material. */
export function materialAnswer(material: string, call: GatewayCall, method: string): Record<string, unknown> {
  const fate = digest(material);
  const roll = fate.readUInt16BE(0) % 100;
  if (roll < REFUSED_PERCENT) return { code: 1001, msg: '无权限', input_material_url: material };

  // the links also depend on the promotion slot they are made for
  const p = call.params;
  const links = digest(`${method}|${p.adzone_id ?? ''}|${p.relation_id ?? ''}|${p.special_id ?? ''}|${material}`);
  const itemId = `6${(fate.readBigUInt64BE(8) % 10n ** 11n).toString().padStart(11, '0')}`;
  const title = TITLES[fate[2]! % TITLES.length]!;
  const relation = p.relation_id ? `&relationId=${encodeURIComponent(p.relation_id)}` : '';
  const isTpwd = findMaterials(material).some((m) => m.kind !== 'url');
  const marker = `CZ${String(1000 + (fate.readUInt16BE(4) % 9000))}`;
  const fullTpwd = (code: string, short: string, n: number): string =>
    `${n}￥ ${marker} ${code}￥ https://m.tb.cn/h.${short}  ${title}`;

  const cpsCode = base62(links, 0, 11);
  const cpsShort = base62(links, 11, 7);
  const link: Record<string, unknown> = {
    material_type: 1,
    material_id: itemId,
    cps_long_url: `https://s.click.taobao.com/t?e=m%3D2%26s%3D${base62(links, 3, 32)}${relation}&union_lens=lensId%3ASANDBOX%40${itemId}`,
    cps_short_url: `https://s.click.taobao.com/${cpsShort}`,
    cps_short_tpwd: `￥${cpsCode}￥`,
    cps_full_tpwd: fullTpwd(cpsCode, base62(links, 18, 7), 10 + (links[25]! % 90)),
  };
  if (isTpwd) {
    link.tk_biz_type = 2;
    link.tpwd_origin_url = `https://item.taobao.com/item.htm?id=${itemId}`;
  }

  const entry: Record<string, unknown> = {
    input_material_url: material,
    promotion_info_dto: {
      commission_rate: ((3 + (fate[3]! % 58)) / 2).toFixed(2),
      commission_type: fate[3]! % 2 === 0 ? 'COMMON' : 'MKT',
    },
  };
  if (roll < REFUSED_PERCENT + COUPON_PERCENT) {
    const amount = COUPON_AMOUNTS[fate[5]! % COUPON_AMOUNTS.length]!;
    const threshold = amount + COUPON_STEPS[fate[6]! % COUPON_STEPS.length]!;
    const day = gmt8Midnight(call.now);
    entry.coupon_info_dto = {
      coupon_amount: amount.toFixed(2),
      coupon_desc: `满${threshold}元减${amount}元`,
      coupon_start_time: formatGmt8(day),
      coupon_end_time: formatGmt8(day + (1 + (fate[7]! % 14)) * 86_400_000 - 1000),
      coupon_remain_count: 1000 + fate.readUInt16BE(12),
      coupon_type: 1,
      activity_id: fate.subarray(16, 32).toString('hex'),
    };
    const couponCode = base62(links, 26, 11);
    const couponShort = base62(links, 5, 7);
    Object.assign(link, {
      coupon_long_url: `https://uland.taobao.com/coupon/edetail?e=${base62(links, 7, 32)}${relation}&union_lens=lensId%3ASANDBOX%40${itemId}`,
      coupon_short_url: `https://s.click.taobao.com/${couponShort}`,
      coupon_short_tpwd: `￥${couponCode}￥`,
      coupon_full_tpwd: fullTpwd(couponCode, base62(links, 20, 7), 10 + (links[30]! % 90)),
    });
  }
  entry.link_info_dto = link;
  return entry;
}

/**
 * The inner response (what goes inside `<name>_response`) of a 万能转链 call with `material_list`,
 * one entry per material in order; undefined for any other call.
 */
export function linkConvertResponse(method: string, call: GatewayCall): Record<string, unknown> | undefined {
  if (!LINK_CONVERT_METHODS.has(method)) return undefined;
  const materials = materialsOf(call);
  if (!materials) return undefined;
  return { data: { material_url_list: { material_url_list: materials.map((m) => materialAnswer(m, call, method)) } } };
}
