// The one interface through which a database reaches its partitions. Today's implementation runs every
// partition inline on the calling thread (`writers: 0`); writer threads will implement the same interface over
// SharedArrayBuffer rings, so moving partitions between inline and threads changes the transport only.
import type { Namespace } from '../keys.js';
import type { Durability, CommitterState, CommitterStats } from '../log/group-committer.js';
import type { LoggedOp, OpKind, OpMeta } from '../log/record.js';

/** One operation of a write, encoded and validated by the database. */
export interface PartitionOp {
  kind: OpKind;
  ns: Namespace;
  coll: string;
  id: string;
  /** msgpack bytes of the stored document (put only). */
  doc: Uint8Array | null;
  /** Compare-and-set: the key's last seq must equal this; -1: the key must not be live. */
  ifSeq: number | undefined;
  meta: OpMeta | null;
  /** Shares the seq of the op before it (derived engine state; see LoggedOp.attached). */
  attached: boolean;
}

export interface PreconditionFailure {
  index: number;
  coll: string;
  id: string;
  expected: number;
  /** The key's last seq (put or delete), null when it was never written. */
  actual: number | null;
}

export interface CommitOutcome {
  firstSeq: number;
  lastSeq: number;
  /** The seq each op took, in op order (attached ops share their parent's). */
  seqs: number[];
  /** Hash chain head once the write was visible. */
  head: string;
}

/** Handed to commit listeners in seq order as writes become visible. */
export interface CommittedWrite {
  firstSeq: number;
  lastSeq: number;
  ops: readonly LoggedOp[];
  head: string;
}

export interface VersionRead {
  seq: number;
  doc: Uint8Array | null;
}

export interface ScanRow {
  id: string;
  seq: number;
  doc: Uint8Array;
}

export interface CheckpointOutcome {
  seq: number;
  snapshotsWritten: number;
  segmentsArchived: number;
  /** Longest synchronous step of the checkpoint, in milliseconds (the write stall it may cause). */
  longestStepMs: number;
}

export interface WriteStatus {
  state: CommitterState;
  /** Log bytes appended since the last checkpoint began. */
  logBytesSinceCheckpoint: number;
  /** Wall-clock ms of the last completed checkpoint, or of the open when there was none since. */
  lastCheckpointMs: number;
  checkpointSeq: number;
  lastAssignedSeq: number;
  visibleSeq: number;
  durableSeq: number;
  stats: CommitterStats;
}

export interface PartitionSet {
  readonly partitions: number;
  /** Checks preconditions, takes seqs, applies, logs; resolves once the write is visible (its durability met). */
  commit(ops: PartitionOp[], durability: Durability): Promise<CommitOutcome>;
  get(ns: Namespace, coll: string, id: string, asOf: number): Promise<VersionRead | undefined>;
  /** The key's newest version, including writes not yet visible (for preconditions). */
  head(ns: Namespace, coll: string, id: string): Promise<{ seq: number; live: boolean } | undefined>;
  scan(ns: Namespace, coll: string, asOf: number): AsyncIterable<ScanRow[]>;
  collections(ns: Namespace): Promise<Map<string, number>>;
  checkpoint(): Promise<CheckpointOutcome>;
  flush(): Promise<void>;
  status(): WriteStatus;
  close(): Promise<void>;
}
