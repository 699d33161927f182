// The sorted indexes of one database, in memory: one SortedIndex per (collection, field) that a v1 index
// definition of kind `ordered` or `sorted` names (`eq` and `search` are not sorted indexes). Persistence in
// snapshots is not done yet: every index is rebuilt when the database opens.
//
// Maintenance: InlinePartitionSet.commit calls `applied` (CommitIndexHook) for every user put/delete of an
// indexed collection, synchronously and in seq order, with the key's previous version.
//
// Builds run in the background while reads and writes go on: S0 = the newest applied seq when the build
// starts; the collection's keys are walked in chunks (yielding to the event loop between chunks) and every
// retained version <= S0 of each document is fed to the index in seq order, which gives each its
// [fromSeq, toSeq) range. Writes with seq > S0 that commit meanwhile are queued and applied in order when the
// walk ends, synchronously with the switch to 'ready', so no write is lost or applied twice.
import { Decoder } from '@msgpack/msgpack';
import type { IndexFileEntry } from '../manifest.js';
import { Namespace } from '../keys.js';
import { type LoggedOp, OpKind } from '../log/record.js';
import type { Logger } from '../platform/logger.js';
import type { PartitionStore } from '../partition/partition-store.js';
import type { CommitIndexHook } from '../partition/inline-partition-set.js';
import { collKeyOf, type StoredVersion } from '../snapshot/snapshot-reader.js';
import { compareBytes } from './b-plus-tree-node.js';
import type { KeyBound } from './b-plus-tree.js';
import { decodeIndexKey, encodeIndexValues, idStart, indexValueBytesMax, keyTag } from './index-key.js';
import { SortedIndex, readField } from './sorted-index.js';

export type IndexState = 'building' | 'ready';

export interface SortedIndexInfo {
  coll: string;
  field: string;
  state: IndexState;
  /** Percent of the build's walk done (0..100), while building. */
  progress?: number;
  /** Entries in the tree (every retained version range). */
  entries: number;
  bytes: number;
  /** Loaded from the last checkpoint's index file (then caught up with the log tail), not built by a walk. */
  loaded: boolean;
}

/** How a start gets the index a checkpoint persisted: read lazily, in the background, so opening never waits. */
export interface PersistedIndexLoader {
  entry: IndexFileEntry;
  /** The checkpoint's seq: the file holds the index as of it. */
  seq: number;
  /** The index, or undefined when the file is missing or damaged (then it is rebuilt). */
  load(): Promise<SortedIndex | undefined>;
}

/** A ready index as a checkpoint persists it (FORMAT.md §11.3): its section bytes and the manager's flags. */
export interface PersistedIndex {
  coll: string;
  field: string;
  bytes: Uint8Array;
  classesSeen: number;
  truncatedEver: boolean;
}

export type { IndexFileEntry } from '../manifest.js';

/** What an index-ordered read asks for (nql/source.ts OrderedScanRequest, with the seq already settled). */
export interface OrderedIdsRequest {
  coll: string;
  field: string;
  descending: boolean;
  asOf: number;
  lower?: { value: number | string; inclusive: boolean } | undefined;
  upper?: { value: number | string; inclusive: boolean } | undefined;
}

interface QueuedVersion {
  id: string;
  seq: number;
  previous: Uint8Array | null | undefined;
  next: Uint8Array | null;
}

interface ManagedIndex {
  readonly coll: string;
  readonly field: string;
  readonly path: readonly string[];
  /** Replaced once, when a persisted index finished loading (before the index turns ready). */
  index: SortedIndex;
  state: IndexState;
  progress: number;
  /** Writes with seq > S0 while building; undefined once ready. */
  queue: QueuedVersion[] | undefined;
  dropped: boolean;
  /** Some version ever fed had a string too long for the key (its order among equal prefixes is by id). */
  truncatedEver: boolean;
  /** Value classes seen in any version fed (1 numeric, 2 text, 4 array/object): a build feeds history one
   * document at a time, so the index's own mixedTypesInHistory cannot see two documents' overlapping ranges. */
  classesSeen: number;
  loaded: boolean;
  readonly ready: Promise<void>;
  resolveReady: () => void;
}

/** Documents per chunk of a build before it yields to the event loop. */
const buildChunkDocs = 512;
const decoder = new Decoder();

function decode(bytes: Uint8Array | null | undefined): unknown {
  return bytes === null || bytes === undefined ? undefined : decoder.decode(bytes);
}

function keyOf(coll: string, field: string): string {
  return `${coll}\u0000${field}`;
}

/** (coll, field) of every v1 definition [coll, field, kind] whose kind is a sorted index. */
export function sortedDefinitions(definitions: readonly unknown[]): { coll: string; field: string }[] {
  const found = new Map<string, { coll: string; field: string }>();
  for (const item of definitions) {
    // [coll, field, kind], or [coll, field, 'sorted', 'lazy'] for one the planner created (lazyIndexDefinition).
    if (!Array.isArray(item) || (item.length !== 3 && !(item.length === 4 && item[3] === 'lazy'))) continue;
    const [coll, field, kind] = item as unknown[];
    if (typeof coll !== 'string' || typeof field !== 'string' || (kind !== 'ordered' && kind !== 'sorted')) continue;
    found.set(keyOf(coll, field), { coll, field });
  }
  return [...found.values()];
}

export interface IndexManagerAccess {
  readonly stores: readonly PartitionStore[];
  /** The newest applied seq (every version at or below it is in the stores). */
  lastSeq(): number;
  readonly logger: Logger;
}

export class IndexManager implements CommitIndexHook {
  private readonly byColl = new Map<string, Map<string, ManagedIndex>>();
  private count = 0;
  private closed = false;

  constructor(private readonly access: IndexManagerAccess) {}

  get active(): boolean {
    return this.count > 0;
  }

  indexes(coll: string): boolean {
    return this.byColl.has(coll);
  }

  /**
   * Makes the set of indexes match the definitions: builds the new ones (or, for one a checkpoint persisted,
   * loads it and catches it up with the log tail), drops the ones no longer named.
   */
  sync(definitions: readonly unknown[], persisted?: (coll: string, field: string) => PersistedIndexLoader | undefined): void {
    if (this.closed) return;
    const wanted = sortedDefinitions(definitions);
    const wantedKeys = new Set(wanted.map(({ coll, field }) => keyOf(coll, field)));
    for (const [coll, fields] of [...this.byColl])
      for (const field of [...fields.keys()]) if (!wantedKeys.has(keyOf(coll, field))) this.drop(coll, field);
    for (const { coll, field } of wanted) if (this.get(coll, field) === undefined) this.startBuild(coll, field, persisted?.(coll, field));
  }

  /** Every ready index as of `seq`, for a checkpoint to persist. */
  persistable(seq: number): PersistedIndex[] {
    const out: PersistedIndex[] = [];
    for (const fields of this.byColl.values())
      for (const managed of fields.values())
        if (managed.state === 'ready')
          out.push({ coll: managed.coll, field: managed.field, bytes: managed.index.serialize(seq), classesSeen: managed.classesSeen, truncatedEver: managed.truncatedEver });
    return out;
  }

  get(coll: string, field: string): ManagedIndex | undefined {
    return this.byColl.get(coll)?.get(field);
  }

  /** The index of (coll, field) once ready, else undefined. */
  readyIndex(coll: string, field: string): SortedIndex | undefined {
    const managed = this.get(coll, field);
    return managed?.state === 'ready' ? managed.index : undefined;
  }

  /** Resolves when the index of (coll, field) is ready (at once when it is); undefined when there is none. */
  whenReady(coll: string, field: string): Promise<void> | undefined {
    return this.get(coll, field)?.ready;
  }

  info(coll: string, field: string): SortedIndexInfo | undefined {
    const managed = this.get(coll, field);
    if (managed === undefined) return undefined;
    const info: SortedIndexInfo = {
      coll,
      field,
      state: managed.state,
      entries: managed.index.btree.size,
      bytes: managed.index.btree.bytesEstimate(),
      loaded: managed.loaded,
    };
    if (managed.state === 'building') info.progress = managed.progress;
    return info;
  }

  list(): SortedIndexInfo[] {
    const infos: SortedIndexInfo[] = [];
    for (const [coll, fields] of this.byColl) for (const field of fields.keys()) infos.push(this.info(coll, field)!);
    return infos;
  }

  drop(coll: string, field: string): boolean {
    const fields = this.byColl.get(coll);
    const managed = fields?.get(field);
    if (fields === undefined || managed === undefined) return false;
    managed.dropped = true;
    managed.queue = undefined;
    fields.delete(field);
    if (fields.size === 0) this.byColl.delete(coll);
    this.count--;
    managed.resolveReady(); // waiters stop waiting; the index is gone
    return true;
  }

  close(): void {
    this.closed = true;
    for (const [coll, fields] of [...this.byColl]) for (const field of [...fields.keys()]) this.drop(coll, field);
  }

  /** CommitIndexHook: one applied put/delete of an indexed collection, in seq order. */
  applied(op: LoggedOp, previous: StoredVersion | undefined): void {
    const fields = this.byColl.get(op.coll);
    if (fields === undefined || op.ns !== Namespace.user || op.kind === OpKind.mark) return;
    const next = op.kind === OpKind.put ? op.doc : null;
    let previousDoc: unknown;
    let nextDoc: unknown;
    let decoded = false;
    for (const managed of fields.values()) {
      if (managed.queue !== undefined) {
        managed.queue.push({ id: op.id, seq: op.seq, previous: previous?.doc, next });
        continue;
      }
      if (!decoded) {
        previousDoc = decode(previous?.doc);
        nextDoc = decode(next);
        decoded = true;
      }
      feed(managed, op.id, op.seq, previousDoc, nextDoc);
    }
  }

  private startBuild(coll: string, field: string, persisted?: PersistedIndexLoader): void {
    let resolveReady = (): void => {};
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const managed: ManagedIndex = {
      coll,
      field,
      path: field.split('.'),
      index: new SortedIndex({ collection: coll, fields: [field] }),
      state: 'building',
      progress: 0,
      queue: [],
      dropped: false,
      truncatedEver: false,
      classesSeen: 0,
      loaded: false,
      ready,
      resolveReady,
    };
    let fields = this.byColl.get(coll);
    if (fields === undefined) {
      fields = new Map();
      this.byColl.set(coll, fields);
    }
    fields.set(field, managed);
    this.count++;
    // S0 and, for a persisted index, the keys its log tail touched are taken now, synchronously: writes from here
    // on are queued, and a checkpoint that later moves tail versions into a snapshot cannot hide their keys.
    const s0 = this.access.lastSeq();
    const tailIds = persisted === undefined ? undefined : this.access.stores.map((store) => [...(store.overlay.get(collKeyOf(Namespace.user, coll))?.keys() ?? [])]);
    this.build(managed, s0, persisted, tailIds).catch((error: unknown) => {
      this.access.logger.warn(`building the sorted index on ${coll}.${field} failed: ${String(error)}`);
      if (this.get(coll, field) === managed) this.drop(coll, field);
    });
  }

  /**
   * Walks the collection as of S0 feeding every version above `fromSeq`: all of them for a new index; for one
   * loaded from a checkpoint's file only the log tail after it (the keys in `tailIds`). Then applies the writes
   * queued meanwhile and turns ready.
   */
  private async build(managed: ManagedIndex, s0: number, persisted: PersistedIndexLoader | undefined, tailIds: string[][] | undefined): Promise<void> {
    let fromSeq = -1;
    const loaded = persisted === undefined ? undefined : await persisted.load();
    if (managed.dropped || this.closed) return;
    if (loaded !== undefined && persisted !== undefined) {
      managed.index = loaded;
      managed.loaded = true;
      managed.classesSeen = persisted.entry.classesSeen;
      managed.truncatedEver = persisted.entry.truncatedEver;
      fromSeq = persisted.seq;
    }
    const stores = this.access.stores;
    let total = 0;
    for (const store of stores) total += store.liveCount(Namespace.user, managed.coll);
    let done = 0;
    let inChunk = 0;
    for (const [p, store] of stores.entries()) {
      const ids = fromSeq < 0 || tailIds === undefined ? store.ids(Namespace.user, managed.coll) : arrayIds(tailIds[p] ?? []);
      try {
        for (const id of ids) {
          if (++inChunk >= buildChunkDocs) {
            inChunk = 0;
            managed.progress = Math.min(99, Math.floor((100 * done) / Math.max(1, total)));
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (managed.dropped || this.closed) return;
          }
          let previous: unknown;
          for (const version of store.history(Namespace.user, managed.coll, id, s0)) {
            const next = decode(version.doc);
            if (version.seq > fromSeq && (previous !== undefined || next !== undefined)) feed(managed, id, version.seq, previous, next);
            previous = next;
          }
          done++;
        }
      } finally {
        ids.return(undefined);
      }
    }
    if (managed.dropped || this.closed) return;
    // Synchronously: the writes queued since S0, in seq order, then ready; later writes go straight in.
    for (const write of managed.queue ?? []) feed(managed, write.id, write.seq, decode(write.previous), decode(write.next));
    managed.queue = undefined;
    managed.state = 'ready';
    managed.progress = 100;
    managed.resolveReady();
  }
}

function* arrayIds(ids: string[]): Generator<string, void, undefined> {
  yield* ids;
}

function feed(managed: ManagedIndex, id: string, seq: number, previous: unknown, next: unknown): void {
  managed.index.applyVersion(id, seq, previous, next);
  if (next === undefined) return;
  const value = readField(next, managed.field, managed.path);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') managed.classesSeen |= 1;
  else if (typeof value === 'string') {
    managed.classesSeen |= 2;
    // A key holds at most indexValueBytesMax UTF-8 bytes of a string (3 bytes per UTF-16 unit at most).
    if (!managed.truncatedEver && value.length * 3 > indexValueBytesMax && Buffer.byteLength(value, 'utf8') > indexValueBytesMax)
      managed.truncatedEver = true;
  } else if (typeof value === 'object' && value !== null) managed.classesSeen |= 4;
}

/** Whether the index order of (coll, field) as of `asOf` is v1's ORDER BY order (see nql/source.ts). */
export function followsV1Order(managed: ManagedIndex, asOf: number, lastSeq: number): boolean {
  const flags = managed.index.orderFlags();
  const seen = managed.classesSeen;
  // Below HEAD: mixed at some seq, or (conservatively) numbers and strings ever seen in any versions.
  const mixedEver = flags.mixedTypesInHistory || (seen & 4) !== 0 || (seen & 3) === 3;
  const mixed = asOf >= lastSeq ? flags.mixedTypes : mixedEver;
  return !mixed && flags.truncatedValues === 0 && !managed.truncatedEver;
}

/**
 * The ids of an index-ordered read, a page at a time. Each page is one synchronous walk of the tree (a write
 * may change the tree between pages), resumed from the last key read. Ties are in id order ascending in both
 * directions: DESC finds each distinct value with a descending probe and reads its ids ascending.
 */
export class OrderedIds {
  private readonly lower: KeyBound | undefined;
  private readonly upper: KeyBound | undefined;
  private readonly empty: boolean;
  /** The last full key returned (resume point), a copy. */
  private lastKey: Uint8Array | undefined;
  /** DESC: the value component of the run being read, and the upper bound for the next probe. */
  private run: Uint8Array | undefined;
  private probeUpper: KeyBound | undefined;
  private finished = false;

  constructor(
    private readonly index: SortedIndex,
    private readonly request: OrderedIdsRequest,
  ) {
    const { lower, upper } = request;
    const numeric = typeof (lower?.value ?? upper?.value) === 'number';
    this.empty = lower !== undefined && upper !== undefined && typeof lower.value !== typeof upper.value;
    // v1's range comparisons are false across types and for null/missing: a numeric range stops below the
    // strings and a string range starts above the numbers and stops below null/missing (and arrays/objects,
    // which make the index refuse anyway).
    if (lower === undefined && upper === undefined) {
      this.lower = undefined;
      this.upper = undefined;
    } else {
      this.lower = lower !== undefined ? bound(lower.value, lower.inclusive) : numeric ? bound(-Infinity, true) : bound('', true);
      this.upper =
        upper !== undefined ? bound(upper.value, upper.inclusive) : numeric ? bound(Infinity, true) : { key: Uint8Array.of(keyTag.array), inclusive: false };
    }
    this.probeUpper = this.upper;
  }

  /** Up to `max` ids, in order; an empty array once done. */
  next(max: number): string[] {
    const ids: string[] = [];
    if (this.empty || this.finished) return ids;
    if (!this.request.descending) {
      this.ascending(this.lastKey === undefined ? this.lower : { key: this.lastKey, inclusive: true }, this.upper, max, ids);
      if (ids.length < max) this.finished = true;
      return ids;
    }
    while (ids.length < max) {
      if (this.run === undefined) {
        const run = this.probe();
        if (run === undefined) {
          this.finished = true;
          break;
        }
        this.run = run;
        this.lastKey = undefined;
      }
      const runBound: KeyBound = { key: this.run, inclusive: true };
      const wanted = max - ids.length;
      const before = ids.length;
      this.ascending(this.lastKey === undefined ? runBound : { key: this.lastKey, inclusive: true }, runBound, wanted, ids);
      if (ids.length - before < wanted) {
        // The run is done: the next probe looks below its value.
        this.probeUpper = { key: this.run, inclusive: false };
        this.run = undefined;
        this.lastKey = undefined;
      }
    }
    return ids;
  }

  private get asOf(): number {
    return this.request.asOf;
  }

  /** Appends up to `max` ids read ascending from `lower` (skipping the resume key itself) to `ids`. */
  private ascending(lower: KeyBound | undefined, upper: KeyBound | undefined, max: number, ids: string[]): void {
    const skip = this.lastKey;
    let taken = 0;
    for (const cursor of this.index.btree.scan({ lower, upper, direction: 'asc', asOfSeq: this.asOf })) {
      const key = cursor.key();
      if (skip !== undefined && compareBytes(key, 0, key.length, skip, 0, skip.length) === 0) continue;
      ids.push(decodeIndexKey(key, 1, cursor.flags).id);
      this.lastKey = key.slice();
      if (++taken >= max) return;
    }
  }

  /** DESC: the value component of the largest visible key below the previous run, or undefined. */
  private probe(): Uint8Array | undefined {
    for (const cursor of this.index.btree.scan({ lower: this.lower, upper: this.probeUpper, direction: 'desc', asOfSeq: this.asOf })) {
      const key = cursor.key();
      return key.slice(0, idStart(key, 1));
    }
    return undefined;
  }
}

function bound(value: number | string, inclusive: boolean): KeyBound {
  return { key: encodeIndexValues([value]), inclusive };
}

/** The MANIFEST entry of a lazily created index: a fourth element keeps it out of v1's database view. */
export function lazyIndexDefinition(coll: string, field: string): unknown[] {
  return [coll, field, 'sorted', 'lazy'];
}

export function isLazyDefinition(item: unknown, coll: string, field: string): boolean {
  return Array.isArray(item) && item.length === 4 && item[0] === coll && item[1] === field && item[3] === 'lazy';
}
