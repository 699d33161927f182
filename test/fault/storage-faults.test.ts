// Fault tests for snapshots, the MANIFEST, fsync errors, a full disk and the lock file.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory, isNedbError } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { tempDir } from '../helpers/temp-dir.js';

const deadProcesses: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

async function checkpointed(dir: string, count: number) {
  const data = await DataDirectory.open(dir);
  const db = await data.create('d', { partitions: 1 });
  for (let i = 0; i < count; i++) await db.put('c', `k${i}`, { i, text: `document ${i}` });
  await db.checkpoint();
  await data.close();
  const snap = join(dir, 'd', 'snap');
  return join(snap, readdirSync(snap).find((name) => name.endsWith('.snap'))!);
}

describe('snapshot and MANIFEST faults', () => {
  it('ignores and removes a torn snapshot temp file', async () => {
    const dir = tempDir();
    const snapshot = await checkpointed(dir, 10);
    const temp = `${snapshot.replace(/p000-\d+/, 'p000-000000000099')}.tmp`;
    writeFileSync(temp, Buffer.from('NEDBSNAP half written'));
    const data = await DataDirectory.open(dir);
    const db = await data.open('d');
    expect((await db.get('c', 'k9'))?.doc).toMatchObject({ i: 9 });
    expect(readdirSync(join(dir, 'd', 'snap')).some((name) => name.endsWith('.tmp'))).toBe(false);
    await data.close();
  });

  it('uses the old MANIFEST when the rename of a new one was interrupted', async () => {
    const dir = tempDir();
    await checkpointed(dir, 5);
    const manifest = join(dir, 'd', 'MANIFEST');
    writeFileSync(`${manifest}.tmp`, readFileSync(manifest).subarray(0, 20)); // torn temp file
    const data = await DataDirectory.open(dir);
    const db = await data.open('d');
    expect(db.seq).toBe(4);
    expect((await db.get('c', 'k4'))?.doc).toMatchObject({ i: 4 });
    await data.close();
  });

  it('reports a damaged MANIFEST and a damaged snapshot directory by file', async () => {
    const dir = tempDir();
    const snapshot = await checkpointed(dir, 20);
    const bytes = readFileSync(snapshot);
    bytes[bytes.length - 40]! ^= 0xff; // inside the section table / collections
    writeFileSync(snapshot, bytes);
    const data = await DataDirectory.open(dir);
    const error = await data.open('d').catch((caught: unknown) => caught);
    expect(isNedbError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(snapshot);
    await data.close();

    const manifest = join(dir, 'd', 'MANIFEST');
    const manifestBytes = readFileSync(manifest);
    manifestBytes[30]! ^= 0x01;
    writeFileSync(manifest, manifestBytes);
    const again = await DataDirectory.open(dir);
    const manifestError = await again.open('d').catch((caught: unknown) => caught);
    expect(isNedbError(manifestError, 'MANIFEST_CORRUPT')).toBe(true);
    await again.close();
  });

  it('never answers from a damaged document record', async () => {
    const dir = tempDir();
    const snapshot = await checkpointed(dir, 3);
    const bytes = readFileSync(snapshot);
    const at = bytes.indexOf(Buffer.from('document 1'));
    bytes[at]! ^= 0x01;
    writeFileSync(snapshot, bytes);
    const data = await DataDirectory.open(dir);
    const db = await data.open('d');
    expect((await db.get('c', 'k0'))?.doc).toMatchObject({ i: 0 });
    const error = await db.get('c', 'k1').catch((caught: unknown) => caught);
    expect(isNedbError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    await data.close();
  });
});

describe('fsync and disk faults (simulated disk)', () => {
  it('stops writes for good after an fsync error; reads go on', async () => {
    const fs = new SimFileSystem();
    const data = await DataDirectory.open('/data', { fs, processes: deadProcesses });
    const db = await data.create('d', { partitions: 2 });
    await db.put('c', 'a', { v: 1 });
    fs.fault = (operation) => (operation === 'datasync' ? 'EIO' : undefined);
    const failed = await db.put('c', 'b', { v: 2 }).catch((caught: unknown) => caught);
    expect(isNedbError(failed, 'FSYNC_FAILED')).toBe(true);
    fs.fault = undefined; // the disk "recovers": the database must not trust it again
    const later = await db.put('c', 'c', { v: 3 }).catch((caught: unknown) => caught);
    expect(isNedbError(later, 'FSYNC_FAILED')).toBe(true);
    expect((await db.get('c', 'a'))?.doc).toEqual({ v: 1 });
    expect(await db.get('c', 'b')).toBeUndefined();
    expect(db.status().state).toBe('failed');
  });

  it('turns read-only on a full disk and resumes when space returns, losing nothing', async () => {
    const fs = new SimFileSystem();
    const data = await DataDirectory.open('/data', { fs, processes: deadProcesses });
    const db = await data.create('d', { partitions: 2 });
    await db.put('c', 'a', { v: 1 });
    fs.fault = (operation) => (operation === 'write' ? 'ENOSPC' : undefined);
    const pending = db.put('c', 'b', { v: 2 });
    for (let i = 0; i < 20 && db.status().state !== 'diskFull'; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(db.status().state).toBe('diskFull');
    const refused = await db.put('c', 'x', { v: 9 }).catch((caught: unknown) => caught);
    expect(isNedbError(refused, 'DISK_FULL')).toBe(true);
    expect((refused as Error).message).toContain('free space');
    expect((await db.get('c', 'a'))?.doc).toEqual({ v: 1 });
    fs.fault = undefined;
    await pending;
    expect(db.status().state).toBe('ok');
    await db.put('c', 'c', { v: 3 });
    await data.close();

    const reopened = await DataDirectory.open('/data', { fs, processes: deadProcesses });
    const again = await reopened.open('d');
    expect(again.seq).toBe(2);
    expect((await again.get('c', 'b'))?.doc).toEqual({ v: 2 });
    expect(await again.get('c', 'x')).toBeUndefined();
    await reopened.close();
  });
});

describe('lock file', () => {
  it('refuses a second opener, naming the holder, and takes over a stale lock', async () => {
    const dir = tempDir();
    const first = await DataDirectory.open(dir);
    const error = await DataDirectory.open(dir).catch((caught: unknown) => caught);
    expect(isNedbError(error, 'LOCKED')).toBe(true);
    expect((error as Error).message).toContain(`process ${process.pid}`);
    await first.close();
    // A lock left by a process that no longer exists.
    writeFileSync(join(dir, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, startTime: null, bootId: null, createdMs: 0 }));
    const second = await DataDirectory.open(dir);
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8')).pid).toBe(process.pid);
    await second.close();
    expect(readdirSync(dir)).not.toContain('LOCK');
  });
});
