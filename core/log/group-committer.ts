// Group commit and the watermarks of one database.
//
// Writes take seqs and append their records synchronously; this loop writes whatever has piled up in one
// write per partition, then fdatasyncs every partition written since the last sync, while the next group piles
// up behind it. Each write waits on one watermark:
//   a seq is *ready* when its own durability is met: async → applied, batch → written, sync → fsynced;
//   visibleSeq = the highest seq such that every seq at or below it is ready.
// Readers see up to visibleSeq and a write is acknowledged when visibleSeq passes its last seq, so nobody
// ever sees a write that a crash could take back while an acknowledged one before it survives.
//
// Faults: an fsync error (or any write error but a full disk) stops writes for good: fsync errors are not
// retryable on Linux (the kernel may have dropped the dirty pages), so the log would lie. A full disk keeps
// the unwritten records, rejects new writes as read-only and retries the write until space returns.
import { NedbError, reasonOf } from '../errors.js';
import { errorCode } from '../platform/file-system.js';
import { diskFullRetryMs } from '../limits.js';
import { type PartitionLog, SyncFailure } from './partition-log.js';

export type Durability = 'sync' | 'batch' | 'async';

interface Waiter<T> {
  lastSeq: number;
  /** What becomes visible with this write (its ops), handed to onVisible in seq order. */
  payload: T;
  durability: Durability;
  resolve: () => void;
  reject: (error: Error) => void;
}

export type CommitterState = 'ok' | 'diskFull' | 'failed';

export interface CommitterStats {
  fsyncs: number;
  groupWrites: number;
  /** Sum of fsync durations, for the average. */
  fsyncMsTotal: number;
  /** Seqs made durable by fsyncs, for documents per fsync. */
  seqsSynced: number;
}

export class GroupCommitter<T = unknown> {
  lastAssignedSeq: number;
  writtenSeq: number;
  durableSeq: number;
  visibleSeq: number;
  state: CommitterState = 'ok';
  failure: NedbError | undefined;
  readonly stats: CommitterStats = { fsyncs: 0, groupWrites: 0, fsyncMsTotal: 0, seqsSynced: 0 };

  private readonly waiters: Waiter<T>[] = [];
  private running = false;
  private syncInFlight: Promise<void> | undefined;
  private syncDue = false;
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** flush() callers: each waits until every seq assigned before its call is durable. */
  private flushWaiters: { targetSeq: number; resolve: () => void }[] = [];
  private visibleWaiters: { seq: number; resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    private readonly dbName: string,
    private readonly logs: PartitionLog[],
    startSeq: number,
    private readonly batchIntervalMs: number,
    private readonly monotonicMs: () => number,
    private readonly onVisible: (payload: T) => void = () => {},
  ) {
    this.lastAssignedSeq = startSeq;
    this.writtenSeq = startSeq;
    this.durableSeq = startSeq;
    this.visibleSeq = startSeq;
  }

  /** Throws when the database cannot take writes now. */
  checkWritable(): void {
    if (this.state === 'failed') throw this.failure!;
    if (this.state === 'diskFull') throw new NedbError('DISK_FULL', { name: this.dbName, reason: 'ENOSPC' });
  }

  /** Called after the records of seqs up to `lastSeq` were appended; resolves when visibleSeq passes it. */
  wait(lastSeq: number, durability: Durability, payload: T): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ lastSeq, payload, durability, resolve, reject }));
    this.settle();
    this.kick();
    return promise;
  }

  /** Resolves once visibleSeq reaches `seq` (at once when it has); rejects if the database fails first. */
  whenVisible(seq: number): Promise<void> {
    if (this.visibleSeq >= seq) return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(this.failure!);
    return new Promise((resolve, reject) => this.visibleWaiters.push({ seq, resolve, reject }));
  }

  /** Starts the loop if it is not running. */
  kick(): void {
    if (!this.running && this.state !== 'failed') void this.loop();
  }

  /** Resolves when everything appended so far is written and synced (used by close and checkpoint). */
  flush(): Promise<void> {
    if (this.state === 'failed') return Promise.resolve(); // nothing will be written again: callers check the state
    const targetSeq = this.lastAssignedSeq;
    if (this.durableSeq >= targetSeq && !this.logs.some((log) => log.pendingBytes > 0 || log.needsSync)) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.flushWaiters.push({ targetSeq, resolve }));
    this.kick();
    return done;
  }

  private resolveFlushes(all: boolean): void {
    const waiting = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiting) {
      if (all || waiter.targetSeq <= this.durableSeq) waiter.resolve();
      else this.flushWaiters.push(waiter);
    }
  }

  /**
   * Writes and fsyncs overlap: while one group's fdatasync runs, the next group is already written, so its own
   * fsync can start the moment the first ends. At most one sync is in flight; a sync makes durable only what
   * was written before it started.
   */
  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.state !== 'failed') {
        const hasPending = this.logs.some((log) => log.pendingBytes > 0);
        if (hasPending) {
          const groupSeq = this.lastAssignedSeq;
          if (!(await this.writeGroup())) continue;
          this.writtenSeq = groupSeq;
          this.settle();
          this.scheduleSync();
        }
        if (this.syncInFlight === undefined && this.syncWanted())
          this.syncInFlight = this.syncGroup().finally(() => {
            this.syncInFlight = undefined;
          });
        if (this.logs.some((log) => log.pendingBytes > 0)) continue;
        if (this.syncInFlight !== undefined) {
          await this.syncInFlight;
          continue;
        }
        if (!this.syncWanted()) break;
      }
    } finally {
      this.running = false;
      // Idle with nothing unwritten or unsynced (or failed for good): no flush can get further than this.
      if (this.state === 'failed' || !this.logs.some((log) => log.pendingBytes > 0 || log.needsSync)) this.resolveFlushes(true);
    }
  }

  /** Returns false when the group must be retried (full disk). */
  private async writeGroup(): Promise<boolean> {
    const writing = this.logs.filter((log) => log.pendingBytes > 0);
    const results = await Promise.allSettled(writing.map((log) => log.writePending()));
    this.stats.groupWrites++;
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed === undefined) {
      if (this.state === 'diskFull') this.state = 'ok';
      return true;
    }
    if (!(failed.reason instanceof SyncFailure) && errorCode(failed.reason) === 'ENOSPC') {
      this.state = 'diskFull';
      await new Promise<void>((resolve) => setTimeout(resolve, diskFullRetryMs));
      return false;
    }
    this.failStop(failed.reason);
    return false;
  }

  private syncWanted(): boolean {
    if (!this.logs.some((log) => log.needsSync)) return false;
    if (this.syncDue) return true;
    for (const waiter of this.flushWaiters) if (waiter.targetSeq > this.durableSeq) return true;
    for (const waiter of this.waiters) if (waiter.durability === 'sync' && waiter.lastSeq <= this.writtenSeq) return true;
    return false;
  }

  private async syncGroup(): Promise<void> {
    this.syncDue = false;
    const syncedSeq = this.writtenSeq;
    const startMs = this.monotonicMs();
    const results = await Promise.allSettled(this.logs.filter((log) => log.needsSync).map((log) => log.sync()));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) {
      this.failStop(failed.reason);
      return;
    }
    this.stats.fsyncs++;
    this.stats.fsyncMsTotal += this.monotonicMs() - startMs;
    this.stats.seqsSynced += syncedSeq - this.durableSeq;
    this.durableSeq = syncedSeq;
    this.settle();
    this.resolveFlushes(false);
  }

  /** batch and async writes are fsynced within batchIntervalMs of being written. */
  private scheduleSync(): void {
    if (this.syncTimer !== undefined) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncDue = true;
      this.kick();
    }, this.batchIntervalMs);
    this.syncTimer.unref?.();
  }

  private isReady(waiter: Waiter<T>): boolean {
    switch (waiter.durability) {
      case 'async':
        return true;
      case 'batch':
        return waiter.lastSeq <= this.writtenSeq;
      case 'sync':
        return waiter.lastSeq <= this.durableSeq;
    }
  }

  private settle(): void {
    while (this.waiters.length > 0 && this.isReady(this.waiters[0]!)) {
      const waiter = this.waiters.shift()!;
      this.visibleSeq = waiter.lastSeq;
      this.onVisible(waiter.payload);
      waiter.resolve();
    }
    if (this.visibleWaiters.length > 0) {
      const waiting = this.visibleWaiters;
      this.visibleWaiters = [];
      for (const waiter of waiting) if (waiter.seq <= this.visibleSeq) waiter.resolve();
      else this.visibleWaiters.push(waiter);
    }
  }

  private failStop(cause: unknown): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    const underlying = cause instanceof SyncFailure ? cause.failure : cause;
    this.failure = new NedbError('FSYNC_FAILED', { name: this.dbName, reason: reasonOf(underlying) }, { cause: underlying });
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    for (const waiter of this.visibleWaiters.splice(0)) waiter.reject(this.failure);
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
  }

  stop(): void {
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
  }
}
