// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };

it('an index definition written during a checkpoint does not clobber the checkpoint MANIFEST', async () => {
  const fs = new SimFileSystem();
  const data = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
  const db = await data.create('d', { partitions: 2 });
  for (let i = 0; i < 20; i++) await db.put('c', `k${i}`, { i });
  await db.checkpoint();
  for (let i = 20; i < 40; i++) await db.put('c', `k${i}`, { i });
  const open = fs.open.bind(fs);
  let indexWrite: Promise<void> | undefined;
  fs.open = async (path, mode) => {
    if (path.endsWith('MANIFEST.tmp') && indexWrite === undefined) indexWrite = db.setIndexDefinitions([['c', 'i', 'eq']]);
    return open(path, mode);
  };
  const cp = await db.checkpoint().catch((e: unknown) => e);
  const ix = await indexWrite!.catch((e: unknown) => e);
  console.log('checkpoint:', cp instanceof Error ? cp.message : JSON.stringify(cp), '| index:', ix instanceof Error ? ix.message : 'ok');
  fs.open = open;
  await data.close();
  const again = await DataDirectory.open('/data', { fs, processes: dead, checkpointIntervalSeconds: 0 });
  const reopened = await again.open('d');
  expect((await reopened.get('c', 'k39'))?.doc).toEqual({ i: 39 });
  expect(reopened.indexDefinitions).toEqual([['c', 'i', 'eq']]);
  await again.close();
});
