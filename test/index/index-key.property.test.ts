// The sort key encoding against a reference comparator written from UPSTREAM.md §4.4 (STYLE.md §14: seeded).
// For random values (numbers of every size and sign, -0, strings with NUL, U+E000..U+FFFF and astral characters,
// booleans, null, missing) and random ids, the byte order of the encoded keys is exactly the reference order,
// for single fields and compound keys; and every key decodes back to its values and id.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IndexKeyWriter, decodeIndexKey, encodeIndexValues, indexValueBytesMax, valueClassIndex,
} from '../../core/index/index-key.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

/** Code point order, not JavaScript's UTF-16 order. */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) if (left[i] !== right[i]) return left[i]! - right[i]!;
  return left.length - right.length;
}

/**
 * v1's ORDER BY ASC (UPSTREAM.md §4.4): null and missing last (and equal to each other); numbers and booleans
 * numerically (true = 1, false = 0, -0 = 0); strings by code point. Numbers against strings have no v1 order
 * (v1 sorts the whole list by str() and the index flags the field as mixed): the index puts numbers first.
 */
function referenceCompare(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  const aText = typeof a === 'string';
  const bText = typeof b === 'string';
  if (aText !== bText) return aText ? 1 : -1;
  if (aText && bText) return compareCodePoints(a, b);
  const difference = Number(a) - Number(b);
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

function referenceCompareKeys(a: { values: unknown[]; id: string }, b: { values: unknown[]; id: string }): number {
  for (let i = 0; i < a.values.length; i++) {
    const order = referenceCompare(a.values[i], b.values[i]);
    if (order !== 0) return order;
  }
  return compareCodePoints(a.id, b.id);
}

const specialStrings = ['', 'a', 'a\0', 'a\0b', '\0', 'ab', 'b', 'B', 'é', '\uE000', '\uFFFF', 'a\uFFFF', '\u{10000}', '\u{1F600}', 'a\u{1F600}', '10', '9'];
const valueArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0, -0, 0.5, -0.5, 1e-308, -1e-308, 5e-324, 1e308, -1e308, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(...specialStrings),
);
const idArbitrary = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }), fc.constantFrom('a', 'aa', 'b', '\uE000', '\u{10000}', 'a\0b'));

function encode(values: readonly unknown[], id: string): { key: Uint8Array; kinds: number } {
  const writer = new IndexKeyWriter();
  writer.reset();
  for (const value of values) writer.value(value);
  writer.id(id);
  return { key: writer.copy(), kinds: writer.kinds };
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** What decoding gives back: -0 is 0 (the key cannot tell them apart, and v1 does not either). */
function normalized(value: unknown): unknown {
  return Object.is(value, -0) ? 0 : value;
}

describe('index key encoding', () => {
  it('byte order equals v1 order for single values, and keys decode back', () => {
    fc.assert(
      fc.property(valueArbitrary, idArbitrary, valueArbitrary, idArbitrary, (a, aId, b, bId) => {
        const left = encode([a], aId);
        const right = encode([b], bId);
        expect(sign(Buffer.compare(left.key, right.key))).toBe(sign(referenceCompareKeys({ values: [a], id: aId }, { values: [b], id: bId })));
        expect(decodeIndexKey(left.key, 1, left.kinds)).toStrictEqual({ values: [normalized(a)], id: aId });
      }),
      { seed, numRuns: 20_000 },
    );
  });

  it('byte order equals v1 order for compound keys, component by component', () => {
    const tuple = fc.array(valueArbitrary, { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(tuple, idArbitrary, tuple, idArbitrary, fc.nat({ max: 2 }), (a, aId, b, bId, copy) => {
        // Share leading components often, so that later components and the id decide.
        for (let i = 0; i < copy; i++) b[i] = a[i];
        const left = encode(a, aId);
        const right = encode(b, bId);
        expect(sign(Buffer.compare(left.key, right.key))).toBe(sign(referenceCompareKeys({ values: a, id: aId }, { values: b, id: bId })));
        expect(decodeIndexKey(right.key, 3, right.kinds)).toStrictEqual({ values: b.map(normalized), id: bId });
      }),
      { seed, numRuns: 10_000 },
    );
  });

  it('sorting encoded keys gives the v1 ORDER BY ASC list, and its reverse the DESC list', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(valueArbitrary, idArbitrary), { maxLength: 40, selector: ([, id]) => id }), (rows) => {
        const numericOrNull = rows.filter(([value]) => typeof value !== 'string');
        const keyed = numericOrNull.map(([value, id]) => ({ value, id, key: encode([value], id).key }));
        const byBytes = [...keyed].sort((x, y) => Buffer.compare(x.key, y.key)).map((row) => row.id);
        const ascending = [...keyed].sort((x, y) => referenceCompareKeys({ values: [x.value], id: x.id }, { values: [y.value], id: y.id }));
        expect(byBytes).toEqual(ascending.map((row) => row.id));
        // v1 DESC: missing/null first, then descending values. The reverse of the ASC order is exactly that.
        const descending = [...byBytes].reverse().map((id) => keyed.find((row) => row.id === id)!.value);
        const firstValue = descending.findIndex((value) => value !== null && value !== undefined);
        if (firstValue >= 0) expect(descending.slice(firstValue).every((value) => value !== null && value !== undefined)).toBe(true);
        for (let i = firstValue + 1; i > 0 && i < descending.length; i++) expect(Number(descending[i - 1])).toBeGreaterThanOrEqual(Number(descending[i]));
      }),
      { seed, numRuns: 2_000 },
    );
  });

  it('follows the v1 examples: booleans tie with their numbers, -0 with 0, null with missing', () => {
    const key = (value: unknown) => Buffer.from(encodeIndexValues([value])).toString('hex');
    expect(key(true)).toBe(key(1));
    expect(key(false)).toBe(key(0));
    expect(key(-0)).toBe(key(0));
    expect(key(null)).toBe(key(undefined));
    const ordered = [-Infinity, -1e308, -1, -0.5, false, 0.5, true, 1.5, 2, 1e308, Infinity, '', '\0', 'A', 'a', 'a\0', 'ab', '\uE000', '\uFFFF', '\u{10000}', null];
    const keys = ordered.map((value) => Buffer.from(encodeIndexValues([value])));
    for (let i = 1; i < keys.length; i++) expect(Buffer.compare(keys[i - 1]!, keys[i]!), `${String(ordered[i - 1])} < ${String(ordered[i])}`).toBeLessThan(0);
  });

  it('pins the bytes of each component (docs/FORMAT.md §11.1)', () => {
    const hex = (values: unknown[], id?: string) => {
      const writer = new IndexKeyWriter();
      for (const value of values) writer.value(value);
      if (id !== undefined) writer.id(id);
      return Buffer.from(writer.copy()).toString('hex');
    };
    expect(hex([1])).toBe('10bff0000000000000');
    expect(hex([-1])).toBe('10400fffffffffffff');
    expect(hex([true])).toBe('10bff0000000000000');
    expect(hex([0])).toBe('108000000000000000');
    expect(hex(['a\0é'])).toBe('206100ffc3a90000');
    expect(hex([null, undefined])).toBe('f0f0');
    expect(hex([[1, 'x']])).toBe('305b312c2278225d0000');
    expect(hex([{ a: 1 }], 'id')).toBe('407b2261223a317d00006964');
    expect(hex(['x'], 'é')).toBe('20780000c3a9');
  });

  it('cuts long strings at a code point boundary and marks them', () => {
    const writer = new IndexKeyWriter();
    const long = 'é'.repeat(indexValueBytesMax); // 2 bytes each: twice the bound
    expect(writer.value(long)).toBe(valueClassIndex.longString);
    writer.id('x');
    const decoded = decodeIndexKey(writer.copy(), 1, writer.kinds);
    expect(decoded.values[0]).toBe('é'.repeat(indexValueBytesMax / 2));
    expect(decoded.id).toBe('x');
    writer.reset();
    expect(writer.value('é'.repeat(indexValueBytesMax / 2))).toBe(valueClassIndex.string);
  });
});
