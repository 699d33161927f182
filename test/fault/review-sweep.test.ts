// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { expect, it } from 'vitest';
import { DataDirectory, V1Database } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

it('sweep expires more than batchOpsMax/2 documents', async () => {
  const fs = new SimFileSystem();
  let now = 1_800_000_000_000;
  const clock = { nowMs: () => now, monotonicMs: () => performance.now() };
  const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0, clock });
  const db = await data.create('d', { partitions: 4 });
  const v1 = await V1Database.open(db, clock);
  await Promise.all(Array.from({ length: 2600 }, (_, i) => v1.put({ coll: 'c', id: `k${i}`, doc: { i }, ttlS: 1, durability: 'async' })));
  now += 10_000;
  const result = await v1.sweep().catch((e: unknown) => e);
  expect(result).toMatchObject({ swept: 2600 });
}, 60_000);
