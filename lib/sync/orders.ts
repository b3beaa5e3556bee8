/** The orders of the order details API: their query types, the list in an answer, the fingerprint of a version. */
import { createHash } from 'node:crypto';

export type OrderQueryType = 1 | 2 | 3 | 4;
export type OrderDetailsMethod = 'taobao.tbk.order.details.get' | 'taobao.tbk.sc.order.details.get';

/** The order field each query_type filters on. */
export const QUERY_TIME_FIELDS: Readonly<Record<OrderQueryType, string>> = {
  1: 'tk_create_time',
  2: 'tk_paid_time',
  3: 'tk_earning_time',
  4: 'modified_time',
};

/** Fields whose change makes an order "changed" (re-emitted). */
export const FINGERPRINT_FIELDS: readonly string[] = [
  'tk_status',
  'modified_time',
  'refund_tag',
  'tk_paid_time',
  'tk_earning_time',
  'alipay_total_price',
  'pay_price',
  'item_num',
  'pub_share_pre_fee',
  'pub_share_fee',
  'total_commission_fee',
  'pub_share_pre_fee_for_commission',
  'pub_share_fee_for_commission',
  'subsidy_fee',
  'alimama_share_fee',
];

export type PublisherOrder = Record<string, unknown> & { trade_id: string; trade_parent_id?: string };

/** The fingerprint of an order: a short hash of the fields whose change matters. */
export function orderFingerprint(order: Record<string, unknown>): string {
  const values = FINGERPRINT_FIELDS.map((field) => {
    const value = order[field];
    return value === undefined || value === null ? '' : String(value);
  });
  return createHash('sha1').update(values.join('\u0001')).digest('base64url').slice(0, 12);
}

/** The list of orders in a data block: `results.publisher_order_dto` (or a bare list with simplify). */
export function pageOrders(data: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  const results = data?.results;
  let list: unknown = results;
  if (isRecord(results))
    list = Array.isArray(results.publisher_order_dto)
      ? results.publisher_order_dto
      : Object.values(results).find(Array.isArray);
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
