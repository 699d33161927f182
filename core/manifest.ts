// The MANIFEST of a database (FORMAT.md §1): which snapshots and log segments make up its state. Replaced
// atomically: written to MANIFEST.tmp, fsynced, renamed over MANIFEST, then the directory is fsynced. A crash
// at any point leaves either the old or the new MANIFEST; a leftover MANIFEST.tmp is ignored and removed.
//   0 magic "NEDBMANI" | 8 u32 formatVersion | 12 u32 bodyBytes | 16 u32 crc32c(body) | 20 u32 reserved
//   24 body: UTF-8 JSON (small, and readable when someone has to look at a broken directory)
import { NedbError } from './errors.js';
import { crc32c } from './crc32c.js';
import type { Durability } from './log/group-committer.js';
import type { FileSystem } from './platform/file-system.js';
import { errorCode } from './platform/file-system.js';

export const manifestMagic = 'NEDBMANI';
export const manifestFormatVersion = 1;
const manifestHeaderBytes = 24;

export interface Manifest {
  partitions: number;
  createdMs: number;
  checkpoint: {
    /** Every partition's state at or below this seq is in its snapshot (or in no snapshot if it had none). */
    seq: number;
    /** Per partition: the snapshot file in snap/, or null. */
    snapshots: (string | null)[];
    /** Per partition: the first log segment to replay. Older segments belong to the history archive. */
    logStart: number[];
    /** Versions at or below this seq may have been dropped by history retention (-1: all kept). */
    horizonSeq?: number;
    /** Hash chain head as of `seq` (hex; 64 zeros when empty). */
    head?: string;
    /** Sorted indexes persisted as of `seq` (files in snap/, FORMAT.md §11.3); absent: none. */
    indexFiles?: IndexFileEntry[];
  };
  settings: DatabaseSettings;
  /** Index definitions; filled in by the index layer. */
  indexes: unknown[];
}

/** One sorted index persisted by a checkpoint: its file and the flags its manager kept beside it. */
export interface IndexFileEntry {
  coll: string;
  /** The index's fields joined by "," (for people reading the MANIFEST; `fields` is authoritative). */
  field: string;
  /** A compound tree's fields; absent: the one field `field`. */
  fields?: string[];
  /** 'search' for the inverted index; absent: a sorted tree. */
  kind?: 'search';
  file: string;
  /** Value classes ever seen (1 numeric, 2 text, 4 array/object). */
  classesSeen: number;
  /** A string longer than a key holds was ever indexed. */
  truncatedEver: boolean;
  /** A string with a lone surrogate was ever indexed (absent: never): no string range or order from the tree. */
  oddStringsEver?: boolean;
  /** Written by a version that reads a dotted field `a.b` as the nested path only (absent: an older file,
   * whose index on a dotted field is rebuilt instead of loaded). */
  nestedPaths?: boolean;
}

export interface DatabaseSettings {
  durability: Durability | null;
  /** Versions older than the newest minus this many seqs are dropped at checkpoint; null keeps all. */
  historyRetentionSeqs: number | null;
  /** The planner may create sorted indexes on its own (absent: on). */
  lazyIndexes?: boolean;
}

export function encodeManifest(manifest: Manifest): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(manifest));
  const bytes = new Uint8Array(manifestHeaderBytes + body.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = manifestMagic.charCodeAt(i);
  view.setUint32(8, manifestFormatVersion, true);
  view.setUint32(12, body.length, true);
  view.setUint32(16, crc32c(body), true);
  bytes.set(body, manifestHeaderBytes);
  return bytes;
}

export function decodeManifest(bytes: Uint8Array, path: string): Manifest {
  const corrupt = (reason: string) => new NedbError('MANIFEST_CORRUPT', { file: path, reason });
  if (bytes.length < manifestHeaderBytes) throw corrupt(`${bytes.length} bytes is too short`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== manifestMagic.charCodeAt(i)) throw corrupt('magic missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== manifestFormatVersion)
    throw new NedbError('FORMAT_UNSUPPORTED', { file: path, version, supported: manifestFormatVersion });
  const bodyBytes = view.getUint32(12, true);
  if (manifestHeaderBytes + bodyBytes !== bytes.length) throw corrupt('length does not match the file size');
  const body = bytes.subarray(manifestHeaderBytes);
  if (crc32c(body) !== view.getUint32(16, true)) throw corrupt('CRC-32C mismatch');
  const manifest = JSON.parse(new TextDecoder().decode(body)) as Manifest;
  const n = manifest.partitions;
  if (!Number.isInteger(n) || manifest.checkpoint.snapshots.length !== n || manifest.checkpoint.logStart.length !== n)
    throw corrupt('partition lists do not match the partition count');
  return manifest;
}

export async function readManifest(fs: FileSystem, dbDir: string): Promise<Manifest> {
  const path = `${dbDir}/MANIFEST`;
  return decodeManifest(await fs.readFile(path), path);
}

export async function writeManifest(fs: FileSystem, dbDir: string, manifest: Manifest): Promise<void> {
  const tempPath = `${dbDir}/MANIFEST.tmp`;
  await removeIfPresent(fs, tempPath);
  const file = await fs.open(tempPath, 'createExclusive');
  try {
    await file.write(encodeManifest(manifest), 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(tempPath, `${dbDir}/MANIFEST`);
  await fs.syncDir(dbDir);
}

export async function removeIfPresent(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
