// `nedb migrate-v1`'s engine against v1 directories made by the v1-format writer: every document at HEAD and
// AS OF every seq, edges AS OF every seq, index definitions, op metadata and the seq must match what v1 holds;
// damaged files stop with their name and offset and leave no target database.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory, Namespace, V1Database, systemClock } from '../../core/index.js';
import { type MasterKey, type MigrateV1Report, V1MigrationError, migrateV1Database, v1DatabaseFiles, listV1Databases, nodeFileSystemForTests } from './engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runQuery } from '../../nql/index.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { PyFloat, V1Writer } from './v1-writer.js';

const tmkBytes = new Uint8Array(Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'));
const tmk: MasterKey = { bytes: tmkBytes, source: 'NEDB_TMK' };

/** Puts, re-puts, deletes (also of missing docs), links (also re-links), an unlink, a checkpoint, provenance. */
function writeScenario(root: string, name: string, options: { encrypted?: boolean } = {}): V1Writer {
  const w = new V1Writer(root, name, options.encrypted === true ? { tmk: tmkBytes } : {});
  w.put('users', 'u1', { name: 'Alice', age: 30, tags: ['a', 'b'] });
  w.put('users', 'u2', { name: 'Bob', age: 25, score: new PyFloat(2.0) });
  w.put('orders', 'o1', { total: 12.5, user: 'users:u1' }, { client: 'nedb-client', nonce: 5, idem: 'k1' });
  w.link('users:u1', 'buys', 'orders:o1');
  w.put('users', 'u1', { name: 'Alice', age: 31, note: 'héllo “quoted” \u{1F600}\n' }, { causedBy: [0], evidence: 'tool_result', confidence: 0.5, validFrom: '2024-01-01', validTo: '2024-12-31' });
  w.del('users', 'ghost');
  w.put('orders', 'o2', { total: 40 }, { client: 'http' });
  w.link('users:u2', 'buys', 'orders:o2', 'http');
  w.link('users:u1', 'buys', 'orders:o1'); // re-link of a live edge: an op, no new edge
  w.checkpoint();
  w.del('users', 'u2');
  w.put('sessions', 's1', { user: 'u1' }, { ttlS: 3600 });
  w.link('users:u1', 'buys', 'orders:o2');
  w.unlink('users:u1', 'buys', 'orders:o1');
  w.unlink('users:u1', 'buys', 'nothing'); // unlink of a missing edge
  w.putFile('logo.png');
  w.put('users', 'u2', { name: 'Bob again', _id: 'custom' }, { idem: 'k2' });
  w.del('orders', 'o2', { idem: 'k3' });
  w.put('users', 'u3', { nested: { deep: [1, { x: null }] }, empty: {} });
  for (let i = 0; i < 30; i++) w.put('items', `i${i}`, { i, even: i % 2 === 0 });
  for (let i = 0; i < 30; i += 3) w.del('items', `i${i}`);
  w.writeMeta([
    ['users', 'name', 'eq'],
    ['items', 'i', 'ordered'],
  ]);
  return w;
}

async function migrate(root: string, name: string, options: { key?: MasterKey; verifyHashes?: boolean; checkpointEveryOps?: number } = {}): Promise<{ report: MigrateV1Report; data: DataDirectory; nedb: string }> {
  const nedb = tempDir('nedb-migrate-target-');
  const data = await DataDirectory.open(nedb, { checkpointEveryWrites: 0 });
  try {
    const source = await v1DatabaseFiles(nodeFileSystemForTests, root, name);
    if (source === undefined) throw new Error(`${name} is not a v1 database`);
    const report = await migrateV1Database({
      data,
      source,
      tmk: options.key,
      ...(options.verifyHashes === undefined ? {} : { verifyHashes: options.verifyHashes }),
      ...(options.checkpointEveryOps === undefined ? {} : { checkpointEveryOps: options.checkpointEveryOps }),
    });
    return { report, data, nedb };
  } catch (error) {
    await data.close();
    throw error;
  }
}

/** Compares every collection at every seq, HEAD, edges at every seq, and the v1 op metadata. */
async function expectSameAsV1(data: DataDirectory, w: V1Writer): Promise<void> {
  const db = await data.open(w.name);
  expect(db.seq).toBe(w.lastSeq);
  for (let asOf = -1; asOf <= w.lastSeq; asOf++)
    for (const coll of w.collections()) {
      const rows = new Map<string, { seq: number; doc: Record<string, unknown> }>();
      for await (const page of db.scan(coll, { asOf })) for (const row of page) rows.set(row.id, { seq: row.seq, doc: row.doc });
      expect(rows, `${coll} AS OF ${asOf}`).toEqual(w.collectionAsOf(coll, asOf));
    }
  for (const coll of w.collections())
    for (const [id, expected] of w.collectionAsOf(coll, w.lastSeq)) {
      const found = await db.get(coll, id);
      expect(found).toEqual({ id, seq: expected.seq, doc: expected.doc });
    }
  const v1 = await V1Database.open(db, systemClock);
  const pairs = new Set(w.edgeLog.map((event) => JSON.stringify([event.frm, event.rel])));
  for (const pair of pairs) {
    const [frm, rel] = JSON.parse(pair) as [string, string];
    for (let asOf = 0; asOf <= w.lastSeq; asOf++) expect(await v1.neighbors(frm, rel, asOf), `${frm} ${rel} AS OF ${asOf}`).toEqual(w.neighborsAsOf(frm, rel, asOf));
  }
  const log = (await v1.log.log(0)).log.reverse();
  expect(log.map((record) => record.seq)).toEqual(w.ops.map((op) => op.seq));
  for (const [index, record] of log.entries()) {
    const op = w.ops[index]!;
    expect([record.op, record.client, record.nonce, record.idem], `op ${op.seq}`).toEqual([op.op, op.client, op.nonce, op.idem]);
    expect(record.ts).toBeCloseTo(op.ts, 6);
    if (op.op !== 'put') expect(record.payload).toEqual(op.payload);
    else expect(record.payload).toEqual({ ...op.payload, doc: (op.payload.doc as Record<string, unknown>) });
  }
  expect((await v1.log.verify()).ok).toBe(true);
  // What clients see: `FROM c AS OF n` through NQL, rows with `_seq`.
  for (const asOf of [0, 3, 9, 15, w.lastSeq])
    for (const coll of w.collections()) {
      const { rows } = await runQuery(`FROM ${coll} AS OF ${asOf}`, new DatabaseQuerySource(v1, 10_000, () => Date.now()));
      const expected = [...w.collectionAsOf(coll, asOf).values()].map(({ seq, doc }) => ({ ...doc, _seq: seq }));
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a._seq) < String(b._seq) ? -1 : 1);
      expect([...rows].sort(byId), `NQL FROM ${coll} AS OF ${asOf}`).toEqual(expected.sort(byId));
    }
}

describe('migrate-v1 engine', () => {
  it('migrates a plain v1 database: documents, AS OF at every seq, edges, indexes, op metadata, seq', async () => {
    const root = tempDir('nedb-v1-');
    const w = writeScenario(root, 'shop');
    w.close();
    const { report, data } = await migrate(root, 'shop');
    try {
      expect(report.countsMatch).toBe(true);
      expect(report.ops).toBe(w.lastSeq + 1);
      expect(report.encrypted).toBe(false);
      expect(report.collections).toEqual([
        { coll: 'items', expected: 20, actual: 20 },
        { coll: 'orders', expected: 1, actual: 1 },
        { coll: 'sessions', expected: 1, actual: 1 },
        { coll: 'users', expected: 3, actual: 3 },
      ]);
      expect(report.edges).toEqual({ expected: 2, actual: 2 });
      expect(report.indexes).toEqual([
        ['items', 'i', 'ordered'],
        ['users', 'name', 'eq'],
      ]);
      await expectSameAsV1(data, w);
      const db = await data.open('shop');
      // Derived v1 state: idempotency keys, nonce high-water marks, the TTL entry.
      expect((await db.head('idem', 'k1', Namespace.system))?.live).toBe(true);
      expect((await db.get('nonces', 'nedb-client', { ns: Namespace.system }))?.doc).toEqual({ high: 5 });
      expect((await db.get('ttl', JSON.stringify(['sessions', 's1']), { ns: Namespace.system }))?.doc.coll).toBe('sessions');
      expect((await db.get('users', 'u2'))?.doc).toEqual({ name: 'Bob again', _id: 'custom' });
    } finally {
      await data.close();
    }
  });

  it('keeps AS OF history across checkpoints taken during the migration', async () => {
    const root = tempDir('nedb-v1-');
    const w = writeScenario(root, 'shop');
    w.close();
    const { data } = await migrate(root, 'shop', { checkpointEveryOps: 7 });
    try {
      await expectSameAsV1(data, w);
    } finally {
      await data.close();
    }
  });

  it('migrates an encrypted v1 database with the master key', async () => {
    const root = tempDir('nedb-v1-');
    const w = writeScenario(root, 'vault', { encrypted: true });
    w.close();
    expect(readFileSync(join(root, 'vault', 'log.aof'), 'utf8').startsWith('{"enc": 1, "ct": "')).toBe(true);
    const { report, data } = await migrate(root, 'vault', { key: tmk });
    try {
      expect(report.encrypted).toBe(true);
      expect(report.countsMatch).toBe(true);
      await expectSameAsV1(data, w);
    } finally {
      await data.close();
    }
  });

  it('a wrong master key is a clear error naming the database, and leaves nothing', async () => {
    const root = tempDir('nedb-v1-');
    writeScenario(root, 'vault', { encrypted: true }).close();
    const wrong: MasterKey = { bytes: new Uint8Array(32).fill(7), source: 'NEDB_TMK' };
    await expect(migrate(root, 'vault', { key: wrong })).rejects.toThrow(/wrong master key for database vault.*key\.enc/);
    await expect(migrate(root, 'vault')).rejects.toThrow(/database vault is encrypted.*NEDB_TMK/);
  });

  it('a damaged line in the middle stops with the file, byte offset and line, and drops the partial target', async () => {
    const root = tempDir('nedb-v1-');
    const w = writeScenario(root, 'shop');
    let offset = 0;
    w.close((lines) => {
      offset = lines.slice(0, 20).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
      lines[20] = lines[20]!.slice(0, 30);
      return lines;
    });
    const nedb = tempDir('nedb-migrate-target-');
    const data = await DataDirectory.open(nedb);
    try {
      const source = (await v1DatabaseFiles(nodeFileSystemForTests, root, 'shop'))!;
      const failure = await migrateV1Database({ data, source, tmk: undefined }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(V1MigrationError);
      expect((failure as V1MigrationError).location).toEqual({ file: join(root, 'shop', 'log.aof'), offset, line: 21 });
      expect((failure as Error).message).toContain(`log.aof: byte offset ${offset} (line 21): damaged line`);
      expect(await data.exists('shop')).toBe(false);
      expect(existsSync(join(nedb, 'shop'))).toBe(false);
    } finally {
      await data.close();
    }
  });

  it('a seq gap stops with the place and the missing seqs', async () => {
    const root = tempDir('nedb-v1-');
    writeScenario(root, 'shop').close((lines) => lines.filter((_, index) => index !== 10));
    await expect(migrate(root, 'shop', { verifyHashes: false })).rejects.toThrow(/line 11\): seq gap: expected seq 10, found 11/);
  });

  it('checks v1 hash chain: an edited line fails, and verifyHashes: false lets it through', async () => {
    const root = tempDir('nedb-v1-');
    writeScenario(root, 'shop').close((lines) => lines.map((line, index) => (index === 4 ? line.replace('Alice', 'Alicf') : line)));
    await expect(migrate(root, 'shop')).rejects.toThrow(/line 5\): hash mismatch at seq 4/);
    const { report, data } = await migrate(root, 'shop', { verifyHashes: false });
    expect(report.countsMatch).toBe(true);
    await data.close();
  });

  it('fills seqs log.aof lacks from snapshot.json, and errors when neither has them', async () => {
    const root = tempDir('nedb-v1-');
    const w = writeScenario(root, 'shop');
    w.writeSnapshot();
    const cut = 12;
    w.close((lines) => lines.slice(cut));
    const { report, data } = await migrate(root, 'shop');
    try {
      expect(report.filledFromSnapshot).toBe(cut);
      expect(report.countsMatch).toBe(true);
      const db = await data.open('shop');
      expect(db.seq).toBe(w.lastSeq);
      // HEAD equals v1's; before the cut each key has only its snapshot value, at the seq that wrote it (v1 after a restart).
      for (const coll of w.collections()) {
        const rows = new Map<string, unknown>();
        for await (const page of db.scan(coll)) for (const row of page) rows.set(row.id, { seq: row.seq, doc: row.doc });
        expect(rows).toEqual(w.collectionAsOf(coll, w.lastSeq));
      }
      expect((await db.get('orders', 'o1', { asOf: 2 }))?.doc).toEqual({ total: 12.5, user: 'users:u1', _id: 'o1' });
    } finally {
      await data.close();
    }
    writeFileSync(join(root, 'shop', 'snapshot.json'), JSON.stringify({ version: 1, seq: 5, store: {}, relations: {} }));
    await expect(migrate(root, 'shop')).rejects.toThrow(/log.aof starts at seq 12 but snapshot.json ends at seq 5/);
  });

  it('refuses an existing target database', async () => {
    const root = tempDir('nedb-v1-');
    writeScenario(root, 'shop').close();
    const nedb = tempDir('nedb-migrate-target-');
    const data = await DataDirectory.open(nedb);
    try {
      await data.create('shop');
      const source = (await v1DatabaseFiles(nodeFileSystemForTests, root, 'shop'))!;
      await expect(migrateV1Database({ data, source, tmk: undefined })).rejects.toThrow(/database shop already exists.*drop it first.*--db/);
      expect(await data.exists('shop')).toBe(true);
    } finally {
      await data.close();
    }
  });

  it('lists the databases of a v1 root: directories with log.aof or meta.json', async () => {
    const root = tempDir('nedb-v1-');
    writeScenario(root, 'b').close();
    new V1Writer(root, 'a').writeMeta([]);
    new V1Writer(root, 'not-a-db');
    expect((await listV1Databases(nodeFileSystemForTests, root)).map((db) => db.name)).toEqual(['a', 'b']);
    const { report, data } = await migrate(root, 'a');
    expect([report.ops, report.documents]).toEqual([0, 0]);
    await data.close();
  });
});
