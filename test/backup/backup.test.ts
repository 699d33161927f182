// Online backup and restore (core/backup.ts, docs/BACKUP.md): a backup taken while a writer runs restores to
// exactly the source's state at the backup's seq; a damaged, unfinished or misdirected restore is refused.
import { readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackupError, DataDirectory, isNedbError, restoreBackup, type BackupProgress, type Database, type StoredDocument } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Prng } from '../helpers/prng.js';

const collections = ['users', 'orders', 'events'];

async function stateAt(db: Database, seq: number): Promise<Record<string, StoredDocument[]>> {
  const state: Record<string, StoredDocument[]> = {};
  for (const coll of collections) {
    const rows: StoredDocument[] = [];
    for await (const page of db.scan(coll, { asOf: seq })) rows.push(...page);
    state[coll] = rows;
  }
  return state;
}

/** One write of the load: a put, a delete, or a batch that spans partitions. */
async function oneWrite(db: Database, i: number, random: () => number): Promise<number> {
  const coll = collections[i % collections.length]!;
  const id = `k${Math.floor(random() * 400)}`;
  const roll = random();
  if (roll < 0.1) return db.delete(coll, id, { durability: 'sync' });
  if (roll < 0.25)
    return (
      await db.batch(
        [
          { op: 'put', coll, id, doc: { i, kind: 'batch', pad: 'x'.repeat(100) } },
          { op: 'put', coll: 'events', id: `e${i}`, doc: { i } },
          { op: 'delete', coll: 'users', id: `k${(i * 7) % 400}` },
        ],
        { durability: 'sync' },
      )
    ).lastSeq;
  return db.put(coll, id, { i, name: `doc ${i}`, pad: 'y'.repeat(Math.floor(random() * 2000)) }, { durability: 'sync' });
}

async function seed(db: Database, count: number): Promise<void> {
  const ops = [];
  for (let i = 0; i < count; i++) ops.push({ op: 'put' as const, coll: collections[i % 3]!, id: `k${i % 400}`, doc: { i, body: 'z'.repeat(1500) } });
  for (let i = 0; i < ops.length; i += 500) await db.batch(ops.slice(i, i + 500), { durability: 'async' });
  await db.flush();
}

describe('online backup', () => {
  it.each([
    ['with a checkpoint first', true],
    ['copying the last checkpoint and the log after it', false],
  ])('under write load (%s) restores to exactly the source at the backup seq, with every write acknowledged before it', async (_, checkpoint) => {
    const rng = new Prng(7);
    const random = () => rng.next();
    const source = await DataDirectory.open(tempDir(), { checkpointIntervalSeconds: 0, checkpointEveryWrites: 0 });
    const db = await source.create('shop', { partitions: 4 });
    await seed(db, 3000);
    await db.checkpoint();
    await seed(db, 1200); // a log tail after the first checkpoint, and an archive before it
    const ackedBeforeBackup = await db.put('users', 'before-backup', { note: 'acknowledged before the backup started' }, { durability: 'sync' });

    // A writer in a loop, and more writes fired from inside the copy itself, so writes surely run during it.
    let stop = false;
    const acked: number[] = [];
    const writer = (async () => {
      for (let i = 0; !stop; i++) acked.push(await oneWrite(db, i, random));
    })();
    const duringCopy: Promise<number>[] = [];
    let checkpointDuringCopy: Promise<unknown> | undefined;
    const phases = new Set<string>();
    const target = tempDir('nedb-backup-');
    const result = await db.backup(target, (progress: BackupProgress) => {
      phases.add(progress.phase);
      if (progress.phase !== 'copy') return;
      duringCopy.push(oneWrite(db, 100_000 + duringCopy.length, random));
      checkpointDuringCopy ??= db.checkpoint(); // must wait for the copy, not delete files under it
    }, { checkpoint });
    const writesAfterCopy = acked.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop = true;
    await writer;
    const copySeqs = await Promise.all(duringCopy);
    await checkpointDuringCopy;

    expect(phases).toEqual(new Set(['checkpoint', 'copy', 'sync']));
    expect(duringCopy.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(writesAfterCopy - 1);
    expect(result.seq).toBeGreaterThanOrEqual(result.checkpointSeq);
    expect(result.seq).toBeGreaterThanOrEqual(ackedBeforeBackup);
    if (checkpoint) expect(result.checkpointSeq).toBeGreaterThanOrEqual(ackedBeforeBackup);
    else expect(result.checkpointSeq).toBeLessThan(ackedBeforeBackup);
    expect(Math.max(...copySeqs, ...acked)).toBeGreaterThan(result.seq); // the source went on past the backup

    const restoredDir = tempDir();
    const restored = await restoreBackup(target, restoredDir);
    expect(restored.map((r) => [r.database, r.seq])).toEqual([['shop', result.seq]]);
    const copy = await DataDirectory.open(restoredDir);
    const copyDb = await copy.open('shop');
    expect(copyDb.seq).toBe(result.seq);
    expect(await stateAt(copyDb, result.seq)).toEqual(await stateAt(db, result.seq));
    expect((await copyDb.get('users', 'before-backup'))?.seq).toBe(ackedBeforeBackup);
    // History is kept too: an older seq answers the same in both.
    const older = Math.floor(result.checkpointSeq / 2);
    expect(await stateAt(copyDb, older)).toEqual(await stateAt(db, older));
    expect(await copyDb.readOps(0, 50)).toEqual(await db.readOps(0, 50));
    // The restored database takes writes and survives a reopen.
    await copyDb.put('users', 'after-restore', { ok: true });
    await copy.close();
    const again = await DataDirectory.open(restoredDir);
    expect((await (await again.open('shop')).get('users', 'after-restore'))?.doc).toEqual({ ok: true });
    await again.close();

    // The live log copied after the checkpoint (writes between its seq and the backup seq), when there is one,
    // is checked like every other file: a flipped byte is refused, naming the file.
    const walFiles = readdirSync(`${target}/shop/wal`).filter((name) => readFileSync(`${target}/shop/wal/${name}`).length > 32);
    if (result.seq > result.checkpointSeq) expect(walFiles.length).toBeGreaterThan(0);
    for (const name of walFiles.slice(0, 1)) {
      const path = `${target}/shop/wal/${name}`;
      const bytes = readFileSync(path);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1;
      writeFileSync(path, bytes);
      const error = await restoreBackup(target, tempDir()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as BackupError).file).toBe(path);
    }
    await source.close();
  });

  it('backs up an empty database and one never checkpointed', async () => {
    const source = await DataDirectory.open(tempDir(), { checkpointIntervalSeconds: 0 });
    const empty = await source.create('empty', { partitions: 2 });
    const fresh = await source.create('fresh', { partitions: 3 });
    for (let i = 0; i < 20; i++) await fresh.put('c', `id${i}`, { i });
    const target = tempDir('nedb-backup-');
    expect((await empty.backup(target)).seq).toBe(-1);
    expect((await fresh.backup(target)).seq).toBe(19);
    const restoredDir = tempDir();
    expect((await restoreBackup(target, restoredDir)).map((r) => r.database)).toEqual(['empty', 'fresh']);
    const copy = await DataDirectory.open(restoredDir);
    expect((await copy.open('empty')).seq).toBe(-1);
    expect((await (await copy.open('fresh')).get('c', 'id7'))?.doc).toEqual({ i: 7 });
    await copy.close();
    await source.close();
  });
});

describe('restore refuses', () => {
  async function makeBackup(): Promise<{ target: string; close: () => Promise<void> }> {
    const source = await DataDirectory.open(tempDir(), { checkpointIntervalSeconds: 0 });
    const db = await source.create('shop', { partitions: 2 });
    for (let i = 0; i < 50; i++) await db.put('users', `u${i}`, { i, pad: 'p'.repeat(200) }, { durability: 'async' });
    await db.checkpoint();
    for (let i = 0; i < 30; i++) await db.put('users', `u${i}`, { i, again: true }, { durability: 'async' });
    const target = tempDir('nedb-backup-');
    await db.backup(target);
    return { target, close: () => source.close() };
  }

  function flipByte(path: string, offset: number): void {
    const bytes = readFileSync(path);
    bytes[offset] = bytes[offset]! ^ 0x40;
    writeFileSync(path, bytes);
  }

  async function restoreError(backupDir: string, dataDir: string): Promise<unknown> {
    try {
      await restoreBackup(backupDir, dataDir);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('a damaged snapshot or log segment, naming the file, and leaves no database behind', async () => {
    const { target, close } = await makeBackup();
    // archive/ holds log segments (the live wal/ of a quiet database is empty right after the backup's checkpoint)
    for (const sub of ['snap', 'archive'] as const) {
      const names = readdirSync(`${target}/shop/${sub}`);
      expect(names.length).toBeGreaterThan(0);
      const path = `${target}/shop/${sub}/${names[0]!}`;
      flipByte(path, Math.floor(readFileSync(path).length / 2));
      const dataDir = tempDir();
      const error = await restoreError(target, dataDir);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as BackupError).file).toBe(path);
      expect((error as Error).message).toContain(`${sub}/${names[0]!}`);
      expect(readdirSync(dataDir).filter((name) => name !== 'LOCK')).toEqual([]);
      flipByte(path, Math.floor(readFileSync(path).length / 2)); // undo, for the next round
    }
    await close();
  });

  it('an unfinished backup (no BACKUP marker) and a damaged marker', async () => {
    const { target, close } = await makeBackup();
    const marker = readFileSync(`${target}/shop/BACKUP`);
    flipByte(`${target}/shop/BACKUP`, marker.length - 3);
    expect(await restoreError(target, tempDir())).toBeInstanceOf(BackupError);
    rmSync(`${target}/shop/BACKUP`);
    const error = await restoreError(target, tempDir());
    expect(error).toBeInstanceOf(BackupError);
    expect((error as Error).message).toMatch(/did not finish/);
    await close();
  });

  it('a target where the database exists or its directory is not empty', async () => {
    const { target, close } = await makeBackup();
    const dataDir = tempDir();
    await restoreBackup(target, dataDir);
    expect(isNedbError(await restoreError(target, dataDir), 'DB_EXISTS')).toBe(true);
    const other = tempDir();
    mkdirSync(`${other}/shop`);
    writeFileSync(`${other}/shop/stray`, 'x');
    expect(isNedbError(await restoreError(target, other), 'OPTION_INVALID')).toBe(true);
    await close();
  });

  it('a backup into a directory that already holds one', async () => {
    const source = await DataDirectory.open(tempDir(), { checkpointIntervalSeconds: 0 });
    const db = await source.create('shop');
    await db.put('a', 'b', { c: 1 });
    const target = tempDir('nedb-backup-');
    await db.backup(target);
    let error: unknown;
    try {
      await db.backup(target);
    } catch (caught) {
      error = caught;
    }
    expect(isNedbError(error, 'OPTION_INVALID')).toBe(true);
    await source.close();
  });
});
