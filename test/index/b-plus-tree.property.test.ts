// The B+tree against a sorted array (STYLE.md §14: seeded, NEDB_SEED=<n> replays a failure). Random sequences of
// insert, closeEntry (also at the entry's own seq, which removes it), delete and garbage collection, from an
// empty tree and from a bulk-loaded one; after them every structural invariant holds, and range scans in both
// directions with random prefix bounds, AS OF seqs and limits, and range counts, equal the model's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPlusTree, BPlusTreeBuilder, type KeyBound, type TreeScanOptions } from '../../core/index/b-plus-tree.js';
import { leafEntriesMax } from '../../core/index/b-plus-tree-node.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

interface Entry {
  key: Uint8Array;
  from: number;
  to: number;
  flags: number;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function comparePrefix(key: Uint8Array, bound: Uint8Array): number {
  const order = Buffer.compare(key.subarray(0, bound.length), bound);
  if (order !== 0) return order;
  return key.length >= bound.length ? 0 : -1;
}

function compareEntries(a: Entry, b: Entry): number {
  return compareBytes(a.key, b.key) || a.from - b.from;
}

/** The contract: a sorted array of entries. */
class Model {
  entries: Entry[] = [];

  insert(entry: Entry): void {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareEntries(this.entries[middle]!, entry) < 0) low = middle + 1;
      else high = middle;
    }
    this.entries.splice(low, 0, entry);
  }

  has(key: Uint8Array, from: number): boolean {
    return this.entries.some((entry) => compareBytes(entry.key, key) === 0 && entry.from === from);
  }

  close(key: Uint8Array, to: number): boolean {
    let last: Entry | undefined;
    for (const entry of this.entries) if (compareBytes(entry.key, key) === 0) last = entry;
    if (last === undefined || last.to !== Infinity) return false;
    if (to === last.from) this.entries = this.entries.filter((entry) => entry !== last);
    else last.to = to;
    return true;
  }

  gc(horizon: number): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.to > horizon);
    return before - this.entries.length;
  }

  scan(options: TreeScanOptions): Entry[] {
    const { lower, upper, asOfSeq } = options;
    const found = this.entries.filter((entry) => {
      if (lower !== undefined) {
        const order = comparePrefix(entry.key, lower.key);
        if (order < 0 || (order === 0 && !lower.inclusive)) return false;
      }
      if (upper !== undefined) {
        const order = comparePrefix(entry.key, upper.key);
        if (order > 0 || (order === 0 && !upper.inclusive)) return false;
      }
      return asOfSeq === undefined || (entry.from <= asOfSeq && asOfSeq < entry.to);
    });
    return options.direction === 'asc' ? found : found.reverse();
  }
}

function show(entry: Entry): string {
  return `${Buffer.from(entry.key).toString('hex')}@${entry.from}-${entry.to}/${entry.flags}`;
}

function treeScan(tree: BPlusTree, options: TreeScanOptions, limit: number): string[] {
  const rows: string[] = [];
  for (const cursor of tree.scan(options)) {
    if (rows.length >= limit) break;
    rows.push(show({ key: cursor.key().slice(), from: cursor.fromSeq, to: cursor.toSeq, flags: cursor.flags }));
  }
  return rows;
}

// Keys over a 3-byte alphabet, 0 to 5 bytes long: many shared prefixes and repeats.
const keyArbitrary = fc.uint8Array({ minLength: 0, maxLength: 5, min: 0, max: 2 });
const boundArbitrary = fc.option(fc.record({ key: fc.uint8Array({ minLength: 0, maxLength: 3, min: 0, max: 2 }), inclusive: fc.boolean() }), { nil: undefined });

type Op =
  | { kind: 'insert'; key: Uint8Array; flags: number }
  | { kind: 'close'; key: Uint8Array }
  | { kind: 'delete'; pick: number }
  | { kind: 'advance' }
  | { kind: 'gc'; back: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), key: keyArbitrary, flags: fc.integer({ min: 0, max: 0xffff }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), key: keyArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'advance' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gc' as const), back: fc.nat({ max: 20 }) }) },
);

interface ScanProbe {
  lower: KeyBound | undefined;
  upper: KeyBound | undefined;
  direction: 'asc' | 'desc';
  asOf: number | undefined;
  limit: number;
}

const probeArbitrary: fc.Arbitrary<ScanProbe> = fc.record({
  lower: boundArbitrary,
  upper: boundArbitrary,
  direction: fc.constantFrom('asc' as const, 'desc' as const),
  asOf: fc.option(fc.integer({ min: -1, max: 130 }), { nil: undefined }),
  limit: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constant(1_000_000)),
});

function apply(tree: BPlusTree, model: Model, ops: readonly Op[], seqStart: number): number {
  let seq = seqStart;
  for (const op of ops) {
    switch (op.kind) {
      case 'insert':
        if (model.has(op.key, seq)) break;
        tree.insert(op.key, seq, Infinity, op.flags);
        model.insert({ key: op.key, from: seq, to: Infinity, flags: op.flags });
        break;
      case 'close':
        expect(tree.closeEntry(op.key, seq)).toBe(model.close(op.key, seq));
        break;
      case 'delete': {
        const entry = model.entries[op.pick % Math.max(1, model.entries.length)];
        if (entry === undefined) break;
        expect(tree.delete(entry.key, entry.from)).toBe(true);
        model.entries = model.entries.filter((other) => other !== entry);
        expect(tree.delete(entry.key, entry.from)).toBe(false);
        break;
      }
      case 'advance':
        seq++;
        break;
      case 'gc':
        expect(tree.removeClosedAtOrBefore(seq - op.back)).toBe(model.gc(seq - op.back));
        break;
    }
  }
  return seq;
}

function check(tree: BPlusTree, model: Model, probes: readonly ScanProbe[]): void {
  tree.verify();
  expect(tree.size).toBe(model.entries.length);
  expect(treeScan(tree, { direction: 'asc' }, Infinity)).toEqual(model.entries.map(show));
  for (const probe of probes) {
    const options: TreeScanOptions = { lower: probe.lower, upper: probe.upper, direction: probe.direction, asOfSeq: probe.asOf };
    expect(treeScan(tree, options, probe.limit)).toEqual(model.scan(options).slice(0, probe.limit).map(show));
    expect(tree.countRange(probe.lower, probe.upper)).toBe(model.scan({ ...options, direction: 'asc', asOfSeq: undefined }).length);
  }
  const first = tree.first();
  const last = tree.last();
  expect(first === undefined ? undefined : show({ key: first.key(), from: first.fromSeq, to: first.toSeq, flags: first.flags })).toEqual(
    model.entries[0] === undefined ? undefined : show(model.entries[0]),
  );
  expect(last === undefined ? undefined : show({ key: last.key(), from: last.fromSeq, to: last.toSeq, flags: last.flags })).toEqual(
    model.entries.at(-1) === undefined ? undefined : show(model.entries.at(-1)!),
  );
}

describe('BPlusTree against a sorted array', () => {
  it('random inserts, closes, deletes and garbage collections keep scans, counts and invariants equal to the model', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 400, size: 'max' }), fc.array(probeArbitrary, { minLength: 1, maxLength: 8, size: 'max' }), (ops, probes) => {
        const tree = new BPlusTree();
        const model = new Model();
        apply(tree, model, ops, 0);
        check(tree, model, probes);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('a bulk-loaded tree behaves like one built by inserts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(keyArbitrary, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 60 })), {
          maxLength: 600,
          size: 'max',
          selector: ([key, from]) => `${Buffer.from(key).toString('hex')}@${from}`,
        }),
        fc.array(opArbitrary, { maxLength: 200, size: 'max' }),
        fc.array(probeArbitrary, { minLength: 1, maxLength: 8, size: 'max' }),
        (initial, ops, probes) => {
          const model = new Model();
          for (const [key, from, span] of initial) model.insert({ key, from, to: span === 60 ? Infinity : from + span, flags: span });
          const builder = new BPlusTreeBuilder();
          for (const entry of model.entries) builder.append(entry.key, 0, entry.key.length, entry.from, entry.to, entry.flags);
          const tree = builder.finish();
          check(tree, model, probes);
          apply(tree, model, ops, 111);
          check(tree, model, probes);
        },
      ),
      { seed, numRuns: 150 },
    );
  });

  it('stays correct through many levels of splits and through deleting everything', () => {
    const tree = new BPlusTree();
    const model = new Model();
    const random = fc.sample(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 0xffff })), { seed, numRuns: 40_000 });
    let seq = 0;
    for (const [key, flags] of random) {
      seq++;
      tree.insert(key, seq, Infinity, flags);
      model.insert({ key, from: seq, to: Infinity, flags });
    }
    expect(tree.height).toBeGreaterThanOrEqual(3);
    expect(tree.size).toBeGreaterThan(leafEntriesMax * 128);
    const probes = fc.sample(probeArbitrary, { seed, numRuns: 50 });
    check(tree, model, probes.map((probe) => ({ ...probe, asOf: probe.asOf === undefined ? undefined : probe.asOf * 200 })));
    // Delete in a shuffled order, checking now and then: leaves empty out and leave the tree; the root collapses.
    const order = model.entries.map((entry, i) => ({ entry, rank: (i * 7919) % model.entries.length }));
    order.sort((a, b) => a.rank - b.rank);
    order.forEach(({ entry }, i) => {
      expect(tree.delete(entry.key, entry.from)).toBe(true);
      if (i % 10_000 === 0) tree.verify();
    });
    tree.verify();
    expect(tree.size).toBe(0);
    expect(tree.height).toBe(1);
    expect([...tree.scan({ direction: 'desc' })]).toEqual([]);
  });

  it('keys that only grow (or only shrink) fill their leaves, and scans stay right', () => {
    for (const direction of ['up', 'down'] as const) {
      const tree = new BPlusTree();
      const model = new Model();
      for (let i = 0; i < 20_000; i++) {
        const value = direction === 'up' ? i : 20_000 - i;
        const key = Uint8Array.of(value >>> 8, value & 0xff);
        tree.insert(key, i, Infinity, 0);
        model.insert({ key, from: i, to: Infinity, flags: 0 });
      }
      // Nearly full leaves: at most one leaf per leafEntriesMax - 1 entries, plus one.
      expect([...tree.leaves()].length).toBeLessThanOrEqual(Math.ceil(20_000 / (leafEntriesMax - 1)) + 1);
      check(tree, model, fc.sample(probeArbitrary, { seed, numRuns: 20 }));
    }
  });

  it('garbage collection keeps exactly what a read at or above the horizon can see', () => {
    const tree = new BPlusTree();
    const key = Uint8Array.of(1, 2);
    for (let seq = 0; seq < 300; seq += 3) {
      tree.insert(key, seq, Infinity, 0);
      expect(tree.closeEntry(key, seq + 2)).toBe(true);
    }
    tree.insert(key, 400, Infinity, 0);
    const before = (asOf: number) => [...tree.scan({ direction: 'asc', asOfSeq: asOf })].map((cursor) => cursor.fromSeq);
    const expected = [150, 200, 298, 299, 500].map(before);
    expect(tree.removeClosedAtOrBefore(150)).toBe(50);
    expect([150, 200, 298, 299, 500].map(before)).toEqual(expected);
    tree.verify();
  });
});
