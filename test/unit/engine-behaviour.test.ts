// Engine behaviours beyond the basics: system collections, durability precedence, automatic checkpoints,
// load state, read-only opens, history retention and bad input.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory, Namespace, isNedbError, type FileSystem } from '../../core/index.js';
import { nodeFileSystem } from '../../core/platform/node-file-system.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { tempDir } from '../helpers/temp-dir.js';
import { overriding } from '../helpers/file-systems.js';

const deadProcesses: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

describe('engine behaviour', () => {
  it('keeps system collections apart from user collections, through checkpoint and restart', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 3 });
    await db.put('edges', 'a|buys|b', { user: true });
    await db.put('edges', 'a|buys|b', { frm: 'a', rel: 'buys', to: 'b' }, { ns: Namespace.system, meta: { op: 'link', client: 'http' } });
    await db.put('idem', 'key-1', { seq: 1 }, { ns: Namespace.system });
    await db.checkpoint();
    await db.put('nonces', 'http', { high: 5 }, { ns: Namespace.system });
    await data.close();

    const again = await DataDirectory.open(dir);
    const db2 = await again.open('d');
    expect((await db2.get('edges', 'a|buys|b'))?.doc).toEqual({ user: true });
    expect((await db2.get('edges', 'a|buys|b', { ns: Namespace.system }))?.doc).toEqual({ frm: 'a', rel: 'buys', to: 'b' });
    expect(Object.fromEntries(await db2.collections())).toEqual({ edges: 1 });
    expect(Object.fromEntries(await db2.collections(Namespace.system))).toEqual({ edges: 1, idem: 1, nonces: 1 });
    expect(db2.seq).toBe(3);
    await again.close();
  });

  it('chooses durability per call over per database over per server', async () => {
    const fs = new SimFileSystem();
    fs.syncDelayTurns = 50;
    const data = await DataDirectory.open('/data', { fs, processes: deadProcesses, durability: 'sync' });
    const asyncDb = await data.create('a', { partitions: 1, durability: 'async' });
    const syncsBefore = fs.datasyncsCompleted;
    await asyncDb.put('c', 'x', { v: 1 }); // database setting: acknowledged before any fsync completes
    expect(fs.datasyncsCompleted).toBe(syncsBefore);
    await asyncDb.put('c', 'y', { v: 2 }, { durability: 'sync' }); // the call wins
    expect(fs.datasyncsCompleted).toBeGreaterThan(syncsBefore);
    const serverDefault = await data.create('s', { partitions: 1 });
    const before = fs.datasyncsCompleted;
    await serverDefault.put('c', 'x', { v: 1 }); // no database setting: the server's 'sync'
    expect(fs.datasyncsCompleted).toBeGreaterThan(before);
    await expect(serverDefault.put('c', 'x', { v: 1 }, { durability: 'never' as 'sync' })).rejects.toThrow(/durability must be/);
    await data.close();
  });

  it('checkpoints automatically after N writes and moves covered segments to the archive', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir, { checkpointEveryWrites: 10, checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2 });
    for (let i = 0; i < 25; i++) await db.put('c', `k${i}`, { i });
    await db.flush();
    for (let i = 0; i < 50 && readdirSync(join(dir, 'd', 'snap')).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await data.close();
    expect(readdirSync(join(dir, 'd', 'snap')).filter((name) => name.endsWith('.snap')).length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'd', 'archive')).length).toBeGreaterThan(0);
    const again = await DataDirectory.open(dir);
    const db2 = await again.open('d');
    expect(db2.seq).toBe(24);
    expect((await db2.get('c', 'k0', { asOf: 0 }))?.doc).toEqual({ i: 0 });
    await again.close();
  });

  it('reports loading with progress while the log replays, then ready', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 1 });
    for (let i = 0; i < 20; i++) await db.put('c', `k${i}`, { i });
    await data.close();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowFs: FileSystem = overriding(nodeFileSystem, {
      open: async (path, mode) => {
        if (path.endsWith('.wal')) await gate;
        return nodeFileSystem.open(path, mode);
      },
    });
    const again = await DataDirectory.open(dir, { fs: slowFs });
    const loading = await again.openLoading('d');
    expect(loading.state.state).toBe('loading');
    const refused = await loading.get('c', 'k1').catch((caught: unknown) => caught);
    expect(isNedbError(refused, 'DB_LOADING')).toBe(true);
    release();
    await loading.ready;
    expect(loading.state).toEqual({ state: 'ready' });
    expect((await loading.get('c', 'k1'))?.doc).toEqual({ i: 1 });
    await again.close();
  });

  it('changes no file when opened read-only, even with a torn tail', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 1 });
    for (let i = 0; i < 5; i++) await db.put('c', `k${i}`, { i });
    await data.close();
    const wal = join(dir, 'd', 'wal');
    const segment = join(wal, readdirSync(wal)[0]!);
    const { truncateSync } = await import('node:fs');
    truncateSync(segment, statSync(segment).size - 3);
    const sizeBefore = statSync(segment).size;
    const readOnly = await DataDirectory.open(dir, { readOnly: true });
    const db2 = await readOnly.open('d');
    expect(db2.seq).toBe(3);
    await expect(db2.put('c', 'z', {})).rejects.toThrow(/read-only/);
    await readOnly.close();
    expect(statSync(segment).size).toBe(sizeBefore);
    expect(existsSync(join(dir, 'd', 'MANIFEST.tmp'))).toBe(false);
  });

  it('drops history older than the retention at checkpoint and says so for AS OF', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 2, historyRetentionSeqs: 2 });
    for (let v = 0; v < 6; v++) await db.put('c', 'k', { v }); // seqs 0..5
    await db.checkpoint(); // horizon = 5 - 2 = 3
    expect((await db.get('c', 'k', { asOf: 3 }))?.doc).toEqual({ v: 3 });
    expect((await db.get('c', 'k', { asOf: 4 }))?.doc).toEqual({ v: 4 });
    const error = await db.get('c', 'k', { asOf: 1 }).catch((caught: unknown) => caught);
    expect(isNedbError(error, 'HISTORY_RETAINED_NOT')).toBe(true);
    await data.close();
  });

  it('answers bad input with a clear error and writes nothing', async () => {
    const data = await DataDirectory.open(tempDir());
    await expect(data.create('bad name')).rejects.toThrow("invalid database name: 'bad name'");
    const db = await data.create('d');
    await expect(db.put('', 'a', {})).rejects.toThrow(/collection name/);
    await expect(db.put('c', '', {})).rejects.toThrow(/document id/);
    await expect(db.put('c', 'a', [] as unknown as Record<string, unknown>)).rejects.toThrow(/must be a JSON object/);
    await expect(db.batch([])).rejects.toThrow(/at least one/);
    await expect(db.put('c', 'a', {}, { ifSeq: 1.5 })).rejects.toThrow(/ifSeq/);
    await expect(db.get('c', 'a', { asOf: -7 })).rejects.toThrow(/AS OF/);
    await expect(data.create('d')).rejects.toThrow('database already exists: d');
    expect(db.seq).toBe(-1);
    expect(await data.drop('d')).toBe(true);
    expect(await data.drop('d')).toBe(false);
    expect(await data.list()).toEqual([]);
    await data.close();
  });
});
