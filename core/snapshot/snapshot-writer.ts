// Writes one partition's snapshot as of one seq: the previous snapshot merged with the overlay versions at or
// below that seq, in encoded-key order. Documents a checkpoint did not touch are copied as raw, CRC-checked
// records, never decoded. The file is written under a temporary name, fsynced, renamed into place and its
// directory fsynced; only then may a MANIFEST name it.
import { Encoder } from '@msgpack/msgpack';
import { assert } from '../assert.js';
import { crc32c } from '../crc32c.js';
import { compareBytes } from '../keys.js';
import { snapshotWriteBufferBytes, yieldEveryItems } from '../limits.js';
import type { FileHandle, FileSystem } from '../platform/file-system.js';
import type { OverlayEntry } from '../partition/partition-store.js';
import {
  EntryFlags,
  SectionType,
  VersionFlags,
  directoryEntryBytes,
  docRecordHeaderBytes,
  sectionEntryBytes,
  snapshotFooterBytes,
  snapshotFooterMagic,
  snapshotFormatVersion,
  snapshotHeaderBytes,
  snapshotMagic,
  versionHeaderBytes,
  writeAscii,
} from './format.js';
import { type SnapshotReader, type StoredVersion, decodeDocRecord } from './snapshot-reader.js';

export interface SnapshotInput {
  partition: number;
  seq: number;
  base: SnapshotReader | null;
  overlay: OverlayEntry[];
  /** Versions at or below this seq are dropped, except the newest of them (-1 keeps all history). */
  retentionHorizonSeq: number;
}

export interface SnapshotWritten {
  keyCount: number;
  fileBytes: number;
}

/** Grows by doubling; used for the key directory and key bytes, which are written after the documents. */
class ByteBuilder {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  reserve(count: number): number {
    if (this.length + count > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + count));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    const at = this.length;
    this.length += count;
    return at;
  }

  append(source: Uint8Array): void {
    const at = this.reserve(source.length); // reserve may replace `bytes`: take the offset first
    this.bytes.set(source, at);
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** Sequential writer with one large buffer: snapshots are written in big writes, never one per document. */
class BufferedFileWriter {
  private buffer = new Uint8Array(snapshotWriteBufferBytes);
  private used = 0;
  position: number;

  constructor(
    private readonly file: FileHandle,
    start: number,
  ) {
    this.position = start;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.buffer.length) await this.flush();
    if (bytes.length > this.buffer.length) {
      await this.file.write(bytes, this.position);
      this.position += bytes.length;
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.file.write(this.buffer.subarray(0, this.used), this.position);
    this.position += this.used;
    this.used = 0;
    this.buffer = new Uint8Array(snapshotWriteBufferBytes); // the previous one may still be in flight on some runtimes
  }

  /** Bytes handed to write() so far, relative to the file start. */
  get end(): number {
    return this.position + this.used;
  }
}

interface SectionOut {
  type: number;
  flags: number;
  offset: number;
  length: number;
  crc: number;
}

export async function writeSnapshot(fs: FileSystem, dir: string, name: string, input: SnapshotInput): Promise<SnapshotWritten> {
  const tempPath = `${dir}/${name}.tmp`;
  const finalPath = `${dir}/${name}`;
  const file = await fs.open(tempPath, 'createExclusive');
  let written: SnapshotWritten;
  try {
    written = await writeSnapshotFile(file, input);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(tempPath, finalPath);
  await fs.syncDir(dir);
  return written;
}

async function writeSnapshotFile(file: FileHandle, input: SnapshotInput): Promise<SnapshotWritten> {
  const out = new BufferedFileWriter(file, snapshotHeaderBytes);
  const directory = new ByteBuilder();
  const keyBytes = new ByteBuilder();
  const runs: [number, string, number, number, number][] = [];
  const documentsStart = out.end;
  let documentsCrc = 0;
  let keyCount = 0;
  let previousKey: Uint8Array | undefined;

  const emit = async (key: Uint8Array, ns: number, coll: string, record: Uint8Array, head: StoredVersion, versionCount: number) => {
    assert(previousKey === undefined || compareBytes(previousKey, key) < 0, 'snapshot keys are strictly increasing');
    previousKey = key;
    const last = runs[runs.length - 1];
    if (last === undefined || last[0] !== ns || last[1] !== coll) runs.push([ns, coll, keyCount, 0, 0]);
    const run = runs[runs.length - 1]!;
    run[3]++;
    if (head.doc !== null) run[4]++;
    const at = directory.reserve(directoryEntryBytes);
    const view = new DataView(directory.bytes.buffer, at, directoryEntryBytes);
    view.setBigUint64(0, BigInt(out.end - documentsStart), true);
    view.setUint32(8, record.length, true);
    view.setUint32(12, keyBytes.length, true);
    view.setUint16(16, key.length, true);
    view.setUint8(18, head.doc === null ? EntryFlags.headTombstone : 0);
    view.setUint8(19, 0);
    view.setUint32(20, versionCount, true);
    view.setBigUint64(24, BigInt(head.seq), true);
    keyBytes.append(key);
    documentsCrc = crc32c(record, 0, record.length, documentsCrc);
    await out.write(record);
    keyCount++;
  };

  for await (const item of mergedKeys(input)) {
    const versions = retain(item.versions, input.retentionHorizonSeq);
    if (versions.length === 0) continue;
    const record = item.raw !== undefined && versions.length === item.versions.length ? item.raw : encodeDocRecord(versions);
    await emit(item.key, item.ns, item.coll, record, versions[0]!, versions.length);
  }
  await out.flush();
  const sections: SectionOut[] = [
    { type: SectionType.documents, flags: 0, offset: documentsStart, length: out.end - documentsStart, crc: documentsCrc },
  ];
  for (const [type, bytes] of [
    [SectionType.keyBytes, keyBytes.view()],
    [SectionType.keyDirectory, directory.view()],
    [SectionType.collections, new Encoder().encode(runs)],
  ] as const) {
    sections.push({ type, flags: 0, offset: out.end, length: bytes.length, crc: crc32c(bytes) });
    await out.write(bytes);
  }
  const table = new Uint8Array(sections.length * sectionEntryBytes);
  const tableView = new DataView(table.buffer);
  sections.forEach((section, i) => {
    const base = i * sectionEntryBytes;
    tableView.setUint32(base, section.type, true);
    tableView.setUint32(base + 4, section.flags, true);
    tableView.setBigUint64(base + 8, BigInt(section.offset), true);
    tableView.setBigUint64(base + 16, BigInt(section.length), true);
    tableView.setUint32(base + 24, section.crc, true);
  });
  const tableOffset = out.end;
  await out.write(table);
  const footer = new Uint8Array(snapshotFooterBytes);
  writeAscii(footer, 0, snapshotFooterMagic);
  new DataView(footer.buffer).setUint32(8, crc32c(table), true);
  await out.write(footer);
  await out.flush();
  const fileBytes = out.end;
  const header = new Uint8Array(snapshotHeaderBytes);
  const view = new DataView(header.buffer);
  writeAscii(header, 0, snapshotMagic);
  view.setUint32(8, snapshotFormatVersion, true);
  view.setUint32(12, input.partition, true);
  view.setBigInt64(16, BigInt(input.seq), true);
  view.setBigUint64(24, BigInt(keyCount), true);
  view.setBigUint64(32, BigInt(tableOffset), true);
  view.setUint32(40, sections.length, true);
  view.setBigUint64(48, BigInt(fileBytes), true);
  view.setUint32(60, crc32c(header, 0, 60), true);
  await file.write(header, 0);
  return { keyCount, fileBytes };
}

interface MergedKey {
  key: Uint8Array;
  ns: number;
  coll: string;
  versions: StoredVersion[];
  /** The unchanged record from the previous snapshot, when the key has no overlay versions. */
  raw?: Uint8Array;
}

async function* mergedKeys(input: SnapshotInput): AsyncGenerator<MergedKey> {
  const base = input.base;
  const baseCount = base?.keyCount ?? 0;
  const runByEntry = base === null ? [] : [...base.collections.values()].sort((a, b) => a.firstEntry - b.firstEntry);
  let runIndex = 0;
  let baseIndex = 0;
  let overlayIndex = 0;
  let sinceYield = 0;
  while (baseIndex < baseCount || overlayIndex < input.overlay.length) {
    if (++sinceYield >= yieldEveryItems) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const baseKey = baseIndex < baseCount ? base!.keyAt(baseIndex) : undefined;
    const entry = input.overlay[overlayIndex];
    const order = baseKey === undefined ? 1 : entry === undefined ? -1 : compareBytes(baseKey, entry.key);
    if (order < 0) {
      while (runByEntry[runIndex]!.firstEntry + runByEntry[runIndex]!.entryCount <= baseIndex) runIndex++;
      const run = runByEntry[runIndex]!;
      const raw = base!.rawRecord(baseIndex);
      yield { key: baseKey!.slice(), ns: run.ns, coll: run.coll, versions: decodeDocRecord(raw), raw };
      baseIndex++;
      continue;
    }
    const older = order === 0 ? base!.versions(baseIndex) : [];
    if (order === 0) baseIndex++;
    overlayIndex++;
    yield { key: entry!.key, ns: entry!.ns, coll: entry!.coll, versions: [...entry!.versions, ...older] };
  }
}

/** Keeps versions above the horizon plus the newest at or below it; a lone old tombstone is dropped. */
function retain(versions: StoredVersion[], horizonSeq: number): StoredVersion[] {
  if (horizonSeq < 0) return versions;
  const kept: StoredVersion[] = [];
  for (const version of versions) {
    kept.push(version);
    if (version.seq <= horizonSeq) break;
  }
  if (kept.length === 1 && kept[0]!.doc === null && kept[0]!.seq <= horizonSeq) return [];
  return kept;
}

export function encodeDocRecord(versions: StoredVersion[]): Uint8Array {
  let size = docRecordHeaderBytes;
  for (const version of versions) size += versionHeaderBytes + (version.doc?.length ?? 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, versions.length, true);
  let offset = docRecordHeaderBytes;
  for (const version of versions) {
    view.setBigUint64(offset, BigInt(version.seq), true);
    view.setUint8(offset + 8, version.doc === null ? VersionFlags.tombstone : 0);
    view.setUint32(offset + 12, version.doc?.length ?? 0, true);
    offset += versionHeaderBytes;
    if (version.doc !== null) {
      bytes.set(version.doc, offset);
      offset += version.doc.length;
    }
  }
  view.setUint32(0, crc32c(bytes, 4, size), true);
  return bytes;
}
