// SearchIndex against a model of document histories (STYLE.md §14: seeded). Random puts and deletes of nested
// documents (arrays, objects, unicode and mixed-case text, numbers, booleans, null, tokens past the key's
// string limit) feed the index at increasing seqs; then a lookup AS OF any seq, for tokens that occur and
// tokens that do not, returns exactly the ids a brute-force reference finds (an independent tokenizer over
// the version visible at that seq), in code point order. Garbage collection keeps reads at or above its
// horizon, the persisted section loads back to identical lookups, and a damaged one fails with
// SNAPSHOT_CORRUPT. The tokenizer is also checked against nql/search.ts, whose rule it must equal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNedbError } from '../../core/errors.js';
import { indexValueBytesMax } from '../../core/index/index-key.js';
import { SearchIndex, documentTokens, searchTokens } from '../../core/index/search-index.js';
import { SortedIndex } from '../../core/index/sorted-index.js';
import { documentTokens as nqlDocumentTokens, searchTokens as nqlSearchTokens } from '../../nql/search.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);
const head = Number.MAX_SAFE_INTEGER;

function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) if (left[i] !== right[i]) return left[i]! - right[i]!;
  return left.length - right.length;
}

/** The reference tokenizer: a character loop, not a regex (the index uses one). */
function referenceTokens(text: string): string[] {
  const tokens: string[] = [];
  let run = '';
  for (const char of text.toLowerCase()) {
    if ((char >= 'a' && char <= 'z' && char.length === 1) || (char >= '0' && char <= '9' && char.length === 1)) {
      run += char;
      continue;
    }
    if (run !== '') tokens.push(run);
    run = '';
  }
  if (run !== '') tokens.push(run);
  return tokens;
}

function referenceDocTokens(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const token of referenceTokens(value)) into.add(token);
  else if (Array.isArray(value)) for (const item of value) referenceDocTokens(item, into);
  else if (typeof value === 'object' && value !== null) for (const key of Object.keys(value)) referenceDocTokens((value as Doc)[key], into);
  return into;
}

type Doc = Record<string, unknown>;
type Op = { kind: 'put'; id: string; doc: Doc } | { kind: 'delete'; id: string };

const atLimit = 'q'.repeat(indexValueBytesMax);
const words = [
  'foo', 'Bar', 'BAZ', 'x1', '42', 'İstanbul', '\u212Aelvin', 'ÉCOLE', 'straße', 'qux-quux', 'a_b', 'fooBar', 'é', '', '  ',
  '\u{1F600}emoji9', atLimit, `${atLimit}r`, `${atLimit}s`,
];
const textArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(fc.constantFrom(...words), { maxLength: 4 }), fc.constantFrom(' ', ', ', '')).map(([parts, separator]) => parts.join(separator)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const keyArbitrary = fc.constantFrom('foo', 'title', 'Bar', 'zzkey', 'a.b');
const { value: valueArbitrary } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    textArbitrary,
    fc.integer({ min: -50, max: 50 }),
    fc.constantFrom(0.5, 1e21, -0),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(keyArbitrary, tie('value'), { maxKeys: 3 }),
  ),
}));
const docArbitrary: fc.Arbitrary<Doc> = fc.dictionary(keyArbitrary, valueArbitrary, { maxKeys: 4 });
const ids = ['a', 'aa', 'ab', 'b', 'B', '\uE000', '\u{1F600}', 'a\0b'];
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.constantFrom(...ids), doc: docArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...ids) }) },
);
/** A query token: an index into the tokens that occur, or one that (mostly) does not. */
const queryTokenArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.nat() },
  { weight: 1, arbitrary: fc.constantFrom('nothere', 'zzz', 'Foo', 'é', '', 'foo bar', `${atLimit}x`, atLimit, 'q'.repeat(1500)) },
);
const queryArbitrary = fc.array(queryTokenArbitrary, { minLength: 1, maxLength: 4 });

interface History {
  versions: Map<string, { seq: number; doc: Doc | undefined }[]>;
  lastSeq: number;
  /** Every token of every version, sorted (query tokens are drawn from it). */
  tokens: string[];
}

/** Applies the ops at seqs 1, 3, 5, … (gaps, so an AS OF can fall between writes). */
function run(index: SearchIndex, ops: readonly Op[]): History {
  const history: History = { versions: new Map(), lastSeq: 0, tokens: [] };
  const tokens = new Set<string>();
  ops.forEach((op, i) => {
    const seq = 1 + 2 * i;
    const versions = history.versions.get(op.id) ?? [];
    const previous = versions.at(-1)?.doc;
    const next = op.kind === 'put' ? op.doc : undefined;
    if (previous === undefined && next === undefined) return;
    index.applyVersion(op.id, seq, previous, next);
    versions.push({ seq, doc: next });
    history.versions.set(op.id, versions);
    history.lastSeq = seq;
    for (const token of referenceDocTokens(next)) tokens.add(token);
  });
  history.tokens = [...tokens].sort();
  return history;
}

function resolve(history: History, query: readonly (number | string)[]): string[] {
  return query.map((token) => (typeof token === 'string' ? token : (history.tokens[token % Math.max(1, history.tokens.length)] ?? 'foo')));
}

const cut = (token: string) => token.slice(0, indexValueBytesMax);

/** Ids whose version at asOf holds every token; `cutLong` compares tokens cut at the key's string limit. */
function expected(history: History, tokens: readonly string[], asOf: number, cutLong: boolean): string[] {
  const out: string[] = [];
  for (const [id, versions] of history.versions) {
    const doc = versions.filter((version) => version.seq <= asOf).at(-1)?.doc;
    if (doc === undefined) continue;
    const held = [...referenceDocTokens(doc)].map((token) => (cutLong ? cut(token) : token));
    if (tokens.every((token) => held.includes(cutLong && /^[a-z0-9]+$/.test(token) ? cut(token) : token))) out.push(id);
  }
  return out.sort(compareCodePoints);
}

function checkLookup(index: SearchIndex, history: History, tokens: readonly string[], asOf: number): void {
  const got = index.lookup(tokens, asOf);
  expect(got).toStrictEqual(expected(history, tokens, asOf, true));
  const exact = expected(history, tokens, asOf, false);
  // Never misses an exact match; equals them when no token reaches the key's string limit.
  expect(exact.filter((id) => !got.includes(id))).toStrictEqual([]);
  if (tokens.every((token) => token.length < indexValueBytesMax)) expect(got).toStrictEqual(exact);
}

const asOfArbitrary = fc.array(fc.integer({ min: -1, max: 2 * 80 + 2 }), { maxLength: 6 });

describe('search tokens', () => {
  it('are the lowercase [a-z0-9] runs of strings at any depth, never of keys, numbers, booleans or null', () => {
    expect(searchTokens('Hello, WORLD 42! İ \u212A straße x_y')).toStrictEqual(['hello', 'world', '42', 'i', 'k', 'stra', 'e', 'x', 'y']);
    expect(searchTokens('a a')).toStrictEqual(['a', 'a']);
    expect(searchTokens('é ü')).toStrictEqual([]);
    expect([...documentTokens({ Title: 'Red wood', n: 7, b: true, z: null, list: ['Oak', { deep: ['ELM 9'] }] })].sort()).toStrictEqual(['9', 'elm', 'oak', 'red', 'wood']);
  });

  it('equal nql/search.ts and an independent tokenizer on random documents', () => {
    fc.assert(
      fc.property(docArbitrary, textArbitrary, (doc, text) => {
        expect(searchTokens(text)).toStrictEqual(nqlSearchTokens(text));
        expect(searchTokens(text)).toStrictEqual(referenceTokens(text));
        const tokens = [...documentTokens(doc)].sort();
        expect(tokens).toStrictEqual([...nqlDocumentTokens(doc)].sort());
        expect(tokens).toStrictEqual([...referenceDocTokens(doc)].sort());
      }),
      { seed, numRuns: 500 },
    );
  });

  it('a document 100k levels deep neither overflows the tokenizer nor the index', () => {
    let value: unknown = 'Deep TOKEN at the bottom';
    for (let depth = 0; depth < 100_000; depth++) value = depth % 2 === 0 ? [value, depth] : { level: value, other: 'mid' };
    const doc = { root: value };
    expect([...documentTokens(doc)].sort()).toStrictEqual(['at', 'bottom', 'deep', 'mid', 'the', 'token']);
    const index = new SearchIndex('c');
    index.applyVersion('d', 1, undefined, doc);
    index.applyVersion('d', 2, doc, undefined);
    expect(index.lookup(['deep', 'token'], 1)).toStrictEqual(['d']);
    expect(index.lookup(['deep'], head)).toStrictEqual([]);
  });
});

describe('SearchIndex against document histories', () => {
  it('lookups AS OF any seq equal the brute-force reference', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.array(queryArbitrary, { minLength: 1, maxLength: 8 }), asOfArbitrary, (ops, queries, asOfs) => {
        const index = new SearchIndex('c');
        const history = run(index, ops);
        index.btree.verify();
        for (const query of queries) {
          const tokens = resolve(history, query);
          for (const asOf of [...asOfs, history.lastSeq, head, Infinity]) checkLookup(index, history, tokens, asOf);
          for (const token of tokens) expect(index.countToken(token)).toBeGreaterThanOrEqual(index.lookup([token], head).length);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('garbage collection keeps every read at or above the horizon', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.array(queryArbitrary, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 162 }), (ops, queries, horizon) => {
        const index = new SearchIndex('c');
        const history = run(index, ops);
        const seqs = [horizon, horizon + 1, horizon + 7, head];
        const lookups = () => queries.flatMap((query) => seqs.map((asOf) => index.lookup(resolve(history, query), asOf)));
        const before = lookups();
        const entries = index.entries;
        const dropped = index.collectGarbage(horizon);
        expect(index.entries).toBe(entries - dropped);
        index.btree.verify();
        expect(lookups()).toStrictEqual(before);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('serialize and deserialize give identical lookups; a section as of a seq reads at HEAD like the index at it', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.array(queryArbitrary, { minLength: 1, maxLength: 5 }), fc.integer({ min: -1, max: 162 }), (ops, queries, cutSeq) => {
        const index = new SearchIndex('c\u{1F600}');
        const history = run(index, ops);
        const loaded = SearchIndex.deserialize(index.serialize());
        loaded.btree.verify();
        expect(loaded.collection).toBe('c\u{1F600}');
        expect(loaded.entries).toBe(index.entries);
        const atCut = SearchIndex.deserialize(index.serialize(cutSeq));
        for (const query of queries) {
          const tokens = resolve(history, query);
          for (const asOf of [-1, 0, 10, 41, 80, head]) expect(loaded.lookup(tokens, asOf)).toStrictEqual(index.lookup(tokens, asOf));
          expect(atCut.lookup(tokens, head)).toStrictEqual(index.lookup(tokens, cutSeq));
          expect(atCut.lookup(tokens, cutSeq)).toStrictEqual(index.lookup(tokens, cutSeq));
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it('a large index: both intersection strategies, many leaves, writes after a load', () => {
    const index = new SearchIndex('posts');
    const current = new Map<string, Doc>();
    const history: History = { versions: new Map(), lastSeq: 0, tokens: [] };
    const ops = fc.sample(fc.noBias(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 400 }), fc.boolean())), { seed, numRuns: 12_000 });
    ops.forEach(([n, tag, remove], i) => {
      const id = `p${n}`;
      const seq = 1 + i;
      // Every doc holds `common`, half `even` (by id, so it outlives versions), a third `g0` (by version, so
      // its entries open and close); `rare` is in 1 version in 400.
      const parity = n % 2 === 0 ? 'even' : 'odd';
      const body = `Common words tag${tag} g${tag % 3} ${tag === 7 ? 'RARE' : ''}`;
      const next: Doc | undefined = remove && n % 3 === 0 ? undefined : { body, meta: [{ n, parity }] };
      const previous = current.get(id);
      if (previous === undefined && next === undefined) return;
      index.applyVersion(id, seq, previous, next);
      if (next === undefined) current.delete(id);
      else current.set(id, next);
      const versions = history.versions.get(id) ?? [];
      versions.push({ seq, doc: next });
      history.versions.set(id, versions);
      history.lastSeq = seq;
    });
    index.btree.verify();
    expect(index.btree.height).toBeGreaterThanOrEqual(2);
    // `rare` against `even` and `common` is probed per candidate (16 scan steps a probe); `words` against
    // `common` merges two scans.
    expect(index.countToken('g0')).toBeGreaterThan(16 * index.countToken('rare'));
    const queries = [['rare', 'common'], ['rare', 'even'], ['rare', 'g0'], ['tag8', 'g2'], ['odd', 'tag7'], ['common', 'words'], ['tag7', 'rare', 'odd'], ['tag12', 'rare'], ['common', 'nothere'], ['tag3']];
    const loaded = SearchIndex.deserialize(index.serialize());
    loaded.btree.verify();
    for (const tokens of queries)
      for (const asOf of [0, 500, 6000, 11_999, head]) {
        checkLookup(index, history, tokens, asOf);
        expect(loaded.lookup(tokens, asOf)).toStrictEqual(index.lookup(tokens, asOf));
      }
    loaded.applyVersion('new', 20_000, undefined, { body: 'rare common' });
    loaded.btree.verify();
    expect(loaded.lookup(['rare', 'common'], head)).toContain('new');
    expect(loaded.bytesEstimate()).toBeGreaterThan(0);
  });

  it('a damaged section fails with SNAPSHOT_CORRUPT; a sorted index section is refused', () => {
    const index = new SearchIndex('posts');
    for (let seq = 1; seq <= 300; seq++) index.applyVersion(`p${seq}`, seq, undefined, { body: `word${seq % 17} Shared` });
    const bytes = index.serialize();
    const positions = fc.sample(fc.nat({ max: bytes.length - 1 }), { seed, numRuns: 200 });
    for (const position of [0, 8, 12, 14, 48, bytes.length - 1, ...positions]) {
      const damaged = bytes.slice();
      damaged[position]! ^= 0x20;
      expect(() => SearchIndex.deserialize(damaged, 'idx/posts.search')).toThrow(/idx\/posts\.search is damaged at byte \d+: sorted index section (CRC-32C mismatch|magic)/);
    }
    for (const length of [0, 10, 47, 48, bytes.length - 1]) {
      let error: unknown;
      try {
        SearchIndex.deserialize(bytes.subarray(0, length));
      } catch (caught) {
        error = caught;
      }
      expect(isNedbError(error, 'SNAPSHOT_CORRUPT'), String(error)).toBe(true);
    }
    const sorted = new SortedIndex({ collection: 'posts', fields: ['body'] });
    sorted.applyVersion('p1', 1, undefined, { body: 'x' });
    expect(() => SearchIndex.deserialize(sorted.serialize(), 'x')).toThrow(/not a search index/);
  });

  it('pins the section: a one-field sorted-index section whose field is empty, keys (string term, id)', () => {
    const index = new SearchIndex('c');
    index.applyVersion('a', 1, undefined, { t: 'Foo' });
    index.applyVersion('a', 2, { t: 'Foo' }, { t: 'bar' });
    const bytes = index.serialize();
    const hex = Buffer.from(bytes).toString('hex');
    const keys = '2062617200' + '0061' + '20666f6f00' + '0061'; // ('bar', 'a'), ('foo', 'a')
    expect(bytes.length).toBe(48 + 3 + 2 + 8 * 8 + 2048 + 2 * 2 + keys.length / 2 + 2 * 16 + 2 * 2);
    expect(hex.slice(0, 16)).toBe('4e45444253494458'); // NEDBSIDX
    expect(hex.slice(24, 32)).toBe('0100' + '01' + '00'); // version 1, one field, no mixed types
    expect(hex.slice(2 * 24, 2 * 48)).toBe('0200000000000000' + '0e00000000000000' + '0100000000000000'); // 2 entries, 14 key bytes, 1 live
    expect(hex.slice(2 * 48, 2 * 53)).toBe('010063' + '0000'); // collection 'c', field ''
    expect(hex.slice(2 * (53 + 64 + 2048))).toBe(
      '0700' + '0700' + keys +
        '0200000000000000' + '0100000000000000' + // fromSeqs
        'ffffffffffffffff' + '0200000000000000' + // toSeqs: 'foo' closed at 2
        '0000' + '0000', // flags
    );
  });
});
