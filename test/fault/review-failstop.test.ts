// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { describe, expect, it } from 'vitest';
import { DataDirectory, isNedbError } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };
const within = <T>(p: Promise<T>, ms = 2000) => Promise.race([p.then(() => 'done'), new Promise((r) => setTimeout(() => r('HANG'), ms))]);

describe('fail-stop', () => {
  it('close() after an fsync error returns', async () => {
    const fs = new SimFileSystem();
    const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2 });
    await db.put('c', 'a', { v: 1 });
    fs.fault = (op) => (op === 'datasync' ? 'EIO' : undefined);
    const failed = await db.put('c', 'b', { v: 2 }).catch((e: unknown) => e);
    expect(isNedbError(failed, 'FSYNC_FAILED')).toBe(true);
    expect(await within(db.flush())).toBe('done');
  });
  it('checkpoint() after an fsync error settles', async () => {
    const fs = new SimFileSystem();
    const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2 });
    await db.put('c', 'a', { v: 1 });
    fs.fault = (op) => (op === 'datasync' ? 'EIO' : undefined);
    await db.put('c', 'b', { v: 2 }).catch((e: unknown) => e);
    expect(await within(db.checkpoint().catch(() => undefined))).toBe('done');
  });
  it('data.close() after an fsync error returns', async () => {
    const fs = new SimFileSystem();
    const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
    const db = await data.create('d', { partitions: 2 });
    await db.put('c', 'a', { v: 1 });
    fs.fault = (op) => (op === 'datasync' ? 'EIO' : undefined);
    await db.put('c', 'b', { v: 2 }).catch((e: unknown) => e);
    expect(await within(data.close())).toBe('done');
  });
});
