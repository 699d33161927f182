// The decoded-document cache (core/document-cache.ts, core/cached-reads.ts): bounded by entries and bytes,
// keyed by version so MVCC reads never see another version than the store names (old reads after new ones and
// the reverse, across checkpoints, with writes in flight), and frozen so no caller can change what the next
// read returns.
import { describe, expect, it } from 'vitest';
import { DataDirectory, V1Database, systemClock, type Database } from '../../core/index.js';
import { DocumentCache, approximateBytes } from '../../core/document-cache.js';
import { documentCacheEntriesMax } from '../../core/limits.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { runQuery } from '../../nql/index.js';
import { Prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';

type Doc = Record<string, unknown>;

function doc(n: number): Doc {
  return { n, nested: { list: [n, { deep: `v${n}` }] } };
}

describe('DocumentCache', () => {
  it('holds at most entriesMax entries, evicting the oldest not read since it was last passed', () => {
    const cache = new DocumentCache({ entriesMax: 3, bytesMax: 1 << 20 });
    for (const n of [1, 2, 3]) cache.add(0, 'c', `k${n}`, n, doc(n), 10);
    expect(cache.get(0, 'c', 'k1', 1)).toEqual(doc(1)); // k1 gets a second chance
    cache.add(0, 'c', 'k4', 4, doc(4), 10);
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect(cache.get(0, 'c', 'k2', 2)).toBeUndefined();
    for (const [id, seq] of [['k1', 1], ['k3', 3], ['k4', 4]] as const) expect(cache.get(0, 'c', id, seq)).toBeDefined();
    for (let n = 5; n < 100; n++) cache.add(0, 'c', `k${n}`, n, doc(n), 10);
    expect(cache.stats().entries).toBe(3);
  });

  it('holds at most bytesMax approximate bytes and skips documents too large to be worth it', () => {
    const bytesMax = 40 * approximateBytes(100, 30);
    const cache = new DocumentCache({ entriesMax: 1000, bytesMax });
    for (let n = 0; n < 50; n++) cache.add(0, 'coll', `key-${n}`.padEnd(12, '.'), n, doc(n), 100);
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(bytesMax);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThan(50);
    const huge = { blob: 'x' };
    const returned = cache.add(0, 'coll', 'huge', 1, huge, bytesMax);
    expect(returned).toBe(huge);
    expect(Object.isFrozen(huge)).toBe(false);
    expect(cache.get(0, 'coll', 'huge', 1)).toBeUndefined();
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('freezes what it caches, deeply, and leaves documents freezing cannot protect uncached and unfrozen', () => {
    const cache = new DocumentCache({ entriesMax: 10, bytesMax: 1 << 20 });
    const cached = cache.add(0, 'c', 'a', 1, doc(1), 10);
    expect(Object.isFrozen(cached)).toBe(true);
    const nested = cached['nested'] as { list: unknown[] };
    expect(Object.isFrozen(nested)).toBe(true);
    expect(Object.isFrozen(nested.list)).toBe(true);
    expect(Object.isFrozen(nested.list[1])).toBe(true);
    for (const odd of [{ bytes: new Uint8Array([1, 2]) }, { at: new Date(0) }, { inner: { bytes: new Uint8Array(1) } }]) {
      const returned = cache.add(0, 'c', 'odd', 1, odd, 10);
      expect(returned).toBe(odd);
      expect(Object.isFrozen(odd)).toBe(false);
      expect(cache.get(0, 'c', 'odd', 1)).toBeUndefined();
    }
  });

  it('keeps its bounds and its answers under random adds and reads, versions that share a seq included', () => {
    const prng = new Prng(66);
    const cache = new DocumentCache({ entriesMax: 20, bytesMax: 24 * approximateBytes(10, 4) });
    const added = new Map<string, Doc>();
    for (let step = 0; step < 5000; step++) {
      const ns = prng.below(2) as 0 | 1;
      const id = `i${prng.below(4)}`;
      const seq = prng.below(60);
      const name = `${ns}/${id}/${seq}`;
      if (prng.below(2) === 0) {
        const cached = cache.add(ns, 'c', id, seq, doc(step), 10);
        if (Object.isFrozen(cached)) added.set(name, cached); // cached now (a version already held is not replaced)
        else expect(cache.get(ns, 'c', id, seq)).toBe(added.get(name));
      } else {
        const found = cache.get(ns, 'c', id, seq);
        if (found !== undefined) expect(found).toBe(added.get(name));
      }
      const stats = cache.stats();
      expect(stats.entries).toBeLessThanOrEqual(20);
      expect(stats.bytes).toBeLessThanOrEqual(24 * approximateBytes(10, 4));
    }
    let held = 0;
    for (const name of added.keys()) {
      const [ns, id, seq] = name.split('/');
      if (cache.get(Number(ns) as 0 | 1, 'c', id!, Number(seq)) !== undefined) held++;
    }
    expect(held).toBe(cache.stats().entries);
  });

  it('tells apart versions that share a seq (an op and its attached ops) and keys that share a version seq', () => {
    const cache = new DocumentCache({ entriesMax: 10, bytesMax: 1 << 20 });
    const names: [0 | 1, string, string][] = [[0, 'a:1', 'b'], [0, 'a', ':1b'], [1, 'a:1', 'b'], [0, 'a:1', 'c']];
    names.forEach(([ns, coll, id], n) => cache.add(ns, coll, id, 5, doc(n), 10));
    names.forEach(([ns, coll, id], n) => expect(cache.get(ns, coll, id, 5)).toEqual(doc(n)));
    expect(cache.get(0, 'a:1', 'b', 6)).toBeUndefined();
    expect(cache.stats().entries).toBe(4);
  });
});

async function openDb(): Promise<{ data: DataDirectory; db: Database }> {
  const data = await DataDirectory.open(tempDir(), { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
  return { data, db: await data.create('d', { partitions: 4, lazyIndexes: false }) };
}

/** The model's answer: the newest version of `id` at or below `asOf`, or undefined when missing or deleted. */
function modelAt(history: Map<string, { seq: number; doc: Doc | null }[]>, id: string, asOf: number): { seq: number; doc: Doc } | undefined {
  let found: { seq: number; doc: Doc | null } | undefined;
  for (const version of history.get(id) ?? []) if (version.seq <= asOf && (found === undefined || version.seq > found.seq)) found = version;
  return found === undefined || found.doc === null ? undefined : { seq: found.seq, doc: found.doc };
}

describe('Database reads through the document cache', () => {
  it('returns exactly the version at the read seq: old reads after new ones and the reverse, across checkpoints', async () => {
    const { data, db } = await openDb();
    try {
      const s1 = await db.put('c', 'k', { v: 1 });
      expect((await db.get('c', 'k'))?.doc).toEqual({ v: 1 }); // cached from the overlay
      const s2 = await db.put('c', 'k', { v: 2 });
      expect((await db.get('c', 'k'))?.doc).toEqual({ v: 2 });
      expect((await db.get('c', 'k', { asOf: s1 }))?.doc).toEqual({ v: 1 });
      await db.checkpoint();
      expect((await db.get('c', 'k'))).toEqual({ id: 'k', seq: s2, doc: { v: 2 } }); // the snapshot's head, by seq
      expect((await db.get('c', 'k', { asOf: s1 }))?.doc).toEqual({ v: 1 }); // history in the snapshot
      const s3 = await db.delete('c', 'k');
      expect(await db.get('c', 'k')).toBeUndefined();
      expect((await db.get('c', 'k', { asOf: s3 - 1 }))?.doc).toEqual({ v: 2 });
      const s4 = await db.put('c', 'k', { v: 4 });
      await db.checkpoint();
      expect(await db.get('c', 'k', { asOf: s3 })).toBeUndefined();
      expect((await db.get('c', 'k', { asOf: s4 }))?.doc).toEqual({ v: 4 });
      expect((await db.get('c', 'k', { asOf: s2 }))?.doc).toEqual({ v: 2 });
      expect(db.documentCacheStats().hits).toBeGreaterThan(0);
    } finally {
      await data.close();
    }
  });

  it('matches a model under concurrent writes and reads at random seqs', async () => {
    const { data, db } = await openDb();
    const history = new Map<string, { seq: number; doc: Doc | null }[]>();
    const reads: { id: string; asOf: number; got: Promise<{ seq: number; doc: Doc } | undefined> }[] = [];
    const prng = new Prng(6);
    try {
      for (let round = 0; round < 40; round++) {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 8; i++) {
          const id = `k${prng.below(6)}`;
          const remove = prng.below(5) === 0;
          const written: Doc = { id, round, i, nested: { r: round } };
          const write = remove ? db.delete('c', id, { durability: 'async' }) : db.put('c', id, written, { durability: 'async' });
          writes.push(write.then((seq) => {
            const versions = history.get(id) ?? [];
            versions.push({ seq, doc: remove ? null : written });
            history.set(id, versions);
          }));
          // Reads while the writes are in flight, at HEAD (whatever is visible then) and at older seqs.
          const head = db.seq;
          for (const asOf of [head, Math.max(-1, head - prng.below(20)), undefined]) {
            const readId = `k${prng.below(6)}`;
            const seq = asOf ?? db.seq;
            reads.push({ id: readId, asOf: seq, got: db.get('c', readId, { asOf: seq }).then((found) => found && { seq: found.seq, doc: found.doc }) });
          }
        }
        await Promise.all(writes);
        if (round % 10 === 9) await db.checkpoint();
      }
      for (const read of reads) expect(await read.got).toEqual(modelAt(history, read.id, read.asOf));
      // Every key at every seq, again (now mostly from the cache and the snapshots).
      for (let asOf = -1; asOf <= db.seq; asOf++)
        for (let k = 0; k < 6; k++) {
          const found = await db.get('c', `k${k}`, { asOf });
          expect(found && { seq: found.seq, doc: found.doc }).toEqual(modelAt(history, `k${k}`, asOf));
        }
    } finally {
      await data.close();
    }
  });

  it('serves index-ordered reads from the cache with the right versions, whatever the first page size', async () => {
    const { data, db } = await openDb();
    try {
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'h', 'sorted');
      for (let h = 0; h < 40; h++) await db.put('c', `id${h}`, { h, tag: 'first' });
      await db.whenIndexReady('c', 'h');
      const read = async (firstPageRows: number | undefined, asOf?: number) => {
        const rows: { id: string; seq: number; doc: Doc }[] = [];
        for await (const page of db.orderedScan({ coll: 'c', field: 'h', descending: true, asOf, firstPageRows })!) rows.push(...page);
        return rows;
      };
      const before = await read(undefined);
      const beforeSeq = db.seq;
      expect(before.map((row) => row.doc.h)).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
      await db.checkpoint();
      for (let h = 30; h < 40; h++) await db.put('c', `id${h}`, { h: h - 100, tag: 'second' });
      const after = await read(11);
      expect(after.slice(0, 3).map((row) => row.doc)).toEqual([{ h: 29, tag: 'first' }, { h: 28, tag: 'first' }, { h: 27, tag: 'first' }]);
      expect(after.at(-1)?.doc).toEqual({ h: -70, tag: 'second' });
      for (const firstPageRows of [undefined, 1, 3, 11, 100]) {
        expect(await read(firstPageRows, beforeSeq)).toEqual(before);
        expect(await read(firstPageRows)).toEqual(after);
      }
    } finally {
      await data.close();
    }
  });

  it('keeps a caller changing a document it read from changing what later reads return', async () => {
    const { data, db } = await openDb();
    try {
      const v1 = await V1Database.open(db, systemClock);
      await v1.addIndex('c', 'v', 'sorted');
      const seq = await db.put('c', 'k', { v: 1, nested: { list: [1, 2] } });
      // Enough rows below it that reading the index in order is the cheapest plan.
      await db.batch(Array.from({ length: 200 }, (_, i) => ({ op: 'put' as const, coll: 'c', id: `low${i}`, doc: { v: -i } })));
      await db.whenIndexReady('c', 'v');
      const first = await db.get('c', 'k');
      const second = await db.get('c', 'k');
      expect(second?.doc).toBe(first?.doc); // one shared, frozen copy
      expect(() => {
        first!.doc['v'] = 99;
      }).toThrow(TypeError);
      expect(() => {
        (first!.doc['nested'] as { list: number[] }).list.push(3);
      }).toThrow(TypeError);
      expect((await db.get('c', 'k'))?.doc).toEqual({ v: 1, nested: { list: [1, 2] } });

      // Index-ordered query rows come from the cache; each row is the executor's copy (it adds `_seq`), so
      // changing one does not reach the next query, and what it shares with the cache is frozen.
      const query = async () => (await runQuery('FROM c ORDER BY v DESC LIMIT 1', new DatabaseQuerySource(v1, 60_000, () => performance.now()))).rows;
      const rows = await query();
      rows[0]!['v'] = 99;
      delete rows[0]!['_seq'];
      expect(() => {
        (rows[0]!['nested'] as { list: number[] }).list.push(3);
      }).toThrow(TypeError);
      expect(await query()).toEqual([{ v: 1, nested: { list: [1, 2] }, _seq: seq }]);
      expect(db.documentCacheStats().hits).toBeGreaterThan(3);
    } finally {
      await data.close();
    }
  });

  it('stays within its entry bound', async () => {
    const { data, db } = await openDb();
    try {
      const docs = documentCacheEntriesMax + 500;
      for (let start = 0; start < docs; start += 1000)
        await db.batch(Array.from({ length: Math.min(1000, docs - start) }, (_, i) => ({ op: 'put' as const, coll: 'c', id: `k${start + i}`, doc: { n: start + i } })), { durability: 'async' });
      for (let n = 0; n < docs; n++) await db.get('c', `k${n}`);
      const stats = db.documentCacheStats();
      expect(stats.entries).toBe(documentCacheEntriesMax);
      expect(stats.evictions).toBe(500);
      expect((await db.get('c', 'k0'))?.doc).toEqual({ n: 0 });
      db.clearDocumentCache();
      expect(db.documentCacheStats().entries).toBe(0);
    } finally {
      await data.close();
    }
  });
});
