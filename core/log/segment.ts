// Log segment files (FORMAT.md §3): a 32-byte header, then records back to back.
//   0 magic "NEDBWAL\0" | 8 u32 formatVersion | 12 u32 partition | 16 u64 segmentNo | 24 u32 reserved
//   28 u32 crc32c(bytes 0..28)
// Name: p<partition, 3 digits>-<segmentNo, 8 digits>.wal, so a sorted listing is replay order.
import { NedbError } from '../errors.js';
import { crc32c } from '../crc32c.js';
import type { FileSystem } from '../platform/file-system.js';
import { type TxnRecord, readRecordAt } from './record.js';

export const segmentHeaderBytes = 32;
export const segmentMagic = 'NEDBWAL\0';
export const logFormatVersion = 1;

export function segmentFileName(partition: number, segmentNo: number): string {
  return `p${String(partition).padStart(3, '0')}-${String(segmentNo).padStart(8, '0')}.wal`;
}

const segmentNamePattern = /^p(\d{3})-(\d{8})\.wal$/;

export function parseSegmentFileName(name: string): { partition: number; segmentNo: number } | undefined {
  const match = segmentNamePattern.exec(name);
  return match === null ? undefined : { partition: Number(match[1]), segmentNo: Number(match[2]) };
}

export function encodeSegmentHeader(partition: number, segmentNo: number): Uint8Array {
  const bytes = new Uint8Array(segmentHeaderBytes);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = segmentMagic.charCodeAt(i);
  view.setUint32(8, logFormatVersion, true);
  view.setUint32(12, partition, true);
  view.setBigUint64(16, BigInt(segmentNo), true);
  view.setUint32(28, crc32c(bytes, 0, 28), true);
  return bytes;
}

/** Segment numbers of one partition in a directory, ascending. */
export async function listSegments(fs: FileSystem, dir: string, partition: number): Promise<number[]> {
  const numbers: number[] = [];
  for (const name of await fs.list(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== undefined && parsed.partition === partition) numbers.push(parsed.segmentNo);
  }
  return numbers.sort((a, b) => a - b);
}

export interface SegmentScan {
  records: { record: TxnRecord; offset: number; endOffset: number }[];
  /** Offset after the last intact record: where the next record goes, or where a torn tail is cut. */
  validEnd: number;
  fileBytes: number;
  /** Set when bytes after validEnd were not a whole record (torn tail). */
  torn: { offset: number; reason: string } | undefined;
  /** Set when a record before the tail is damaged: the start must stop. */
  damage: { offset: number; reason: string } | undefined;
  /** The header itself was never completely written (a segment created just before a crash). */
  headerTorn: boolean;
}

/**
 * Reads a whole segment and classifies what it finds (FORMAT.md §6, the recovery table). A record that fails
 * its checks is a torn tail when nothing intact follows it (it runs past the end, the rest is zeros, or it is
 * the last record of the file); anything else is damage that stops the start.
 */
export function scanSegment(bytes: Uint8Array, partition: number, segmentNo: number, path: string): SegmentScan {
  const scan: SegmentScan = { records: [], validEnd: 0, fileBytes: bytes.length, torn: undefined, damage: undefined, headerTorn: false };
  if (bytes.length < segmentHeaderBytes || isZero(bytes, 0, segmentHeaderBytes)) {
    scan.headerTorn = true;
    return scan;
  }
  checkHeader(bytes, partition, segmentNo, path);
  let offset = segmentHeaderBytes;
  for (;;) {
    const result = readRecordAt(bytes, offset, bytes.length);
    if (result.status === 'end') break;
    if (result.status === 'ok') {
      scan.records.push({ record: result.record, offset, endOffset: result.endOffset });
      offset = result.endOffset;
      continue;
    }
    const isLast =
      result.status === 'torn' ||
      (result.status === 'bad' && offset + new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true) === bytes.length);
    if (isLast) scan.torn = { offset, reason: result.reason };
    else scan.damage = { offset, reason: result.reason };
    break;
  }
  scan.validEnd = offset;
  return scan;
}

function checkHeader(bytes: Uint8Array, partition: number, segmentNo: number, path: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (reason: string) => new NedbError('LOG_CORRUPT', { file: path, offset: 0, reason });
  for (let i = 0; i < 8; i++) if (bytes[i] !== segmentMagic.charCodeAt(i)) throw corrupt('segment header magic missing');
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 28)) throw corrupt('segment header CRC-32C mismatch');
  const version = view.getUint32(8, true);
  if (version !== logFormatVersion) throw new NedbError('FORMAT_UNSUPPORTED', { file: path, version, supported: logFormatVersion });
  if (view.getUint32(12, true) !== partition || Number(view.getBigUint64(16, true)) !== segmentNo)
    throw corrupt('segment header names another partition or segment than its file name');
}

function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
