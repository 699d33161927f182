// Backup throughput against the disk (docs/BACKUP.md): builds an explorer database of N block documents
// (shared/WORKLOAD.md fields; async durability, checkpoints as it goes, a log tail after the last one), then in
// the same run measures
//   - the disk's sequential write rate: 1 GiB written in 1 MiB chunks to a file, then fsynced, on the same
//     file system as the data and the backup;
//   - `Database.backup` with `checkpoint: false` (copy of the last checkpoint + the log tail + fsync + marker),
//     then the default `Database.backup` (checkpoint + copy + fsync + BACKUP marker), in MiB/s of bytes copied;
//   - `restoreBackup` of that backup (copy with CRC checks + verify of every checksum), in MiB/s.
// Standalone, bundled with esbuild's JS API:
//   node -e "import('esbuild').then((e) => e.build({ entryPoints: ['bench/backup.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: 'dist/bench-backup.js' }))"
//   node dist/bench-backup.js [--docs 1000000] [--dir /path/on/the/disk/to/test] [--disk-mib 1024]
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataDirectory, restoreBackup, type BatchOp } from '../core/index.js';
import { blockRange, blocksCollName, explorerDbName } from './blocks.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const docs = Number(argument('docs', '1000000'));
const baseDir = argument('dir', tmpdir());
const diskMib = Number(argument('disk-mib', '1024'));
const batchDocs = 1000;
const checkpointEveryDocs = 200_000;
/** Written after the last checkpoint, so the backup also copies a live log tail. */
const tailDocs = Math.min(20_000, Math.floor(docs / 20));

const mib = 1 << 20;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Sequential write rate: `totalMib` MiB in 1 MiB writes, then one fsync; MiB/s over the whole. */
function diskWriteMibPerSecond(dir: string, totalMib: number): number {
  const path = join(dir, 'disk-rate.bin');
  const chunk = Buffer.alloc(mib);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24; // not all zeros
  const fd = openSync(path, 'w');
  const start = performance.now();
  try {
    for (let i = 0; i < totalMib; i++) {
      let done = 0;
      while (done < mib) done += writeSync(fd, chunk, done, mib - done);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - start) / 1000;
  unlinkSync(path);
  return totalMib / seconds;
}

async function buildDatabase(dataDir: string): Promise<void> {
  const data = await DataDirectory.open(dataDir, { durability: 'async', checkpointIntervalSeconds: 0, checkpointEveryWrites: 0 });
  const db = await data.create(explorerDbName);
  const start = performance.now();
  let sinceCheckpoint = 0;
  for (let first = 0; first < docs; first += batchDocs) {
    const count = Math.min(batchDocs, docs - first);
    const ops: BatchOp[] = blockRange(first, count).map((doc) => ({ op: 'put', coll: blocksCollName, id: String(doc.height), doc }));
    await db.batch(ops);
    sinceCheckpoint += count;
    if (sinceCheckpoint >= checkpointEveryDocs && first + count < docs - tailDocs) {
      await db.checkpoint();
      sinceCheckpoint = 0;
      log(`  ${first + count} documents, checkpointed`);
    }
  }
  await db.flush();
  log(`built ${docs} documents in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  await data.close();
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(baseDir, 'nedb-bench-backup-'));
  try {
    const dataDir = join(root, 'data');
    await buildDatabase(dataDir);
    const diskBefore = diskWriteMibPerSecond(root, diskMib);
    log(`disk: ${diskBefore.toFixed(1)} MiB/s sequential write + fsync (${diskMib} MiB in 1 MiB chunks)`);

    const data = await DataDirectory.open(dataDir, { checkpointIntervalSeconds: 0, checkpointEveryWrites: 0 });
    const db = await data.open(explorerDbName);
    // First without a checkpoint (the last checkpoint's snapshots + the log tail), then the default backup.
    const plainStart = performance.now();
    const plain = await db.backup(join(root, 'backup-no-checkpoint'), undefined, { checkpoint: false });
    const plainSeconds = (performance.now() - plainStart) / 1000;
    const plainMibPerSecond = plain.bytes / mib / plainSeconds;
    log(`backup --no-checkpoint: ${(plain.bytes / mib).toFixed(1)} MiB, ${plain.files} files in ${plainSeconds.toFixed(2)} s: ${plainMibPerSecond.toFixed(1)} MiB/s`);
    rmSync(join(root, 'backup-no-checkpoint'), { recursive: true, force: true });

    const target = join(root, 'backup');
    const backupStart = performance.now();
    let copyStart = 0;
    let copyEnd = 0;
    const result = await db.backup(target, (progress) => {
      if (progress.phase === 'copy' && copyStart === 0) copyStart = performance.now();
      if (progress.phase === 'sync') copyEnd = performance.now();
    });
    const backupSeconds = (performance.now() - backupStart) / 1000;
    await data.close();
    const backupMibPerSecond = result.bytes / mib / backupSeconds;
    const checkpointSeconds = (copyStart - backupStart) / 1000;
    const copyMibPerSecond = result.bytes / mib / ((copyEnd - copyStart) / 1000);
    log(`backup: ${(result.bytes / mib).toFixed(1)} MiB, ${result.files} files, at seq ${result.seq} in ${backupSeconds.toFixed(2)} s: ${backupMibPerSecond.toFixed(1)} MiB/s`);
    log(`  of which the checkpoint (snapshots of the ${tailDocs}-document tail) took ${checkpointSeconds.toFixed(2)} s; the copy ran at ${copyMibPerSecond.toFixed(1)} MiB/s`);

    const restoreStart = performance.now();
    await restoreBackup(target, join(root, 'restored'));
    const restoreSeconds = (performance.now() - restoreStart) / 1000;
    const restoreMibPerSecond = result.bytes / mib / restoreSeconds;
    log(`restore (copy + every checksum verified): ${restoreSeconds.toFixed(2)} s: ${restoreMibPerSecond.toFixed(1)} MiB/s`);

    const diskAfter = diskWriteMibPerSecond(root, diskMib);
    log(`disk again: ${diskAfter.toFixed(1)} MiB/s`);
    const disk = (diskBefore + diskAfter) / 2;
    const summary = {
      docs,
      backupBytes: result.bytes,
      backupFiles: result.files,
      backupSeconds: Number(backupSeconds.toFixed(3)),
      backupMibPerSecond: Number(backupMibPerSecond.toFixed(1)),
      noCheckpointBackupMibPerSecond: Number(plainMibPerSecond.toFixed(1)),
      noCheckpointRatio: Number((plainMibPerSecond / ((diskBefore + diskAfter) / 2)).toFixed(2)),
      checkpointSeconds: Number(checkpointSeconds.toFixed(3)),
      copyMibPerSecond: Number(copyMibPerSecond.toFixed(1)),
      restoreMibPerSecond: Number(restoreMibPerSecond.toFixed(1)),
      diskWriteMibPerSecond: [Number(diskBefore.toFixed(1)), Number(diskAfter.toFixed(1))],
      backupToDiskRatio: Number((backupMibPerSecond / disk).toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
