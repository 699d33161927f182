// SortedIndex against a model of document histories (STYLE.md §14: seeded). Random puts and deletes of
// documents with missing, null, boolean, numeric and unicode string fields (flat and dotted) feed the index;
// then a scan AS OF any seq, in either direction, within random bounds on the leading fields, returns exactly
// the documents live at that seq in v1 order (ties by id), statistics match a recount, garbage collection
// keeps every read at or above its horizon, and the persisted section loads back to identical scans. Damaged
// sections fail with SNAPSHOT_CORRUPT naming the byte and the reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../core/crc32c.js';
import { isNedbError } from '../../core/errors.js';
import { SortedIndex, type SortedIndexBound, type SortedIndexScanOptions } from '../../core/index/sorted-index.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) if (left[i] !== right[i]) return left[i]! - right[i]!;
  return left.length - right.length;
}

/** v1 ASC (UPSTREAM.md §4.4), numbers before strings where v1 has no order (the field is then flagged mixed). */
function referenceCompare(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== 'string') return -1;
    if (typeof b !== 'string') return 1;
    return compareCodePoints(a, b);
  }
  return Math.sign(Number(a) - Number(b));
}

type Doc = Record<string, unknown>;
type Op = { kind: 'put'; id: string; doc: Doc } | { kind: 'delete'; id: string };

const ids = ['a', 'b', 'c', 'aa', 'B', '\uE000', '\u{1F600}', 'a\0b', 'z'];
const valueArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0.5, 1e10, -0),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', 'a', 'ab', 'b', '\uFFFF', '\u{10000}', 'é'),
);
const docArbitrary: fc.Arbitrary<Doc> = fc
  .record({ x: valueArbitrary, y: valueArbitrary, nested: fc.option(fc.record({ z: valueArbitrary }, { requiredKeys: [] }), { nil: undefined }) }, { requiredKeys: [] })
  .map((doc) => Object.fromEntries(Object.entries(doc).filter(([, value]) => value !== undefined)));
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.constantFrom(...ids), doc: docArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom(...ids) }) },
);

interface History {
  /** Per id, versions in seq order (undefined = deleted). */
  versions: Map<string, { seq: number; doc: Doc | undefined }[]>;
  lastSeq: number;
}

function run(index: SortedIndex, ops: readonly Op[]): History {
  const history: History = { versions: new Map(), lastSeq: -1 };
  ops.forEach((op, seq) => {
    const versions = history.versions.get(op.id) ?? [];
    const previous = versions.at(-1)?.doc;
    const next = op.kind === 'put' ? op.doc : undefined;
    if (previous === undefined && next === undefined) return; // deleting what is not there writes nothing
    index.applyVersion(op.id, seq, previous, next);
    versions.push({ seq, doc: next });
    history.versions.set(op.id, versions);
    history.lastSeq = seq;
  });
  return history;
}

function read(doc: Doc, field: string): unknown {
  if (Object.hasOwn(doc, field)) return doc[field];
  let value: unknown = doc;
  for (const name of field.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined;
    value = (value as Doc)[name];
  }
  return value;
}

function withinBounds(values: unknown[], lower: SortedIndexBound | undefined, upper: SortedIndexBound | undefined): boolean {
  const comparePrefix = (bound: SortedIndexBound) => {
    for (let i = 0; i < bound.values.length; i++) {
      const order = referenceCompare(values[i], bound.values[i]);
      if (order !== 0) return order;
    }
    return 0;
  };
  if (lower !== undefined) {
    const order = comparePrefix(lower);
    if (order < 0 || (order === 0 && !lower.inclusive)) return false;
  }
  if (upper !== undefined) {
    const order = comparePrefix(upper);
    if (order > 0 || (order === 0 && !upper.inclusive)) return false;
  }
  return true;
}

/** The reference: every document live at asOf, in v1 order with ties by id, filtered by the bounds. */
function expectedScan(history: History, fields: string[], options: SortedIndexScanOptions): { id: string; values: unknown[] }[] {
  const asOf = options.asOfSeq ?? Infinity;
  const rows: { id: string; values: unknown[] }[] = [];
  for (const [id, versions] of history.versions) {
    const doc = versions.filter((version) => version.seq <= asOf).at(-1)?.doc;
    if (doc === undefined) continue;
    const values = fields.map((field) => normalized(read(doc, field)));
    if (withinBounds(values, options.lower, options.upper)) rows.push({ id, values });
  }
  rows.sort((a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const order = referenceCompare(a.values[i], b.values[i]);
      if (order !== 0) return order;
    }
    return compareCodePoints(a.id, b.id);
  });
  return options.direction === 'asc' ? rows : rows.reverse();
}

function normalized(value: unknown): unknown {
  return Object.is(value, -0) ? 0 : value;
}

function scanAll(index: SortedIndex, options: SortedIndexScanOptions, limit = Infinity): { id: string; values: unknown[] }[] {
  const rows: { id: string; values: unknown[] }[] = [];
  for (const row of index.scan(options)) {
    if (rows.length >= limit) break;
    rows.push({ id: row.id, values: row.values });
  }
  return rows;
}

const boundArbitrary = (fieldCount: number) =>
  fc.option(fc.record({ values: fc.array(valueArbitrary, { minLength: 1, maxLength: fieldCount }), inclusive: fc.boolean() }), { nil: undefined });

const probeArbitrary = (fieldCount: number) =>
  fc.record({
    lower: boundArbitrary(fieldCount),
    upper: boundArbitrary(fieldCount),
    direction: fc.constantFrom('asc' as const, 'desc' as const),
    asOfSeq: fc.option(fc.integer({ min: -1, max: 90 }), { nil: undefined }),
    limit: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(Infinity)),
  });

const fieldSets = [['x'], ['x', 'y'], ['nested.z', 'x']];

describe('SortedIndex against document histories', () => {
  it('scans AS OF any seq, both directions, within bounds, equal the reference', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fieldSets), fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.array(probeArbitrary(2), { minLength: 1, maxLength: 10 }), (fields, ops, probes) => {
        const index = new SortedIndex({ collection: 'c', fields });
        const history = run(index, ops);
        index.btree.verify();
        for (const probe of probes) {
          const { limit, ...generated } = probe;
          const trim = (bound: SortedIndexBound | undefined) => bound && { ...bound, values: bound.values.slice(0, fields.length) };
          const options = { ...generated, lower: trim(generated.lower), upper: trim(generated.upper) };
          expect(scanAll(index, options, limit)).toStrictEqual(expectedScan(history, fields, options).slice(0, limit));
        }
        // DESC is exactly the reverse of ASC.
        expect(scanAll(index, { direction: 'desc' })).toStrictEqual(scanAll(index, { direction: 'asc' }).reverse());
      }),
      { seed, numRuns: 400 },
    );
  });

  it('statistics match a recount of the live documents', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80, size: 'max' }), (ops) => {
        const index = new SortedIndex({ collection: 'c', fields: ['x', 'y'] });
        const history = run(index, ops);
        const live = [...history.versions.values()].map((versions) => versions.at(-1)!.doc).filter((doc): doc is Doc => doc !== undefined);
        const stats = index.statistics();
        expect(stats.liveEntries).toBe(live.length);
        const present = (field: string) => live.filter((doc) => doc[field] !== undefined && doc[field] !== null);
        expect(stats.presentCounts).toEqual([present('x').length, present('y').length]);
        const mixed = (field: string) => present(field).some((doc) => typeof doc[field] === 'string') && present(field).some((doc) => typeof doc[field] !== 'string');
        expect(stats.mixedTypes).toBe(mixed('x') || mixed('y'));
        if (stats.mixedTypes) expect(stats.mixedTypesInHistory).toBe(true);
        const ascending = expectedScan(history, ['x', 'y'], { direction: 'asc' }).filter((row) => row.values[0] !== null && row.values[0] !== undefined);
        expect(stats.min).toStrictEqual(ascending[0]?.values);
        expect(stats.max).toStrictEqual(ascending.at(-1)?.values);
        const distinct = new Set(live.map((doc) => JSON.stringify([normalized(doc.x) ?? null, normalized(doc.y) ?? null])));
        expect(Math.abs(stats.distinctEstimate - distinct.size)).toBeLessThanOrEqual(Math.max(2, distinct.size * 0.1) + (ops.length - live.length));
        expect(stats.depth).toBeGreaterThanOrEqual(1);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('garbage collection keeps every read at or above the horizon', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.integer({ min: 0, max: 80 }), (ops, horizon) => {
        const index = new SortedIndex({ collection: 'c', fields: ['x'] });
        const history = run(index, ops);
        const seqs = [horizon, horizon + 1, Math.floor((horizon + 80) / 2), 80, undefined];
        const before = seqs.map((asOfSeq) => scanAll(index, { direction: 'asc', asOfSeq }));
        const entries = index.statistics().entries;
        const dropped = index.collectGarbage(horizon);
        expect(index.statistics().entries).toBe(entries - dropped);
        expect(seqs.map((asOfSeq) => scanAll(index, { direction: 'asc', asOfSeq }))).toStrictEqual(before);
        index.btree.verify();
        expect(history.lastSeq).toBeLessThan(80);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('serialize and deserialize give identical scans and statistics; a section as of a seq reads like the index at it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fieldSets), fc.array(opArbitrary, { maxLength: 80, size: 'max' }), fc.integer({ min: -1, max: 80 }), (fields, ops, cut) => {
        const index = new SortedIndex({ collection: 'c\u{1F600}', fields });
        run(index, ops);
        const loaded = SortedIndex.deserialize(index.serialize());
        loaded.btree.verify();
        expect(loaded.definition).toStrictEqual(index.definition);
        for (const asOfSeq of [-1, 0, 10, 40, 79, undefined])
          for (const direction of ['asc', 'desc'] as const) expect(scanAll(loaded, { direction, asOfSeq })).toStrictEqual(scanAll(index, { direction, asOfSeq }));
        const { depth: _depth, bytesEstimate: _bytes, ...stats } = index.statistics();
        const { depth: _loadedDepth, bytesEstimate: _loadedBytes, ...loadedStats } = loaded.statistics();
        expect(loadedStats).toStrictEqual(stats);
        const atCut = SortedIndex.deserialize(index.serialize(cut));
        for (const asOfSeq of [-1, Math.floor(cut / 2), cut])
          expect(scanAll(atCut, { direction: 'asc', asOfSeq })).toStrictEqual(scanAll(index, { direction: 'asc', asOfSeq }));
        expect(scanAll(atCut, { direction: 'asc' })).toStrictEqual(scanAll(index, { direction: 'asc', asOfSeq: cut }));
        expect(atCut.statistics().liveEntries).toBe(scanAll(index, { direction: 'asc', asOfSeq: cut }).length);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('a large index with history round-trips through many leaves', () => {
    const index = new SortedIndex({ collection: 'blocks', fields: ['height', 'miner'] });
    const current = new Map<string, Doc>();
    const ops = fc.sample(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -50, max: 50 }), fc.constantFrom('m1', 'm2', undefined)), { seed, numRuns: 20_000 });
    ops.forEach(([n, height, miner], seq) => {
      const id = `b${n}`;
      const next: Doc | undefined = height === 50 ? undefined : miner === undefined ? { height } : { height, miner };
      const previous = current.get(id);
      if (previous === undefined && next === undefined) return;
      index.applyVersion(id, seq, previous, next);
      if (next === undefined) current.delete(id);
      else current.set(id, next);
    });
    index.btree.verify();
    expect(index.statistics().depth).toBeGreaterThanOrEqual(2);
    const loaded = SortedIndex.deserialize(index.serialize());
    loaded.btree.verify();
    for (const asOfSeq of [0, 5000, 12_345, undefined])
      for (const direction of ['asc', 'desc'] as const) {
        const bounds = { lower: { values: [-10], inclusive: false }, upper: { values: [20, 'm1'], inclusive: true } };
        expect(scanAll(loaded, { direction, asOfSeq })).toStrictEqual(scanAll(index, { direction, asOfSeq }));
        expect(scanAll(loaded, { direction, asOfSeq, ...bounds })).toStrictEqual(scanAll(index, { direction, asOfSeq, ...bounds }));
      }
    // Writes go on after a load, as after a restart (the log tail).
    loaded.applyVersion('new', 30_000, undefined, { height: 1 });
    loaded.btree.verify();
    expect(scanAll(loaded, { direction: 'asc', lower: { values: [1], inclusive: true }, upper: { values: [1], inclusive: true } }).map((row) => row.id)).toContain('new');
  });

  it('a damaged section fails with SNAPSHOT_CORRUPT naming the byte and reason; another version with FORMAT_UNSUPPORTED', () => {
    const index = new SortedIndex({ collection: 'blocks', fields: ['height'] });
    for (let seq = 0; seq < 500; seq++) index.applyVersion(`b${seq}`, seq, undefined, { height: seq });
    const bytes = index.serialize();
    const positions = fc.sample(fc.nat({ max: bytes.length - 1 }), { seed, numRuns: 200 });
    for (const position of [0, 8, 12, 20, bytes.length - 1, ...positions]) {
      const damaged = bytes.slice();
      damaged[position]! ^= 0x20;
      expect(() => SortedIndex.deserialize(damaged, 'snap/p000-000000000500.snap#17')).toThrow(
        /snapshot snap\/p000-000000000500\.snap#17 is damaged at byte \d+: sorted index section (CRC-32C mismatch|magic)/,
      );
    }
    for (const length of [0, 10, 47, 48, bytes.length - 1]) {
      let error: unknown;
      try {
        SortedIndex.deserialize(bytes.subarray(0, length));
      } catch (caught) {
        error = caught;
      }
      expect(isNedbError(error, 'SNAPSHOT_CORRUPT'), String(error)).toBe(true);
    }
    const future = bytes.slice();
    new DataView(future.buffer).setUint16(12, 2, true);
    new DataView(future.buffer).setUint32(8, crc32c(future, 12, future.length), true);
    expect(() => SortedIndex.deserialize(future, 'x')).toThrow(/x has format version 2; this nedb reads version 1/);
  });

  it('pins the section bytes (docs/FORMAT.md §11.2)', () => {
    const index = new SortedIndex({ collection: 'c', fields: ['n'] });
    index.applyVersion('a', 0, undefined, { n: 1 });
    index.applyVersion('b', 1, undefined, { n: true });
    index.applyVersion('a', 2, { n: 1 }, { n: 'x' });
    const bytes = index.serialize();
    const hex = Buffer.from(bytes).toString('hex');
    expect(bytes.length).toBe(48 + 6 + 8 * 8 + 2048 + 3 * 2 + 25 + 3 * 8 * 2 + 3 * 2);
    const header =
      '4e45444253494458' + // NEDBSIDX
      'afa42055' + // crc32c of bytes [12, end)
      '0100' + '01' + '01' + // version 1, 1 field, mixed types seen (a number and a string were live together)
      'ffffffffffffffff' + // as of HEAD (-1)
      '0300000000000000' + '1900000000000000' + '0200000000000000'; // 3 entries, 25 key bytes, 2 live
    const names = '010063' + '01006e'; // 'c', 'n'
    const classes = ['0', '1', '1', '0', '0', '0', '0', '0'].map((count) => `0${count}00000000000000`).join(''); // boolean 1, string 1
    expect(hex.slice(0, 2 * (48 + 6 + 64))).toBe(header + names + classes);
    expect(hex.slice(2 * (48 + 6 + 64 + 2048))).toBe(
      '0a000a000500' + // key lengths
        '10bff0000000000000' + '61' + // (1, 'a')
        '10bff0000000000000' + '62' + // (true = 1, 'b')
        '2078' + '0000' + '61' + // ('x', 'a')
        '0000000000000000' + '0100000000000000' + '0200000000000000' + // fromSeqs
        '0200000000000000' + 'ffffffffffffffff' + 'ffffffffffffffff' + // toSeqs: the first closed at 2
        '0000' + '0100' + '0000', // flags: kind boolean on the second
    );
  });
});
