// Online backup and restore of one database (docs/BACKUP.md).
//
// INVARIANT. A complete backup is a copy of one database at exactly one seq C: every write with a seq at or
// below C is in it and nothing above C is. It is made while the database keeps serving and writing:
//   1. Take a checkpoint at S and hold off every other checkpoint until the copy is done
//      (InlinePartitionSet.checkpointAndHold). Its MANIFEST names snapshots covering every seq ≤ S; while
//      checkpoints are held, none of those snapshots is deleted and no segment at or above its logStart is
//      archived, so every file the copy needs stays where the MANIFEST says.
//   2. C = the durable seq right after that checkpoint (≥ S: the checkpoint flushed everything appended up to
//      S). The durable seq only ever sits on a write boundary (a write appends all its records in one
//      synchronous step, and the committer takes its watermarks between steps), and every record at or
//      below it has been written and fdatasynced before C is read, so it is in the segment files in full.
//   3. Copy the MANIFEST as of the checkpoint (re-encoded from memory, so a concurrent index-definition
//      update cannot slip in), the snapshots it names (immutable), the history archive (immutable), and per
//      partition the live segments from logStart on, each cut after its last record whose seq is ≤ C. A
//      write spanning partitions has every part's seq in [firstSeq, lastSeq] and C is on a write boundary,
//      so each write is copied whole or not at all; records above C (being appended meanwhile, possibly
//      torn) are never copied, so there is neither a gap nor a torn tail for recovery to cut.
//   4. Check the copy by replaying it as recovery does (FORMAT.md §6): the gap-free end must be exactly C.
//   5. fdatasync every file and fsync every directory of the copy, then write the BACKUP marker last (seq C,
//      every file with its size and CRC-32C; temp file, fdatasync, rename, fsync). A directory without a
//      valid BACKUP marker is an unfinished backup and restore refuses it.
// A write acknowledged before the backup started has a seq ≤ S ≤ C, so it is in the backup. The copy runs
// beside the writers: they only wait for the step-1 checkpoint's own synchronous seal, as with any checkpoint.
// Without a checkpoint (`checkpoint: false`) step 1 only holds checkpoints and flushes (every write appended
// so far becomes durable, so again every acknowledged write has a seq ≤ C), and S is the last checkpoint's
// seq: the copy holds that checkpoint's snapshots and the whole log after it. The same invariant holds.
//
// Restore copies a backup into a data directory where the database does not exist yet, checking every file's
// size and CRC-32C against the marker while copying, replays the copied log (gap-free end must be C), writes
// the MANIFEST last (before it the directory is not a database), then verifies every checksum of the
// restored files (verifyDataDirectory). Anything that fails removes what was copied.
import { dirname } from 'node:path';
import { NedbError } from './errors.js';
import { crc32c } from './crc32c.js';
import { dbNamePattern } from './limits.js';
import type { FileHandle, FileSystem } from './platform/file-system.js';
import { errorCode, readWholeFile } from './platform/file-system.js';
import type { Clock } from './platform/clock.js';
import { type Logger, silentLogger } from './platform/logger.js';
import { type ProcessInfo, systemProcessInfo } from './platform/process-info.js';
import { systemClock } from './platform/clock.js';
import { nodeFileSystem } from './platform/node-file-system.js';
import { DirectoryLock } from './lock.js';
import { type Manifest, decodeManifest, encodeManifest, removeIfPresent } from './manifest.js';
import { listSegments, parseSegmentFileName, scanSegment, segmentFileName } from './log/segment.js';
import { recoverLogs } from './recovery.js';
import type { CheckpointOutcome } from './partition/partition-set.js';
import type { DatabasePaths } from './partition/inline-partition-set.js';
import { verifyDataDirectory } from './verify.js';

export const backupMarkerName = 'BACKUP';
export const backupMagic = 'NEDBBKUP';
export const backupFormatVersion = 1;
const markerHeaderBytes = 24;
const copyChunkBytes = 4 << 20;

/** One file of a backup, relative to the database's backup directory (`MANIFEST`, `snap/…`, `wal/…`, `archive/…`). */
export interface BackupFile {
  path: string;
  bytes: number;
  crc32c: number;
}

/** The body of the BACKUP marker (docs/BACKUP.md). */
export interface BackupMarker {
  database: string;
  /** The backup holds every write with a seq at or below this, and nothing above. */
  seq: number;
  /** The seq of the checkpoint whose snapshots the backup holds. */
  checkpointSeq: number;
  partitions: number;
  createdMs: number;
  files: BackupFile[];
}

export interface BackupProgress {
  phase: 'checkpoint' | 'copy' | 'sync';
  bytesDone: number;
  bytesTotal: number;
}

export interface BackupResult {
  database: string;
  /** The database's backup directory: `<target>/<database>`. */
  dir: string;
  seq: number;
  checkpointSeq: number;
  files: number;
  bytes: number;
  ms: number;
}

/** What a backup needs from an open database (Database.backup supplies it). */
export interface BackupSource {
  name: string;
  paths: DatabasePaths;
  fs: FileSystem;
  clock: Clock;
  checkpointAndHold<T>(work: (manifest: Manifest, outcome: CheckpointOutcome) => Promise<T>): Promise<T>;
  /** Every seq at or below it is written and fdatasynced. */
  durableSeq(): number;
}

/** A backup that cannot be restored: a file is missing, damaged or does not match the BACKUP marker. */
/** A backup that cannot be restored (missing, unfinished or damaged): BACKUP_INVALID, naming the file. */
export class BackupError extends NedbError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super('BACKUP_INVALID', { file, reason });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Backup

/** Backs up one open database into `<targetDir>/<name>`, which must not exist or be empty. */
export async function backupDatabase(source: BackupSource, targetDir: string, onProgress: (progress: BackupProgress) => void = () => {}): Promise<BackupResult> {
  const { fs, clock, name } = source;
  const startMs = clock.monotonicMs();
  const dir = `${targetDir}/${name}`;
  await prepareEmptyDir(fs, dir, 'the backup directory');
  for (const sub of ['snap', 'wal', 'archive']) await fs.mkdir(`${dir}/${sub}`);
  onProgress({ phase: 'checkpoint', bytesDone: 0, bytesTotal: 0 });
  const copied = await source.checkpointAndHold(async (manifest) => {
    const seq = source.durableSeq();
    const files = await copyDatabaseFiles(source, manifest, seq, dir, onProgress);
    return { manifest, seq, files };
  });
  const { manifest, seq, files } = copied;
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
  onProgress({ phase: 'sync', bytesDone: bytes, bytesTotal: bytes });
  await syncFiles(fs, files.map((file) => `${dir}/${file.path}`));
  for (const sub of ['snap', 'wal', 'archive']) await fs.syncDir(`${dir}/${sub}`);
  await fs.syncDir(dir);
  await checkReplaysTo(fs, dir, manifest, seq);
  const marker: BackupMarker = { database: name, seq, checkpointSeq: manifest.checkpoint.seq, partitions: manifest.partitions, createdMs: clock.nowMs(), files };
  await writeFileAtomically(fs, dir, backupMarkerName, encodeBackupMarker(marker));
  await fs.syncDir(targetDir);
  return { database: name, dir, seq, checkpointSeq: manifest.checkpoint.seq, files: files.length, bytes, ms: clock.monotonicMs() - startMs };
}

interface PlannedCopy {
  /** Relative to the database directory. */
  path: string;
  bytes: number;
  /** Live log segments: cut after the last record at or below the backup seq. */
  cutAtSeq: boolean;
}

async function copyDatabaseFiles(source: BackupSource, manifest: Manifest, seq: number, dir: string, onProgress: (progress: BackupProgress) => void): Promise<BackupFile[]> {
  const { fs, paths } = source;
  const planned: PlannedCopy[] = [];
  const plan = async (path: string, cutAtSeq: boolean) => planned.push({ path, bytes: await fileSize(fs, `${paths.dir}/${path}`), cutAtSeq });
  for (const snapshot of manifest.checkpoint.snapshots) if (snapshot !== null) await plan(`snap/${snapshot}`, false);
  // Sorted index files are immutable like snapshots and held by the same checkpoint hold.
  for (const entry of manifest.checkpoint.indexFiles ?? []) await plan(`snap/${entry.file}`, false);
  for (const name of (await fs.list(paths.archive)).sort()) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== undefined && parsed.partition < manifest.partitions) await plan(`archive/${name}`, false);
  }
  for (let p = 0; p < manifest.partitions; p++)
    for (const segmentNo of await listSegments(fs, paths.wal, p))
      if (segmentNo >= manifest.checkpoint.logStart[p]!) await plan(`wal/${segmentFileName(p, segmentNo)}`, true);
  const bytesTotal = planned.reduce((sum, file) => sum + file.bytes, 0);
  let bytesDone = 0;
  const progress = (bytes: number) => {
    bytesDone += bytes;
    onProgress({ phase: 'copy', bytesDone, bytesTotal });
  };
  const files: BackupFile[] = [];
  const endedPartitions = new Set<number>();
  for (const file of planned) {
    const from = `${paths.dir}/${file.path}`;
    const to = `${dir}/${file.path}`;
    if (!file.cutAtSeq) {
      files.push({ path: file.path, ...(await copyWhole(fs, from, to, progress)) });
      continue;
    }
    const { partition, segmentNo } = parseSegmentFileName(file.path.slice('wal/'.length))!;
    if (endedPartitions.has(partition)) continue;
    const bytes = await readWholeFile(fs, from);
    const end = endOfRecordsUpTo(bytes, partition, segmentNo, from, seq);
    progress(file.bytes);
    if (end === undefined) {
      endedPartitions.add(partition); // this segment and every later one hold only seqs above the backup seq
      continue;
    }
    await writeNewFile(fs, to, bytes.subarray(0, end), false);
    files.push({ path: file.path, bytes: end, crc32c: crc32c(bytes, 0, end) });
  }
  const manifestBytes = encodeManifest(manifest);
  await writeNewFile(fs, `${dir}/MANIFEST`, manifestBytes, false);
  files.push({ path: 'MANIFEST', bytes: manifestBytes.length, crc32c: crc32c(manifestBytes) });
  return files;
}

/**
 * The offset after the last record whose seq is ≤ `seq`; undefined when the segment holds none (or its
 * header was never written: a segment being created right now). Records above `seq` end the copy, so their
 * state (complete, torn, being written right now) does not matter. Whether every record at or below `seq`
 * was found is checked once for the whole copy (checkReplaysTo).
 */
function endOfRecordsUpTo(bytes: Uint8Array, partition: number, segmentNo: number, path: string, seq: number): number | undefined {
  const scan = scanSegment(bytes, partition, segmentNo, path);
  if (scan.headerTorn) return undefined;
  let end: number | undefined;
  for (const { record, endOffset } of scan.records) {
    if (record.seq > seq) return end;
    end = endOffset;
  }
  return end;
}

/** The copied log must replay, as recovery does, to exactly the backup seq: nothing missing, nothing extra. */
async function checkReplaysTo(fs: FileSystem, dir: string, manifest: Manifest, seq: number): Promise<void> {
  const recovered = await recoverLogs(fs, `${dir}/wal`, manifest, () => {});
  if (recovered.lastSeq !== seq || recovered.repairs.length > 0)
    throw new BackupError(
      `${dir}/wal`,
      `the copied log replays to seq ${recovered.lastSeq} (${recovered.repairs.length} repairs), not to the backup seq ${seq}; ` +
        'run `nedb verify` on the source: its log may be damaged',
    );
}

// ---------------------------------------------------------------------------------------------------------
// Restore

export interface RestoreOptions {
  fs?: FileSystem;
  clock?: Clock;
  logger?: Logger;
  processes?: ProcessInfo;
  /** Restore only this database of a backup directory holding several. */
  db?: string;
  onProgress?: (progress: { database: string; bytesDone: number; bytesTotal: number }) => void;
}

export interface RestoreResult {
  database: string;
  dir: string;
  seq: number;
  files: number;
  bytes: number;
}

/**
 * Makes databases in `dataDir` from a backup directory: either one database's backup (it holds a BACKUP
 * marker) or a directory of them (`nedb backup DIR` writes `DIR/<db>/`). Every database to restore must not
 * exist in `dataDir` yet. Takes the data directory's lock, so a server holding it makes this fail (LOCKED).
 */
export async function restoreBackup(backupDir: string, dataDir: string, options: RestoreOptions = {}): Promise<RestoreResult[]> {
  const fs = options.fs ?? nodeFileSystem;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const sources = await findBackups(fs, backupDir, options.db);
  const markers = [];
  for (const source of sources) markers.push({ source, marker: decodeBackupMarker(await readMarker(fs, source), `${source}/${backupMarkerName}`) });
  if (!(await fs.exists(dataDir))) {
    await fs.mkdir(dataDir);
    await fs.syncDir(dirname(dataDir));
  }
  const lock = await DirectoryLock.acquire(fs, dataDir, options.processes ?? systemProcessInfo, clock.nowMs(), logger);
  try {
    for (const { marker } of markers) await checkRestoreTarget(fs, dataDir, marker.database);
    const results: RestoreResult[] = [];
    try {
      for (const { source, marker } of markers) results.push(await restoreOne(fs, source, dataDir, marker, options.onProgress));
      // Every checksum of every restored file, read back from the data directory (one pass for all databases).
      const report = await verifyDataDirectory(dataDir, fs);
      const problem = report.problems.find((p) => results.some((result) => result.database === p.database));
      if (problem !== undefined) throw new BackupError(problem.file, `damaged at byte ${problem.offset} after restoring: ${problem.reason}`);
    } catch (error) {
      for (const result of results) await removeRestored(fs, dataDir, result.database);
      throw error;
    }
    return results;
  } finally {
    await lock.release();
  }
}

async function findBackups(fs: FileSystem, backupDir: string, only: string | undefined): Promise<string[]> {
  if (!(await fs.exists(backupDir))) throw new BackupError(backupDir, 'no such directory; name the directory `nedb backup` wrote');
  if (await fs.exists(`${backupDir}/${backupMarkerName}`)) return [backupDir];
  if (await fs.exists(`${backupDir}/MANIFEST`))
    throw new BackupError(`${backupDir}/${backupMarkerName}`, 'missing: the backup did not finish; run `nedb backup` again');
  const found: string[] = [];
  for (const name of (await fs.list(backupDir)).sort()) {
    if (!dbNamePattern.test(name) || (only !== undefined && name !== only)) continue;
    const dir = `${backupDir}/${name}`;
    if (await fs.exists(`${dir}/${backupMarkerName}`)) found.push(dir);
    else if (await fs.exists(`${dir}/MANIFEST`))
      throw new BackupError(`${dir}/${backupMarkerName}`, 'missing: the backup of this database did not finish; run `nedb backup` again');
  }
  if (found.length === 0)
    throw new BackupError(backupDir, only === undefined ? 'holds no backup (no <db>/BACKUP file)' : `holds no backup of database ${only}`);
  return found;
}

async function readMarker(fs: FileSystem, dir: string): Promise<Uint8Array> {
  return fs.readFile(`${dir}/${backupMarkerName}`);
}

async function checkRestoreTarget(fs: FileSystem, dataDir: string, name: string): Promise<void> {
  if (!dbNamePattern.test(name)) throw new NedbError('DB_NAME_INVALID', { name });
  const dir = `${dataDir}/${name}`;
  if (await fs.exists(`${dir}/MANIFEST`)) throw new NedbError('DB_EXISTS', { name });
  if ((await fs.list(dir)).length > 0)
    throw new NedbError('OPTION_INVALID', { name: '--data', reason: `${dir} is not empty; restore into a data directory without it` });
}

async function restoreOne(
  fs: FileSystem,
  source: string,
  dataDir: string,
  marker: BackupMarker,
  onProgress: RestoreOptions['onProgress'],
): Promise<RestoreResult> {
  const dir = `${dataDir}/${marker.database}`;
  const bytesTotal = marker.files.reduce((sum, file) => sum + file.bytes, 0);
  let bytesDone = 0;
  const progress = (bytes: number) => {
    bytesDone += bytes;
    onProgress?.({ database: marker.database, bytesDone, bytesTotal });
  };
  const manifestFile = marker.files.find((file) => file.path === 'MANIFEST');
  if (manifestFile === undefined) throw new BackupError(`${source}/${backupMarkerName}`, 'lists no MANIFEST');
  try {
    for (const sub of ['snap', 'wal', 'archive']) await fs.mkdir(`${dir}/${sub}`);
    await fs.syncDir(dataDir);
    await fs.syncDir(dir);
    for (const file of marker.files) {
      if (file.path === 'MANIFEST') continue;
      checkRelativePath(source, file.path);
      const copied = await copyWhole(fs, `${source}/${file.path}`, `${dir}/${file.path}`, progress);
      checkCopied(source, file, copied);
    }
    await syncFiles(fs, marker.files.filter((file) => file.path !== 'MANIFEST').map((file) => `${dir}/${file.path}`));
    for (const sub of ['snap', 'wal', 'archive']) await fs.syncDir(`${dir}/${sub}`);
    const manifestBytes = await fs.readFile(`${source}/MANIFEST`);
    checkCopied(source, manifestFile, { bytes: manifestBytes.length, crc32c: crc32c(manifestBytes) });
    const manifest = decodeManifest(manifestBytes, `${source}/MANIFEST`);
    await checkReplaysTo(fs, dir, manifest, marker.seq);
    // The MANIFEST makes the directory a database: it goes in last (FORMAT.md §9).
    await writeFileAtomically(fs, dir, 'MANIFEST', manifestBytes);
    progress(manifestBytes.length);
    await fs.syncDir(dataDir);
  } catch (error) {
    await removeRestored(fs, dataDir, marker.database);
    throw error;
  }
  return { database: marker.database, dir, seq: marker.seq, files: marker.files.length, bytes: bytesTotal };
}

function checkRelativePath(source: string, path: string): void {
  if (!/^(snap|wal|archive)\/[A-Za-z0-9._-]+$/.test(path)) throw new BackupError(`${source}/${backupMarkerName}`, `names an unexpected file '${path}'`);
}

function checkCopied(source: string, expected: BackupFile, actual: { bytes: number; crc32c: number }): void {
  const path = `${source}/${expected.path}`;
  if (actual.bytes !== expected.bytes) throw new BackupError(path, `is ${actual.bytes} bytes, the BACKUP marker says ${expected.bytes}; this backup is damaged`);
  if (actual.crc32c !== expected.crc32c) throw new BackupError(path, 'CRC-32C does not match the BACKUP marker; this backup is damaged');
}

/** Removes a half-restored database the way a drop does: renamed aside first, so it never looks complete. */
async function removeRestored(fs: FileSystem, dataDir: string, name: string): Promise<void> {
  const aside = `${dataDir}/.dropped-${name}`;
  try {
    await fs.removeTree(aside);
    if (await fs.exists(`${dataDir}/${name}`)) {
      await fs.rename(`${dataDir}/${name}`, aside);
      await fs.syncDir(dataDir);
    }
    await fs.removeTree(aside);
  } catch {
    // best effort: the error that brought us here is the one to report
  }
}

// ---------------------------------------------------------------------------------------------------------
// The BACKUP marker: 0 magic "NEDBBKUP" | 8 u32 formatVersion | 12 u32 bodyBytes | 16 u32 crc32c(body)
// | 20 u32 reserved | 24 body: UTF-8 JSON of BackupMarker (the MANIFEST's framing, FORMAT.md §1).

export function encodeBackupMarker(marker: BackupMarker): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(marker));
  const bytes = new Uint8Array(markerHeaderBytes + body.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = backupMagic.charCodeAt(i);
  view.setUint32(8, backupFormatVersion, true);
  view.setUint32(12, body.length, true);
  view.setUint32(16, crc32c(body), true);
  bytes.set(body, markerHeaderBytes);
  return bytes;
}

export function decodeBackupMarker(bytes: Uint8Array, path: string): BackupMarker {
  const damaged = (reason: string) => new BackupError(path, `${reason}; this backup is damaged or did not finish`);
  if (bytes.length < markerHeaderBytes) throw damaged(`${bytes.length} bytes is too short`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== backupMagic.charCodeAt(i)) throw damaged('magic missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== backupFormatVersion) throw new NedbError('FORMAT_UNSUPPORTED', { file: path, version, supported: backupFormatVersion });
  const bodyBytes = view.getUint32(12, true);
  if (markerHeaderBytes + bodyBytes !== bytes.length) throw damaged('length does not match the file size');
  const body = bytes.subarray(markerHeaderBytes);
  if (crc32c(body) !== view.getUint32(16, true)) throw damaged('CRC-32C mismatch');
  const marker = JSON.parse(new TextDecoder().decode(body)) as BackupMarker;
  if (typeof marker.database !== 'string' || !Number.isSafeInteger(marker.seq) || !Array.isArray(marker.files)) throw damaged('fields missing');
  return marker;
}

// ---------------------------------------------------------------------------------------------------------
// Files

async function prepareEmptyDir(fs: FileSystem, dir: string, what: string): Promise<void> {
  if ((await fs.list(dir)).length > 0)
    throw new NedbError('OPTION_INVALID', { name: 'dir', reason: `${what} ${dir} is not empty; choose a new directory or remove it` });
  const parent = dirname(dir);
  const parentExisted = await fs.exists(parent);
  await fs.mkdir(dir);
  await fs.syncDir(parent);
  if (!parentExisted) await fs.syncDir(dirname(parent));
}

async function fileSize(fs: FileSystem, path: string): Promise<number> {
  const file = await fs.open(path, 'read');
  try {
    return await file.size();
  } finally {
    await file.close();
  }
}


/**
 * Copies a file whole in chunks (reading the next chunk while the last one is written) and answers its size
 * and CRC-32C. The copy is not synced here: syncFiles syncs every copied file at the end, together, which lets
 * the kernel write them back in large runs instead of one small flush per file.
 */
async function copyWhole(fs: FileSystem, from: string, to: string, progress: (bytes: number) => void): Promise<{ bytes: number; crc32c: number }> {
  let source: FileHandle;
  try {
    source = await fs.open(from, 'read');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new BackupError(from, 'missing');
    throw error;
  }
  try {
    const target = await createFile(fs, to);
    try {
      let crc = 0;
      let position = 0;
      let buffers = [new Uint8Array(copyChunkBytes), new Uint8Array(copyChunkBytes)];
      let read = await source.read(buffers[0]!, 0, copyChunkBytes, 0);
      while (read > 0) {
        const chunk = buffers[0]!.subarray(0, read);
        crc = crc32c(chunk, 0, read, crc);
        const next = source.read(buffers[1]!, 0, copyChunkBytes, position + read);
        await target.write(chunk, position);
        position += read;
        progress(read);
        read = await next;
        buffers = [buffers[1]!, buffers[0]!];
      }
      return { bytes: position, crc32c: crc };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function createFile(fs: FileSystem, path: string): Promise<FileHandle> {
  await removeIfPresent(fs, path);
  return fs.open(path, 'createExclusive');
}

async function writeNewFile(fs: FileSystem, path: string, bytes: Uint8Array, sync = true): Promise<void> {
  const file = await createFile(fs, path);
  try {
    await file.write(bytes, 0);
    if (sync) await file.datasync();
  } finally {
    await file.close();
  }
}

/** fdatasyncs files, a few at a time. */
async function syncFiles(fs: FileSystem, paths: string[]): Promise<void> {
  const concurrency = 8;
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const file = await fs.open(paths[next++]!, 'readWrite');
      try {
        await file.datasync();
      } finally {
        await file.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
}

/** temp file, fdatasync, rename over `name`, fsync the directory: the file is there whole or not at all. */
async function writeFileAtomically(fs: FileSystem, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  await writeNewFile(fs, `${dir}/${name}.tmp`, bytes);
  await fs.rename(`${dir}/${name}.tmp`, `${dir}/${name}`);
  await fs.syncDir(dir);
}
