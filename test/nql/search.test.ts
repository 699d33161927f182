// SEARCH (docs/NQL.md): every token of the search text must equal a token of some string value of the doc
// (tokens: lowercase [a-z0-9]+ runs), and the answer is the same with and without a `search` index. v1's two
// rules (substrings of str() of all values without an index; the HEAD index's fields, unrechecked, with
// one) disagreed; docs/COMPAT.md lists the difference.
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../nql/executor.js';
import { documentTokens, searchTokens } from '../../nql/search.js';
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

function indexed(): MemorySource {
  const source = notes();
  source.addSearchIndex('n', 'title');
  return source;
}

describe('SEARCH tokens', () => {
  it('takes the lowercase [a-z0-9]+ runs of the text as tokens', () => {
    expect(searchTokens('Red-CAR, 42!  x_y')).toEqual(['red', 'car', '42', 'x', 'y']);
    expect(searchTokens('--')).toEqual([]);
  });

  it("takes a doc's tokens from its string values at any depth, not from keys or non-strings", () => {
    const tokens = documentTokens({ title: 'Redwood', tags: ['Tree', 1.5], ok: false, none: null, meta: { a: 'x\ny', deep: [['Z9']] }, _seq: 7 });
    expect([...tokens].sort()).toEqual(['redwood', 'tree', 'x', 'y', 'z9']);
  });
});

describe('SEARCH', () => {
  it('needs every token as a whole token, case-insensitively, in string values', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "red"')).toEqual(['a']);
    expect(await ids(source, 'FROM n SEARCH "RED car"')).toEqual(['a']);
    expect(await ids(source, 'FROM n SEARCH "car red"')).toEqual(['a']);
    expect(await ids(source, 'FROM n SEARCH "car"')).toEqual(['a', 'b']);
    expect(await ids(source, 'FROM n SEARCH "title"')).toEqual([]); // keys are not searched
    expect(await ids(source, 'FROM n SEARCH "wood"')).toEqual([]); // v1 without an index: ['c'] (substring)
    expect(await ids(source, 'FROM n SEARCH "fast"')).toEqual(['a']); // any field, indexed or not
  });

  it('searches strings inside lists and objects, and the _id, but not numbers, booleans or null', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "tree zed"')).toEqual(['c']);
    expect(await ids(source, 'FROM n SEARCH "b"')).toEqual(['b']); // the _id 'b'
    expect(await ids(source, 'FROM n SEARCH "true"')).toEqual([]); // v1 without an index: ['b']
    expect(await ids(source, 'FROM n SEARCH "42"')).toEqual([]);
    expect(await ids(source, 'FROM n SEARCH "none"')).toEqual([]);
    expect(await ids(source, 'FROM n SEARCH "break"')).toEqual(['d']);
  });

  it('keeps every doc for a text without tokens, and combines with WHERE', async () => {
    const source = notes();
    expect(await ids(source, 'FROM n SEARCH "!!"')).toEqual(['a', 'b', 'c', 'd']);
    expect(await ids(source, 'FROM n WHERE done = true SEARCH "car"')).toEqual(['b']);
  });
});

describe('SEARCH with a search index gives the same answer as without', () => {
  const queries = [
    'FROM n SEARCH "car"', 'FROM n SEARCH "red"', 'FROM n SEARCH "wood"', 'FROM n SEARCH "fast"', 'FROM n SEARCH "tree"',
    'FROM n WHERE done = true SEARCH "car"', 'FROM n SEARCH ""', 'FROM n AS OF 0 SEARCH "car"',
  ];

  it.each(queries)('%s', async (text) => {
    expect(await runQuery(text, indexed())).toEqual(await runQuery(text, notes()));
  });

  it('reads each version at the read seq, so AS OF sees the words the doc held then', async () => {
    for (const source of [notes(), indexed()]) {
      source.put('n', 'a', { title: 'green bike' }); // 4
      source.put('n', 'new', { title: 'green car' }); // 5
      expect(await ids(source, 'FROM n SEARCH "green"')).toEqual(['a', 'new']);
      expect(await ids(source, 'FROM n AS OF 3 SEARCH "green"')).toEqual([]);
      expect((await runQuery('FROM n AS OF 3 SEARCH "red car"', source)).rows).toEqual([{ title: 'Red Car', body: 'fast', _id: 'a', _seq: 0 }]);
    }
  });
});
