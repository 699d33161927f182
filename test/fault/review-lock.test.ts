// Regression tests from the independent review (docs: the closing note of this change): each failed before its fix.
import { expect, it } from 'vitest';
import { DirectoryLock } from '../../core/lock.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
const logger = { debug() {}, info() {}, warn() {}, error() {} } as never;
const proc = (pid: number): ProcessInfo => ({ pid: () => pid, isAlive: () => true, startTime: () => 's', bootId: () => 'b' });

it('two openers racing for a fresh lock: only one wins', async () => {
  const fs = new SimFileSystem();
  await fs.mkdir('/data');
  const open = fs.open.bind(fs);
  let first = true;
  fs.open = async (path, mode) => {
    const handle = await open(path, mode);
    if (mode === 'createExclusive' && first) {
      first = false; // the first opener's write of its lock content is slow (a busy disk)
      const write = handle.write.bind(handle);
      handle.write = async (bytes, position) => { await new Promise((r) => setTimeout(r, 5)); return write(bytes, position); };
    }
    return handle;
  };
  const results = await Promise.allSettled([
    DirectoryLock.acquire(fs, '/data', proc(100), 1, logger),
    DirectoryLock.acquire(fs, '/data', proc(200), 2, logger),
  ]);
  console.log(results.map((r) => r.status));
  expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
});
