// Regression tests for bugs found after the first cut, each named after what broke.
import { describe, expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('regressions', () => {
  it('checkpoints a partition whose keys pass the first 64 KiB of key bytes', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('x', { partitions: 1 });
    const ids = Array.from({ length: 6000 }, (_, i) => `document-${String(i).padStart(10, '0')}`);
    for (let start = 0; start < ids.length; start += 1000)
      await db.batch(ids.slice(start, start + 1000).map((id, i) => ({ op: 'put' as const, coll: 'c', id, doc: { i: start + i } })));
    await db.checkpoint();
    await data.close();
    const again = await DataDirectory.open(dir);
    const db2 = await again.open('x');
    expect((await db2.get('c', ids[5999]!))?.doc).toEqual({ i: 5999 });
    let count = 0;
    for await (const page of db2.scan('c')) count += page.length;
    expect(count).toBe(6000);
    await again.close();
  });

  it('flush makes async writes durable even when an earlier group used up the pending sync', async () => {
    const data = await DataDirectory.open(tempDir(), { batchFsyncIntervalMs: 600_000 });
    const db = await data.create('d', { partitions: 2 });
    for (let b = 0; b < 3; b++)
      await db.batch(Array.from({ length: 500 }, (_, i) => ({ op: 'put' as const, coll: 'c', id: `${b}-${i}`, doc: { i } })), { durability: 'async' });
    await new Promise((resolve) => setImmediate(resolve));
    const flushed = db.flush().then(() => 'flushed');
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), 5000));
    expect(await Promise.race([flushed, timeout])).toBe('flushed');
    expect(db.status().durableSeq).toBe(1499);
    await data.close();
  });
});
