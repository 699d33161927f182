// Start-up recovery of a database's logs (FORMAT.md §6 is this file's table). Reads each partition's segments
// from the MANIFEST's log start, classifies torn tails and damage, and cuts every partition back to the
// gap-free prefix: the highest seq N such that every seq from the checkpoint to N is in an intact record of a
// complete transaction. A record durable above a lost lower seq was never acknowledged; it is dropped, never
// exposed. Repairs (truncations, removal of segments past the cut) are planned here and carried out by the
// caller only when the database is opened for writing.
import { NedbError } from './errors.js';
import type { Manifest } from './manifest.js';
import { type FileSystem, readWholeFile } from './platform/file-system.js';
import type { Logger } from './platform/logger.js';
import type { TxnRecord } from './log/record.js';
import { type SegmentScan, listSegments, scanSegment, segmentFileName, segmentHeaderBytes } from './log/segment.js';

export interface RecoveredPartition {
  partition: number;
  /** Intact records above the checkpoint and at or below the cut, in log order. */
  records: TxnRecord[];
  /** The segment to keep appending to, and its valid length (0: no such file, create it). */
  segmentNo: number;
  fileBytes: number;
  /** Segments below the log start still in wal/ (a checkpoint that crashed before archiving them). */
  unarchived: number[];
}

export type RepairAction =
  | { kind: 'truncate'; path: string; length: number; reason: string }
  | { kind: 'unlink'; path: string; reason: string };

export interface RecoveredLogs {
  lastSeq: number;
  partitions: RecoveredPartition[];
  repairs: RepairAction[];
  bytesRead: number;
}

interface ScannedSegment {
  segmentNo: number;
  path: string;
  scan: SegmentScan;
}

export async function recoverLogs(
  fs: FileSystem,
  walDir: string,
  manifest: Manifest,
  onBytes: (bytes: number) => void,
): Promise<RecoveredLogs> {
  const checkpointSeq = manifest.checkpoint.seq;
  // Partitions are read concurrently (their segments in order): start time is mostly I/O latency.
  const perPartition = await Promise.all(
    Array.from({ length: manifest.partitions }, async (_, p) => {
      const start = manifest.checkpoint.logStart[p]!;
      const all = await listSegments(fs, walDir, p);
      const replayed = all.filter((n) => n >= start);
      replayed.forEach((segmentNo, i) => {
        const expected = i === 0 ? start : replayed[i - 1]! + 1;
        if (segmentNo !== expected)
          throw new NedbError('LOG_CORRUPT', {
            file: `${walDir}/${segmentFileName(p, expected)}`,
            offset: 0,
            reason: 'this log segment is missing (segments are numbered without gaps)',
          });
      });
      const segments: ScannedSegment[] = [];
      for (const segmentNo of replayed) {
        const path = `${walDir}/${segmentFileName(p, segmentNo)}`;
        const bytes = await readWholeFile(fs, path);
        onBytes(bytes.length);
        segments.push({ segmentNo, path, scan: scanSegment(bytes, p, segmentNo, path) });
      }
      checkSegments(segments);
      return { segments, unarchived: all.filter((n) => n < start), bytes: segments.reduce((sum, s) => sum + s.scan.fileBytes, 0) };
    }),
  );
  const scanned = perPartition.map((part) => part.segments);
  const unarchived = perPartition.map((part) => part.unarchived);
  const bytesRead = perPartition.reduce((sum, part) => sum + part.bytes, 0);
  const lastSeq = gapFreeEnd(scanned, checkpointSeq);
  const repairs: RepairAction[] = [];
  const partitions = scanned.map((segments, p) =>
    cutPartition(p, segments, checkpointSeq, lastSeq, manifest.checkpoint.logStart[p]!, unarchived[p]!, repairs),
  );
  return { lastSeq, partitions, repairs, bytesRead };
}

/** Damage anywhere, or a torn record in any segment but the last, stops the start. */
function checkSegments(segments: ScannedSegment[]): void {
  segments.forEach((segment, i) => {
    const isLast = i === segments.length - 1;
    const { scan } = segment;
    if (scan.damage !== undefined)
      throw new NedbError('LOG_CORRUPT', { file: segment.path, offset: scan.damage.offset, reason: scan.damage.reason });
    if (!isLast && scan.headerTorn)
      throw new NedbError('LOG_CORRUPT', { file: segment.path, offset: 0, reason: 'segment header missing before the last segment' });
    if (!isLast && scan.torn !== undefined)
      throw new NedbError('LOG_CORRUPT', {
        file: segment.path,
        offset: scan.torn.offset,
        reason: `${scan.torn.reason}, in a segment that is not the last`,
      });
  });
}

/** The highest seq such that every seq in (checkpointSeq, it] is covered by a complete transaction. */
function gapFreeEnd(scanned: ScannedSegment[][], checkpointSeq: number): number {
  const rangeEnds = new Map<number, number>(); // first seq → last seq
  const parts = new Map<number, { seen: number; needed: number; last: number }>();
  for (const segments of scanned)
    for (const { scan } of segments)
      for (const { record } of scan.records) {
        if (record.seq <= checkpointSeq) continue;
        if (record.span === null) {
          rangeEnds.set(record.seq, record.ops[record.ops.length - 1]!.seq);
          continue;
        }
        const span = record.span;
        const entry = parts.get(span.firstSeq) ?? { seen: 0, needed: span.parts, last: span.lastSeq };
        entry.seen++;
        parts.set(span.firstSeq, entry);
      }
  for (const [first, entry] of parts) if (entry.seen === entry.needed) rangeEnds.set(first, entry.last);
  let next = checkpointSeq + 1;
  for (let end = rangeEnds.get(next); end !== undefined; end = rangeEnds.get(next)) next = end + 1;
  return next - 1;
}

function cutPartition(
  partition: number,
  segments: ScannedSegment[],
  checkpointSeq: number,
  lastSeq: number,
  logStart: number,
  unarchived: number[],
  repairs: RepairAction[],
): RecoveredPartition {
  const records: TxnRecord[] = [];
  let keepSegment = -1; // index into segments of the segment appends continue in
  let keepBytes = 0;
  let cut = false;
  for (let i = 0; i < segments.length; i++) {
    const { scan, path } = segments[i]!;
    if (cut) {
      repairs.push({ kind: 'unlink', path, reason: 'holds only records past the gap-free end of the log' });
      continue;
    }
    if (scan.headerTorn) {
      repairs.push({ kind: 'unlink', path, reason: 'segment created just before a crash, header never written' });
      continue;
    }
    keepSegment = i;
    keepBytes = scan.validEnd;
    for (const { record, offset } of scan.records) {
      const recordLast = record.ops[record.ops.length - 1]!.seq;
      if (recordLast <= checkpointSeq) continue;
      if (record.seq > lastSeq) {
        repairs.push({
          kind: 'truncate',
          path,
          length: offset,
          reason: `seq ${record.seq} and later follow a gap or an incomplete batch (the log is complete up to seq ${lastSeq})`,
        });
        keepBytes = offset;
        cut = true;
        break;
      }
      records.push(record);
    }
    if (!cut && scan.torn !== undefined)
      repairs.push({ kind: 'truncate', path, length: scan.validEnd, reason: `torn last record (${scan.torn.reason})` });
  }
  const kept = segments[keepSegment];
  return {
    partition,
    records,
    segmentNo: kept?.segmentNo ?? Math.max(logStart, ...segments.map((s) => s.segmentNo)),
    fileBytes: kept === undefined ? 0 : Math.max(keepBytes, segmentHeaderBytes),
    unarchived,
  };
}


export async function applyRepairs(fs: FileSystem, walDir: string, repairs: RepairAction[], logger: Logger): Promise<void> {
  for (const repair of repairs) {
    if (repair.kind === 'truncate') {
      const file = await fs.open(repair.path, 'readWrite');
      try {
        await file.truncate(repair.length);
        await file.datasync();
      } finally {
        await file.close();
      }
      logger.warn(`log: cut ${repair.path} at byte ${repair.length}: ${repair.reason}`);
    } else {
      await fs.unlink(repair.path);
      logger.warn(`log: removed ${repair.path}: ${repair.reason}`);
    }
  }
  if (repairs.length > 0) await fs.syncDir(walDir);
}
