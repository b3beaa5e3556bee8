/** paginate(): page numbers, cursors or both; where paging ends; strict readers; one page held. */
import { strict as assert } from 'node:assert';
import { paginate, type Page, type PagingRules } from '../../lib/top/paginate';

type Answer = { response: Record<string, unknown> };

/** A gateway of `items` items, `size` per page, by page number and/or cursor (the last item's index). */
function gateway(
  items: number,
  size: number,
  options: { hasNext?: boolean; stuckAfter?: number; failAt?: number } = {},
) {
  const asked: Array<Record<string, unknown>> = [];
  const request = async (params: Record<string, unknown>): Promise<Answer> => {
    asked.push(params);
    const page = asked.length;
    if (options.failAt === page) throw new Error(`page ${page} failed`);
    const from =
      params.position_index !== undefined
        ? Number(params.position_index) + 1
        : params.page_no !== undefined
          ? (Number(params.page_no) - 1) * size
          : 0;
    const list = Array.from({ length: Math.max(0, Math.min(size, items - from)) }, (_, i) => from + i);
    const stuck = options.stuckAfter !== undefined && page > options.stuckAfter;
    const data: Record<string, unknown> = {
      results: { item: list },
      position_index: stuck ? params.position_index : list.length ? String(list.at(-1)) : params.position_index,
    };
    if (options.hasNext !== false) data.has_next = from + list.length < items || stuck;
    return { response: { data } };
  };
  return { request, asked };
}

async function all(
  pages: AsyncIterable<Page<Answer>>,
): Promise<Array<{ items: unknown[]; last: boolean; position: Record<string, unknown> }>> {
  const out = [];
  for await (const page of pages) out.push({ items: page.list, last: page.last, position: page.position });
  return out;
}

const rules = (extra: Partial<PagingRules>): PagingRules => ({
  style: 'page',
  listPath: 'data.results',
  hasNextPath: 'data.has_next',
  cursorPath: 'data.position_index',
  maxPages: 10,
  ...extra,
});

describe('paginate', function () {
  it('counts pages up, or follows the cursor, or both, until has_next is false', async function () {
    for (const style of ['page', 'cursor', 'page+cursor'] as const) {
      const g = gateway(25, 10);
      const pages = await all(paginate(g.request, { q: 'x' }, rules({ style })));
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [10, 10, 5],
        style,
      );
      assert.deepEqual(
        pages.map((p) => p.last),
        [false, false, true],
        style,
      );
      if (style !== 'cursor')
        assert.deepEqual(
          g.asked.map((a) => a.page_no),
          [1, 2, 3],
        );
      if (style !== 'page')
        assert.deepEqual(
          g.asked.map((a) => a.position_index),
          [undefined, '9', '19'],
        );
      assert.ok(g.asked.every((a) => a.q === 'x'));
    }
  });

  it('ends on a short page, the total, or maxPages (the last page read is then not "last")', async function () {
    const short = gateway(25, 10, { hasNext: false });
    assert.equal((await all(paginate(short.request, {}, rules({ pageSize: 10 })))).length, 3);
    const capped = await all(paginate(gateway(100, 10).request, {}, rules({ maxPages: 4 })));
    assert.deepEqual(
      capped.map((p) => p.last),
      [false, false, false, false],
    );
  });

  it('strict: a gateway that says has_next but does not move on is an error, not an end', async function () {
    const quiet = await all(paginate(gateway(100, 10, { stuckAfter: 2 }).request, {}, rules({ style: 'cursor' })));
    assert.equal(quiet.length, 3, 'not strict: it ends quietly');
    await assert.rejects(
      all(paginate(gateway(100, 10, { stuckAfter: 2 }).request, {}, rules({ style: 'page+cursor', strict: true }))),
      (err: Error & { kind?: string }) => err.kind === 'transport' && /without moving on/.test(err.message),
    );
    const missing = await all(paginate(gateway(25, 10, { hasNext: false }).request, {}, rules({ strict: true })));
    assert.equal(missing.length, 1, 'strict: no has_next, no next page');
  });

  it('lookahead: the last page handed out is marked last, an empty last page is not handed out, a failing page comes after the held one', async function () {
    const exact = await all(paginate(gateway(20, 10).request, {}, rules({ lookahead: true, hasNextPath: undefined })));
    assert.deepEqual(
      exact.map((p) => [p.items.length, p.last]),
      [
        [10, false],
        [10, true],
      ],
    );
    const failing = gateway(100, 10, { failAt: 3 });
    const seen: boolean[] = [];
    await assert.rejects(async () => {
      for await (const page of paginate(failing.request, {}, rules({ lookahead: true }))) seen.push(page.last);
    }, /page 3 failed/);
    assert.deepEqual(seen, [false, false]);
  });
});
