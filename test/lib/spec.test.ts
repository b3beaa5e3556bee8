import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TopError } from '../../lib/top/errors';
import { detectBusinessFailure } from '../../lib/top/response';
import { loadSpecs, nodeTypeFor, SPECS_DIR } from '../../lib/method-specs';
import { validateParams } from '../../lib/method-specs/schema';
import type { MethodSpec, ParamKind, ParamSpec } from '../../lib/method-specs/types';
import { kindFor, parseLimits } from '../../scripts/catalog-params';
import { shortZh } from '../../scripts/import-catalog';
import { packageRoot } from '../../lib/package-root';

const REPO_ROOT = packageRoot();
const REFERENCE = resolve(REPO_ROOT, 'reference');

interface CatalogEntry {
  title: string;
  method: string | null;
  status: string;
  params: Array<{ name: string; type: string; required: boolean; example: string | null }> | null;
}

const catalog = JSON.parse(readFileSync(join(REFERENCE, 'tbk-catalog.json'), 'utf8')) as { methods: CatalogEntry[] };
const specs = loadSpecs();
const KINDS: ParamKind[] = ['string', 'number', 'boolean', 'date', 'json', 'string[]', 'number[]', 'file'];

function spec(method: string): MethodSpec {
  const found = specs.find((s) => s.method === method);
  assert.ok(found, `no spec for ${method}`);
  return found;
}

function rejects(fn: () => unknown, expected: { param?: string; message: RegExp }): TopError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TopError, `expected a TopError, got ${String(err)}`);
    assert.equal(err.kind, 'validation');
    if (expected.param !== undefined) assert.equal(err.param, expected.param);
    assert.match(err.message, expected.message);
    return err;
  }
  assert.fail('expected a validation error');
}

/** A documented example (always a string in the docs) as a value of its kind. */
function exampleValue(p: ParamSpec): unknown {
  const text = p.example!;
  switch (p.kind) {
    case 'number':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'string[]':
    case 'number[]': {
      const items = text.trim().startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split(',');
      return p.kind === 'number[]' ? items.map(Number) : items;
    }
    default:
      return text;
  }
}

/** A value that satisfies a required parameter without an example. */
function stand_in(p: ParamSpec): unknown {
  if (p.enum) return p.enum[0];
  switch (p.kind) {
    case 'number':
      return p.min ?? 1;
    case 'boolean':
      return true;
    case 'date':
      return '2024-01-01 00:00:00';
    case 'json':
      return {};
    case 'file':
      return Buffer.from('x');
    case 'string[]':
    case 'number[]':
      return ['1'];
    default:
      return 'x';
  }
}

describe('method specs', function () {
  it('are exactly the catalog methods with a known name', function () {
    const known = catalog.methods
      .filter((m) => m.method !== null)
      .map((m) => m.method!)
      .sort();
    const have = specs.map((s) => s.method).sort();
    assert.equal(known.length, 149);
    assert.deepEqual(
      have.filter((m) => !known.includes(m)),
      [],
      'specs without a catalog method',
    );
    assert.deepEqual(
      known.filter((m) => !have.includes(m)),
      [],
      'catalog methods without a spec',
    );
    const files = readdirSync(SPECS_DIR).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.sort(), have.map((m) => `${m}.json`).sort());
  });

  it('cover every seed title that maps to a known method', function () {
    const seedFile = readdirSync(join(REFERENCE, 'seed')).find((f) => /^000_.*\.txt$/.test(f));
    assert.ok(seedFile);
    const lines = readFileSync(join(REFERENCE, 'seed', seedFile), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    let covered = 0;
    for (const line of lines) {
      const entry = catalog.methods.find((m) => m.title === line);
      if (!entry?.method) continue;
      assert.ok(
        specs.some((s) => s.method === entry.method),
        `seed title ${line} (${entry.method}) has no spec`,
      );
      covered++;
    }
    assert.ok(covered >= 140, `only ${covered} seed titles matched`);
  });

  it('have unique types, both titles and labels, valid kinds', function () {
    const types = new Set<string>();
    const labels = new Set<string>();
    const checkParams = (method: string, params: ParamSpec[]): void => {
      const names = new Set<string>();
      for (const p of params) {
        assert.ok(KINDS.includes(p.kind), `${method} ${p.name}: kind ${p.kind}`);
        assert.ok(!names.has(p.name), `${method}: duplicate parameter ${p.name}`);
        names.add(p.name);
        assert.equal(typeof p.required, 'boolean');
        assert.equal(typeof p.description, 'string');
        if (p.example !== undefined) assert.equal(typeof p.example, 'string');
        if (p.children) checkParams(method, p.children);
      }
    };
    for (const s of specs) {
      assert.equal(s.version, 1);
      assert.equal(s.type, nodeTypeFor(s.method));
      assert.ok(!types.has(s.type), `duplicate type ${s.type}`);
      types.add(s.type);
      for (const text of [s.title.zh, s.title.en, s.label.zh, s.label.en])
        assert.ok(text && text.trim() === text && text.length > 0, `${s.method}: empty title or label`);
      // short enough for the palette; the provider twin of a promoter method adds " (provider)"
      assert.ok(s.label.en.replace(/ \(provider\)$/, '').length <= 28, `${s.method}: label too long: ${s.label.en}`);
      assert.ok(!/[\u4e00-\u9fa5]/.test(s.label.en), `${s.method}: English label with Chinese`);
      for (const key of ['zh', 'en'] as const) {
        const k = `${s.role}/${key}/${s.label[key]}`;
        assert.ok(!labels.has(k), `${s.method}: label ${s.label[key]} not distinct within ${s.role}`);
        labels.add(k);
      }
      assert.ok(['promoter', 'provider', 'common', 'other'].includes(s.role));
      assert.ok(s.status === 'resolved' || s.status === 'method-inferred');
      checkParams(s.method, s.params);
      if (!s.validate) {
        assert.equal(s.status, 'method-inferred');
        assert.equal(s.params.length, 0);
      }
      if (s.sibling)
        assert.ok(
          specs.some((o) => o.method === s.sibling && o.params.length > 0),
          `${s.method}: sibling ${s.sibling} undocumented`,
        );
      if (s.responseExample) assert.deepEqual(Object.keys(s.responseExample).length, 1);
    }
    assert.equal(spec('qimen.taobao.tbk.item.rule.get').type, 'tbk-qimen-item-rule-get');
    assert.equal(spec('taobao.tbk.dg.material.optional.upgrade').label.zh, '物料搜索升级版');
  });

  it('map roles, writes and siblings as decided', function () {
    assert.equal(spec('taobao.tbk.cp.order.details.get').role, 'other');
    assert.equal(spec('taobao.tbk.cp.order.details.get').catalogRole, 'campaign-leader');
    for (const m of [
      'taobao.tbk.adzone.create',
      'taobao.tbk.dg.vegas.tlj.create',
      'taobao.tbk.sc.publisher.info.save',
      'taobao.tbk.marketing.msg.send',
      'taobao.tbk.sf.group.activity.callback',
      'taobao.tbk.sc.uvid.behavior.report',
    ]) {
      assert.equal(spec(m).writes, true, m);
    }
    for (const m of [
      'taobao.tbk.dg.material.optional.upgrade',
      'taobao.tbk.item.convert',
      'taobao.tbk.tpwd.parse',
      'taobao.tbk.dg.tpwd.report.get',
      'taobao.tbk.order.details.get',
    ]) {
      assert.equal(spec(m).writes, false, m);
    }
    const inferred = spec('taobao.tbk.sc.private.tpwd.create');
    assert.equal(inferred.validate, false);
    assert.equal(inferred.sibling, 'taobao.tbk.private.tpwd.create');
    assert.deepEqual(inferred.params, []);
    assert.equal(spec('taobao.tbk.sc.cpa.activity.report').sibling, 'taobao.tbk.dg.cpa.activity.report');
    assert.equal(spec('taobao.tbk.sc.tpwd.report.get').validate, true);
  });

  it('describe the result callback field by field as documented', function () {
    const s = spec('taobao.tbk.sf.group.activity.callback');
    const documented: Array<[string, string, ParamKind, boolean, string, string]> = [
      ['group_id', 'String', 'string', true, 'R:15323432', '群组ID'],
      ['scd_id', 'Number', 'number', false, '125452', '联盟人群ID'],
      ['res_desc', 'String', 'string', false, '配置缺失', '推送结果描述'],
      ['res_code', 'Number', 'number', true, '1', '推送结果'],
      ['msg_id', 'String', 'string', true, 'CG8PX7V5', '消息标识'],
      ['offset_code', 'String', 'string', true, '6KNj7vzS6CG8PX7V5', '计划消费点位。如传入则从该计划下一条开始拉取'],
      [
        'time_stamp',
        'Number',
        'number',
        true,
        '1749091000704',
        '时间戳(毫秒)。同一计划同一消息下多次回调会保留最新一次结果',
      ],
    ];
    assert.deepEqual(
      s.params.map((p) => [p.name, p.docType, p.kind, p.required, p.example, p.description]),
      documented,
    );
    assert.equal(s.writes, true);
    assert.equal(s.validate, true);
    assert.equal(s.business, undefined);
    assert.deepEqual(
      s.response.map((r) => [r.name, r.docType]),
      [
        ['is_success', 'Boolean'],
        ['biz_error_desc', 'String'],
        ['biz_error_code', 'Number'],
      ],
    );
    const body = s.responseExample!.tbk_sf_group_activity_callback_response as Record<string, unknown>;
    assert.equal(detectBusinessFailure(body, s.business), undefined, 'the documented example is a success');
    const failure = detectBusinessFailure(
      { is_success: false, biz_error_code: 21, biz_error_desc: '无权限' },
      s.business,
    );
    assert.deepEqual(failure, { code: '21', message: '无权限' });

    const valid = validateParams(s, {
      group_id: 'R:15323432',
      res_code: '1',
      msg_id: 'CG8PX7V5',
      offset_code: '6KNj7vzS6CG8PX7V5',
      time_stamp: '1749091000704',
    });
    assert.deepEqual(valid, {
      group_id: 'R:15323432',
      res_code: 1,
      msg_id: 'CG8PX7V5',
      offset_code: '6KNj7vzS6CG8PX7V5',
      time_stamp: 1749091000704,
    });
    rejects(() => validateParams(s, { group_id: 'g', res_code: 1, msg_id: 'm', offset_code: 'o' }), {
      param: 'time_stamp',
      message: /"time_stamp" \(时间戳\(毫秒\)。.*is required/,
    });
  });

  it('page where the paging is documented', function () {
    assert.deepEqual(spec('taobao.tbk.order.details.get').paging, {
      style: 'cursor',
      cursorParam: 'position_index',
      sizeParam: 'page_size',
      hasNextPath: 'data.has_next',
      cursorPath: 'data.position_index',
      listPath: 'data.results',
      pageParam: 'page_no',
    });
    assert.deepEqual(spec('taobao.tbk.dg.material.optional.upgrade').paging, {
      style: 'page',
      pageParam: 'page_no',
      sizeParam: 'page_size',
      listPath: 'result_list',
      totalPath: 'total_results',
    });
    assert.equal(spec('taobao.tbk.item.convert').paging, undefined);
  });

  it('accept their own documented examples', function () {
    let checked = 0;
    for (const s of specs) {
      if (!s.validate) continue;
      const params: Record<string, unknown> = {};
      for (const p of s.params) {
        if (p.example !== undefined) params[p.name] = exampleValue(p);
        else if (p.required) params[p.name] = stand_in(p);
      }
      try {
        validateParams(s, params);
      } catch (err) {
        assert.fail(`${s.method}: ${(err as Error).message}`);
      }
      checked++;
    }
    assert.ok(checked > 130);
  });
});

describe('description limits', function () {
  it('parses documented ranges, lengths, counts and closed enumerations', function () {
    assert.deepEqual(parseLimits('页大小，默认20，1~100', 'number'), { min: 1, max: 100 });
    assert.deepEqual(parseLimits('页大小，默认20，1~100（更多限制：最小值：1 最大值：100）', 'number'), {
      min: 1,
      max: 100,
    });
    assert.deepEqual(parseLimits('返回数量，默认20，最大值40', 'number'), { max: 40 });
    assert.deepEqual(parseLimits('分页参数，一次最多不能超过1000', 'number'), { max: 1000 });
    assert.deepEqual(
      parseLimits('商品筛选-店铺dsr评分。筛选大于等于当前设置的店铺dsr评分的商品0-50000之间', 'number'),
      { min: 0, max: 50000 },
    );
    assert.deepEqual(parseLimits('自定义输入串，英文和数字组成，长度不能大于12个字符，区分不同的推广渠道', 'string'), {
      maxLength: 12,
    });
    assert.deepEqual(parseLimits('广告位名称，最大长度64字符（更多限制：最大长度：64）', 'string'), { maxLength: 64 });
    assert.deepEqual(
      parseLimits("商品ID串，用','分割，从taobao.tbk.item.get接口获取num_iid字段，最大40个", 'string[]'),
      { maxLength: 40 },
    );
    assert.deepEqual(parseLimits('请求列表，内部包含多个url（更多限制：最大列表长度：20）', 'json'), { maxLength: 20 });
    assert.deepEqual(parseLimits('链接形式：1：PC，2：无线，默认：１', 'number'), { enum: [1, 2] });
    assert.deepEqual(parseLimits('跳转类型，当向前或者向后翻页必须提供,-1: 向前翻页,1：向后翻页', 'number'), {
      enum: [-1, 1],
    });
    assert.deepEqual(parseLimits('商品筛选-牛皮癣程度。取值：1不限，2无，3轻微', 'number'), { enum: [1, 2, 3] });
    assert.deepEqual(
      parseLimits('1-自购省，2-推广赚（代理模式专属ID，代理模式必填，非代理模式不用填写该字段）', 'string'),
      { enum: ['1', '2'] },
    );
  });

  it('stays out of open or ambiguous descriptions', function () {
    assert.deepEqual(parseLimits('是否获取前N件佣金 ,0-否，1-是,其他值-否', 'number'), {});
    assert.deepEqual(
      parseLimits('活动id， 现有活动id包括： 2月手淘拉新：119013_2 3月手淘拉新：119013_3', 'string'),
      {},
    );
    assert.deepEqual(
      parseLimits(
        '官方提供的权益物料Id。有价券-37104、大额店铺券-37116、天猫店铺券-62191、券券补-61809 更多权益物料id敬请期待！',
        'number',
      ),
      {},
    );
    assert.deepEqual(parseLimits('内容关键词，多个英文逗号分隔，最多支持8个，中文统一用utf-8编码方式', 'string[]'), {});
    assert.deepEqual(parseLimits('商品筛选-淘客佣金比率上限。如：1234表示12.34%', 'number'), {});
    assert.deepEqual(parseLimits('第几页，默认1', 'number'), {});
  });

  it('maps documented types to kinds', function () {
    assert.equal(kindFor('String', '需返回的字段列表', 'fields'), 'string');
    assert.equal(kindFor('String', "商品ID串，用','分割，最大40个", 'num_iids'), 'string[]');
    assert.equal(kindFor('Number', '星任务id列表', 'event_id_list', '123,456'), 'number[]');
    assert.equal(kindFor('Number', '广告位ID', 'adzone_id', '123'), 'number');
    assert.equal(kindFor('Price', '', 'p'), 'number');
    assert.equal(kindFor('String []', '', 'x'), 'string[]');
    assert.equal(kindFor('byte[]', '', 'x'), 'file');
    assert.equal(kindFor('LkItemDTO[]', '', 'x'), 'json');
    assert.equal(kindFor('TopApiAfOrderOption', '', 'x'), 'json');
    assert.equal(shortZh('淘宝客-推广者-物料搜索升级版'), '物料搜索升级版');
    assert.equal(shortZh('淘宝客【推广者】识图找优惠h5'), '识图找优惠h5');
    assert.equal(shortZh('淘宝-淘宝客-服务商-用户绑定状态查询'), '用户绑定状态查询');
    assert.equal(shortZh('淘宝客_推广者_个性化商品获取'), '个性化商品获取');
  });

  it('are in the specs and enforced', function () {
    const convert = spec('taobao.tbk.item.convert');
    const numIids = convert.params.find((p) => p.name === 'num_iids')!;
    assert.equal(numIids.kind, 'string[]');
    assert.equal(numIids.maxLength, 40);
    const base = { adzone_id: 1, fields: 'num_iid,click_url' };
    const forty = Array.from({ length: 40 }, (_, i) => String(i + 1));
    assert.equal(validateParams(convert, { ...base, num_iids: forty.join(',') }).num_iids, forty.join(','));
    rejects(() => validateParams(convert, { ...base, num_iids: [...forty, '41'] }), {
      param: 'num_iids',
      message: /at most 40 items, got 41/,
    });
    rejects(() => validateParams(convert, { ...base, num_iids: '1', unid: 'abcdefghijklm' }), {
      param: 'unid',
      message: /at most 12 characters/,
    });
    rejects(() => validateParams(convert, { ...base, num_iids: '1', platform: 3 }), {
      param: 'platform',
      message: /must be one of 1, 2, got 3/,
    });
    const search = spec('taobao.tbk.dg.material.optional.upgrade');
    assert.equal(validateParams(search, { adzone_id: 1, page_size: '100' }).page_size, 100);
    rejects(() => validateParams(search, { adzone_id: 1, page_size: 101 }), {
      param: 'page_size',
      message: /"page_size" \(页大小，默认20，1~100\) must be at most 100, got 101/,
    });
    rejects(() => validateParams(search, { adzone_id: 1, page_size: 0 }), {
      param: 'page_size',
      message: /at least 1/,
    });
    rejects(() => validateParams(spec('taobao.tbk.adzone.create'), { site_id: 1, adzone_name: 'x'.repeat(65) }), {
      param: 'adzone_name',
      message: /at most 64 characters/,
    });
  });
});

describe('validateParams', function () {
  const convert = spec('taobao.tbk.item.convert');
  const base = { adzone_id: '123', fields: 'num_iid,click_url', num_iids: '1,2' };

  it('normalizes valid parameters', function () {
    assert.deepEqual(validateParams(convert, base), { adzone_id: 123, fields: 'num_iid,click_url', num_iids: '1,2' });
    assert.deepEqual(
      validateParams(convert, { ...base, num_iids: [1, 2n, '3'], platform: '2', unid: null, dx: '  ' }),
      { adzone_id: 123, fields: 'num_iid,click_url', num_iids: ['1', '2', '3'], platform: 2 },
    );
  });

  it('requires required parameters; blank counts as absent', function () {
    rejects(() => validateParams(convert, { fields: 'a', num_iids: '1' }), {
      param: 'adzone_id',
      message: /^Parameter "adzone_id" \(广告位ID，区分效果位置\) is required$/,
    });
    rejects(() => validateParams(convert, { ...base, adzone_id: '' }), { param: 'adzone_id', message: /is required/ });
    rejects(() => validateParams(convert, { ...base, fields: '   ' }), { param: 'fields', message: /is required/ });
    rejects(() => validateParams(convert, { ...base, num_iids: [] }), { param: 'num_iids', message: /is required/ });
  });

  it('rejects values of the wrong type', function () {
    rejects(() => validateParams(convert, { ...base, adzone_id: 'abc' }), {
      param: 'adzone_id',
      message: /must be a number, got "abc"/,
    });
    for (const bad of [Number.NaN, Infinity, true, {}, [1], Symbol('s'), () => 1]) {
      rejects(() => validateParams(convert, { ...base, adzone_id: bad }), { param: 'adzone_id', message: /adzone_id/ });
    }
    rejects(() => validateParams(convert, { ...base, fields: { a: 1 } }), {
      param: 'fields',
      message: /must be a string, got an object/,
    });
    assert.equal(validateParams(convert, { ...base, fields: 12 }).fields, '12');
    rejects(() => validateParams(convert, { ...base, num_iids: [{}] }), { param: 'num_iids', message: /item 0/ });
    rejects(() => validateParams(convert, { ...base, adzone_id: 2 ** 60 }), {
      param: 'adzone_id',
      message: /lost precision/,
    });
  });

  it('keeps integers beyond 2^53 exact', function () {
    const order = spec('taobao.tbk.sc.rta.trade.consumer.match');
    const out = validateParams(order, {
      trade_id_list: ['2941598874450643071', 12, 9007199254740993n],
      strategy_id: 123456,
    });
    assert.deepEqual(out, { trade_id_list: ['2941598874450643071', 12, '9007199254740993'], strategy_id: '123456' });
    assert.equal(
      validateParams(convert, { ...base, adzone_id: '12345678901234567890' }).adzone_id,
      '12345678901234567890',
    );
    assert.equal(validateParams(convert, { ...base, adzone_id: 123n }).adzone_id, 123);
    rejects(() => validateParams(order, { trade_id_list: '1,x', strategy_id: '1' }), {
      param: 'trade_id_list',
      message: /numbers/,
    });
  });

  it('checks booleans, dates, JSON and files', function () {
    const search = spec('taobao.tbk.dg.material.optional.upgrade');
    assert.equal(validateParams(search, { adzone_id: 1, is_tmall: 'true' }).is_tmall, true);
    rejects(() => validateParams(search, { adzone_id: 1, is_tmall: 'yes' }), {
      param: 'is_tmall',
      message: /true or false/,
    });
    const tlj = spec('taobao.tbk.dg.vegas.tlj.create');
    const tljBase = {
      send_start_time: '2018-09-01 00:00:00',
      per_face: '10',
      security_switch: true,
      user_total_win_num_limit: 1,
      name: '淘礼金来啦',
      total_num: 10,
      item_id: '1',
      adzone_id: 1,
    };
    assert.equal(
      validateParams(tlj, { ...tljBase, send_start_time: '2018-09-01 00:00:00' }).send_start_time,
      '2018-09-01 00:00:00',
    );
    assert.equal(validateParams(tlj, { ...tljBase, send_start_time: '2018-09-01' }).send_start_time, '2018-09-01');
    assert.ok(
      validateParams(tlj, { ...tljBase, send_start_time: '2018-09-01T00:00:00Z' }).send_start_time instanceof Date,
    );
    assert.ok(validateParams(tlj, { ...tljBase, send_start_time: 1535731200000 }).send_start_time instanceof Date);
    rejects(() => validateParams(tlj, { ...tljBase, send_start_time: '2018-02-31 00:00:00' }), {
      param: 'send_start_time',
      message: /real date/,
    });
    rejects(() => validateParams(tlj, { ...tljBase, send_start_time: new Date('nope') }), {
      param: 'send_start_time',
      message: /valid date/,
    });
    rejects(() => validateParams(tlj, { ...tljBase, name: '12345678901' }), {
      param: 'name',
      message: /at most 10 characters/,
    });

    const link = spec('taobao.tbk.dg.general.link.convert');
    assert.deepEqual(validateParams(link, { adzone_id: 1, item_dto: { item_id: 'x' } }).item_dto, { item_id: 'x' });
    assert.equal(validateParams(link, { adzone_id: 1, item_dto: '{"item_id":"x"}' }).item_dto, '{"item_id":"x"}');
    rejects(() => validateParams(link, { adzone_id: 1, item_dto: '{nope' }), {
      param: 'item_dto',
      message: /must be JSON/,
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    rejects(() => validateParams(link, { adzone_id: 1, item_dto: circular }), {
      param: 'item_dto',
      message: /cannot be encoded as JSON/,
    });
    const spread = spec('taobao.tbk.spread.get');
    rejects(() => validateParams(spread, { requests: Array.from({ length: 21 }, () => ({ url: 'u' })) }), {
      param: 'requests',
      message: /at most 20 items/,
    });

    const pic = spec('taobao.tbk.sc.pic.embed');
    const picBase = { adzone_id: 1, item_id: 2, site_id: 3 };
    assert.ok(Buffer.isBuffer(validateParams(pic, { ...picBase, pic_stream: Buffer.from('x') }).pic_stream));
    assert.ok(
      validateParams(pic, { ...picBase, pic_stream: { data: Buffer.from('x'), filename: 'a.png' } }).pic_stream,
    );
    rejects(() => validateParams(pic, { ...picBase, pic_stream: 'abc' }), {
      param: 'pic_stream',
      message: /must be a file/,
    });
  });

  it('rejects unknown parameters by name unless allowExtra', function () {
    const err = rejects(() => validateParams(convert, { ...base, foo: 1, bar: 2 }), {
      param: 'foo',
      message: /Unknown parameters "foo", "bar"/,
    });
    assert.equal(err.method, 'taobao.tbk.item.convert');
    assert.deepEqual(validateParams(convert, { ...base, foo: { any: 'thing' } }, { allowExtra: true }), {
      adzone_id: 123,
      fields: 'num_iid,click_url',
      num_iids: '1,2',
      foo: { any: 'thing' },
    });
  });

  it('accepts only plain objects and no prototype keys', function () {
    for (const bad of [null, undefined, [], 'a=1', 42, new Date(), new Map(), new (class Params {})()]) {
      rejects(() => validateParams(convert, bad), { message: /must be a plain object/ });
    }
    assert.deepEqual(validateParams(convert, Object.assign(Object.create(null) as object, base)), {
      adzone_id: 123,
      fields: 'num_iid,click_url',
      num_iids: '1,2',
    });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const params = JSON.parse(`{"${key}": {"x": 1}}`) as Record<string, unknown>;
      rejects(() => validateParams(convert, { ...base, ...params }), { param: key, message: /not allowed/ });
      rejects(() => validateParams(convert, params, { allowExtra: true }), { param: key, message: /not allowed/ });
    }
  });

  it('never throws anything but a TopError', function () {
    const throwing = { ...base };
    Object.defineProperty(throwing, 'unid', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    rejects(() => validateParams(convert, throwing), { param: 'unid', message: /could not be read/ });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    rejects(() => validateParams(convert, proxy), { message: /could not be validated|plain object/ });
    rejects(() => validateParams(convert, { ...base, unid: 'x'.repeat(5_000_000) }), {
      param: 'unid',
      message: /at most 12 characters/,
    });
    rejects(() => validateParams(convert, { ...base, adzone_id: '9'.repeat(100_000) + 'x' }), {
      param: 'adzone_id',
      message: /must be a number/,
    });
    rejects(() => validateParams(convert, { ...base, fields: Symbol('s') }), { param: 'fields', message: /a symbol/ });
  });

  it('passes everything through for specs that document no parameters', function () {
    const inferred = spec('taobao.tbk.sc.private.tpwd.create');
    const params = { url: 'https://s.click.taobao.com/x', anything: { nested: [1] }, n: 12n };
    assert.deepEqual(validateParams(inferred, params), params);
    rejects(() => validateParams(inferred, JSON.parse('{"__proto__": 1}')), {
      param: '__proto__',
      message: /not allowed/,
    });
    rejects(() => validateParams(inferred, [1]), { message: /plain object/ });
  });

  it('gives the same answer for the same spec object (schemas cached)', function () {
    const first = validateParams(convert, base);
    const second = validateParams(convert, base);
    assert.deepEqual(first, second);
    assert.notEqual(first, second, 'a fresh object each call');
  });
});
