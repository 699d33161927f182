// Every partition of a database, run inline on the calling thread (`writers: 0`). A commit is synchronous from
// the precondition check to the append of its records, so nothing interleaves with it; only the wait for its
// durability is asynchronous. That one synchronous step is what a writer thread will do on its side of a ring.
import { NedbError } from '../errors.js';
import { Namespace, compareCodePoints, partitionOf } from '../keys.js';
import { recordBytesMax, unwrittenLogBytesMax } from '../limits.js';
import type { FileSystem } from '../platform/file-system.js';
import type { Logger } from '../platform/logger.js';
import type { Clock } from '../platform/clock.js';
import { type Durability, GroupCommitter } from '../log/group-committer.js';
import { type LoggedOp, OpKind, encodeTxnRecord } from '../log/record.js';
import type { HashChain } from '../chain.js';
import type { PartitionLog } from '../log/partition-log.js';
import { listSegments, segmentFileName } from '../log/segment.js';
import { type IndexFileEntry, type Manifest, removeIfPresent, writeManifest } from '../manifest.js';
import { SnapshotReader } from '../snapshot/snapshot-reader.js';
import { writeSnapshot } from '../snapshot/snapshot-writer.js';
import { snapshotFileName } from '../snapshot/format.js';
import type { LocatedVersion, PartitionStore, ScannedVersion } from './partition-store.js';
import type { StoredVersion } from '../snapshot/snapshot-reader.js';
import type {
  CheckpointOutcome,
  CommittedWrite,
  CommitOutcome,
  PartitionOp,
  PartitionSet,
  PreconditionFailure,
  ScanRow,
  VersionRead,
  WriteStatus,
} from './partition-set.js';

export interface DatabasePaths {
  dir: string;
  wal: string;
  snap: string;
  archive: string;
}

export interface InlinePartitionSetOptions {
  fs: FileSystem;
  paths: DatabasePaths;
  name: string;
  manifest: Manifest;
  stores: PartitionStore[];
  logs: PartitionLog[];
  lastSeq: number;
  chain: HashChain;
  batchIntervalMs: number;
  clock: Clock;
  logger: Logger;
}

const scanPageRows = 512;

/**
 * What a commit tells the sorted indexes (core/index/index-manager.ts): every applied user-namespace put or
 * delete of a collection that has an index, in seq order, with the key's version before it. `active` is false
 * while no index exists, so the unindexed write path pays one property read.
 */
export interface CommitIndexHook {
  readonly active: boolean;
  indexes(coll: string): boolean;
  applied(op: LoggedOp, previous: StoredVersion | undefined): void;
}

export class InlinePartitionSet implements PartitionSet {
  readonly partitions: number;
  private readonly committer: GroupCommitter<CommittedWrite>;
  private readonly chain: HashChain;
  private readonly listeners = new Set<(write: CommittedWrite) => void>();
  private manifest: Manifest;
  private running: Promise<CheckpointOutcome> | undefined;
  /** Set while a backup copies the files of a checkpoint: no other checkpoint may start (checkpointAndHold). */
  private held: Promise<void> | undefined;
  private manifestWrites: Promise<void> = Promise.resolve();
  /** Ops committed since the last checkpoint, for automatic checkpoints. */
  opsSinceCheckpoint = 0;
  private logBytesSinceCheckpoint = 0;
  private lastCheckpointMs: number;
  private indexHook: CommitIndexHook | undefined;
  private indexPersister: ((seq: number) => Promise<IndexFileEntry[]>) | undefined;
  /** Whether some ready index is not among the MANIFEST's index files (a checkpoint with no new writes still persists it). */
  private indexesUnpersisted: ((files: readonly IndexFileEntry[]) => boolean) | undefined;

  constructor(private readonly options: InlinePartitionSetOptions) {
    this.partitions = options.manifest.partitions;
    this.manifest = options.manifest;
    this.chain = options.chain;
    this.lastCheckpointMs = options.clock.nowMs();
    this.committer = new GroupCommitter<CommittedWrite>(
      options.name,
      options.logs,
      options.lastSeq,
      options.batchIntervalMs,
      () => options.clock.monotonicMs(),
      (write) => this.becameVisible(write),
    );
  }

  get checkpointSeq(): number {
    return this.manifest.checkpoint.seq;
  }

  get horizonSeq(): number {
    return this.manifest.checkpoint.horizonSeq ?? -1;
  }

  private partitionOf(op: { kind: OpKind; ns: Namespace; coll: string; id: string }): number {
    return op.kind === OpKind.mark ? 0 : partitionOf(op.ns, op.coll, op.id, this.partitions);
  }

  /** Folds the chain in seq order and tells listeners (SSE, replication) what became visible. */
  private becameVisible(write: CommittedWrite): void {
    for (const op of write.ops) this.chain.fold(op);
    write.head = this.chain.head;
    for (const listener of this.listeners) listener(write);
  }

  onCommit(listener: (write: CommittedWrite) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get chainHead(): string {
    return this.chain.head;
  }

  /** The stores, for index builds that walk every version of a collection. */
  get partitionStores(): readonly PartitionStore[] {
    return this.options.stores;
  }

  /** Writes the ready sorted indexes as of a checkpoint's seq; returns their MANIFEST entries. */
  setIndexPersister(persister: ((seq: number) => Promise<IndexFileEntry[]>) | undefined, unpersisted?: (files: readonly IndexFileEntry[]) => boolean): void {
    this.indexPersister = persister;
    this.indexesUnpersisted = unpersisted;
  }

  setIndexHook(hook: CommitIndexHook | undefined): void {
    this.indexHook = hook;
  }

  async commit(ops: PartitionOp[], durability: Durability): Promise<CommitOutcome> {
    this.committer.checkWritable();
    const { stores, logs } = this.options;
    const owners = ops.map((op) => this.partitionOf(op));
    const failures: PreconditionFailure[] = [];
    ops.forEach((op, index) => {
      if (op.ifSeq === undefined) return;
      const head = stores[owners[index]!]!.head(op.ns, op.coll, op.id);
      const ok = op.ifSeq === -1 ? !(head?.live ?? false) : head?.seq === op.ifSeq;
      if (!ok) failures.push({ index, coll: op.coll, id: op.id, expected: op.ifSeq, actual: head?.seq ?? null });
    });
    if (failures.length > 0) throw new NedbError('PRECONDITION_FAILED', { failures, seq: this.committer.visibleSeq });

    const firstSeq = this.committer.lastAssignedSeq + 1;
    let seq = firstSeq - 1;
    const byPartition = new Map<number, LoggedOp[]>();
    const allLogged: LoggedOp[] = [];
    ops.forEach((op, index) => {
      if (!op.attached) seq++;
      const logged: LoggedOp = { seq, attached: op.attached, kind: op.kind, ns: op.ns, coll: op.coll, id: op.id, doc: op.doc, meta: op.meta };
      allLogged.push(logged);
      const list = byPartition.get(owners[index]!);
      if (list === undefined) byPartition.set(owners[index]!, [logged]);
      else list.push(logged);
    });
    const lastSeq = seq;
    const span = byPartition.size > 1 ? { firstSeq, lastSeq, parts: byPartition.size } : null;
    const records = new Map<number, Uint8Array>();
    for (const [partition, logged] of byPartition) {
      const record = encodeTxnRecord({ seq: logged[0]!.seq, ops: logged, span });
      if (record.length > recordBytesMax) throw new NedbError('RECORD_TOO_LARGE', { bytes: record.length, max: recordBytesMax });
      records.set(partition, record);
    }
    // From here on nothing can fail: the seqs are taken, the records queued and the state changed together.
    this.committer.lastAssignedSeq = lastSeq;
    for (const [partition, logged] of byPartition) {
      logs[partition]!.append(records.get(partition)!);
      this.logBytesSinceCheckpoint += records.get(partition)!.length;
      for (const op of logged) stores[partition]!.apply(op);
    }
    const hook = this.indexHook;
    if (hook !== undefined && hook.active)
      allLogged.forEach((op, index) => {
        if (op.ns !== Namespace.user || op.kind === OpKind.mark || !hook.indexes(op.coll)) return;
        // The version before this op: the newest below its seq (an earlier op of this batch included).
        hook.applied(op, stores[owners[index]!]!.versionAt(op.ns, op.coll, op.id, op.seq - 1));
      });
    this.opsSinceCheckpoint += ops.length;
    const write: CommittedWrite = { firstSeq, lastSeq, ops: allLogged, head: '' };
    await this.committer.wait(lastSeq, durability === 'async' && this.unwrittenBytes() > unwrittenLogBytesMax ? 'batch' : durability, write);
    return { firstSeq, lastSeq, seqs: allLogged.map((op) => op.seq), head: write.head };
  }

  private unwrittenBytes(): number {
    let bytes = 0;
    for (const log of this.options.logs) bytes += log.pendingBytes;
    return bytes;
  }

  async get(ns: Namespace, coll: string, id: string, asOf: number): Promise<VersionRead | undefined> {
    const store = this.options.stores[partitionOf(ns, coll, id, this.partitions)]!;
    return store.versionAt(ns, coll, id, Math.min(asOf, this.committer.visibleSeq));
  }

  /**
   * get() without the promise, and without reading a snapshot version it can name by seq (see
   * PartitionStore.locate): the partitions run inline, so hot read paths need not pay an await per document.
   */
  locate(ns: Namespace, coll: string, id: string, asOf: number): LocatedVersion | undefined {
    const store = this.options.stores[partitionOf(ns, coll, id, this.partitions)]!;
    return store.locate(ns, coll, id, Math.min(asOf, this.committer.visibleSeq));
  }

  async head(ns: Namespace, coll: string, id: string): Promise<{ seq: number; live: boolean } | undefined> {
    return this.options.stores[partitionOf(ns, coll, id, this.partitions)]!.head(ns, coll, id);
  }

  /** Pages of rows in code point order of id: a k-way merge of the partitions' ordered scans. */
  async *scan(ns: Namespace, coll: string, asOf: number): AsyncIterable<ScanRow[]> {
    const seq = Math.min(asOf, this.committer.visibleSeq);
    const sources = this.options.stores.map((store) => store.scan(ns, coll, seq));
    const heads: (ScannedVersion | undefined)[] = sources.map((source) => source.next().value ?? undefined);
    try {
      for (;;) {
        const page: ScanRow[] = [];
        while (page.length < scanPageRows) {
          let best = -1;
          for (let i = 0; i < heads.length; i++) {
            const row = heads[i];
            if (row !== undefined && (best < 0 || compareCodePoints(row.id, heads[best]!.id) < 0)) best = i;
          }
          if (best < 0) break;
          page.push(heads[best]!);
          heads[best] = sources[best]!.next().value ?? undefined;
        }
        if (page.length === 0) return;
        yield page;
      }
    } finally {
      for (const source of sources) source.return(undefined);
    }
  }

  async collections(ns: Namespace): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const store of this.options.stores)
      for (const info of store.collections())
        if (info.ns === ns) counts.set(info.coll, (counts.get(info.coll) ?? 0) + store.liveCount(ns, info.coll));
    return new Map([...counts].sort((a, b) => compareCodePoints(a[0], b[0])));
  }

  status(): WriteStatus {
    const c = this.committer;
    return {
      state: c.state,
      logBytesSinceCheckpoint: this.logBytesSinceCheckpoint,
      lastCheckpointMs: this.lastCheckpointMs,
      checkpointSeq: this.manifest.checkpoint.seq,
      lastAssignedSeq: c.lastAssignedSeq, visibleSeq: c.visibleSeq, durableSeq: c.durableSeq, stats: c.stats };
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  whenVisible(seq: number): Promise<void> {
    return this.committer.whenVisible(seq);
  }

  checkWritable(): void {
    this.committer.checkWritable();
  }

  checkpoint(): Promise<CheckpointOutcome> {
    this.running ??= (this.held === undefined ? this.runCheckpoint() : this.runCheckpointAfterHold()).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runCheckpointAfterHold(): Promise<CheckpointOutcome> {
    while (this.held !== undefined) await this.held;
    return this.runCheckpoint();
  }

  /**
   * Online backup (core/backup.ts): takes a checkpoint (or, with `takeCheckpoint` false, only flushes), then
   * runs `work` with the current MANIFEST while no other checkpoint runs, so the snapshots that MANIFEST names
   * stay in snap/ and no segment at or above its logStart leaves wal/. Writes go on; checkpoints asked for
   * meanwhile start once `work` ends.
   */
  async checkpointAndHold<T>(work: (manifest: Manifest, outcome: CheckpointOutcome) => Promise<T>, takeCheckpoint = true): Promise<T> {
    while (this.held !== undefined || this.running !== undefined) await (this.held ?? this.running)?.catch(() => undefined);
    let release = () => {};
    this.held = new Promise<void>((resolve) => (release = resolve));
    try {
      let outcome: CheckpointOutcome = { seq: this.manifest.checkpoint.seq, snapshotsWritten: 0, segmentsArchived: 0, longestStepMs: 0 };
      if (takeCheckpoint) {
        const running = this.runCheckpoint().finally(() => {
          this.running = undefined;
        });
        this.running = running;
        outcome = await running;
      } else await this.committer.flush(); // without a checkpoint: still every write appended so far durable
      return await work(this.manifest, outcome);
    } finally {
      this.held = undefined;
      release();
    }
  }

  /**
   * A snapshot per changed partition as of one seq S, while writes go on (FORMAT.md §7):
   * 1. synchronously take S and seal every log, so segments before the new log start hold only seqs ≤ S;
   * 2. capture the overlay versions ≤ S; wait until every seq ≤ S is durable;
   * 3. write the snapshots (temp, fsync, rename, fsync dir), then the MANIFEST that names them;
   * 4. install them as the partitions' bases; archive the covered segments; remove superseded snapshots.
   * A crash before 3 ends leaves the old MANIFEST, which still describes a complete state.
   */
  private async runCheckpoint(): Promise<CheckpointOutcome> {
    const { fs, paths, stores, logs, clock } = this.options;
    const seq = this.committer.lastAssignedSeq;
    if (seq === this.manifest.checkpoint.seq) {
      // No write since: the snapshots stand. Indexes that turned ready since are still written, as of that seq
      // (every op up to it is applied), so a restart loads them instead of rebuilding.
      if (this.indexPersister !== undefined && this.indexesUnpersisted?.(this.manifest.checkpoint.indexFiles ?? []) === true) {
        const previous = this.manifest.checkpoint.indexFiles ?? [];
        const indexFiles = await this.indexPersister(seq);
        await this.updateManifest((current) => ({ ...current, checkpoint: { ...current.checkpoint, indexFiles } }));
        const kept = new Set(indexFiles.map((entry) => entry.file));
        for (const old of previous) if (!kept.has(old.file)) await removeIfPresent(this.options.fs, `${this.options.paths.snap}/${old.file}`);
      }
      return { seq, snapshotsWritten: 0, segmentsArchived: 0, longestStepMs: 0 };
    }
    let stepStartMs = clock.monotonicMs();
    const logStart = logs.map((log) => log.seal());
    let longestStepMs = clock.monotonicMs() - stepStartMs;
    this.opsSinceCheckpoint = 0;
    this.logBytesSinceCheckpoint = 0;
    const headAtSeq = this.chain.headAt(seq);
    const overlays = [];
    for (const store of stores) overlays.push(await store.overlayAsOf(seq));
    await this.committer.flush();
    this.committer.checkWritable();
    const retention = this.manifest.settings.historyRetentionSeqs;
    const horizonSeq = retention === null ? -1 : Math.max(this.horizonSeq, seq - retention);
    const snapshots = [...this.manifest.checkpoint.snapshots];
    const written: number[] = [];
    for (let p = 0; p < stores.length; p++) {
      if (overlays[p]!.length === 0 && horizonSeq < 0) continue;
      const name = snapshotFileName(p, seq);
      await removeIfPresent(fs, `${paths.snap}/${name}.tmp`);
      await writeSnapshot(fs, paths.snap, name, { partition: p, seq, base: stores[p]!.base, overlay: overlays[p]!, retentionHorizonSeq: horizonSeq });
      snapshots[p] = name;
      written.push(p);
    }
    const previous = this.manifest;
    const head = await headAtSeq;
    // Through the one queue of MANIFEST writes, built on the MANIFEST as it is then: an index definition
    // written meanwhile is kept, and no two writers share MANIFEST.tmp.
    const indexFiles = (await this.indexPersister?.(seq)) ?? [];
    await this.updateManifest((current) => ({ ...current, checkpoint: { seq, snapshots, logStart, horizonSeq, head, indexFiles } }));
    const keptIndexFiles = new Set(indexFiles.map((entry) => entry.file));
    for (const old of previous.checkpoint.indexFiles ?? []) if (!keptIndexFiles.has(old.file)) await removeIfPresent(fs, `${paths.snap}/${old.file}`);
    for (const p of written) {
      const reader = await SnapshotReader.open(fs, `${paths.snap}/${snapshots[p]}`);
      stepStartMs = clock.monotonicMs();
      stores[p]!.installBase(reader);
      longestStepMs = Math.max(longestStepMs, clock.monotonicMs() - stepStartMs);
    }
    const segmentsArchived = await archiveSegments(fs, paths, logStart, retention !== null);
    for (const p of written) {
      const old = previous.checkpoint.snapshots[p];
      if (old !== null && old !== undefined && old !== snapshots[p]) await removeIfPresent(fs, `${paths.snap}/${old}`);
    }
    if (written.length > 0) await fs.syncDir(paths.snap);
    this.lastCheckpointMs = clock.nowMs();
    this.options.logger.info(`checkpoint of ${this.options.name} at seq ${seq}`, { snapshots: written.length, segmentsArchived });
    return { seq, snapshotsWritten: written.length, segmentsArchived, longestStepMs };
  }

  get indexes(): unknown[] {
    return this.manifest.indexes;
  }

  /** Replaces the MANIFEST with `change(current)`; writes are serialized so none is lost. */
  updateManifest(change: (current: Manifest) => Manifest): Promise<void> {
    const write = this.manifestWrites.then(async () => {
      const next = change(this.manifest);
      await writeManifest(this.options.fs, this.options.paths.dir, next);
      this.manifest = next;
    });
    this.manifestWrites = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.manifestWrites;
    await this.committer.flush();
    this.committer.stop();
    for (const log of this.options.logs) await log.close();
    for (const store of this.options.stores) await store.close();
  }
}

/**
 * Moves segments below each partition's log start out of the start path, into the history archive (or deletes
 * them when a retention setting says history is kept in snapshots only). Also finishes the move for a
 * checkpoint that crashed before doing it.
 */
export async function archiveSegments(fs: FileSystem, paths: DatabasePaths, logStart: number[], drop: boolean): Promise<number> {
  let moved = 0;
  for (let p = 0; p < logStart.length; p++)
    for (const segmentNo of await listSegments(fs, paths.wal, p)) {
      if (segmentNo >= logStart[p]!) continue;
      const name = segmentFileName(p, segmentNo);
      if (drop) await fs.unlink(`${paths.wal}/${name}`);
      else await fs.rename(`${paths.wal}/${name}`, `${paths.archive}/${name}`);
      moved++;
    }
  if (moved > 0) {
    if (!drop) await fs.syncDir(paths.archive);
    await fs.syncDir(paths.wal);
  }
  return moved;
}
