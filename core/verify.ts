// `nedb verify` and `nedb repair`. Verify reads every MANIFEST, snapshot and log segment of a data directory,
// checks every CRC, and reports damage with file and byte offset; it changes no file and takes no lock.
// Repair keeps the intact prefix of each damaged log, moves the damaged rest (and any later segment of the
// same partition) aside into <db>/damaged/, and says what it dropped.

import { isNedbError } from './errors.js';
import { DirectoryLock } from './lock.js';
import { readManifest } from './manifest.js';
import { nodeFileSystem } from './platform/node-file-system.js';
import { type FileSystem, readWholeFile } from './platform/file-system.js';
import { type ProcessInfo, systemProcessInfo } from './platform/process-info.js';
import { type Logger, silentLogger } from './platform/logger.js';
import { systemClock } from './platform/clock.js';
import { listSegments, parseSegmentFileName, scanSegment, segmentFileName } from './log/segment.js';
import { SnapshotReader } from './snapshot/snapshot-reader.js';
import { dbNamePattern } from './limits.js';

export interface VerifyProblem {
  database: string;
  file: string;
  offset: number;
  reason: string;
  /** damage: data before it is intact, after it is not; torn-tail: what a crash leaves, cut at the next start. */
  severity: 'damage' | 'torn-tail';
}

export interface VerifyReport {
  ok: boolean;
  databases: { name: string; segments: number; records: number; snapshots: number; documents: number }[];
  problems: VerifyProblem[];
}

export interface RepairReport {
  actions: { database: string; file: string; offset: number; bytesMoved: number; movedTo: string; reason: string }[];
  /** Problems repair cannot fix (a damaged snapshot or MANIFEST): restore those from a backup. */
  unrepairable: VerifyProblem[];
}

async function databaseNames(fs: FileSystem, dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await fs.list(dir))
    if (dbNamePattern.test(name) && (await fs.exists(`${dir}/${name}/MANIFEST`))) names.push(name);
  return names.sort();
}


export async function verifyDataDirectory(dir: string, fs: FileSystem = nodeFileSystem): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, databases: [], problems: [] };
  for (const name of await databaseNames(fs, dir)) {
    const dbDir = `${dir}/${name}`;
    const summary = { name, segments: 0, records: 0, snapshots: 0, documents: 0 };
    report.databases.push(summary);
    const problem = (file: string, offset: number, reason: string, severity: VerifyProblem['severity'] = 'damage') =>
      report.problems.push({ database: name, file, offset, reason, severity });
    let manifest;
    try {
      manifest = await readManifest(fs, dbDir);
    } catch (error) {
      problem(`${dbDir}/MANIFEST`, 0, isNedbError(error) ? error.message : String(error));
      continue;
    }
    for (const snapshot of manifest.checkpoint.snapshots) {
      if (snapshot === null) continue;
      const path = `${dbDir}/snap/${snapshot}`;
      try {
        const reader = await SnapshotReader.open(fs, path);
        try {
          for (let i = 0; i < reader.keyCount; i++) reader.rawRecord(i);
          summary.snapshots++;
          summary.documents += reader.keyCount;
        } finally {
          await reader.close();
        }
      } catch (error) {
        const details = isNedbError(error) ? error.details : {};
        problem(path, typeof details.offset === 'number' ? details.offset : 0, isNedbError(error) ? String(details.reason ?? error.message) : String(error));
      }
    }
    for (const where of ['wal', 'archive']) {
      const segmentDir = `${dbDir}/${where}`;
      for (let p = 0; p < manifest.partitions; p++) {
        const numbers = await listSegments(fs, segmentDir, p);
        for (const [i, segmentNo] of numbers.entries()) {
          const path = `${segmentDir}/${segmentFileName(p, segmentNo)}`;
          summary.segments++;
          try {
            const scan = scanSegment(await readWholeFile(fs, path), p, segmentNo, path);
            summary.records += scan.records.length;
            const isLastLive = where === 'wal' && i === numbers.length - 1;
            if (scan.damage !== undefined) problem(path, scan.damage.offset, scan.damage.reason);
            else if (scan.torn !== undefined) problem(path, scan.torn.offset, scan.torn.reason, isLastLive ? 'torn-tail' : 'damage');
          } catch (error) {
            problem(path, 0, isNedbError(error) ? error.message : String(error));
          }
        }
      }
    }
  }
  report.ok = report.problems.every((p) => p.severity === 'torn-tail');
  return report;
}

export async function repairDataDirectory(
  dir: string,
  options: { fs?: FileSystem; processes?: ProcessInfo; logger?: Logger } = {},
): Promise<RepairReport> {
  const fs = options.fs ?? nodeFileSystem;
  const logger = options.logger ?? silentLogger;
  const lock = await DirectoryLock.acquire(fs, dir, options.processes ?? systemProcessInfo, systemClock.nowMs(), logger);
  try {
    const report: RepairReport = { actions: [], unrepairable: [] };
    const verified = await verifyDataDirectory(dir, fs);
    const damagedLogs = new Map<string, VerifyProblem>();
    for (const problem of verified.problems) {
      const name = problem.file.slice(problem.file.lastIndexOf('/') + 1);
      if (parseSegmentFileName(name) !== undefined && problem.file.includes('/wal/')) damagedLogs.set(problem.file, problem);
      else if (problem.severity === 'damage') report.unrepairable.push(problem);
    }
    const handled = new Set<string>();
    for (const problem of damagedLogs.values()) {
      if (handled.has(problem.file)) continue;
      const name = problem.file.slice(problem.file.lastIndexOf('/') + 1);
      const { partition, segmentNo } = parseSegmentFileName(name)!;
      const dbDir = `${dir}/${problem.database}`;
      const damagedDir = `${dbDir}/damaged`;
      await fs.mkdir(damagedDir);
      await fs.syncDir(dbDir);
      // The damaged rest of this segment, then every later segment of the partition (they follow a gap).
      const bytes = await readWholeFile(fs, problem.file);
      const restPath = `${damagedDir}/${name}.from-${problem.offset}`;
      await writeFileDurably(fs, restPath, bytes.subarray(problem.offset));
      const file = await fs.open(problem.file, 'readWrite');
      try {
        await file.truncate(problem.offset);
        await file.datasync();
      } finally {
        await file.close();
      }
      report.actions.push({ database: problem.database, file: problem.file, offset: problem.offset, bytesMoved: bytes.length - problem.offset, movedTo: restPath, reason: problem.reason });
      handled.add(problem.file);
      for (const later of await listSegments(fs, `${dbDir}/wal`, partition)) {
        if (later <= segmentNo) continue;
        const laterName = segmentFileName(partition, later);
        const laterPath = `${dbDir}/wal/${laterName}`;
        const laterBytes = (await readWholeFile(fs, laterPath)).length;
        await fs.rename(laterPath, `${damagedDir}/${laterName}`);
        report.actions.push({ database: problem.database, file: laterPath, offset: 0, bytesMoved: laterBytes, movedTo: `${damagedDir}/${laterName}`, reason: 'follows a damaged segment of the same partition' });
        handled.add(laterPath);
      }
      await fs.syncDir(damagedDir);
      await fs.syncDir(`${dbDir}/wal`);
    }
    return report;
  } finally {
    await lock.release();
  }
}

async function writeFileDurably(fs: FileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const file = await fs.open(path, 'createExclusive').catch(async () => {
    await fs.unlink(path);
    return fs.open(path, 'createExclusive');
  });
  try {
    await file.write(bytes, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
}


