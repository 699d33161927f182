// Opens a snapshot for instant start: reads the header, the section table, the key directory and the key bytes
// with positioned reads (never the whole file: Buffers stop at 4 GiB and documents are most of the bytes), and
// fetches a document's versions on first touch. No JavaScript object is built per document at load; the
// directory stays a byte array that lookups binary-search in place.
import { NedbError } from '../errors.js';
import { crc32c } from '../crc32c.js';
import { compareBytes, type Namespace, encodeCollPrefix, utf8Text } from '../keys.js';
import { type FileHandle, type FileSystem, errorCode } from '../platform/file-system.js';
import { Decoder } from '@msgpack/msgpack';
import {
  type CollectionRun,
  type SectionEntry,
  type SnapshotHeader,
  EntryFlags,
  SectionFlags,
  SectionType,
  VersionFlags,
  directoryEntryBytes,
  docRecordHeaderBytes,
  readAscii,
  sectionEntryBytes,
  snapshotFooterBytes,
  snapshotFooterMagic,
  snapshotFormatVersion,
  snapshotHeaderBytes,
  snapshotMagic,
  versionHeaderBytes,
} from './format.js';

export interface StoredVersion {
  seq: number;
  /** msgpack bytes of the document, null for a tombstone. */
  doc: Uint8Array | null;
}

/** Directory facts about a key, readable without touching its document. */
export interface EntryHead {
  index: number;
  headSeq: number;
  headTombstone: boolean;
}

const knownSections = new Set<number>(Object.values(SectionType));
const collectionsDecoder = new Decoder();

export class SnapshotReader {
  private readonly directory: Uint8Array;
  private readonly directoryView: DataView;
  private readonly keyBytes: Uint8Array;
  private readonly documentsOffset: number;
  readonly collections: ReadonlyMap<string, CollectionRun>;
  /** Read-ahead (see recordBytes): the last window read and the last record's position, so near reads share one. */
  private window: Uint8Array | undefined;
  private windowStart = 0;
  private lastPosition = -1;

  private constructor(
    readonly file: FileHandle,
    readonly header: SnapshotHeader,
    sections: Map<number, { entry: SectionEntry; bytes: Uint8Array }>,
    documentsOffset: number,
    collections: Map<string, CollectionRun>,
  ) {
    this.directory = sections.get(SectionType.keyDirectory)!.bytes;
    this.directoryView = new DataView(this.directory.buffer, this.directory.byteOffset, this.directory.byteLength);
    this.keyBytes = sections.get(SectionType.keyBytes)!.bytes;
    this.documentsOffset = documentsOffset;
    this.collections = collections;
  }

  get seq(): number {
    return this.header.seq;
  }

  get keyCount(): number {
    return this.header.keyCount;
  }

  static async open(fs: FileSystem, path: string): Promise<SnapshotReader> {
    let file: FileHandle;
    try {
      file = await fs.open(path, 'read');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new NedbError('SNAPSHOT_CORRUPT', { file: path, offset: 0, reason: 'the file named by the MANIFEST is missing' });
      throw error;
    }
    try {
      return await SnapshotReader.load(file);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  private static async load(file: FileHandle): Promise<SnapshotReader> {
    const corrupt = (offset: number, reason: string): NedbError =>
      new NedbError('SNAPSHOT_CORRUPT', { file: file.path, offset, reason });
    const size = await file.size();
    if (size < snapshotHeaderBytes + snapshotFooterBytes) throw corrupt(0, `file is ${size} bytes, too short for a snapshot`);
    const headerBytes = await readExactly(file, 0, snapshotHeaderBytes);
    const header = parseHeader(headerBytes, file.path);
    if (header.fileBytes !== size) throw corrupt(size, `file is ${size} bytes, the header says ${header.fileBytes}`);
    const tableBytes = await readExactly(file, header.sectionTableOffset, header.sectionCount * sectionEntryBytes);
    const footer = await readExactly(file, size - snapshotFooterBytes, snapshotFooterBytes);
    if (readAscii(footer, 0, 8) !== snapshotFooterMagic) throw corrupt(size - snapshotFooterBytes, 'footer magic missing');
    const footerView = new DataView(footer.buffer, footer.byteOffset);
    if (footerView.getUint32(8, true) !== crc32c(tableBytes))
      throw corrupt(header.sectionTableOffset, 'section table CRC-32C mismatch');
    const sections = new Map<number, { entry: SectionEntry; bytes: Uint8Array }>();
    let documentsOffset = -1;
    for (const entry of parseSectionTable(tableBytes)) {
      if (entry.type === SectionType.documents) {
        documentsOffset = entry.offset; // fetched per document, each record checked by its own CRC
        continue;
      }
      if (!knownSections.has(entry.type)) {
        if ((entry.flags & SectionFlags.required) !== 0) throw corrupt(entry.offset, `required section type ${entry.type} is unknown`);
        continue;
      }
      if (entry.type >= SectionType.indexEq) continue; // index sections: loaded by the index layer when it exists
      const bytes = await readExactly(file, entry.offset, entry.length);
      if (crc32c(bytes) !== entry.crc) throw corrupt(entry.offset, `section ${entry.type} CRC-32C mismatch`);
      sections.set(entry.type, { entry, bytes });
    }
    for (const type of [SectionType.keyDirectory, SectionType.keyBytes, SectionType.collections])
      if (!sections.has(type)) throw corrupt(header.sectionTableOffset, `section ${type} is missing`);
    if (documentsOffset < 0) throw corrupt(header.sectionTableOffset, 'documents section is missing');
    if (sections.get(SectionType.keyDirectory)!.bytes.length !== header.keyCount * directoryEntryBytes)
      throw corrupt(header.sectionTableOffset, 'key directory size does not match the key count');
    const collections = parseCollections(sections.get(SectionType.collections)!.bytes);
    return new SnapshotReader(file, header, sections, documentsOffset, collections);
  }

  close(): Promise<void> {
    return this.file.close();
  }

  /**
   * Binary search of the directory for an encoded key; -1 when absent. Every read of a snapshot document
   * starts here, so it skips the bytes it knows match: every key between two keys that share a prefix with
   * `key` shares that prefix too (sorted order), and keys of one collection share a long one.
   */
  find(key: Uint8Array): number {
    let low = 0;
    let high = this.header.keyCount - 1;
    let lowMatched = 0;
    let highMatched = 0;
    const view = this.directoryView;
    const bytes = this.keyBytes;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const base = middle * directoryEntryBytes;
      const start = view.getUint32(base + 12, true);
      const length = view.getUint16(base + 16, true);
      const n = Math.min(length, key.length);
      let i = Math.min(lowMatched, highMatched);
      while (i < n && bytes[start + i] === key[i]) i++;
      const order = i < n ? bytes[start + i]! - key[i]! : length - key.length;
      if (order === 0) return middle;
      if (order < 0) {
        low = middle + 1;
        lowMatched = i;
      } else {
        high = middle - 1;
        highMatched = i;
      }
    }
    return -1;
  }

  head(index: number): EntryHead {
    const base = index * directoryEntryBytes;
    return {
      index,
      headSeq: readU64(this.directoryView, base + 24),
      headTombstone: (this.directoryView.getUint8(base + 18) & EntryFlags.headTombstone) !== 0,
    };
  }

  keyAt(index: number): Uint8Array {
    const base = index * directoryEntryBytes;
    const start = this.directoryView.getUint32(base + 12, true);
    const length = this.directoryView.getUint16(base + 16, true);
    return this.keyBytes.subarray(start, start + length);
  }

  /** The id part of the key at `index`, given the byte length of its collection prefix. */
  idAt(index: number, prefixBytes: number): string {
    return utf8Text(this.keyAt(index).subarray(prefixBytes));
  }

  /** The run of directory entries of one collection. */
  collection(ns: Namespace, coll: string): CollectionRun | undefined {
    return this.collections.get(collKeyOf(ns, coll));
  }

  collPrefixBytes(ns: Namespace, coll: string): number {
    return encodeCollPrefix(ns, coll).length;
  }

  /** The raw document record of entry `index` (CRC-checked), for copying into the next snapshot unchanged. */
  rawRecord(index: number): Uint8Array {
    const base = index * directoryEntryBytes;
    const offset = readU64(this.directoryView, base);
    const length = this.directoryView.getUint32(base + 8, true);
    const position = this.documentsOffset + offset;
    const bytes = this.recordBytes(position, length);
    if (bytes === undefined || length < docRecordHeaderBytes)
      throw new NedbError('SNAPSHOT_CORRUPT', { file: this.file.path, offset: position, reason: 'document record cut short' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== crc32c(bytes, 4, length))
      throw new NedbError('SNAPSHOT_CORRUPT', { file: this.file.path, offset: position, reason: 'document record CRC-32C mismatch' });
    return bytes;
  }

  /**
   * The `length` bytes at `position`, or undefined when the file ends first. A read near the previous one (an
   * index range or a top-k walks records in key order, which is file order) reads a whole window in that
   * direction and serves the next records from it: one system call per ~100 small records instead of one
   * each. A read far from the previous one reads just its record, so random point reads copy no more. The file
   * never changes, so a window never goes stale.
   */
  private recordBytes(position: number, length: number): Uint8Array | undefined {
    const window = this.window;
    if (window !== undefined && position >= this.windowStart && position + length <= this.windowStart + window.length)
      return window.subarray(position - this.windowStart, position - this.windowStart + length);
    const last = this.lastPosition;
    this.lastPosition = position;
    if (length < readAheadBytes && last >= 0 && Math.abs(position - last) < readAheadBytes) {
      // Forward when walking up the file, backward (the window ends at this record) when walking down.
      const start = position >= last ? position : Math.max(this.documentsOffset, position + length - readAheadBytes);
      const buffer = new Uint8Array(readAheadBytes);
      const read = this.file.readSync(buffer, 0, readAheadBytes, start);
      if (read < position + length - start) return undefined;
      this.window = buffer.subarray(0, read);
      this.windowStart = start;
      return buffer.subarray(position - start, position - start + length);
    }
    const bytes = recordBuffer(length);
    return this.file.readSync(bytes, 0, length, position) === length ? bytes : undefined;
  }

  /** Every stored version of entry `index`, newest first. */
  versions(index: number): StoredVersion[] {
    return decodeDocRecord(this.rawRecord(index));
  }
}

/** A little-endian u64 below 2^53 (seqs, offsets) from two halves: no BigInt per read on the hot read path. */
function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * 0x1_0000_0000 + view.getUint32(offset, true);
}

/**
 * Small document records are read into slices of a shared slab: allocating a typed array costs about as much
 * as the positioned read itself, and a cold top-k page reads a record per row. A slice keeps its slab alive
 * while referenced (records are decoded and dropped; only a decoded `bin` value keeps its slice), so slabs are
 * small and large records get their own buffer.
 */
const recordSlabBytes = 16 * 1024;
/** SnapshotReader's read-ahead window: about a hundred block-sized records. */
const readAheadBytes = 32 * 1024;
const slabRecordBytesMax = 2048;
let recordSlab = new Uint8Array(recordSlabBytes);
let recordSlabUsed = 0;

function recordBuffer(length: number): Uint8Array {
  if (length > slabRecordBytesMax) return new Uint8Array(length);
  if (recordSlabUsed + length > recordSlabBytes) {
    recordSlab = new Uint8Array(recordSlabBytes);
    recordSlabUsed = 0;
  }
  const bytes = recordSlab.subarray(recordSlabUsed, recordSlabUsed + length);
  recordSlabUsed += length;
  return bytes;
}

export function decodeDocRecord(bytes: Uint8Array): StoredVersion[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  const versions: StoredVersion[] = [];
  let offset = docRecordHeaderBytes;
  for (let i = 0; i < count; i++) {
    const seq = readU64(view, offset);
    const flags = view.getUint8(offset + 8);
    const length = view.getUint32(offset + 12, true);
    offset += versionHeaderBytes;
    versions.push({
      seq,
      doc: (flags & VersionFlags.tombstone) !== 0 ? null : bytes.subarray(offset, offset + length),
    });
    offset += length;
  }
  return versions;
}

export function collKeyOf(ns: number, coll: string): string {
  return `${ns}:${coll}`;
}

function parseHeader(bytes: Uint8Array, path: string): SnapshotHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (readAscii(bytes, 0, 8) !== snapshotMagic)
    throw new NedbError('SNAPSHOT_CORRUPT', { file: path, offset: 0, reason: 'not a nedb snapshot (magic missing)' });
  if (view.getUint32(60, true) !== crc32c(bytes, 0, 60))
    throw new NedbError('SNAPSHOT_CORRUPT', { file: path, offset: 0, reason: 'header CRC-32C mismatch' });
  const formatVersion = view.getUint32(8, true);
  if (formatVersion !== snapshotFormatVersion)
    throw new NedbError('FORMAT_UNSUPPORTED', { file: path, version: formatVersion, supported: snapshotFormatVersion });
  return {
    formatVersion,
    partition: view.getUint32(12, true),
    seq: Number(view.getBigInt64(16, true)),
    keyCount: Number(view.getBigUint64(24, true)),
    sectionTableOffset: Number(view.getBigUint64(32, true)),
    sectionCount: view.getUint32(40, true),
    fileBytes: Number(view.getBigUint64(48, true)),
  };
}

function parseSectionTable(bytes: Uint8Array): SectionEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: SectionEntry[] = [];
  for (let offset = 0; offset < bytes.length; offset += sectionEntryBytes)
    entries.push({
      type: view.getUint32(offset, true),
      flags: view.getUint32(offset + 4, true),
      offset: Number(view.getBigUint64(offset + 8, true)),
      length: Number(view.getBigUint64(offset + 16, true)),
      crc: view.getUint32(offset + 24, true),
    });
  return entries;
}

function parseCollections(bytes: Uint8Array): Map<string, CollectionRun> {
  const runs = new Map<string, CollectionRun>();
  for (const raw of collectionsDecoder.decode(bytes) as [number, string, number, number, number][]) {
    const [ns, coll, firstEntry, entryCount, liveCount] = raw;
    runs.set(collKeyOf(ns, coll), { ns, coll, firstEntry, entryCount, liveCount });
  }
  return runs;
}

async function readExactly(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const read = await file.read(bytes, done, length - done, position + done);
    if (read === 0)
      throw new NedbError('SNAPSHOT_CORRUPT', { file: file.path, offset: position + done, reason: 'file ends early' });
    done += read;
  }
  return bytes;
}

export { compareBytes };
