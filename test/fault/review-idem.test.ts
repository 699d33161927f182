// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { expect, it } from 'vitest';
import { DataDirectory, V1Database, systemClock, isNedbError } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

it('an idempotent replay is not acknowledged before the original write is durable', async () => {
  const fs = new SimFileSystem();
  fs.syncDelayTurns = 20;
  const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
  const db = await data.create('d', { partitions: 4 });
  const v1 = await V1Database.open(db, systemClock);
  const order: string[] = [];
  const a = v1.put({ coll: 'c', id: 'x', doc: { v: 1 }, idem: 'K' }).then((r) => { order.push('A'); return r; });
  const b = v1.put({ coll: 'c', id: 'x', doc: { v: 1 }, idem: 'K' }).then((r) => { order.push('B'); return r; });
  const [ra, rb] = await Promise.all([a, b]);
  expect(order[0]).toBe('A');            // B must not be answered before A is durable
  expect(rb.doc).toEqual(ra.doc);        // and must report the stored document, not null
});

it('a rejected put does not burn its explicit nonce', async () => {
  const fs = new SimFileSystem();
  const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
  const db = await data.create('d', { partitions: 4 });
  const v1 = await V1Database.open(db, systemClock);
  const bad = await v1.put({ coll: 'c', id: 'x', doc: { big: 'x'.repeat(17 << 20) }, client: 'cl', nonce: 5 }).catch((e: unknown) => e);
  expect(isNedbError(bad, 'DOC_TOO_LARGE')).toBe(true);
  const retry = await v1.put({ coll: 'c', id: 'x', doc: { small: 1 }, client: 'cl', nonce: 5 }).catch((e: unknown) => e);
  expect(retry).not.toBeInstanceOf(Error);
});
