// Crash test on the simulated disk: it drops every byte and directory entry not covered by a completed fsync and
// tears the last write, so a missing or misplaced fsync loses an acknowledged write here even though a
// SIGKILL test (page cache intact) would pass. Writers, checkpoints and crashes are driven by a seeded PRNG.
import { describe, expect, it } from 'vitest';
import { DataDirectory, type Database, type Durability } from '../../core/index.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { type AckedWrite, checkAfterCrash } from '../helpers/crash-check.js';
import { Prng } from '../helpers/prng.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);
const rounds = Number(process.env.NEDB_CRASH_ROUNDS ?? 40);

/** Every earlier holder of the lock counts as dead: the crashed "process" is gone. */
const crashedProcesses: ProcessInfo = {
  pid: () => 4242,
  isAlive: () => false,
  startTime: () => null,
  bootId: () => null,
};

async function openDb(fs: SimFileSystem, options: { checkpointEveryWrites: number }): Promise<{ data: DataDirectory; db: Database }> {
  const data = await DataDirectory.open('/data', {
    fs,
    processes: crashedProcesses,
    checkpointEveryWrites: options.checkpointEveryWrites,
    checkpointIntervalSeconds: 0,
    batchFsyncIntervalMs: 2,
  });
  const db = (await data.exists('crash')) ? await data.open('crash') : await data.create('crash', { partitions: 4 });
  return { data, db };
}

describe('crash on the simulated disk', () => {
  it(`keeps every acknowledged write over ${rounds} crashes (seed ${seed})`, async () => {
    const rng = new Prng(seed);
    const fs = new SimFileSystem();
    const acked: AckedWrite[] = [];
    let inFlightCrashes = 0;
    let batchCounter = 0;
    const unexpected: unknown[] = [];
    for (let round = 0; round < rounds; round++) {
      const { db } = await openDb(fs, { checkpointEveryWrites: rng.below(2) === 0 ? 0 : 40 + rng.below(200) });
      const checked = await checkAfterCrash(db, 'docs', acked);
      expect(checked.seq).toBeGreaterThanOrEqual(-1);
      let stop = false;
      const writer = async (writerId: number) => {
        for (let i = 0; i < 10_000 && !stop; i++) {
          const batch = `r${round}w${writerId}b${batchCounter++}`;
          const size = rng.below(4) === 0 ? 2 + rng.below(6) : 1;
          const ids = Array.from({ length: size }, (_, k) => `${batch}-${k}`);
          const durability: Durability = rng.below(5) === 0 ? 'batch' : 'sync';
          try {
            const result = await db.batch(ids.map((id, k) => ({ op: 'put' as const, coll: 'docs', id, doc: { n: k, batch, size, pad: 'x'.repeat(rng.below(300)) } })), { durability });
            if (durability === 'sync') acked.push({ ids, lastSeq: result.lastSeq });
          } catch (error) {
            if (!stop) unexpected.push(error);
            return; // the disk crashed under this writer
          }
        }
      };
      const writers = Array.from({ length: 1 + rng.below(4) }, (_, w) => writer(w));
      const checkpoints = rng.below(3) === 0 ? db.checkpoint().catch(() => undefined) : Promise.resolve();
      // Crash either at a random moment or exactly while an fsync is in flight.
      const whileSyncing = round % 2 === 0;
      const turns = 1 + rng.below(60);
      for (let t = 0; t < turns || (whileSyncing && fs.syncsInFlight === 0 && t < turns + 500); t++)
        await new Promise<void>((resolve) => setImmediate(resolve));
      if (fs.syncsInFlight > 0) inFlightCrashes++;
      expect(unexpected, 'a write failed before the crash').toEqual([]);
      fs.crash((bytes) => rng.below(bytes + 1));
      stop = true;
      await Promise.all(writers);
      await checkpoints;
    }
    const { data, db } = await openDb(fs, { checkpointEveryWrites: 0 });
    const final = await checkAfterCrash(db, 'docs', acked);
    expect(final.documents).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(rounds);
    expect(inFlightCrashes).toBeGreaterThanOrEqual(Math.floor(rounds / 2));
    await data.close();
  });
});
