import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  encodeParams,
  formatGmt8,
  parseGmt8,
  parseJsonLossless,
  responseKey,
  sign,
  stringToSign,
  topTimestamp,
  type SignMethod,
} from '../../lib';
import fc from 'fast-check';
import { parseJsonBytes, quoteUnsafeIntegers } from '../../lib/top/json';
import { REFERENCE_DIR } from '../support/paths';

interface SignatureVector {
  id: string;
  params: Record<string, string>;
  secret: string;
  sign_method: SignMethod;
  body?: string;
  string_to_sign?: string;
  expected_sign: string;
}
const vectors = JSON.parse(readFileSync(resolve(REFERENCE_DIR, 'top-vectors.json'), 'utf8')) as {
  signature_vectors: SignatureVector[];
  timestamp_vectors: Array<{ utc: string; expected: string }>;
  response_wrapper_vectors: Array<{ method: string; key: string }>;
  bigint_vectors: Array<{ raw: string; path: string; expected_string: string }>;
};

function at(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part)!;
    let next = (node as Record<string, unknown>)[m[1]!];
    if (m[2] !== undefined) next = (next as unknown[])[Number(m[2])];
    return next;
  }, root);
}

describe('TOP protocol primitives', function () {
  describe('signature vectors (top-vectors.json)', function () {
    it('has vectors for all three sign methods', function () {
      const methods = new Set(vectors.signature_vectors.map((v) => v.sign_method));
      assert.deepEqual([...methods].sort(), ['hmac', 'hmac-sha256', 'md5']);
    });
    for (const v of vectors.signature_vectors) {
      it(`${v.id} (${v.sign_method})`, function () {
        if (v.string_to_sign !== undefined) {
          const s = stringToSign(v.params, v.body);
          const expected = v.sign_method === 'md5' ? v.secret + s + v.secret : s;
          assert.equal(expected, v.string_to_sign);
        }
        assert.equal(sign(v.params, v.secret, v.sign_method, v.body), v.expected_sign);
      });
    }
    it('skips sign, null, empty and whitespace-only values', function () {
      const base = { method: 'taobao.tbk.item.info.get', app_key: '1', num_iids: '1,2' };
      const expected = sign(base, 's', 'md5');
      assert.equal(sign({ ...base, sign: 'X', q: '', r: '   ', t: null, u: undefined }, 's', 'md5'), expected);
    });
    it('signs UTF-8 (Chinese values)', function () {
      assert.equal(sign({ q: '女装' }, 'k', 'md5'), sign({ q: '女装' }, 'k', 'md5'));
      assert.notEqual(
        sign({ q: '女装' }, 'k', 'md5'),
        sign({ q: Buffer.from('女装', 'utf8').toString('latin1') }, 'k', 'md5'),
      );
    });
  });

  describe('timestamps in GMT+8', function () {
    const savedTz = process.env.TZ;
    after(function () {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });
    for (const tz of ['UTC', 'America/New_York', 'Asia/Shanghai', 'Pacific/Kiritimati', 'Etc/GMT+12']) {
      it(`formats the vectors under TZ=${tz}`, function () {
        process.env.TZ = tz;
        for (const v of vectors.timestamp_vectors) assert.equal(formatGmt8(new Date(v.utc)), v.expected);
      });
    }
    it('crosses GMT+8 midnight exactly', function () {
      assert.equal(formatGmt8(Date.parse('2024-02-28T15:59:59Z')), '2024-02-28 23:59:59');
      assert.equal(formatGmt8(Date.parse('2024-02-28T16:00:00Z')), '2024-02-29 00:00:00');
      assert.equal(formatGmt8(Date.parse('2024-02-29T16:00:00Z')), '2024-03-01 00:00:00');
    });
    it('applies the clock offset', function () {
      const now = Date.parse('2016-01-01T04:00:00Z');
      assert.equal(topTimestamp(0, now), '2016-01-01 12:00:00');
      assert.equal(topTimestamp(-90_000, now), '2016-01-01 11:58:30');
    });
    it('parses its own format back and rejects impossible dates', function () {
      assert.equal(parseGmt8('2016-01-01 12:00:00'), Date.parse('2016-01-01T04:00:00Z'));
      assert.ok(Number.isNaN(parseGmt8('2024-02-31 00:00:00')));
      assert.ok(Number.isNaN(parseGmt8('2024-02-01T00:00:00')));
    });
  });

  describe('response wrapper names', function () {
    for (const v of vectors.response_wrapper_vectors) {
      it(`${v.method} -> ${v.key}`, function () {
        assert.equal(responseKey(v.method), v.key);
      });
    }
  });

  describe('lossless JSON', function () {
    for (const v of vectors.bigint_vectors) {
      it(`keeps ${v.expected_string} exact`, function () {
        assert.equal(at(parseJsonLossless(v.raw), v.path), v.expected_string);
      });
    }
    it('leaves safe numbers, floats, exponents and strings alone', function () {
      const text =
        '{"a":9007199254740991,"b":-9007199254740993,"c":1.23456789012345678,"d":1e300,"e":"12345678901234567890","f":"x\\"123456789012345678\\"","g":[12345678901234567890,-123456789012345678901],"h":0}';
      const parsed = parseJsonLossless(text) as Record<string, unknown>;
      assert.equal(parsed.a, 9007199254740991);
      assert.equal(parsed.b, '-9007199254740993');
      assert.equal(parsed.c, Number('1.23456789012345678'));
      assert.equal(parsed.d, 1e300);
      assert.equal(parsed.e, '12345678901234567890');
      assert.equal(parsed.f, 'x"123456789012345678"');
      assert.deepEqual(parsed.g, ['12345678901234567890', '-123456789012345678901']);
      assert.equal(parsed.h, 0);
    });
    it('quotes only unsafe literals and keeps the text otherwise byte-identical', function () {
      assert.equal(quoteUnsafeIntegers('{"id":581552321112183166,"n":5}'), '{"id":"581552321112183166","n":5}');
      assert.equal(quoteUnsafeIntegers('{"n":9007199254740992}'), '{"n":"9007199254740992"}');
      assert.equal(quoteUnsafeIntegers('{"n":1234567890123456}'), '{"n":1234567890123456}');
    });
    it('still rejects malformed JSON', function () {
      assert.throws(() => parseJsonLossless('{"id":581552321112183166'));
      assert.throws(() => parseJsonLossless('<html>502</html>'));
    });

    describe('from UTF-8 bytes', function () {
      /** parseJsonBytes must give what decoding and parseJsonLossless give, or throw when it throws. */
      function sameAsDecoded(bytes: Buffer): void {
        let expected: unknown;
        try {
          expected = parseJsonLossless(bytes.toString('utf8'));
        } catch (err) {
          assert.throws(() => parseJsonBytes(bytes), { name: (err as Error).name, message: (err as Error).message });
          return;
        }
        assert.deepStrictEqual(parseJsonBytes(bytes), expected);
      }
      /** Bodies under 16 KiB go the plain way: pad an object's text past that with an ASCII member. */
      const PAD = `,"pad":"${'x'.repeat(16_384)}"}`;
      const padded = (objectText: string): Buffer => Buffer.from(objectText.slice(0, -1) + PAD);
      const anyJson = fc.oneof(
        fc.jsonValue(),
        fc.jsonValue({ stringUnit: 'grapheme' }),
        fc.jsonValue({ stringUnit: 'binary' }),
      );
      const bigId = fc.bigInt({ min: 9007199254740993n, max: 9999999999999999999n }).map((n) => ({ id: n.toString() }));
      const jsonWithIds = fc
        .tuple(anyJson, fc.array(bigId, { maxLength: 3 }))
        .map(([value, ids]) => JSON.stringify({ value, ids }).replace(/\{"id":"(\d+)"\}/g, '{"id":$1}'));

      it('decodes Chinese, emoji and escapes in values and keys as decoding first does', function () {
        const text =
          '{"title":"女装 连衣裙 👗","n":581552321112183166,"url":"https://s.click.taobao.com/t?e=m%3D2","淘":"宝","esc":"\\u6dd8\\n","list":["夏季",1.5,null,true],"ascii":"plain"}';
        for (const body of [Buffer.from(text), padded(text)]) {
          const parsed = parseJsonBytes(body) as Record<string, unknown>;
          assert.equal(parsed.title, '女装 连衣裙 👗');
          assert.equal(parsed.n, '581552321112183166');
          assert.equal(parsed['淘'], '宝');
          assert.equal(parsed.esc, '淘\n');
          assert.deepEqual(parsed.list, ['夏季', 1.5, null, true]);
        }
        sameAsDecoded(padded(text));
        sameAsDecoded(padded(text.replace(',"esc":"\\u6dd8\\n"', '')));
        sameAsDecoded(padded(text.replace(',"淘":"宝"', '')));
        assert.equal(parseJsonBytes(Buffer.from(`"女装${'x'.repeat(20_000)}"`)), `女装${'x'.repeat(20_000)}`);
        const huge = `{"title":"女装","ids":[581552321112183166],"pad":"${'淘'.repeat(50_000)}"}`;
        assert.deepEqual(parseJsonBytes(Buffer.from(huge)), {
          title: '女装',
          ids: ['581552321112183166'],
          pad: '淘'.repeat(50_000),
        });
        assert.deepEqual(parseJsonBytes(Buffer.from(`["女装",581552321112183166,"${'x'.repeat(20_000)}"]`)), [
          '女装',
          '581552321112183166',
          'x'.repeat(20_000),
        ]);
      });
      it('gives the same value as decoding first, for any JSON text (fast-check)', function () {
        fc.assert(
          fc.property(jsonWithIds, (text) => {
            sameAsDecoded(Buffer.from(text));
            sameAsDecoded(padded(text));
          }),
          { numRuns: 300 },
        );
      });
      it('gives the same value or the same error for corrupted bytes (fast-check)', function () {
        const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
        fc.assert(
          fc.property(jsonWithIds, edits, (text, changes) => {
            const body = padded(text);
            // corrupt the generated part, not the padding
            const span = Buffer.byteLength(text) - 1;
            for (const [at, byte] of changes) body[at % span] = byte;
            sameAsDecoded(body);
          }),
          { numRuns: 300 },
        );
      });
      it('throws on an empty or cut body as JSON.parse does', function () {
        assert.throws(() => parseJsonBytes(Buffer.alloc(0)), SyntaxError);
        assert.throws(() => parseJsonBytes(Buffer.from('{"title":"女装')), SyntaxError);
        assert.throws(() => parseJsonBytes(padded('{"title":"女装"}').subarray(0, 16_390)), SyntaxError);
      });
    });
  });

  describe('parameter encoding', function () {
    it('drops blanks, joins lists, JSON-encodes objects, formats dates and booleans', function () {
      const { text, files } = encodeParams({
        a: null,
        b: undefined,
        c: '',
        d: '  ',
        e: 'x',
        f: true,
        g: false,
        h: 12,
        i: 123456789012345678901n,
        j: ['1', 2, 3n],
        k: { x: 1, y: [1, 2] },
        l: new Date('2016-01-01T04:00:00Z'),
        m: [],
        n: [{ a: 1 }],
        file: Buffer.from('abc'),
      });
      assert.deepEqual(text, {
        e: 'x',
        f: 'true',
        g: 'false',
        h: '12',
        i: '123456789012345678901',
        j: '1,2,3',
        k: '{"x":1,"y":[1,2]}',
        l: '2016-01-01 12:00:00',
        n: '[{"a":1}]',
      });
      assert.deepEqual(Object.keys(files), ['file']);
    });
    it('refuses values it cannot encode, naming the parameter', function () {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      assert.throws(
        () => encodeParams({ opt: circular }),
        (err: Error & { kind?: string; param?: string }) =>
          err.kind === 'validation' && err.param === 'opt' && /opt/.test(err.message),
      );
      assert.throws(() => encodeParams({ n: Number.NaN }), /"n" must be a finite number/);
      assert.throws(() => encodeParams({ d: new Date('x') }), /"d" is an invalid date/);
    });
  });
});
