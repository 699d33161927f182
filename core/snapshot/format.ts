// The snapshot file layout (FORMAT.md §4). Little-endian. One file per partition, immutable once renamed into
// place. The key directory is fixed-width and sorted by encoded key, so it is binary-searched where it lies
// in memory; document bytes stay on disk until first touched.
//
//   header (64 bytes) | sections … | section table (32 bytes per section) | footer (16 bytes)

export const snapshotMagic = 'NEDBSNAP';
export const snapshotFooterMagic = 'NEDBFOOT';
export const snapshotFormatVersion = 1;
export const snapshotHeaderBytes = 64;
export const sectionEntryBytes = 32;
export const snapshotFooterBytes = 16;
export const directoryEntryBytes = 32;
export const versionHeaderBytes = 16;
export const docRecordHeaderBytes = 8;

export const SectionType = {
  collections: 1,
  keyDirectory: 2,
  keyBytes: 3,
  documents: 4,
  // 16..31 are index sections (eq, sorted, search); a reader that does not know a type skips it unless its
  // `required` flag is set.
  indexEq: 16,
  indexSorted: 17,
  indexSearch: 18,
} as const;

export const SectionFlags = { required: 1 << 0 } as const;

export const EntryFlags = { headTombstone: 1 << 0 } as const;
export const VersionFlags = { tombstone: 1 << 0 } as const;

export interface SnapshotHeader {
  formatVersion: number;
  partition: number;
  seq: number;
  keyCount: number;
  sectionTableOffset: number;
  sectionCount: number;
  fileBytes: number;
}

export interface SectionEntry {
  type: number;
  flags: number;
  offset: number;
  length: number;
  crc: number;
}

/** One collection's run in the key directory. */
export interface CollectionRun {
  ns: number;
  coll: string;
  firstEntry: number;
  entryCount: number;
  liveCount: number;
}

export function writeAscii(target: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
}

export function readAscii(source: Uint8Array, offset: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(source[offset + i]!);
  return text;
}

export function snapshotFileName(partition: number, seq: number): string {
  return `p${String(partition).padStart(3, '0')}-${String(seq).padStart(12, '0')}.snap`;
}
