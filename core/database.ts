// A database handle: validates what embedded callers can get wrong, encodes documents once, picks the
// durability (call > database > server), and hands everything else to its PartitionSet. Opening replays the
// log tail over the snapshots; while that runs the handle reports `loading` with progress, so a server can
// answer "not ready" instead of hanging.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { NedbError } from './errors.js';
import { Namespace, checkCollName, checkDocId } from './keys.js';
import { batchOpsMax, docBytesMax, documentCacheBytesMax, documentCacheEntriesMax, lazyIndexBytesMax, lazyIndexesPerCollectionMax, lazyIndexesPerDatabaseMax, yieldEveryItems } from './limits.js';
import type { FileSystem } from './platform/file-system.js';
import type { Clock } from './platform/clock.js';
import type { Logger } from './platform/logger.js';
import type { Durability } from './log/group-committer.js';
import { type OpMeta, OpKind } from './log/record.js';
import { PartitionLog } from './log/partition-log.js';
import { type DatabaseSettings, type IndexFileEntry, type Manifest, readManifest, removeIfPresent } from './manifest.js';
import { SortedIndex } from './index/sorted-index.js';
import { readWholeFile } from './platform/file-system.js';
import { createHash } from 'node:crypto';
import { PartitionStore } from './partition/partition-store.js';
import { type DatabasePaths, InlinePartitionSet, archiveSegments } from './partition/inline-partition-set.js';
import type { CheckpointOutcome, PartitionOp, PreconditionFailure, WriteStatus } from './partition/partition-set.js';
import { SnapshotReader } from './snapshot/snapshot-reader.js';
import { applyRepairs, recoverLogs } from './recovery.js';
import { segmentFileName } from './log/segment.js';
import { HashChain, genesisHeadHex } from './chain.js';
import { readOps } from './log/log-reader.js';
import type { CommittedWrite } from './partition/partition-set.js';
import type { LoggedOp } from './log/record.js';
import { type BackupProgress, type BackupResult, backupDatabase } from './backup.js';
import { documentPages, readThroughCache } from './cached-reads.js';
import { DocumentCache, type DocumentCacheStats } from './document-cache.js';
import {
  IndexManager, OrderedIds, type IndexCatalogEntry, type IndexInfo, type IndexRangeRequest, type PersistedIndexLoader, countRange,
  persistedKey, rangeIds, treeAnswers,
} from './index/index-manager.js';
import { lazyDefinitionItem, parseIndexDefinitions, sameFields } from './index/index-definitions.js';
import { SearchIndex } from './index/search-index.js';
import { compareCodePoints } from './keys.js';

export type { Durability, OpMeta, PreconditionFailure };

export type JsonDocument = Record<string, unknown>;

export interface WriteOptions {
  durability?: Durability;
}

export interface PutOptions extends WriteOptions {
  /** Compare-and-set: the key's last seq must equal this; -1: the key must not be live (create only). */
  ifSeq?: number;
  meta?: OpMeta;
  ns?: Namespace;
}

export type DeleteOptions = PutOptions;

/**
 * `attached`: the op shares the seq of the op before it and is not a link of the hash chain: engine state
 * derived from that op (idempotency keys, nonce high-water marks) that must change atomically with it.
 */
export type BatchOp =
  | { op: 'put'; coll: string; id: string; doc: JsonDocument; ifSeq?: number; meta?: OpMeta; ns?: Namespace; attached?: boolean }
  | { op: 'delete'; coll: string; id: string; ifSeq?: number; meta?: OpMeta; ns?: Namespace; attached?: boolean }
  | { op: 'mark'; meta: OpMeta };

export interface BatchResult {
  firstSeq: number;
  lastSeq: number;
  /** The seq each op took, in op order. */
  seqs: number[];
  /** The hash chain head once the batch was visible. */
  head: string;
}

export interface ReadOptions {
  /** Read the newest version at or below this seq (AS OF). Default: the visible seq. */
  asOf?: number;
  ns?: Namespace;
}

export interface StoredDocument {
  id: string;
  /** Seq of the put that wrote this version. */
  seq: number;
  doc: JsonDocument;
}

/**
 * A read through the sorted index on `fields` (or the one field `field`) as embedded callers write it:
 * IndexRangeRequest (index-manager.ts) with the prefix, the seq (the visible one) and the list form optional.
 */
export type IndexReadRequest = Omit<IndexRangeRequest, 'fields' | 'prefix' | 'asOf'> & {
  fields?: readonly string[] | undefined;
  field?: string | undefined;
  prefix?: readonly (number | string)[] | undefined;
  asOf?: number | undefined;
};

/** An index-ordered read (nql/source.ts OrderedScanRequest). */
export interface OrderedScanRequest extends IndexReadRequest {
  descending: boolean;
  /** Rows the caller expects to read (LIMIT + OFFSET + 1 when every row is kept): the first page's size. */
  firstPageRows?: number | undefined;
}

/** An index's statistics as the index listing reports them (core/index/sorted-index.ts SortedIndexStatistics). */
export interface IndexStatistics {
  liveEntries: number;
  distinctEstimate: number;
  min: unknown[] | undefined;
  max: unknown[] | undefined;
  presentCounts: number[];
  mixedTypes: boolean;
  truncatedValues: number;
}

export type LoadState =
  | { state: 'loading'; phase: 'snapshots' | 'log'; bytesDone: number; bytesTotal: number; percent: number }
  | { state: 'ready' }
  | { state: 'failed'; error: Error }
  | { state: 'closed' };

export interface DatabaseOpenOptions {
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
  readOnly: boolean;
  /** The server's durability, below the database's own setting. */
  durability: Durability;
  batchFsyncIntervalMs: number;
  /** Automatic checkpoint after this many ops (0: off). */
  checkpointEveryWrites: number;
  /** Automatic checkpoint after this many seconds with writes (0: off). */
  checkpointIntervalSeconds: number;
}

const documentEncoder = new Encoder({ ignoreUndefined: true });
const documentDecoder = new Decoder();

export function encodeDocument(doc: unknown): Uint8Array {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new NedbError('DOC_INVALID', { reason: `got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}` });
  try {
    return documentEncoder.encode(doc);
  } catch (error) {
    throw new NedbError('DOC_INVALID', { reason: String(error) });
  }
}

export function decodeDocument(bytes: Uint8Array): JsonDocument {
  return documentDecoder.decode(bytes) as JsonDocument;
}

export function databasePaths(dir: string): DatabasePaths {
  return { dir, wal: `${dir}/wal`, snap: `${dir}/snap`, archive: `${dir}/archive` };
}

export class Database {
  private loadState: LoadState;
  private readonly lazyPending = new Set<string>();
  private set: InlinePartitionSet | undefined;
  private manifest: Manifest | undefined;
  private intervalTimer: ReturnType<typeof setInterval> | undefined;
  private indexManager: IndexManager | undefined;
  /** Decoded versions shared by reads (document-cache.ts); keyed by version, so writes never invalidate it. */
  private readonly documents = new DocumentCache({ entriesMax: documentCacheEntriesMax, bytesMax: documentCacheBytesMax });
  readonly ready: Promise<void>;

  private constructor(
    readonly name: string,
    readonly paths: DatabasePaths,
    private readonly options: DatabaseOpenOptions,
  ) {
    this.loadState = { state: 'loading', phase: 'snapshots', bytesDone: 0, bytesTotal: 0, percent: 0 };
    this.ready = this.load().catch((error: unknown) => {
      this.loadState = { state: 'failed', error: error as Error };
      throw error;
    });
    this.ready.catch(() => undefined); // observed through loadState and by whoever awaits `ready`
  }

  /** Starts loading; the handle answers `loadState` at once and `ready` resolves when it can serve. */
  static open(name: string, dir: string, options: DatabaseOpenOptions): Database {
    return new Database(name, databasePaths(dir), options);
  }

  get state(): LoadState {
    return this.loadState;
  }

  get settings(): DatabaseSettings {
    this.partitionSet();
    return this.manifest!.settings;
  }

  get partitions(): number {
    return this.manifest?.partitions ?? 0;
  }

  private async load(): Promise<void> {
    const { fs, readOnly, logger } = this.options;
    const manifest = await readManifest(fs, this.paths.dir);
    this.manifest = manifest;
    if (!readOnly) await this.removeLeftovers(manifest);
    const stores: PartitionStore[] = [];
    try {
      // Every partition's snapshot at once: each open is a few positioned reads, and start time is their latency.
      const readers = await Promise.all(
        manifest.checkpoint.snapshots.map((snapshot) =>
          snapshot === null || snapshot === undefined ? null : SnapshotReader.open(fs, `${this.paths.snap}/${snapshot}`),
        ),
      );
      readers.forEach((reader, p) => stores.push(new PartitionStore(p, reader)));
      const bytesTotal = await this.logBytes(manifest);
      let bytesDone = 0;
      const recovered = await recoverLogs(fs, this.paths.wal, manifest, (bytes) => {
        bytesDone += bytes;
        this.loadState = { state: 'loading', phase: 'log', bytesDone, bytesTotal, percent: Math.floor((100 * bytesDone) / Math.max(1, bytesTotal)) };
      });
      if (!readOnly) {
        await applyRepairs(fs, this.paths.wal, recovered.repairs, logger);
        await archiveSegments(fs, this.paths, manifest.checkpoint.logStart, manifest.settings.historyRetentionSeqs !== null);
      } else for (const repair of recovered.repairs) logger.warn(`log (read-only, not changed): ${repair.path}: ${repair.reason}`);
      const tailOps = recovered.partitions.flatMap((part) => part.records.flatMap((record) => record.ops.filter((op) => !op.attached)));
      tailOps.sort((a, b) => a.seq - b.seq);
      const chain = new HashChain(manifest.checkpoint.head ?? genesisHeadHex, manifest.checkpoint.seq, tailOps);
      let applied = 0;
      // Documents stay views into the segment buffers they were read from: no copy per document.
      for (const part of recovered.partitions)
        for (const record of part.records)
          for (const op of record.ops) {
            stores[part.partition]!.applyRecovered(op);
            if (++applied % yieldEveryItems === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          }
      const logs: PartitionLog[] = [];
      for (const part of recovered.partitions) {
        const file =
          part.fileBytes > 0 && !readOnly ? await fs.open(`${this.paths.wal}/${segmentFileName(part.partition, part.segmentNo)}`, 'readWrite') : null;
        logs.push(new PartitionLog(fs, this.paths.wal, part.partition, part.segmentNo, file, file === null ? 0 : part.fileBytes));
      }
      this.set = new InlinePartitionSet({
        fs,
        paths: this.paths,
        name: this.name,
        manifest,
        stores,
        logs,
        lastSeq: recovered.lastSeq,
        chain,
        batchIntervalMs: this.options.batchFsyncIntervalMs,
        clock: this.options.clock,
        logger,
      });
    } catch (error) {
      for (const store of stores) await store.close().catch(() => undefined);
      throw error;
    }
    // Sorted indexes: the ones the last checkpoint persisted are loaded and caught up with the log tail, the
    // others built in the background from the recovered state; then every commit keeps them.
    const set = this.set;
    const indexManager = new IndexManager({ stores, lastSeq: () => set.status().lastAssignedSeq, logger, monotonicMs: () => this.options.clock.monotonicMs() });
    this.indexManager = indexManager;
    set.setIndexHook(indexManager);
    const persisted = this.indexFileLoaders(manifest);
    indexManager.sync(manifest.indexes, (key) => persisted.get(key));
    if (!this.options.readOnly) {
      set.setIndexPersister(
        (seq) => this.persistIndexes(seq),
        (files) => {
          const persisted = new Set(files.map(persistedKey));
          return indexManager.readyKeys().some((key) => !persisted.has(key));
        },
      );
    }
    this.startIntervalCheckpoints();
    this.loadState = { state: 'ready' };
  }

  private async logBytes(manifest: Manifest): Promise<number> {
    const replayed = (await this.options.fs.list(this.paths.wal)).filter((name) => {
      const match = /^p(\d{3})-(\d{8})\.wal$/.exec(name);
      return match !== null && Number(match[2]) >= (manifest.checkpoint.logStart[Number(match[1])] ?? 0);
    });
    const sizes = await Promise.all(
      replayed.map(async (name) => {
        const file = await this.options.fs.open(`${this.paths.wal}/${name}`, 'read');
        try {
          return await file.size();
        } finally {
          await file.close();
        }
      }),
    );
    return sizes.reduce((sum, size) => sum + size, 0);
  }

  /** Temp files of interrupted renames, and snapshots no MANIFEST names any more. */
  /**
   * Loaders of the index files the MANIFEST names, read and checked in the background (opening never waits
   * for them); a damaged or missing file gives undefined with a warning, and that index is rebuilt.
   */
  private indexFileLoaders(manifest: Manifest): Map<string, PersistedIndexLoader> {
    const loaders = new Map<string, PersistedIndexLoader>();
    for (const entry of manifest.checkpoint.indexFiles ?? []) {
      // Files written before dotted fields were read as NQL reads them (nested only) may hold entries of a
      // top-level key named like the path: such an index is rebuilt rather than loaded.
      if (entry.nestedPaths !== true && (entry.fields ?? [entry.field]).some((field) => field.includes('.'))) continue;
      const path = `${this.paths.snap}/${entry.file}`;
      loaders.set(persistedKey(entry), {
        entry,
        seq: manifest.checkpoint.seq,
        load: async () => {
          try {
            const bytes = await readWholeFile(this.options.fs, path);
            return entry.kind === 'search' ? SearchIndex.deserialize(bytes, path) : SortedIndex.deserialize(bytes, path);
          } catch (error) {
            this.options.logger.warn(`index file ${path} not loaded (${String(error)}); the index is rebuilt from the documents`);
            return undefined;
          }
        },
      });
    }
    return loaders;
  }

  /** A checkpoint's hook: every ready index as of `seq`, each to its own file (temp, fsync, rename). */
  private async persistIndexes(seq: number): Promise<IndexFileEntry[]> {
    const { fs } = this.options;
    const entries: IndexFileEntry[] = [];
    for (const persisted of this.indexManager?.persistable(seq) ?? []) {
      const identity = JSON.stringify([persisted.coll, persisted.structure === 'search' ? 'search' : persisted.fields]);
      const name = `i-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}-${String(seq).padStart(12, '0')}.sidx`;
      const tempPath = `${this.paths.snap}/${name}.tmp`;
      await removeIfPresent(fs, tempPath);
      const file = await fs.open(tempPath, 'createExclusive');
      try {
        await file.write(persisted.bytes, 0);
        await file.datasync();
      } finally {
        await file.close();
      }
      await fs.rename(tempPath, `${this.paths.snap}/${name}`);
      const entry: IndexFileEntry = {
        coll: persisted.coll, field: persisted.fields.join(','), file: name, classesSeen: persisted.classesSeen, truncatedEver: persisted.truncatedEver,
      };
      entry.nestedPaths = true;
      if (persisted.oddStringsEver) entry.oddStringsEver = true;
      if (persisted.structure === 'search') entry.kind = 'search';
      else if (persisted.fields.length > 1) entry.fields = persisted.fields;
      entries.push(entry);
    }
    if (entries.length > 0) await fs.syncDir(this.paths.snap);
    return entries;
  }

  private async removeLeftovers(manifest: Manifest): Promise<void> {
    const { fs } = this.options;
    await removeIfPresent(fs, `${this.paths.dir}/MANIFEST.tmp`);
    const referenced = new Set<string>(manifest.checkpoint.snapshots.filter((name) => name !== null));
    for (const entry of manifest.checkpoint.indexFiles ?? []) referenced.add(entry.file);
    let removed = 0;
    for (const name of await fs.list(this.paths.snap))
      if (name.endsWith('.tmp') || ((name.endsWith('.snap') || name.endsWith('.sidx')) && !referenced.has(name))) {
        await fs.unlink(`${this.paths.snap}/${name}`);
        removed++;
      }
    if (removed > 0) await fs.syncDir(this.paths.snap);
  }

  private startIntervalCheckpoints(): void {
    const seconds = this.options.checkpointIntervalSeconds;
    if (seconds <= 0 || this.options.readOnly) return;
    this.intervalTimer = setInterval(() => {
      if (this.set !== undefined && this.set.opsSinceCheckpoint > 0) this.autoCheckpoint();
    }, seconds * 1000);
    this.intervalTimer.unref?.();
  }

  private autoCheckpoint(): void {
    this.set?.checkpoint().catch((error: unknown) => this.options.logger.warn(`automatic checkpoint of ${this.name} failed: ${String(error)}`));
  }

  private partitionSet(): InlinePartitionSet {
    const set = this.set;
    if (set === undefined) {
      const state = this.loadState;
      if (state.state === 'loading') throw new NedbError('DB_LOADING', { name: this.name, percent: state.percent });
      if (state.state === 'failed') throw state.error;
      throw new NedbError('DB_CLOSED', { name: this.name });
    }
    if (this.loadState.state === 'closed') throw new NedbError('DB_CLOSED', { name: this.name });
    return set;
  }

  private durabilityOf(options: WriteOptions | undefined): Durability {
    const chosen = options?.durability ?? this.manifest?.settings.durability ?? this.options.durability;
    if (chosen !== 'sync' && chosen !== 'batch' && chosen !== 'async') throw new NedbError('DURABILITY_INVALID', { value: String(chosen) });
    return chosen;
  }

  /** The seq readers see: every write at or below it is visible, nothing above. -1 when empty. */
  get seq(): number {
    return this.partitionSet().status().visibleSeq;
  }

  status(): WriteStatus {
    return this.partitionSet().status();
  }

  async put(coll: string, id: string, doc: JsonDocument, options?: PutOptions): Promise<number> {
    return (await this.batch([{ op: 'put', coll, id, doc, ...options }], options)).lastSeq;
  }

  async delete(coll: string, id: string, options?: DeleteOptions): Promise<number> {
    return (await this.batch([{ op: 'delete', coll, id, ...options }], options)).lastSeq;
  }

  /** An op that takes a seq and touches no document (v1's checkpoint and shutdown ops). */
  async mark(meta: OpMeta, options?: WriteOptions): Promise<number> {
    return (await this.batch([{ op: 'mark', meta }], options)).lastSeq;
  }

  /**
   * Applies every op or none. Preconditions are all checked against the state before the batch; when any
   * fails, nothing is written and the error lists every failing op with its index.
   */
  async batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<BatchResult> {
    const set = this.partitionSet();
    if (this.options.readOnly) throw new NedbError('READ_ONLY', { name: this.name });
    if (ops.length === 0) throw new NedbError('BATCH_EMPTY');
    if (ops.length > batchOpsMax) throw new NedbError('BATCH_TOO_LARGE', { max: batchOpsMax, count: ops.length });
    if (ops[0]!.op !== 'mark' && ops[0]!.attached === true)
      throw new NedbError('OPTION_INVALID', { name: 'attached', reason: 'the first op of a batch has no op to attach to' });
    const durability = this.durabilityOf(options);
    const encoded = ops.map(toPartitionOp);
    const outcome = await set.commit(encoded, durability);
    if (this.options.checkpointEveryWrites > 0 && set.opsSinceCheckpoint >= this.options.checkpointEveryWrites) this.autoCheckpoint();
    return outcome;
  }

  /** The document may be the decoded-document cache's frozen copy: copy it before changing it. */
  async get(coll: string, id: string, options?: ReadOptions): Promise<StoredDocument | undefined> {
    const set = this.partitionSet();
    return readThroughCache(set, this.documents, decodeDocument, options?.ns ?? Namespace.user, coll, id, this.asOfOf(options));
  }

  /** Documents by id through the decoded-document cache, in pages (cached-reads.ts). */
  private pagesById(coll: string, asOf: number, nextIds: (max: number) => string[], firstPageRows?: number): AsyncIterable<StoredDocument[]> {
    const set = this.partitionSet();
    return documentPages((id) => readThroughCache(set, this.documents, decodeDocument, Namespace.user, coll, id, asOf), nextIds, firstPageRows);
  }

  /** Empties the decoded-document cache (benchmarks measure cold reads with it). */
  clearDocumentCache(): void {
    this.documents.clear();
  }

  documentCacheStats(): DocumentCacheStats {
    return this.documents.stats();
  }

  /** Last seq (put or delete) and liveness of a key at the newest applied seq: v1's last_seq. */
  async head(coll: string, id: string, ns: Namespace = Namespace.user): Promise<{ seq: number; live: boolean } | undefined> {
    return this.partitionSet().head(ns, coll, id);
  }

  /** Index definitions kept in the MANIFEST (the index layer gives them meaning). */
  get indexDefinitions(): readonly unknown[] {
    return this.partitionSet().indexes;
  }

  async setIndexDefinitions(definitions: unknown[]): Promise<void> {
    await this.updateIndexDefinitions(() => definitions);
  }

  /** Read-modify-write of the index definitions inside the MANIFEST queue, so concurrent changes all land. */
  async updateIndexDefinitions(change: (current: readonly unknown[]) => unknown[]): Promise<void> {
    if (this.options.readOnly) throw new NedbError('READ_ONLY', { name: this.name });
    const set = this.partitionSet();
    await set.updateManifest((current) => ({ ...current, indexes: change(current.indexes) }));
    this.indexManager?.sync(set.indexes);
  }

  /** The tree index on (coll, fields) (`sorted`/`ordered` or `eq` definitions), or undefined. */
  indexInfo(coll: string, fields: string | readonly string[]): IndexInfo | undefined {
    this.partitionSet();
    const managed = this.indexManager?.tree(coll, typeof fields === 'string' ? [fields] : fields);
    return managed === undefined ? undefined : this.indexManager?.info(managed);
  }

  /**
   * The statistics of the tree on (coll, fields) at HEAD: live documents, distinct estimate, min/max, per-field
   * presence, and whether v1 would order some field by its text (`mixedTypes`: then no index order is used).
   */
  indexStatistics(coll: string, fields: readonly string[]): IndexStatistics | undefined {
    this.partitionSet();
    const managed = this.indexManager?.tree(coll, fields);
    if (managed === undefined || managed.state !== 'ready') return undefined;
    const statistics = managed.index.statistics();
    return {
      liveEntries: statistics.liveEntries, distinctEstimate: statistics.distinctEstimate, min: statistics.min, max: statistics.max,
      presentCounts: statistics.presentCounts, mixedTypes: statistics.mixedTypes, truncatedValues: statistics.truncatedValues,
    };
  }

  /** One-field form of indexInfo (the name v1-era callers use). */
  sortedIndexInfo(coll: string, field: string): IndexInfo | undefined {
    return this.indexInfo(coll, [field]);
  }

  /** The collection's search index (one per collection, over every string in its documents), or undefined. */
  searchIndexInfo(coll: string): IndexInfo | undefined {
    this.partitionSet();
    const managed = this.indexManager?.search(coll);
    return managed === undefined ? undefined : this.indexManager?.info(managed);
  }

  /** Every index structure with its state. */
  indexList(): IndexInfo[] {
    this.partitionSet();
    return this.indexManager?.list() ?? [];
  }

  /** Resolves once the tree on (coll, fields) is ready (or dropped); undefined when there is none. */
  whenIndexReady(coll: string, fields: string | readonly string[]): Promise<void> | undefined {
    this.partitionSet();
    return this.indexManager?.whenReady(coll, typeof fields === 'string' ? [fields] : fields);
  }

  whenSearchIndexReady(coll: string): Promise<void> | undefined {
    this.partitionSet();
    return this.indexManager?.whenSearchReady(coll);
  }

  /** Live documents of a collection at the newest applied seq. */
  collectionRows(coll: string): number {
    let rows = 0;
    for (const store of this.partitionSet().partitionStores) rows += store.liveCount(Namespace.user, coll);
    return rows;
  }

  /** The planner's view of a collection's indexes (nql/cost.ts). */
  indexCatalog(coll: string): IndexCatalogEntry[] {
    this.partitionSet();
    return (this.indexManager?.ofCollection(coll) ?? []).map((managed) => {
      if (managed.structure === 'search') {
        return { fields: [...managed.fields], structure: 'search', ready: managed.state === 'ready', liveEntries: managed.index.entries, distinct: undefined };
      }
      const statistics = managed.index.liveStatistics();
      return { fields: [...managed.fields], structure: 'tree', ready: managed.state === 'ready', liveEntries: statistics.liveEntries, distinct: statistics.distinctEstimate };
    });
  }

  /** The ready tree that can answer a range request at `asOf`, with the request settled; undefined when none. */
  private treeFor(request: IndexReadRequest, ordered: boolean): { index: SortedIndex; fields: readonly string[]; asOf: number } | undefined {
    const fields = request.fields ?? (request.field === undefined ? [] : [request.field]);
    const managed = this.indexManager?.tree(request.coll, fields);
    if (managed === undefined || managed.state !== 'ready') return undefined;
    const asOf = this.asOfOf(request.asOf === undefined ? undefined : { asOf: request.asOf });
    const range = { prefix: request.prefix ?? [], lower: request.lower, upper: request.upper };
    if (!treeAnswers(managed, range, ordered, asOf, this.partitionSet().status().lastAssignedSeq)) return undefined;
    return { index: managed.index, fields, asOf };
  }

  /**
   * Entries of the tree on `fields` inside the request's range, every retained version counted (an upper bound
   * on the documents it holds at one seq), in O(log n); undefined when no ready tree answers.
   */
  indexCount(request: IndexReadRequest): number | undefined {
    const found = this.treeFor({ ...request, asOf: undefined }, false);
    return found === undefined ? undefined : countRange(found.index, { prefix: request.prefix ?? [], lower: request.lower, upper: request.upper });
  }

  /**
   * Live documents of `coll` as of `asOf` in v1's ORDER BY order of the index's fields after the prefix,
   * in pages, served by a ready sorted index: values ascending with missing/null last (descending:
   * missing/null first), ties in id order ascending in both directions; with bounds, only rows whose value
   * is of the bound's type and inside them. Undefined when no ready index can answer: none, building, or a
   * field holds values whose index order is not v1's (mixed types at the read's seq or, for an older read,
   * ever; strings longer than a key holds).
   */
  orderedScan(request: OrderedScanRequest): AsyncIterable<StoredDocument[]> | undefined {
    const found = this.treeFor(request, true);
    if (found === undefined) return undefined;
    const ids = new OrderedIds(found.index, {
      coll: request.coll, fields: found.fields, prefix: request.prefix ?? [], descending: request.descending, asOf: found.asOf,
      lower: request.lower, upper: request.upper,
    });
    return this.pagesById(request.coll, found.asOf, (max) => ids.next(max), request.firstPageRows);
  }

  /** Ids of the documents inside an index range as of `asOf`, in code point order; undefined when no ready tree answers. */
  indexIds(request: IndexReadRequest): string[] | undefined {
    const found = this.treeFor(request, false);
    if (found === undefined) return undefined;
    const ids = rangeIds(found.index, { coll: request.coll, fields: found.fields, prefix: request.prefix ?? [], lower: request.lower, upper: request.upper, asOf: found.asOf });
    return ids.sort(compareCodePoints);
  }

  /**
   * Ids of the documents holding every token (SEARCH's rule: tokens of any string in the document) as of
   * `asOf`, in code point order; undefined when the collection has no ready search index.
   */
  searchIds(coll: string, tokens: readonly string[], asOf?: number): string[] | undefined {
    this.partitionSet();
    const managed = this.indexManager?.search(coll);
    if (managed === undefined || managed.state !== 'ready' || tokens.length === 0) return undefined;
    return managed.index.lookup(tokens, this.asOfOf(asOf === undefined ? undefined : { asOf }));
  }

  /** Estimated documents holding every token: the rarest token's entries; undefined without a ready search index. */
  searchCount(coll: string, tokens: readonly string[]): number | undefined {
    const managed = this.indexManager?.search(coll);
    if (managed === undefined || managed.state !== 'ready' || tokens.length === 0) return undefined;
    return Math.min(...tokens.map((token) => managed.index.countToken(token)));
  }

  /** The documents of `ids` (in that order) as of `asOf`, in pages; ids with no live version are skipped. */
  rowsByIds(coll: string, ids: readonly string[], asOf?: number): AsyncIterable<StoredDocument[]> {
    const seq = this.asOfOf(asOf === undefined ? undefined : { asOf });
    let at = 0;
    return this.pagesById(coll, seq, (max) => {
      const page = ids.slice(at, at + max);
      at += page.length;
      return page;
    });
  }

  /**
   * A query would have used a sorted index on (coll, fields) and there is none: create one in the background
   * (the query itself goes on with its best current plan; later ones switch once it is ready). Recorded in the
   * MANIFEST like any definition, so it survives restarts; bounded per collection and database; off when the
   * database's settings say so.
   */
  requestIndex(coll: string, fields: readonly string[]): void {
    const manifest = this.manifest;
    if (this.options.readOnly || manifest === undefined || manifest.settings.lazyIndexes === false) return;
    if (this.indexManager?.tree(coll, fields) !== undefined) return;
    const key = JSON.stringify([coll, fields]);
    if (this.lazyPending.has(key)) return;
    const lazy = parseIndexDefinitions(manifest.indexes).filter((spec) => spec.lazy);
    if (lazy.length >= lazyIndexesPerDatabaseMax) return;
    if (lazy.filter((spec) => spec.coll === coll).length >= lazyIndexesPerCollectionMax) return;
    let lazyBytes = 0;
    for (const spec of lazy) lazyBytes += this.indexInfo(spec.coll, spec.fields)?.bytes ?? 0;
    if (lazyBytes >= lazyIndexBytesMax) return;
    this.lazyPending.add(key);
    const name = `${this.name}/${coll}.${fields.join(',')}`;
    this.updateIndexDefinitions((current) => {
      // Again on the MANIFEST as it is now: concurrent requests for other fields each passed the check above.
      const specs = parseIndexDefinitions(current);
      const present = specs.some((spec) => spec.coll === coll && spec.kind !== 'search' && sameFields(spec.fields, fields));
      const lazyNow = specs.filter((spec) => spec.lazy);
      const full = lazyNow.length >= lazyIndexesPerDatabaseMax || lazyNow.filter((spec) => spec.coll === coll).length >= lazyIndexesPerCollectionMax;
      return present || full ? [...current] : [...current, lazyDefinitionItem(coll, fields)];
    })
      .then(() => this.options.logger.info(`lazy index on ${name} created for a query that would use it`))
      .catch((error: unknown) => this.options.logger.warn(`lazy index on ${name} not created: ${String(error)}`))
      .finally(() => this.lazyPending.delete(key));
  }

  /** Resolves once every write up to `seq` is visible (and so durable as its durability asked). */
  whenVisible(seq: number): Promise<void> {
    return this.partitionSet().whenVisible(seq);
  }

  /** Whether any partition has a snapshot (v1's `has_snapshot`). */
  get hasSnapshot(): boolean {
    return this.partitionSet().checkpointSeq >= 0;
  }

  /** The hash chain head as of the visible seq (64 zeros when empty). */
  get chainHead(): string {
    return this.partitionSet().chainHead;
  }

  /** Called in seq order with every write as it becomes visible (SSE, replication). Returns an unsubscribe. */
  onCommit(listener: (write: CommittedWrite) => void): () => void {
    return this.partitionSet().onCommit(listener);
  }

  /**
   * The logged ops with seqs in [fromSeq, toSeq], in seq order, read from the log and the history archive
   * (attached ops included; filter on `attached` for v1's op list). Flushes first so every visible op is on disk.
   */
  async readOps(fromSeq: number, toSeq: number): Promise<LoggedOp[]> {
    const set = this.partitionSet();
    await set.flush();
    const upTo = Math.min(toSeq, set.status().visibleSeq);
    if (upTo < fromSeq) return [];
    return readOps(this.options.fs, this.paths, this.partitions, fromSeq, upTo);
  }

  /** A collection's documents in code point order of id, as of one seq, in pages. */
  async *scan(coll: string, options?: ReadOptions): AsyncIterable<StoredDocument[]> {
    const set = this.partitionSet();
    const asOf = this.asOfOf(options);
    for await (const page of set.scan(options?.ns ?? Namespace.user, coll, asOf))
      yield page.map((row) => ({ id: row.id, seq: row.seq, doc: decodeDocument(row.doc) }));
  }

  /** Live documents per collection at the newest applied seq, in code point order of name. */
  collections(ns: Namespace = Namespace.user): Promise<Map<string, number>> {
    return this.partitionSet().collections(ns);
  }

  private asOfOf(options: ReadOptions | undefined): number {
    const visible = this.partitionSet().status().visibleSeq;
    const asOf = options?.asOf;
    if (asOf === undefined) return visible;
    if (!Number.isSafeInteger(asOf) || asOf < -1) throw new NedbError('AS_OF_INVALID', { value: asOf });
    const horizon = this.partitionSet().horizonSeq;
    if (asOf < horizon) throw new NedbError('HISTORY_RETAINED_NOT', { seq: asOf, oldest: horizon });
    return Math.min(asOf, visible);
  }

  checkpoint(): Promise<CheckpointOutcome> {
    if (this.options.readOnly) throw new NedbError('READ_ONLY', { name: this.name });
    return this.partitionSet().checkpoint();
  }

  /**
   * Online backup into `<targetDir>/<name>` while writes go on (core/backup.ts, docs/BACKUP.md). With
   * `checkpoint: false` it copies the last checkpoint's snapshots and the whole log after them instead of
   * checkpointing first: cheaper to take, longer to replay when the restored copy opens.
   */
  async backup(targetDir: string, onProgress?: (progress: BackupProgress) => void, options: { checkpoint?: boolean } = {}): Promise<BackupResult> {
    if (this.options.readOnly) throw new NedbError('READ_ONLY', { name: this.name });
    const set = this.partitionSet();
    const { fs, clock } = this.options;
    const source = {
      name: this.name,
      paths: this.paths,
      fs,
      clock,
      checkpointAndHold: <T>(work: (manifest: Manifest, outcome: CheckpointOutcome) => Promise<T>) => set.checkpointAndHold(work, options.checkpoint ?? true),
      durableSeq: () => set.status().durableSeq,
    };
    return backupDatabase(source, targetDir, onProgress);
  }

  /** Writes and syncs everything appended so far, whatever the durability of each write. */
  flush(): Promise<void> {
    return this.partitionSet().flush();
  }

  async close(): Promise<void> {
    if (this.intervalTimer !== undefined) clearInterval(this.intervalTimer);
    await this.ready.catch(() => undefined);
    const set = this.set;
    this.set = undefined;
    set?.setIndexHook(undefined);
    this.indexManager?.close();
    this.indexManager = undefined;
    if (this.loadState.state !== 'failed') this.loadState = { state: 'closed' };
    await set?.close();
  }
}


function toPartitionOp(op: BatchOp): PartitionOp {
  if (op.op === 'mark') return { kind: OpKind.mark, ns: Namespace.system, coll: '', id: '', doc: null, ifSeq: undefined, meta: op.meta, attached: false };
  checkCollName(op.coll);
  checkDocId(op.id);
  if (op.ifSeq !== undefined && (!Number.isSafeInteger(op.ifSeq) || op.ifSeq < -1))
    throw new NedbError('OPTION_INVALID', { name: 'ifSeq', reason: `must be an integer >= -1 (got ${op.ifSeq})` });
  let doc: Uint8Array | null = null;
  if (op.op === 'put') {
    doc = encodeDocument(op.doc);
    if (doc.length > docBytesMax) throw new NedbError('DOC_TOO_LARGE', { coll: op.coll, id: op.id, bytes: doc.length, max: docBytesMax });
  }
  return {
    kind: op.op === 'put' ? OpKind.put : OpKind.delete,
    ns: op.ns ?? Namespace.user,
    coll: op.coll,
    id: op.id,
    doc,
    ifSeq: op.ifSeq,
    meta: op.meta ?? null,
    attached: op.attached ?? false,
  };
}

