// SEARCH (UPSTREAM.md §4.3): with a search index the HEAD index picks the keys and nothing rechecks them;
// without one every token must be a substring of the lowercased str() of the doc's values.
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../nql/executor.js';
import { searchHaystack, searchTokens } from '../../nql/search.js';
import { MemorySource } from './memory-source.js';

async function ids(source: MemorySource, text: string): Promise<unknown[]> {
  return (await runQuery(text, source)).rows.map((row) => row['_id']);
}

function notes(): MemorySource {
  const source = new MemorySource();
  source.put('n', 'a', { title: 'Red Car', body: 'fast' }); // 0
  source.put('n', 'b', { title: 'blue car', done: true }); // 1
  source.put('n', 'c', { title: 'Redwood', tags: ['Tree', 'tall'], meta: { owner: 'Zed' } }); // 2
  source.put('n', 'd', { title: 'line\nbreak', count: 42, none: null }); // 3
  return source;
}

describe('SEARCH without an index', () => {
  it('takes the lowercase [a-z0-9]+ runs of the text as tokens', () => {
    expect(searchTokens('Red-CAR, 42!  x_y')).toEqual(['red', 'car', '42', 'x', 'y']);
    expect(searchTokens('--')).toEqual([]);
  });

  it("searches the space-joined Python str() of the doc's values", () => {
    expect(searchHaystack({ title: 'Redwood', tags: ['Tree', 1.5], ok: false, none: null, meta: { a: 'x\ny' }, _seq: 7 }))
      .toBe("redwood ['tree', 1.5] false none {'a': 'x\\ny'} 7");
  });

  it('needs every token as a substring, case-insensitively, in values not keys', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "red"')).toEqual(['a', 'c']);
    expect(await ids(source, 'FROM n SEARCH "RED car"')).toEqual(['a']);
    expect(await ids(source, 'FROM n SEARCH "car red"')).toEqual(['a']);
    expect(await ids(source, 'FROM n SEARCH "title"')).toEqual([]);
    expect(await ids(source, 'FROM n SEARCH "wood"')).toEqual(['c']);
  });

  it('matches the str() of non-strings: booleans, numbers, None, lists, dicts, and _seq', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "true"')).toEqual(['b']);
    expect(await ids(source, 'FROM n SEARCH "42"')).toEqual(['d']);
    expect(await ids(source, 'FROM n SEARCH "none"')).toEqual(['d']);
    expect(await ids(source, 'FROM n SEARCH "tree zed"')).toEqual(['c']);
    expect(await ids(source, 'FROM n SEARCH "3"')).toEqual(['d']);
  });

  it('sees a plain string newline as whitespace but a nested one as the repr escape \\n', async () => {
    const source = notes();
    source.put('n', 'e', { nested: ['x\nbreak'] });
    expect(await ids(source, 'FROM n SEARCH "nbreak"')).toEqual(['e']);
  });

  it('keeps every doc for a text without tokens, and combines with WHERE', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "!!"')).toEqual(['a', 'b', 'c', 'd']);
    expect(await ids(source, 'FROM n WHERE done = true SEARCH "car"')).toEqual(['b']);
  });
});

describe('SEARCH with an index', () => {
  it('uses the index keys for candidates and still applies WHERE', async () => {
    const source = notes();
    source.addSearchIndex('n', 'title');
    expect(await ids(source, 'FROM n SEARCH "car"')).toEqual(['a', 'b']);
    expect(await ids(source, 'FROM n WHERE done = true SEARCH "car"')).toEqual(['b']);
    // Whole tokens only: the index holds `redwood`, not `wood`; and `fast` is in an unindexed field.
    expect(await ids(source, 'FROM n SEARCH "wood"')).toEqual([]);
    expect(await ids(source, 'FROM n SEARCH "fast"')).toEqual([]);
  });

  it('trusts the HEAD index without rechecking older versions, and skips keys missing at the read seq', async () => {
    const source = notes();
    source.addSearchIndex('n', 'title');
    source.put('n', 'a', { title: 'green bike' }); // 4
    source.put('n', 'new', { title: 'green car' }); // 5
    expect(await ids(source, 'FROM n SEARCH "green"')).toEqual(['a', 'new']);
    expect((await runQuery('FROM n AS OF 3 SEARCH "green"', source)).rows).toEqual([
      { title: 'Red Car', body: 'fast', _id: 'a', _seq: 0 },
    ]);
  });
});
