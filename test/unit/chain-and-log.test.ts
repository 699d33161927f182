// The hash chain, attached ops, reading the log back, and commit events.
import { describe, expect, it } from 'vitest';
import { DataDirectory, Namespace } from '../../core/index.js';
import { genesisHeadHex, opHash, toHex } from '../../core/chain.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('hash chain and log', () => {
  it('folds every op in seq order, the same after a checkpoint and a restart', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 4 });
    expect(db.chainHead).toBe(genesisHeadHex);
    const heads: string[] = [];
    for (let i = 0; i < 6; i++) {
      await db.put('c', `k${i}`, { i });
      heads.push(db.chainHead);
      if (i === 2) await db.checkpoint();
    }
    expect(new Set(heads).size).toBe(6);
    const ops = await db.readOps(0, 5);
    expect(ops.map((op) => op.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    let head = new Uint8Array(32);
    for (const op of ops) head = new Uint8Array(opHash(head, op));
    expect(toHex(head)).toBe(db.chainHead);
    await data.close();

    const again = await DataDirectory.open(dir);
    const db2 = await again.open('d');
    expect(db2.chainHead).toBe(heads[5]);
    await db2.put('c', 'k6', { i: 6 });
    expect(db2.chainHead).not.toBe(heads[5]);
    await again.close();
  });

  it('attached ops share their parent seq, change atomically with it, and are not chain links', async () => {
    const data = await DataDirectory.open(tempDir());
    const db = await data.create('d', { partitions: 4 });
    const result = await db.batch([
      { op: 'put', coll: 'u', id: 'a', doc: { n: 1 }, meta: { idem: 'key-1', client: 'local' } },
      { op: 'put', coll: 'idem', id: 'key-1', doc: { seq: 0 }, ns: Namespace.system, attached: true, ifSeq: -1 },
      { op: 'put', coll: 'u', id: 'b', doc: { n: 2 } },
    ]);
    expect(result.seqs).toEqual([0, 0, 1]);
    expect(result.lastSeq).toBe(1);
    expect(db.seq).toBe(1);
    expect((await db.get('idem', 'key-1', { ns: Namespace.system }))?.seq).toBe(0);
    // The idempotency record is create-only: a second use of the key fails as a whole.
    await expect(
      db.batch([
        { op: 'put', coll: 'u', id: 'c', doc: { n: 3 } },
        { op: 'put', coll: 'idem', id: 'key-1', doc: { seq: 2 }, ns: Namespace.system, attached: true, ifSeq: -1 },
      ]),
    ).rejects.toThrow('precondition_failed');
    expect(db.seq).toBe(1);
    const chainOps = (await db.readOps(0, 1)).filter((op) => !op.attached);
    expect(chainOps.map((op) => op.id)).toEqual(['a', 'b']);
    await expect(db.batch([{ op: 'put', coll: 'u', id: 'x', doc: {}, attached: true }])).rejects.toThrow(/attach/);
    await data.close();
  });

  it('tells commit listeners what became visible, in seq order', async () => {
    const data = await DataDirectory.open(tempDir());
    const db = await data.create('d', { partitions: 2 });
    const seen: string[] = [];
    const stop = db.onCommit((write) => seen.push(`${write.firstSeq}-${write.lastSeq}:${write.ops.map((op) => op.id).join(',')}`));
    await Promise.all([db.put('c', 'a', {}), db.put('c', 'b', {}, { durability: 'async' }), db.delete('c', 'a')]);
    stop();
    await db.put('c', 'z', {});
    expect(seen).toEqual(['0-0:a', '1-1:b', '2-2:a']);
    await data.close();
  });
});
