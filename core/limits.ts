// Every bound of the engine, each with the reason for its size. Relations between bounds are asserted at load,
// so a change that breaks one fails at start, not under load.
import { assert } from './assert.js';

/** Database names as in NEDB v1 (UPSTREAM.md §2). */
export const dbNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Collection names are free text; bounded so a key fits the snapshot directory's u16 key length. */
export const collNameBytesMax = 1024;
/** Ids are free text; long enough for composite ids, short enough that the key directory stays small. */
export const docIdBytesMax = 4096;
/** One encoded key (namespace + u32 length + collection + id) must fit the directory's u16 length field. */
export const keyBytesMax = 1 + 4 + collNameBytesMax + docIdBytesMax;

/** One document, msgpack-encoded. v1 had no bound; 16 MiB matches MongoDB's, which clients already respect. */
export const docBytesMax = 16 << 20;
/** One log record (a whole single-partition write, or one partition's part of a batch). */
export const recordBytesMax = 64 << 20;
/** Operations in one atomic batch: 10 × the 500-document batches of the workload. */
export const batchOpsMax = 5000;

/** A log segment is rolled after this size, so archive moves and repairs work on bounded files. */
export const segmentBytesMax = 64 << 20;
/** Partitions per database: fixed at creation; 16 by default, independent of the machine. */
export const partitionsDefault = 16;
export const partitionsMax = 256;

/** `batch` durability: fsync at most this often. */
export const batchFsyncIntervalMsDefault = 10;
/** Automatic checkpoint after this many writes since the last one. */
export const checkpointEveryWritesDefault = 100_000;
/** Automatic checkpoint after this many seconds with at least one write since the last one. */
export const checkpointIntervalSecondsDefault = 300;
/** While the disk is full, a write is retried this often to find out whether space came back. */
export const diskFullRetryMs = 1000;

/**
 * Log bytes appended but not yet written. Past it, an `async` write waits until its records are written, as a
 * `batch` write does: a caller looping on async writes would otherwise queue without bound (backpressure).
 */
export const unwrittenLogBytesMax = 64 << 20;
/**
 * Sorted indexes the planner may create on its own per collection (lazy indexes): each costs memory in
 * proportion to the collection and work on every write, so a few fields only; an explicit index is unbounded.
 */
export const lazyIndexesPerCollectionMax = 4;
/** And per database, so queries naming many (even missing) collections cannot grow the MANIFEST without end. */
export const lazyIndexesPerDatabaseMax = 64;
/**
 * And in memory: no new lazy index once the database's lazy indexes hold this many bytes (B+tree estimate), so
 * a stream of differently shaped queries cannot fill the heap with trees; explicit indexes are the user's call.
 */
export const lazyIndexBytesMax = 256 << 20;
/**
 * Decoded documents kept per database (core/document-cache.ts): enough for many hot pages (top-k, point gets)
 * of small documents, small against the overlay; the byte bound is approximate (3× the msgpack size).
 */
export const documentCacheEntriesMax = 16_384;
export const documentCacheBytesMax = 16 << 20;
/** Snapshot writer output buffer: large sequential writes, small enough not to matter for memory. */
export const snapshotWriteBufferBytes = 1 << 20;
/** Long loops (snapshot writing, scans, recovery apply) yield to the event loop after this many items. */
export const yieldEveryItems = 2048;

/** Import: documents per committed batch. */
export const importBatchDocs = 500;
/** Import: one NDJSON line (one document) may be at most this long. */
export const importLineBytesMax = docBytesMax * 2;

assert(keyBytesMax <= 0xffff, 'a key fits the u16 key length of a snapshot directory entry');
assert(docBytesMax * 2 <= recordBytesMax, 'a record holds at least two largest documents');
assert(partitionsDefault <= partitionsMax, 'the default partition count is allowed');
assert(partitionsMax <= 256, 'a partition number fits a u8 in the segment name');
