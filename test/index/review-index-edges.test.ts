// Edge cases a review of the index layer found (each failed before its fix): string bounds and cut keys where
// NUL escapes make a key longer than its UTF-8, lone surrogates keyed as U+FFFD, the lazy-index caps under
// concurrent queries, and DELETE by fields. Each compares the indexed answer with a scan-only source's.
import { describe, expect, it } from 'vitest';
import { DataDirectory, V1Database, systemClock } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { runQuery } from '../../nql/executor.js';

const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

async function openData(fs = new SimFileSystem()): Promise<DataDirectory> {
  return DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0, durability: 'async' });
}

function sourceOf(v1: V1Database): DatabaseQuerySource {
  return new DatabaseQuerySource(v1, 60_000, () => performance.now());
}

/** A source that never uses an index: the reference answer. */
class ScanOnlySource extends DatabaseQuerySource {
  override orderedScan(): undefined {
    return undefined;
  }

  override indexCatalog(): never[] {
    return [];
  }
}

async function both(v1: V1Database, text: string): Promise<{ indexed: unknown[]; scanned: unknown[] }> {
  const indexed = (await runQuery(text, sourceOf(v1))).rows;
  const scanned = (await runQuery(text, new ScanOnlySource(v1, 60_000, () => performance.now()))).rows;
  return { indexed, scanned };
}

describe('index edge cases', () => {
  it('a string bound that NUL escapes would cut never bounds an index read', async () => {
    const data = await openData();
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false });
      const nul = '\u0000'.repeat(600);
      await db.put('c', 'x1', { f: nul + 'b' });
      await db.put('c', 'x2', { f: nul + 'a' });
      for (let i = 0; i < 200; i++) await db.put('c', `z${i}`, { f: `s${i}` });
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'f', 'sorted');
      await db.whenIndexReady('c', 'f');
      const text = `FROM c WHERE f < '${nul}b' AND f >= '${nul}'`;
      const r = await both(v1, text);
      expect(r.indexed).toEqual(r.scanned);
    } finally {
      await data.close();
    }
  });

  it('strings cut only by NUL escapes keep the index from ordering AS OF reads after they left HEAD', async () => {
    const data = await openData();
    try {
      const db = await data.create('d', { partitions: 2, lazyIndexes: false });
      const nul = '\u0000'.repeat(600);
      await db.put('c', 'a1', { f: nul + 'b' });
      await db.put('c', 'a2', { f: nul + 'a' });
      for (let i = 0; i < 50; i++) await db.put('c', `z${i}`, { f: `s${i}` });
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'f', 'sorted');
      await db.whenIndexReady('c', 'f');
      const before = db.seq;
      await db.put('c', 'a1', { f: 'short1' });
      await db.put('c', 'a2', { f: 'short2' });
      const text = `FROM c AS OF ${before} ORDER BY f LIMIT 3`;
      const r = await both(v1, text);
      expect(r.indexed).toEqual(r.scanned);
    } finally {
      await data.close();
    }
  });

  it('a lone surrogate (keyed as U+FFFD) keeps the index from string ranges and orders', async () => {
    const data = await openData();
    try {
      const db = await data.create('d', { partitions: 1, lazyIndexes: false });
      await db.put('c', 'a', { f: '\uD800' });
      await db.put('c', 'b', { f: '\uE000' });
      await db.put('c', 'c', { f: '\uFFFF' });
      for (let i = 0; i < 300; i++) await db.put('c', `z${i}`, { f: `s${i}` });
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'f', 'sorted');
      await db.whenIndexReady('c', 'f');
      for (const text of ["FROM c WHERE f > '\uFFFE'", "FROM c WHERE f >= '\uE000' ORDER BY f LIMIT 3"]) {
        const r = await both(v1, text);
        expect(r.indexed, text).toEqual(r.scanned);
      }
    } finally {
      await data.close();
    }
  });

  it('concurrent queries on different fields create no more lazy indexes than lazyIndexesPerCollectionMax (4)', async () => {
    const data = await openData();
    try {
      const db = await data.create('d', { partitions: 1 });
      await db.put('c', 'x', { a: 1 });
      const v1 = await V1Database.open(db, systemClock);
      await Promise.all(Array.from({ length: 10 }, (_, i) => runQuery(`FROM c WHERE f${i} = 1`, sourceOf(v1))));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(v1.lazyIndexes().length).toBeLessThanOrEqual(4);
    } finally {
      await data.close();
    }
  });

  it('drops a one-field index named "a,b" apart from the compound [a, b]', async () => {
    const data = await openData();
    try {
      const db = await data.create('d', { partitions: 1, lazyIndexes: false });
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'a,b', 'sorted');
      await v1.addIndex('c', ['a', 'b'], 'sorted');
      expect(await v1.dropIndex('c', 'a,b')).toBe(true);
      expect(db.indexList().map((info) => info.fields)).toEqual([['a', 'b']]);
      expect(await v1.dropIndex('c', ['a', 'b'])).toBe(true);
      expect(db.indexList()).toEqual([]);
    } finally {
      await data.close();
    }
  });
});
