/**
 * Finding links and 淘口令 in chat text (lib/link-materials.ts): a corpus of real-world message shapes,
 * and the property that replacing materials never changes the text around them.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { findMaterials, isTaobaoHost, replaceMaterials, type MaterialKind } from '../../lib/links/materials';

interface Case {
  name: string;
  text: string;
  /** the materials, in text order: [kind, text] */
  expect: Array<[MaterialKind, string]>;
}

const LONG_FORM = '47￥ CZ3457 p7lYdesjTCG￥ https://m.tb.cn/h.UQ4ceEA';

/** Message shapes as they reach a 淘宝客 group-chat bot. */
const CORPUS: Case[] = [
  {
    name: 'the modern long form with its title',
    text: `${LONG_FORM}  我的天呐麻酱爆肚粉`,
    expect: [['full', LONG_FORM]],
  },
  {
    name: 'the long form in a sentence',
    text: `宝贝在这：${LONG_FORM}  我的天呐麻酱爆肚粉香辣花甲粉，快抢！`,
    expect: [['full', LONG_FORM]],
  },
  {
    name: 'a long form with a decimal prefix',
    text: '3.0￥ CZ0001 zRmVdesjTCu￥ https://m.tb.cn/h.5yKcdLm 小米手环8',
    expect: [['full', '3.0￥ CZ0001 zRmVdesjTCu￥ https://m.tb.cn/h.5yKcdLm']],
  },
  {
    name: 'a long form without marker, slash before the link',
    text: '8￥vXa6dTsF4Hs￥/ https://m.tb.cn/h.fN6VHxN 南极人四件套',
    expect: [['full', '8￥vXa6dTsF4Hs￥/ https://m.tb.cn/h.fN6VHxN']],
  },
  {
    name: 'a long form with a full-width space',
    text: '复制这段话 84￥ HU7405 5dxw2uFSSYG￥\u3000https://m.tb.cn/h.UXg8fFD 打开淘宝',
    expect: [['full', '84￥ HU7405 5dxw2uFSSYG￥\u3000https://m.tb.cn/h.UXg8fFD']],
  },
  {
    name: 'a marked 淘口令 without its link',
    text: '口令 58￥ CZ3457 EAqldesjTCt￥ 复制打开',
    expect: [['tpwd', '58￥ CZ3457 EAqldesjTCt￥']],
  },
  {
    name: 'the link form: code in tk= and a marker after',
    text: '【淘宝】https://m.tb.cn/h.gHXXvWz?tk=O8TbdzXb3Ky CZ3457 「蓝月亮洗衣液」点击链接直接打开',
    expect: [['full', 'https://m.tb.cn/h.gHXXvWz?tk=O8TbdzXb3Ky CZ3457']],
  },
  { name: 'a classic ￥ 淘口令', text: '复制￥zRmVdesjTCu￥打开手机淘宝', expect: [['tpwd', '￥zRmVdesjTCu￥']] },
  { name: 'a half-width ¥ 淘口令', text: '¥XODHdeIlU9B¥ 速度', expect: [['tpwd', '¥XODHdeIlU9B¥']] },
  { name: 'a $ 淘口令', text: '抢券：$LOcqdeIlU9y$', expect: [['tpwd', '$LOcqdeIlU9y$']] },
  { name: 'a € 淘口令', text: '€PnIodeIlU9z€', expect: [['tpwd', '€PnIodeIlU9z€']] },
  {
    name: 'every other symbol pair',
    text: '₤Abcdefgh12₤ ₳Bcdefghi23₳ ¢Cdefghij34¢ ₴Defghijk45₴ ₰Efghijkl56₰ ₵Fghijklm67₵ ₲Ghijklmn78₲ ￡Hijklmno89￡ £Ijklmnop90£',
    expect: [
      ['tpwd', '₤Abcdefgh12₤'],
      ['tpwd', '₳Bcdefghi23₳'],
      ['tpwd', '¢Cdefghij34¢'],
      ['tpwd', '₴Defghijk45₴'],
      ['tpwd', '₰Efghijkl56₰'],
      ['tpwd', '₵Fghijklm67₵'],
      ['tpwd', '₲Ghijklmn78₲'],
      ['tpwd', '￡Hijklmno89￡'],
      ['tpwd', '£Ijklmnop90£'],
    ],
  },
  { name: 'half-width brackets', text: '淘口令(zRmVdesjTCu)复制打开', expect: [['tpwd', '(zRmVdesjTCu)']] },
  { name: 'full-width brackets', text: '淘口令（p7lYdesjTCG）复制打开', expect: [['tpwd', '（p7lYdesjTCG）']] },
  { name: 'mismatched symbols are not a pair', text: '￥zRmVdesjTCu$ 和 (p7lYdesjTCG）', expect: [] },
  {
    name: 'brackets around ordinary words, dates, prices',
    text: '新款(2024春季)(20240315)(iphone) 价格$100$ 满(199)减',
    expect: [],
  },
  {
    name: 'an item link with a query',
    text: '看看这个 https://item.taobao.com/item.htm?id=688401422805&spm=a2159r.13376460.0.0 不错',
    expect: [['url', 'https://item.taobao.com/item.htm?id=688401422805&spm=a2159r.13376460.0.0']],
  },
  {
    name: 'a Tmall link ended by Chinese punctuation',
    text: '天猫：https://detail.tmall.com/item.htm?id=612345678901，今晚截止。',
    expect: [['url', 'https://detail.tmall.com/item.htm?id=612345678901']],
  },
  {
    name: 'a Tmall Global link',
    text: 'https://detail.tmall.hk/hk/item.htm?id=6001 进口',
    expect: [['url', 'https://detail.tmall.hk/hk/item.htm?id=6001']],
  },
  {
    name: 'a short link followed directly by Chinese',
    text: 'https://m.tb.cn/h.UQ4ceEA我的天呐',
    expect: [['url', 'https://m.tb.cn/h.UQ4ceEA']],
  },
  {
    name: 'an s.click link ended by an ASCII period',
    text: 'Buy here: https://s.click.taobao.com/pQBDhNu.',
    expect: [['url', 'https://s.click.taobao.com/pQBDhNu']],
  },
  { name: 'a tb.cn short link', text: '券 https://tb.cn/x7Gh2k 领', expect: [['url', 'https://tb.cn/x7Gh2k']] },
  {
    name: 'an Alimama coupon page',
    text: '领券 https://uland.taobao.com/coupon/edetail?e=HcDWJQP6d12&traceId=816a27&relationId=123456',
    expect: [['url', 'https://uland.taobao.com/coupon/edetail?e=HcDWJQP6d12&traceId=816a27&relationId=123456']],
  },
  {
    name: 'an alimama.com link',
    text: 'https://pub.alimama.com/promo/item/channel/index.htm?channel=qqhd',
    expect: [['url', 'https://pub.alimama.com/promo/item/channel/index.htm?channel=qqhd']],
  },
  {
    name: 'an upper-case scheme and host',
    text: 'HTTPS://M.TB.CN/h.ABCdef1',
    expect: [['url', 'HTTPS://M.TB.CN/h.ABCdef1']],
  },
  {
    name: 'a link in parentheses',
    text: '（链接 https://m.tb.cn/h.abcDEF1）和 (https://s.click.taobao.com/Zx1)',
    expect: [
      ['url', 'https://m.tb.cn/h.abcDEF1'],
      ['url', 'https://s.click.taobao.com/Zx1'],
    ],
  },
  {
    name: 'a link whose query holds brackets',
    text: 'https://item.taobao.com/item.htm?id=1&x=(a) 好',
    expect: [['url', 'https://item.taobao.com/item.htm?id=1&x=(a)']],
  },
  {
    name: 'links of other sites are left alone',
    text: '京东 https://item.jd.com/100012043978.html 拼多多 https://mobile.yangkeduo.com/goods.html?goods_id=1 B站 https://b23.tv/abcDEF1',
    expect: [],
  },
  {
    name: 'a look-alike host',
    text: 'https://taobao.com.evil.example/x https://faketaobao.com/y https://taobao.com@evil.example/z',
    expect: [],
  },
  {
    name: 'a code-like path of another site is no 淘口令',
    text: 'https://example.com/(zRmVdesjTCu) https://example.com/$p7lYdesjTCG$',
    expect: [],
  },
  {
    name: 'two links glued by a comma',
    text: 'https://example.com/a,https://m.tb.cn/h.y1Zx',
    expect: [['url', 'https://m.tb.cn/h.y1Zx']],
  },
  { name: 'no link at all', text: '今天有什么好物推荐吗？求个洗衣液的券～', expect: [] },
  { name: 'an empty message', text: '', expect: [] },
  {
    name: 'emoji and mixed punctuation',
    text: '🔥爆款🔥【限时】👉￥zRmVdesjTCu￥👈 ⚡️https://s.click.taobao.com/CvHjOPu⚡️！！',
    expect: [
      ['tpwd', '￥zRmVdesjTCu￥'],
      ['url', 'https://s.click.taobao.com/CvHjOPu'],
    ],
  },
  {
    name: 'several materials on several lines',
    text: `早安清单：\n1. ${LONG_FORM}  麻酱爆肚粉\n2. ￥zRmVdesjTCu￥ 煮茶器\n3. https://item.taobao.com/item.htm?id=1 九分裤\n4. 京东的不要 https://item.jd.com/1.html`,
    expect: [
      ['full', LONG_FORM],
      ['tpwd', '￥zRmVdesjTCu￥'],
      ['url', 'https://item.taobao.com/item.htm?id=1'],
    ],
  },
  {
    name: 'the same link twice',
    text: 'https://m.tb.cn/h.UQ4ceEA 再发一次 https://m.tb.cn/h.UQ4ceEA',
    expect: [
      ['url', 'https://m.tb.cn/h.UQ4ceEA'],
      ['url', 'https://m.tb.cn/h.UQ4ceEA'],
    ],
  },
  {
    name: 'a 淘口令 and an unrelated link on one line',
    text: '￥zRmVdesjTCu￥ 详情见 https://example.com/info',
    expect: [['tpwd', '￥zRmVdesjTCu￥']],
  },
  {
    name: "a 淘口令 followed by another site's link is no long form",
    text: '￥zRmVdesjTCu￥ https://example.com/h.x',
    expect: [['tpwd', '￥zRmVdesjTCu￥']],
  },
  {
    name: 'a price before a classic 淘口令 stays text',
    text: '到手价99￥zRmVdesjTCu￥',
    expect: [['tpwd', '￥zRmVdesjTCu￥']],
  },
  {
    name: 'a link ending in a question mark and a quote',
    text: '这个能用吗"https://m.tb.cn/h.Qq12ab"?',
    expect: [['url', 'https://m.tb.cn/h.Qq12ab']],
  },
];

/** A very long message: 60 materials of every form between runs of text. */
function longMessage(): Case {
  const pieces: string[] = [];
  const expect: Array<[MaterialKind, string]> = [];
  for (let i = 0; i < 60; i++) {
    pieces.push(`第${i + 1}件，好价！`.repeat(12));
    const code = `Ab${String(i).padStart(2, '0')}cdEFgh`;
    const material: [MaterialKind, string] =
      i % 3 === 0
        ? ['url', `https://m.tb.cn/h.Lg${i}xY`]
        : i % 3 === 1
          ? ['tpwd', `￥${code}￥`]
          : ['full', `${10 + i}￥ CZ${1000 + i} ${code}￥ https://m.tb.cn/h.F${i}zz`];
    pieces.push(material[1]);
    expect.push(material);
    pieces.push(i % 3 === 2 ? '  商品标题 ' : ' ');
  }
  const text = pieces.join('');
  return { name: `a very long message (60 materials, ${text.length} characters)`, text, expect };
}

describe('link materials (lib/link-materials.ts)', function () {
  const corpus = [...CORPUS, longMessage()];

  it(`has a corpus of at least 30 message shapes (${corpus.length})`, function () {
    assert.ok(corpus.length >= 30);
    assert.ok(longMessage().text.length > 5000);
  });

  for (const c of corpus) {
    it(`finds: ${c.name}`, function () {
      const found = findMaterials(c.text);
      assert.deepEqual(
        found.map((m) => [m.kind, m.text]),
        c.expect,
      );
      for (const m of found) assert.equal(c.text.slice(m.start, m.end), m.text);
    });
  }

  it('replaces each material in place and leaves everything else as it was', function () {
    const text = `看 ${LONG_FORM}  麻酱爆肚粉，还有 ￥zRmVdesjTCu￥ 和 https://item.jd.com/1.html 以及 https://s.click.taobao.com/pQBDhNu。`;
    const materials = findMaterials(text);
    assert.equal(materials.length, 3);
    const out = replaceMaterials(text, materials, ['[A]', undefined, '[C]']);
    assert.equal(out, '看 [A]  麻酱爆肚粉，还有 ￥zRmVdesjTCu￥ 和 https://item.jd.com/1.html 以及 [C]。');
  });

  it('refuses materials that do not match the text', function () {
    const materials = findMaterials('x https://m.tb.cn/h.a y');
    assert.throws(() => replaceMaterials('x https://m.tb.cn/h.b y', materials, ['z']), RangeError);
  });

  it('knows the Taobao hosts', function () {
    for (const host of [
      'taobao.com',
      'item.taobao.com',
      's.click.taobao.com',
      'uland.taobao.com',
      'm.tb.cn',
      'tb.cn',
      'detail.tmall.com',
      'tmall.hk',
      'pub.alimama.com',
      'M.TB.CN',
      'taobao.com.',
    ])
      assert.ok(isTaobaoHost(host), host);
    for (const host of ['jd.com', 'faketaobao.com', 'taobao.com.evil.example', 'tb.cn.example', 'example.com'])
      assert.ok(!isTaobaoHost(host), host);
  });

  describe('property (fast-check)', function () {
    /** Chat-like text: Chinese, ASCII, punctuation, emoji, symbols that could start a 淘口令, and materials. */
    const fragment = fc.oneof(
      fc.constantFrom(
        '今天',
        '好物',
        '，',
        '。',
        '！',
        '？',
        '【',
        '】',
        '（',
        '）',
        '(',
        ')',
        ' ',
        '\u3000',
        '\n',
        '👉',
        '🔥',
        '$',
        '￥',
        '¥',
        '€',
        '/',
        ':',
        '.',
        ',',
        '47',
        'CZ3457',
        'https://',
        'http://',
        'example.com',
        'tb.cn',
      ),
      fc.string({ maxLength: 6 }),
      fc.stringMatching(/^[A-Za-z0-9]{8,12}$/),
      fc.constantFrom(
        LONG_FORM,
        '￥zRmVdesjTCu￥',
        '(p7lYdesjTCG)',
        '（XODHdeIlU9B）',
        'https://m.tb.cn/h.UQ4ceEA',
        'https://item.taobao.com/item.htm?id=1',
        'https://item.jd.com/1.html',
        'https://m.tb.cn/h.x?tk=AbCdEf123 CZ3457',
      ),
    );
    const chatText = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));
    const RUNS = 2000;

    it(`never changes the text outside the materials (${RUNS} runs)`, function () {
      fc.assert(
        fc.property(chatText, fc.array(fc.string({ maxLength: 30 }), { maxLength: 60 }), (text, replacements) => {
          const materials = findMaterials(text);
          const chosen = materials.map((_, i) =>
            i < replacements.length && replacements[i] !== '' ? replacements[i] : undefined,
          );
          const out = replaceMaterials(text, materials, chosen);
          // walk the output: each gap between materials is copied verbatim, each material is its replacement or itself
          let at = 0;
          let pos = 0;
          materials.forEach((m, i) => {
            const gap = text.slice(at, m.start);
            assert.equal(out.slice(pos, pos + gap.length), gap);
            pos += gap.length;
            const put = chosen[i] ?? m.text;
            assert.equal(out.slice(pos, pos + put.length), put);
            pos += put.length;
            at = m.end;
          });
          assert.equal(out.slice(pos), text.slice(at));
        }),
        { numRuns: RUNS },
      );
    });

    it(`finds materials in order, without overlap, each the text at its offsets (${RUNS} runs)`, function () {
      fc.assert(
        fc.property(chatText, (text) => {
          let end = 0;
          for (const m of findMaterials(text)) {
            assert.ok(m.start >= end && m.end > m.start && m.end <= text.length);
            assert.equal(text.slice(m.start, m.end), m.text);
            end = m.end;
          }
        }),
        { numRuns: RUNS },
      );
    });

    it(`finds a material inserted between plain words, whatever surrounds it (${RUNS} runs)`, function () {
      const plain = fc
        .array(fc.constantFrom('今天', '好物', '，', '。', ' ', '\n', '看看', '🔥', 'ok'), { maxLength: 8 })
        .map((p) => p.join(''));
      const material = fc.constantFrom<[MaterialKind, string]>(
        ['full', LONG_FORM],
        ['tpwd', '￥zRmVdesjTCu￥'],
        ['tpwd', '（XODHdeIlU9B）'],
        ['url', 'https://m.tb.cn/h.UQ4ceEA'],
        ['url', 'https://item.taobao.com/item.htm?id=1'],
      );
      fc.assert(
        fc.property(plain, material, plain, (before, [kind, text], after) => {
          // a space keeps a following word out of a link; a Chinese word ends it by itself
          const found = findMaterials(`${before} ${text} ${after}`);
          assert.deepEqual(
            found.map((m) => [m.kind, m.text]),
            [[kind, text]],
          );
        }),
        { numRuns: RUNS },
      );
    });
  });
});
