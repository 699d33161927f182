// Compound, eq and search indexes in the engine and the planner paths that use them: an index-ordered read
// on [equality fields..., ORDER BY field], id lookups (equality, IN, ranges, SEARCH) intersected and fetched
// in id order, all equal to a full scan; persisted and loaded by a checkpoint; chosen by the cost model from
// the database's statistics and shown by EXPLAIN.
import { describe, expect, it } from 'vitest';
import { DataDirectory, V1Database, systemClock, type Database } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { runQuery } from '../../nql/executor.js';
import { tempDir } from '../helpers/temp-dir.js';

const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

async function openData(fs: SimFileSystem): Promise<DataDirectory> {
  return DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0, durability: 'async' });
}

/** Blocks: height i, miner m(i % 7), a tag text; some without a miner, one with a numeric miner. */
async function fillBlocks(db: Database, count: number): Promise<void> {
  const ops = [];
  for (let i = 0; i < count; i++) {
    const doc: Record<string, unknown> = { height: i, tags: `block number ${i % 5 === 0 ? 'round' : 'odd'} ${i % 3 === 0 ? 'third' : ''}` };
    if (i % 11 !== 0) doc['miner'] = `m${i % 7}`;
    ops.push({ op: 'put' as const, coll: 'b', id: `b${String(i).padStart(4, '0')}`, doc });
  }
  await db.batch(ops);
}

function sourceOf(v1: V1Database): DatabaseQuerySource {
  return new DatabaseQuerySource(v1, 60_000, () => performance.now());
}

async function explainKinds(v1: V1Database, text: string): Promise<string[]> {
  const result = await runQuery(`EXPLAIN ${text}`, sourceOf(v1));
  return result.rows.map((row) => String(row['kind']));
}

describe('compound indexes', () => {
  it('read [miner, height] in height order for one miner, both directions, AS OF, and match a scan', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 3, lazyIndexes: false });
      await fillBlocks(db, 400);
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('b', ['miner', 'height'], 'sorted');
      await db.whenIndexReady('b', ['miner', 'height']);
      const before = db.seq;
      await db.put('b', 'b0001', { height: 1_000, miner: 'm3' }); // moves a block to another miner and the top
      const plain = await (async () => {
        const other = await data.create('plain', { partitions: 2, lazyIndexes: false });
        await fillBlocks(other, 400);
        await other.put('b', 'b0001', { height: 1_000, miner: 'm3' });
        return V1Database.open(other, systemClock);
      })();
      for (const text of [
        "FROM b WHERE miner = 'm3' ORDER BY height DESC LIMIT 20",
        "FROM b WHERE miner = 'm3' ORDER BY height LIMIT 5 OFFSET 3",
        "FROM b WHERE miner = 'm3' AND height < 100 ORDER BY height DESC LIMIT 4",
        "FROM b WHERE miner = 'm1' AND height >= 10 AND height <= 50 ORDER BY height",
      ]) {
        expect(await explainKinds(v1, text)).toContain('IndexOrderedScan');
        expect((await runQuery(text, sourceOf(v1))).rows, text).toEqual((await runQuery(text, sourceOf(plain))).rows);
      }
      const asOf = `FROM b AS OF ${before} WHERE miner = 'm3' ORDER BY height DESC LIMIT 3`;
      const rows = (await runQuery(asOf, sourceOf(v1))).rows;
      expect(rows.map((row) => row['height'])).toEqual([395, 388, 381]);
      expect(rows).toEqual((await runQuery(asOf, sourceOf(plain))).rows);
      // The listing names the compound index by its fields; v1's view joins them with ","; DELETE takes that name.
      expect(v1.indexes()).toEqual([['b', 'miner,height', 'sorted']]);
      expect(db.indexInfo('b', ['miner', 'height'])).toMatchObject({ state: 'ready', entries: 401 });
      expect(await v1.dropIndex('b', ['miner', 'height'])).toBe(true);
      expect(db.indexInfo('b', ['miner', 'height'])).toBeUndefined();
    } finally {
      await data.close();
    }
  });

  it('keeps a field named "a,b" one field, apart from the compound [a, b]', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 1, lazyIndexes: false });
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'a,b', 'sorted');
      await v1.addIndex('c', ['a', 'b'], 'sorted');
      expect(db.indexList().map((info) => info.fields)).toEqual([['a,b'], ['a', 'b']]);
      await expect(v1.addIndex('c', [], 'sorted')).rejects.toMatchObject({ code: 'INDEX_FIELDS_INVALID' });
      await expect(v1.addIndex('c', ['a', 'b'], 'search')).rejects.toMatchObject({ code: 'INDEX_FIELDS_INVALID' });
    } finally {
      await data.close();
    }
  });
});

describe('index lookups', () => {
  it('answer equality, IN, ranges without ORDER BY and intersections in id order, as a scan does', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false });
      await fillBlocks(db, 600);
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('b', 'height', 'sorted');
      await v1.addIndex('b', 'miner', 'eq');
      await db.whenIndexReady('b', 'height');
      await db.whenIndexReady('b', 'miner');
      await db.delete('b', 'b0101');
      await db.put('b', 'b0102', { height: 'tall', miner: 'm2' }); // another type: out of every numeric range
      const plain = await data.create('plain', { partitions: 3, lazyIndexes: false });
      await fillBlocks(plain, 600);
      await plain.delete('b', 'b0101');
      await plain.put('b', 'b0102', { height: 'tall', miner: 'm2' });
      const plainV1 = await V1Database.open(plain, systemClock);
      const cases: [string, string][] = [
        ['FROM b WHERE height >= 100 AND height < 110', 'IndexLookup'],
        ["FROM b WHERE miner = 'm2'", 'IndexLookup'],
        ["FROM b WHERE miner IN ('m2', 'm5') AND height BETWEEN 90 AND 140", 'IndexLookup'],
        ["FROM b WHERE miner = 'm2' AND height > 500 SELECT height", 'IndexLookup'],
        ["FROM b WHERE height = 'tall'", 'IndexLookup'],
        ['FROM b WHERE height > 5', 'FullScan'], // most of the collection: a scan is cheaper
      ];
      for (const [text, kind] of cases) {
        expect(await explainKinds(v1, text), text).toContain(kind);
        expect((await runQuery(text, sourceOf(v1))).rows, text).toEqual((await runQuery(text, sourceOf(plainV1))).rows);
      }
      // Two reads intersected: the rarer first, the other only when it saves more fetches than it reads.
      const explained = await runQuery("EXPLAIN FROM b WHERE miner = 'm2' AND height >= 100 AND height < 130", sourceOf(v1));
      const lookup = explained.rows.find((row) => row['kind'] === 'IndexLookup')!;
      expect((lookup['indexes'] as unknown[]).length).toBe(2);
      expect(lookup['actualRows']).toBe((await runQuery("FROM b WHERE miner = 'm2' AND height >= 100 AND height < 130", sourceOf(plainV1))).count);
    } finally {
      await data.close();
    }
  });

  it('answers SEARCH through the search index with the same rows as without it, AS OF included', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false });
      await fillBlocks(db, 300);
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('b', 'tags', 'search');
      await db.whenSearchIndexReady('b');
      const before = db.seq;
      await db.put('b', 'b0000', { tags: 'no longer round' });
      await db.put('b', 'b0005', { tags: 'renamed' });
      const plain = await data.create('plain', { partitions: 1, lazyIndexes: false });
      await fillBlocks(plain, 300);
      await plain.put('b', 'b0000', { tags: 'no longer round' });
      await plain.put('b', 'b0005', { tags: 'renamed' });
      const plainV1 = await V1Database.open(plain, systemClock);
      for (const text of ["FROM b SEARCH 'round third'", `FROM b AS OF ${before} SEARCH 'ROUND'`, "FROM b WHERE height < 50 SEARCH 'round'", "FROM b SEARCH 'absent'"]) {
        expect(await explainKinds(v1, text), text).toContain('IndexLookup');
        expect((await runQuery(text, sourceOf(v1))).rows, text).toEqual((await runQuery(text, sourceOf(plainV1))).rows);
      }
      expect(db.searchIndexInfo('b')).toMatchObject({ state: 'ready', structure: 'search' });
    } finally {
      await data.close();
    }
  });
});

describe('persisted compound and search indexes', () => {
  it('are written by a checkpoint and loaded at start, then caught up with the log tail', async () => {
    const dir = tempDir();
    let data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    let db = await data.create('d', { partitions: 2, lazyIndexes: false });
    await fillBlocks(db, 200);
    let v1 = await V1Database.open(db, systemClock);
    await v1.addIndex('b', ['miner', 'height'], 'sorted');
    await v1.addIndex('b', 'tags', 'search');
    await db.whenIndexReady('b', ['miner', 'height']);
    await db.whenSearchIndexReady('b');
    await db.checkpoint();
    await db.put('b', 'b0003', { height: 999, miner: 'm0', tags: 'tail write' });
    const text = "FROM b WHERE miner = 'm0' ORDER BY height DESC LIMIT 3";
    const expected = (await runQuery(text, sourceOf(v1))).rows;
    await data.close();

    data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    db = await data.open('d');
    await db.whenIndexReady('b', ['miner', 'height']);
    await db.whenSearchIndexReady('b');
    expect(db.indexInfo('b', ['miner', 'height'])).toMatchObject({ loaded: true, state: 'ready' });
    expect(db.searchIndexInfo('b')).toMatchObject({ loaded: true, state: 'ready' });
    v1 = await V1Database.open(db, systemClock);
    expect((await runQuery(text, sourceOf(v1))).rows).toEqual(expected);
    expect((await runQuery("FROM b SEARCH 'tail'", sourceOf(v1))).rows.map((row) => row['height'])).toEqual([999]);
    await data.close();
  });
});

describe('lazy compound indexes', () => {
  it('are created for an equality + ORDER BY query, and later queries read them', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 2 });
      await fillBlocks(db, 300);
      const v1 = await V1Database.open(db, systemClock);
      const text = "FROM b WHERE miner = 'm4' ORDER BY height DESC LIMIT 5";
      const first = await runQuery(text, sourceOf(v1));
      expect(await explainKinds(v1, text)).toContain('FullScan');
      await waitFor(() => db.indexInfo('b', ['miner', 'height'])?.state === 'ready');
      expect(v1.lazyIndexes().map((spec) => spec.fields)).toEqual([['miner', 'height']]);
      expect(v1.indexes()).toEqual([]); // not in v1's view
      expect(await explainKinds(v1, text)).toContain('IndexOrderedScan');
      expect((await runQuery(text, sourceOf(v1))).rows).toEqual(first.rows);
    } finally {
      await data.close();
    }
  });
});

describe('lazy indexes for queries without ORDER BY', () => {
  it('an equality query creates a sorted index on its field; later queries look ids up in it', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 2 });
      await fillBlocks(db, 500);
      const v1 = await V1Database.open(db, systemClock);
      const text = "FROM b WHERE miner = 'm4' AND height < 100";
      const first = await runQuery(text, sourceOf(v1));
      await waitFor(() => db.indexInfo('b', ['miner'])?.state === 'ready');
      expect(v1.lazyIndexes().map((spec) => spec.fields)).toEqual([['miner']]);
      expect(await explainKinds(v1, text)).toContain('IndexLookup');
      expect((await runQuery(text, sourceOf(v1))).rows).toEqual(first.rows);
      // A range open on one side keeps most of the collection: no index is wanted for it.
      await runQuery('FROM b WHERE height > 3', sourceOf(v1));
      expect(v1.lazyIndexes()).toHaveLength(1);
    } finally {
      await data.close();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('descending reads with long runs of equal values', () => {
  it('give ids ascending within each run, in pages, whether a run fits the buffer or not', async () => {
    const data = await openData(new SimFileSystem());
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false });
      const ops = [];
      // 2,600 documents: v 2 for 1,500 of them (a run longer than the 1,024-id buffer), 1 for 600, missing for 500.
      for (let i = 0; i < 2600; i++) ops.push({ op: 'put' as const, coll: 'c', id: `k${(i * 7919) % 2600}`, doc: i < 1500 ? { v: 2 } : i < 2100 ? { v: 1 } : {} });
      await db.batch(ops);
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'v', 'sorted');
      await db.whenIndexReady('c', 'v');
      const all: { id: string; v: unknown }[] = [];
      for await (const page of db.scan('c')) for (const row of page) all.push({ id: row.id, v: row.doc['v'] });
      // v1's DESC: missing first, then 2, then 1; ties in id (code point) order.
      const rank = (v: unknown): number => (v === undefined ? 0 : v === 2 ? 1 : 2);
      const expected = all.sort((a, b) => rank(a.v) - rank(b.v) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((row) => row.id);
      const read: string[] = [];
      for await (const page of db.orderedScan({ coll: 'c', field: 'v', descending: true })!) read.push(...page.map((row) => row.id));
      expect(read).toEqual(expected);
      // A LIMIT deep into the long run: the index read (pages of 16, 64, … ids) against the scan and sort.
      const text = 'FROM c ORDER BY v DESC LIMIT 7 OFFSET 1000';
      expect(await explainKinds(v1, text)).toContain('IndexOrderedScan');
      const plain = await data.create('plain', { partitions: 1, lazyIndexes: false });
      await plain.batch(ops);
      expect((await runQuery(text, sourceOf(v1))).rows).toEqual((await runQuery(text, sourceOf(await V1Database.open(plain, systemClock)))).rows);
    } finally {
      await data.close();
    }
  });
});

describe('an index built after the last checkpoint', () => {
  it('is persisted by a checkpoint with no new writes, and loaded at the next start', async () => {
    const dir = tempDir();
    let data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    let db = await data.create('d', { partitions: 2, lazyIndexes: false });
    await fillBlocks(db, 100);
    await db.checkpoint();
    const v1 = await V1Database.open(db, systemClock);
    await v1.addIndex('b', ['miner', 'height'], 'sorted');
    await db.whenIndexReady('b', ['miner', 'height']);
    const outcome = await db.checkpoint();
    expect(outcome.snapshotsWritten).toBe(0); // no write since the last one: the snapshots stand
    await data.close();
    data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    db = await data.open('d');
    await db.whenIndexReady('b', ['miner', 'height']);
    expect(db.indexInfo('b', ['miner', 'height'])).toMatchObject({ loaded: true, entries: 100 });
    await data.close();
  });
});
