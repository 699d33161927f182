import { describe, expect, it } from 'vitest';
import { DataDirectory, isNedbError } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('database basics', () => {
  it('puts, gets, deletes, scans and survives a reopen', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('shop', { partitions: 4 });
    expect(db.seq).toBe(-1);
    expect(await db.put('users', 'u1', { name: 'Alice' })).toBe(0);
    expect(await db.put('users', 'u2', { name: 'Bob' })).toBe(1);
    expect(await db.put('users', 'u1', { name: 'Alicia' })).toBe(2);
    expect(await db.delete('users', 'u2')).toBe(3);
    expect((await db.get('users', 'u1'))?.doc).toEqual({ name: 'Alicia' });
    expect((await db.get('users', 'u1', { asOf: 1 }))?.doc).toEqual({ name: 'Alice' });
    expect(await db.get('users', 'u2')).toBeUndefined();
    expect((await db.get('users', 'u2', { asOf: 2 }))?.doc).toEqual({ name: 'Bob' });
    const ids: string[] = [];
    for await (const page of db.scan('users', { asOf: 1 })) ids.push(...page.map((row) => row.id));
    expect(ids).toEqual(['u1', 'u2']);
    expect(Object.fromEntries(await db.collections())).toEqual({ users: 1 });
    await data.close();

    const again = await DataDirectory.open(dir);
    const db2 = await again.open('shop');
    expect(db2.seq).toBe(3);
    expect((await db2.get('users', 'u1'))?.doc).toEqual({ name: 'Alicia' });
    expect((await db2.get('users', 'u2', { asOf: 2 }))?.doc).toEqual({ name: 'Bob' });
    const outcome = await db2.checkpoint();
    expect(outcome.seq).toBe(3);
    await db2.put('users', 'u3', { name: 'Cy' });
    await again.close();

    const third = await DataDirectory.open(dir);
    const db3 = await third.open('shop');
    expect(db3.seq).toBe(4);
    expect((await db3.get('users', 'u1', { asOf: 0 }))?.doc).toEqual({ name: 'Alice' });
    expect((await db3.get('users', 'u3'))?.doc).toEqual({ name: 'Cy' });
    expect(Object.fromEntries(await db3.collections())).toEqual({ users: 2 });
    await third.close();
  });

  it('rejects a batch whose preconditions fail, listing every failure, and writes nothing', async () => {
    const data = await DataDirectory.open(tempDir());
    const db = await data.create('d');
    await db.put('u', 'a', { n: 1 });
    let error: unknown;
    try {
      await db.batch([
        { op: 'put', coll: 'u', id: 'a', doc: { n: 2 }, ifSeq: 5 },
        { op: 'put', coll: 'u', id: 'z', doc: { n: 3 } },
        { op: 'put', coll: 'u', id: 'a', doc: { n: 4 }, ifSeq: -1 },
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(isNedbError(error, 'PRECONDITION_FAILED')).toBe(true);
    expect((error as { details: { failures: unknown[] } }).details.failures).toEqual([
      { index: 0, coll: 'u', id: 'a', expected: 5, actual: 0 },
      { index: 2, coll: 'u', id: 'a', expected: -1, actual: 0 },
    ]);
    expect(db.seq).toBe(0);
    expect(await db.get('u', 'z')).toBeUndefined();
    await data.close();
  });
});
