// The engine side of sorted indexes (core/index/index-manager.ts, Database.orderedScan): an index-ordered read
// equals a full scan, a filter and v1's stable sort, in both directions, AS OF, after updates, deletes and a
// reopen, and with writes arriving during a background build.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataDirectory, V1Database, systemClock, type Database, type StoredDocument } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { conditionHolds, readField, sortByField } from '../../nql/compare.js';

const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

type Bound = { value: number | string; inclusive: boolean };

async function openData(fs: SimFileSystem): Promise<DataDirectory> {
  return DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0, durability: 'async' });
}

async function addIndex(db: Database, coll: string, field: string, kind = 'sorted'): Promise<void> {
  const v1 = await V1Database.open(db, systemClock);
  await v1.addIndex(coll, field, kind);
}

async function drain(pages: AsyncIterable<StoredDocument[]>): Promise<{ id: string; seq: number; v: unknown }[]> {
  const rows: { id: string; seq: number; v: unknown }[] = [];
  for await (const page of pages) for (const row of page) rows.push({ id: row.id, seq: row.seq, v: row.doc.v });
  return rows;
}

/** A full scan as of `asOf`, filtered by the bounds with v1's comparisons, sorted with v1's stable sort. */
async function reference(db: Database, coll: string, field: string, descending: boolean, asOf: number, lower?: Bound, upper?: Bound) {
  const rows: StoredDocument[] = [];
  for await (const page of db.scan(coll, { asOf })) rows.push(...page);
  const kept = rows.filter((row) => {
    const value = readField(row.doc, field);
    if (lower !== undefined && !conditionHolds(value, lower.inclusive ? '>=' : '>', lower.value)) return false;
    if (upper !== undefined && !conditionHolds(value, upper.inclusive ? '<=' : '<', upper.value)) return false;
    return true;
  });
  return sortByField(kept, (row) => readField(row.doc, field), descending).map((row) => ({ id: row.id, seq: row.seq, v: row.doc.v }));
}

async function indexed(db: Database, coll: string, field: string, descending: boolean, asOf: number, lower?: Bound, upper?: Bound) {
  const pages = db.orderedScan({ coll, field, descending, asOf, lower, upper });
  expect(pages).toBeDefined();
  return drain(pages!);
}

async function expectSameOrder(db: Database, coll: string, field: string, asOf: number, lower?: Bound, upper?: Bound): Promise<void> {
  for (const descending of [false, true])
    expect(await indexed(db, coll, field, descending, asOf, lower, upper)).toEqual(await reference(db, coll, field, descending, asOf, lower, upper));
}

const numericValue = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const stringValue = fc.oneof(
  fc.constantFrom('', 'a', 'ab', 'b', 'B', 'é', 'z\u0000', '\u{1F600}', 'ﬀ'),
  fc.string({ maxLength: 4, unit: 'grapheme' }),
  fc.constant(null),
  fc.constant(undefined),
);
const numericBound = fc.record({ value: fc.integer({ min: -6, max: 6 }), inclusive: fc.boolean() });
const stringBound = fc.record({ value: fc.constantFrom('', 'a', 'ab', 'b', 'é', 'zz'), inclusive: fc.boolean() });

type Op = { kind: 'put'; id: string; value: unknown } | { kind: 'delete'; id: string };
const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'aa', 'B', 'é', '\u{1F600}');
const opsOf = (value: fc.Arbitrary<unknown>) =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), id: ids, value }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: ids }) },
    ),
    { minLength: 1, maxLength: 40 },
  );

async function applyOps(db: Database, ops: readonly Op[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const op of ops) {
    if (op.kind === 'put') seqs.push(await db.put('c', op.id, op.value === undefined ? { other: 1 } : { v: op.value }));
    else if ((await db.head('c', op.id))?.live === true) seqs.push(await db.delete('c', op.id));
  }
  return seqs;
}

describe('Database.orderedScan', () => {
  for (const [family, value, bound] of [
    ['numbers, booleans, null, missing', numericValue, numericBound],
    ['strings, null, missing', stringValue, stringBound],
  ] as const) {
    it(`equals a full scan and v1's stable sort, AS OF, with bounds: ${family}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          opsOf(value as fc.Arbitrary<unknown>),
          opsOf(value as fc.Arbitrary<unknown>),
          fc.option(bound as fc.Arbitrary<Bound>, { nil: undefined }),
          fc.option(bound as fc.Arbitrary<Bound>, { nil: undefined }),
          async (before, after, lower, upper) => {
            const fs = new SimFileSystem();
            const data = await openData(fs);
            try {
              const db = await data.create('d', { partitions: 4 });
              const seqsBefore = await applyOps(db, before as Op[]);
              await addIndex(db, 'c', 'v');
              await db.whenIndexReady('c', 'v');
              const seqsAfter = await applyOps(db, after as Op[]);
              const asOfs = [...new Set([-1, ...seqsBefore.slice(-3), ...seqsAfter.filter((_, i) => i % 7 === 0), db.seq])];
              for (const asOf of asOfs) {
                await expectSameOrder(db, 'c', 'v', asOf);
                await expectSameOrder(db, 'c', 'v', asOf, lower, upper);
              }
            } finally {
              await data.close();
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  }

  it('is the same after a checkpoint, a close and a reopen (the index is rebuilt, history included)', async () => {
    const fs = new SimFileSystem();
    let data = await openData(fs);
    let db = await data.create('d', { partitions: 4 });
    await addIndex(db, 'c', 'v', 'ordered');
    const seqs: number[] = [];
    for (let i = 0; i < 60; i++) seqs.push(await db.put('c', `k${i % 23}`, i % 5 === 0 ? { w: 1 } : { v: (i * 7) % 11 }));
    seqs.push(await db.delete('c', 'k3'));
    await db.checkpoint();
    for (let i = 0; i < 30; i++) seqs.push(await db.put('c', `k${(i * 3) % 29}`, { v: i % 4 === 0 ? null : i % 6 }));
    seqs.push(await db.delete('c', 'k7'));
    await data.close();

    data = await openData(fs);
    try {
      db = await data.open('d');
      expect(db.sortedIndexInfo('c', 'v')).toBeDefined();
      await db.whenIndexReady('c', 'v');
      expect(db.sortedIndexInfo('c', 'v')?.state).toBe('ready');
      for (const asOf of [seqs[10]!, seqs[59]!, seqs[61]!, seqs[80]!, db.seq]) {
        await expectSameOrder(db, 'c', 'v', asOf);
        await expectSameOrder(db, 'c', 'v', asOf, { value: 2, inclusive: false }, { value: 8, inclusive: true });
      }
    } finally {
      await data.close();
    }
  });

  it('includes the writes made during a background build', async () => {
    const fs = new SimFileSystem();
    const data = await openData(fs);
    try {
      const db = await data.create('d', { partitions: 4 });
      const total = 20_000;
      for (let first = 0; first < total; first += 500) {
        const ops = [];
        for (let i = first; i < first + 500; i++) ops.push({ op: 'put' as const, coll: 'c', id: `d${String(i).padStart(5, '0')}`, doc: i % 13 === 0 ? {} : { v: (i * 7919) % 1000 } });
        await db.batch(ops);
      }
      const seqAtStart = db.seq;
      await addIndex(db, 'c', 'v');
      expect(db.sortedIndexInfo('c', 'v')?.state).toBe('building');
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeUndefined();
      let duringBuild = 0;
      const writeSeqs: number[] = [];
      for (let i = 0; i < 400 && db.sortedIndexInfo('c', 'v')?.state === 'building'; i++) {
        const id = `d${String((i * 37) % total).padStart(5, '0')}`;
        if (i % 5 === 4) writeSeqs.push(await db.delete('c', id));
        else writeSeqs.push(await db.put('c', i % 3 === 0 ? `new${i}` : id, { v: i % 50 }));
        duringBuild++;
      }
      await db.whenIndexReady('c', 'v');
      expect(duringBuild).toBeGreaterThan(0);
      expect(db.sortedIndexInfo('c', 'v')?.state).toBe('ready');
      const more = await db.put('c', 'after', { v: 500 });
      for (const asOf of [seqAtStart, writeSeqs[Math.floor(writeSeqs.length / 2)]!, more]) {
        await expectSameOrder(db, 'c', 'v', asOf);
        await expectSameOrder(db, 'c', 'v', asOf, { value: 990, inclusive: true });
      }
    } finally {
      await data.close();
    }
  });

  it('pages a top-k without reading the rest, and ties come in id order in both directions', async () => {
    const fs = new SimFileSystem();
    const data = await openData(fs);
    try {
      const db = await data.create('d', { partitions: 4 });
      for (const id of ['c', 'a', 'b', 'x']) await db.put('c', id, { v: 1 });
      await db.put('c', 'm', { v: 2 });
      await db.put('c', 'n', {});
      await db.put('c', 'l', { v: null });
      await addIndex(db, 'c', 'v');
      await db.whenIndexReady('c', 'v');
      const desc = await drain(db.orderedScan({ coll: 'c', field: 'v', descending: true })!);
      expect(desc.map((row) => row.id)).toEqual(['l', 'n', 'm', 'a', 'b', 'c', 'x']);
      const asc = await drain(db.orderedScan({ coll: 'c', field: 'v', descending: false })!);
      expect(asc.map((row) => row.id)).toEqual(['a', 'b', 'c', 'x', 'm', 'l', 'n']);
      const lower = await drain(db.orderedScan({ coll: 'c', field: 'v', descending: true, lower: { value: 1, inclusive: false } })!);
      expect(lower.map((row) => row.id)).toEqual(['m']);
      // a string bound leaves out every number, null and missing value; bounds of two types match nothing
      expect(await drain(db.orderedScan({ coll: 'c', field: 'v', descending: false, lower: { value: '', inclusive: true } })!)).toEqual([]);
      expect(
        await drain(db.orderedScan({ coll: 'c', field: 'v', descending: false, lower: { value: 0, inclusive: true }, upper: { value: 'z', inclusive: true } })!),
      ).toEqual([]);
    } finally {
      await data.close();
    }
  });

  it('is undefined without a ready index, for mixed types, and for strings longer than a key holds', async () => {
    const fs = new SimFileSystem();
    const data = await openData(fs);
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false }); // only explicit indexes here
      await db.put('c', 'a', { v: 1, w: 'x'.repeat(2000), t: 'a' });
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeUndefined(); // no index
      await addIndex(db, 'c', 'v', 'eq');
      await db.whenIndexReady('c', 'v');
      // eq and sorted definitions on the same fields share one B+tree (core/index/index-definitions.ts): it orders too
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeDefined();
      await addIndex(db, 'c', 'v');
      await addIndex(db, 'c', 'w');
      await addIndex(db, 'c', 't');
      await db.whenIndexReady('c', 'v');
      await db.whenIndexReady('c', 'w');
      await db.whenIndexReady('c', 't');
      expect(db.orderedScan({ coll: 'c', field: 'w', descending: false })).toBeUndefined(); // truncated
      const clean = await db.put('c', 'b', { v: 2, t: 'b' });
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeDefined();
      const mixed = await db.put('c', 'c', { v: 'three', t: 3 });
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeUndefined();
      expect(db.orderedScan({ coll: 'c', field: 't', descending: true })).toBeUndefined();
      await db.delete('c', 'c');
      // HEAD is clean again; a read below HEAD cannot tell and refuses (mixed in history)
      await expectSameOrder(db, 'c', 'v', db.seq);
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false, asOf: clean })).toBeUndefined();
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false, asOf: mixed })).toBeUndefined();
      // objects and arrays are ordered by their text in v1: refused
      await db.put('c', 'd', { t: ['a'] });
      await db.delete('c', 'b');
      expect(db.orderedScan({ coll: 'c', field: 't', descending: false })).toBeUndefined();
      // dropping the definition drops the index
      const v1 = await V1Database.open(db, systemClock);
      expect(await v1.dropIndex('c', 'v')).toBe(true);
      expect(db.sortedIndexInfo('c', 'v')).toBeUndefined();
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false })).toBeUndefined();
      expect(await v1.dropIndex('c', 'v')).toBe(false);
    } finally {
      await data.close();
    }
  });

  it('refuses a read below HEAD when types were mixed at that seq, also for an index built afterwards', async () => {
    const fs = new SimFileSystem();
    const data = await openData(fs);
    try {
      const db = await data.create('d', { partitions: 2 });
      await db.put('c', 'a', { v: '!' });
      const both = await db.put('c', 'b', { v: 5 });
      await db.delete('c', 'a');
      await addIndex(db, 'c', 'v');
      await db.whenIndexReady('c', 'v');
      expect(db.orderedScan({ coll: 'c', field: 'v', descending: false, asOf: both })).toBeUndefined();
      await expectSameOrder(db, 'c', 'v', db.seq); // HEAD holds numbers only
    } finally {
      await data.close();
    }
  });

  it('serves dotted paths and leaves unindexed collections alone', async () => {
    const fs = new SimFileSystem();
    const data = await openData(fs);
    try {
      const db = await data.create('d', { partitions: 3 });
      await addIndex(db, 'c', 'a.b');
      await db.whenIndexReady('c', 'a.b');
      for (let i = 0; i < 30; i++) await db.put('c', `k${i}`, i % 4 === 0 ? { a: 1 } : { a: { b: (i * 5) % 7 } });
      for (let i = 0; i < 5; i++) await db.put('other', `k${i}`, { a: { b: i } });
      const rows = await drain(db.orderedScan({ coll: 'c', field: 'a.b', descending: false })!);
      const all: StoredDocument[] = [];
      for await (const page of db.scan('c')) all.push(...page);
      const value = (doc: Record<string, unknown>) => ((doc.a as Record<string, unknown> | number)?.constructor === Object ? (doc.a as Record<string, unknown>).b : undefined);
      expect(rows.map((row) => row.id)).toEqual(sortByField(all, (row) => value(row.doc), false).map((row) => row.id));
      expect(db.orderedScan({ coll: 'other', field: 'a.b', descending: false })).toBeUndefined();
      expect(db.indexList().map((info) => [info.coll, info.fields.join(','), info.state])).toEqual([['c', 'a.b', 'ready']]);
    } finally {
      await data.close();
    }
  });
});
