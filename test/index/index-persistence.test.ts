// Sorted indexes persisted by checkpoints: a restart loads the index file and catches it up with the log tail
// instead of rebuilding it; a damaged file is rebuilt; AS OF through the loaded index still answers right.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory, type Database } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';

async function ordered(db: Database, asOf?: number): Promise<string[]> {
  const pages = db.orderedScan({ coll: 'b', field: 'h', descending: true, ...(asOf === undefined ? {} : { asOf }) });
  expect(pages).toBeDefined();
  const ids: string[] = [];
  for await (const page of pages!) ids.push(...page.map((row) => row.id));
  return ids;
}

async function scanned(db: Database, asOf?: number): Promise<string[]> {
  const rows: { id: string; h: number }[] = [];
  for await (const page of db.scan('b', asOf === undefined ? {} : { asOf })) for (const row of page) rows.push({ id: row.id, h: row.doc.h as number });
  return rows.sort((x, y) => y.h - x.h || (x.id < y.id ? -1 : 1)).map((row) => row.id);
}

async function openReady(dir: string): Promise<{ data: DataDirectory; db: Database }> {
  const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
  const db = await data.open('d');
  await db.whenIndexReady('b', 'h');
  return { data, db };
}

describe('persisted sorted indexes', () => {
  it('are loaded at start and caught up with the log tail, not rebuilt', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 3, lazyIndexes: false });
    await db.setIndexDefinitions([['b', 'h', 'sorted']]);
    for (let i = 0; i < 300; i++) await db.put('b', `k${i}`, { h: (i * 7) % 101 });
    await db.whenIndexReady('b', 'h');
    const checkpoint = await db.checkpoint();
    for (let i = 0; i < 40; i++) await db.put('b', `k${i}`, { h: 500 + i }); // the tail moves indexed values
    for (let i = 40; i < 60; i++) await db.delete('b', `k${i}`);
    for (let i = 300; i < 320; i++) await db.put('b', `k${i}`, { h: i });
    expect(readdirSync(join(dir, 'd', 'snap')).some((name) => name.endsWith('.sidx'))).toBe(true);
    await data.close();

    const { data: again, db: db2 } = await openReady(dir);
    expect(db2.sortedIndexInfo('b', 'h')).toMatchObject({ state: 'ready', loaded: true });
    expect(await ordered(db2)).toEqual(await scanned(db2));
    expect(await ordered(db2, checkpoint.seq)).toEqual(await scanned(db2, checkpoint.seq));
    expect(await ordered(db2, checkpoint.seq + 25)).toEqual(await scanned(db2, checkpoint.seq + 25));
    await db2.put('b', 'new', { h: 10_000 });
    expect((await ordered(db2))[0]).toBe('new');
    await again.close();
  });

  it('rebuilds an index whose file is damaged', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2, lazyIndexes: false });
    await db.setIndexDefinitions([['b', 'h', 'sorted']]);
    for (let i = 0; i < 50; i++) await db.put('b', `k${i}`, { h: i });
    await db.whenIndexReady('b', 'h');
    await db.checkpoint();
    await data.close();
    const snap = join(dir, 'd', 'snap');
    const file = join(snap, readdirSync(snap).find((name) => name.endsWith('.sidx'))!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3]! ^= 0xff;
    writeFileSync(file, bytes);
    const { data: again, db: db2 } = await openReady(dir);
    expect(db2.sortedIndexInfo('b', 'h')).toMatchObject({ state: 'ready', loaded: false });
    expect(await ordered(db2)).toEqual(await scanned(db2));
    await again.close();
  });
});

describe('persisted sorted indexes in backups', () => {
  it('are copied by a backup and loaded by the restored database', async () => {
    const { restoreBackup } = await import('../../core/index.js');
    const dir = tempDir();
    const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2, lazyIndexes: false });
    await db.setIndexDefinitions([['b', 'h', 'sorted']]);
    for (let i = 0; i < 80; i++) await db.put('b', `k${i}`, { h: i % 13 });
    await db.whenIndexReady('b', 'h');
    const backupDir = join(tempDir(), 'backup');
    await db.backup(backupDir);
    await data.close();
    const restored = tempDir();
    await restoreBackup(backupDir, restored);
    const { data: again, db: db2 } = await openReady(restored);
    expect(db2.sortedIndexInfo('b', 'h')).toMatchObject({ state: 'ready', loaded: true });
    expect(await ordered(db2)).toEqual(await scanned(db2));
    await again.close();
  });
});
