// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

it('an fdatasync error at a segment roll stops writes for good (is not retried as a full disk)', async () => {
  const fs = new SimFileSystem();
  const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0, batchFsyncIntervalMs: 10_000 });
  const db = await data.create('d', { partitions: 1 });
  await db.put('c', 'a', { v: 1 });
  await db.put('c', 'b', { v: 2 }, { durability: 'async' });
  await new Promise((r) => setTimeout(r, 5)); // b written to segment X, not synced
  let fired = false;
  fs.fault = (op) => (op === 'datasync' && !fired ? ((fired = true), 'ENOSPC') : undefined);
  const cp = db.checkpoint().catch((e: unknown) => e); // seals: later records go to X+1
  await db.put('c', 'c', { v: 3 }, { durability: 'async' }); // roll: openSegment → sync(X) → ENOSPC
  await new Promise((r) => setTimeout(r, 50));
  expect(fired).toBe(true);
  expect(db.status().state).toBe('failed'); // never 'diskFull': a failed fsync is not retried
  await expect(db.put('c', 'd', { v: 4 })).rejects.toThrow(/fsync error/);
  void cp;
});
