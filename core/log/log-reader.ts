// Reads logged ops back by seq range from the history archive and the live log (the v1 `log`, `verify` and
// `proof` routes, TRACE, replication catch-up). Each partition's segments are read newest first and reading
// stops at the first segment that starts at or below the range, so the newest ops cost the newest segments
// only. Records are intact by construction (recovery cut anything else); a damaged archived segment is
// reported, never skipped.
import { NedbError } from '../errors.js';
import { type FileSystem, readWholeFile } from '../platform/file-system.js';
import type { LoggedOp } from './record.js';
import { listSegments, scanSegment, segmentFileName } from './segment.js';

export interface LogPaths {
  wal: string;
  archive: string;
}


export async function readOps(fs: FileSystem, paths: LogPaths, partitions: number, fromSeq: number, toSeq: number): Promise<LoggedOp[]> {
  const ops: LoggedOp[] = [];
  for (let p = 0; p < partitions; p++) {
    const archived = (await listSegments(fs, paths.archive, p)).map((n) => ({ n, dir: paths.archive }));
    const live = (await listSegments(fs, paths.wal, p)).map((n) => ({ n, dir: paths.wal }));
    const byNumber = new Map<number, string>();
    for (const { n, dir } of [...archived, ...live]) byNumber.set(n, dir); // a segment in both: the live copy wins
    const numbers = [...byNumber.keys()].sort((a, b) => b - a);
    for (const segmentNo of numbers) {
      const path = `${byNumber.get(segmentNo)}/${segmentFileName(p, segmentNo)}`;
      const scan = scanSegment(await readWholeFile(fs, path), p, segmentNo, path);
      if (scan.damage !== undefined)
        throw new NedbError('LOG_CORRUPT', { file: path, offset: scan.damage.offset, reason: scan.damage.reason });
      for (const { record } of scan.records)
        for (const op of record.ops) if (op.seq >= fromSeq && op.seq <= toSeq) ops.push(op);
      const first = scan.records[0];
      if (first !== undefined && first.record.seq <= fromSeq) break;
    }
  }
  ops.sort((a, b) => a.seq - b.seq || Number(a.attached) - Number(b.attached));
  return ops;
}
