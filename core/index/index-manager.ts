// The indexes of one database, in memory: one MVCC B+tree (SortedIndex) per (collection, fields) that a
// `sorted`/`ordered` or `eq` definition names (both kinds share it), and one inverted index (SearchIndex) per
// collection with a `search` definition (index-definitions.ts says why). Checkpoints persist the ready ones
// (docs/FORMAT.md §11.3); a start loads those and catches them up with the log tail.
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
import { Namespace, wellFormed } from '../keys.js';
import { type LoggedOp, OpKind } from '../log/record.js';
import type { Logger } from '../platform/logger.js';
import type { PartitionStore } from '../partition/partition-store.js';
import type { CommitIndexHook } from '../partition/inline-partition-set.js';
import { collKeyOf, type StoredVersion } from '../snapshot/snapshot-reader.js';
import { compareBytes } from './b-plus-tree-node.js';
import type { KeyBound } from './b-plus-tree.js';
import { type IndexKind, type IndexSpec, indexName, parseIndexDefinitions, structureKey } from './index-definitions.js';
import { decodeId, encodeIndexValues, idStart, indexValueBytesMax, keyTag, stringKeyBytes } from './index-key.js';
import { SearchIndex } from './search-index.js';
import { SortedIndex, readField } from './sorted-index.js';

export type IndexState = 'building' | 'ready';
export type IndexStructure = 'tree' | 'search';

export interface IndexInfo {
  coll: string;
  /** The tree's fields; for the search index, every field a `search` definition names (it covers them all). */
  fields: string[];
  structure: IndexStructure;
  state: IndexState;
  /** Percent of the build's walk done (0..100), while building. */
  progress?: number;
  /** Entries in the structure (every retained version range). */
  entries: number;
  bytes: number;
  /** Loaded from the last checkpoint's index file (then caught up with the log tail), not built by a walk. */
  loaded: boolean;
  /** Milliseconds from the start of the build (or load) to ready; absent while building. */
  buildMs?: number;
}

/** @deprecated name kept for callers of the one-field API. */
export type SortedIndexInfo = IndexInfo;

/** How a start gets the index a checkpoint persisted: read lazily, in the background, so opening never waits. */
export interface PersistedIndexLoader {
  entry: IndexFileEntry;
  /** The checkpoint's seq: the file holds the index as of it. */
  seq: number;
  /** The index, or undefined when the file is missing or damaged (then it is rebuilt). */
  load(): Promise<SortedIndex | SearchIndex | undefined>;
}

/** A ready index as a checkpoint persists it (FORMAT.md §11.3): its bytes and the manager's flags. */
export interface PersistedIndex {
  coll: string;
  fields: string[];
  structure: IndexStructure;
  bytes: Uint8Array;
  classesSeen: number;
  truncatedEver: boolean;
  oddStringsEver: boolean;
}

export type { IndexFileEntry } from '../manifest.js';

/** A bound on an index's next field after the equality prefix. */
export type ValueBound = { value: number | string; inclusive: boolean };

/**
 * A range of the tree on `fields` as of `asOf`: documents whose leading fields equal `prefix` (numbers and
 * strings, compared as v1's `=`: `1` equals `true`) and whose next field lies within the bounds (of one type,
 * as WHERE ranges give them; rows whose value is missing, null or of another type are then left out, as v1's
 * range comparisons are false for them; booleans count as the numbers 0 and 1 there, as in v1's comparisons).
 * The one definition: nql/source.ts and core/database.ts use it.
 */
export interface IndexRangeRequest {
  coll: string;
  /** The index's fields: v1 field names or dotted paths (`a.b`). */
  fields: readonly string[];
  prefix: readonly (number | string)[];
  lower?: ValueBound | undefined;
  upper?: ValueBound | undefined;
  asOf: number;
}

/** What the planner may know of one index of a collection. */
export interface IndexCatalogEntry {
  /** A tree's fields; for the search index, the fields its definitions name (it covers whole documents). */
  fields: readonly string[];
  structure: IndexStructure;
  ready: boolean;
  /** Documents in the index at HEAD (every retained version for the search index). */
  liveEntries: number;
  /** Distinct value tuples, estimated; undefined for the search index. */
  distinct: number | undefined;
}

/** What an index-ordered read asks for (nql/source.ts OrderedScanRequest, with the seq already settled). */
export interface OrderedIdsRequest extends IndexRangeRequest {
  descending: boolean;
}

interface QueuedVersion {
  id: string;
  seq: number;
  previous: Uint8Array | null | undefined;
  next: Uint8Array | null;
}

interface ManagedBase {
  readonly coll: string;
  /** structureKey(): JSON of the fields for a tree, 'search' for the inverted index. */
  readonly key: string;
  readonly fields: readonly string[];
  readonly paths: readonly (readonly string[])[];
  state: IndexState;
  progress: number;
  /** Writes with seq > S0 while building; undefined once ready. */
  queue: QueuedVersion[] | undefined;
  dropped: boolean;
  /** Some version ever fed had a string too long for the key (its order among equal prefixes is by id). */
  truncatedEver: boolean;
  /** Some version ever fed had a string with a lone surrogate (keyed as U+FFFD): no string range or order. */
  oddStringsEver: boolean;
  /** Value classes seen in any version fed, 3 bits per field (field i at bit 3i: 1 numeric, 2 text, 4
   * array/object): a build feeds history one document at a time, so the index's own mixedTypesInHistory cannot
   * see two documents' overlapping ranges. */
  classesSeen: number;
  loaded: boolean;
  startedMs: number;
  buildMs: number | undefined;
  readonly ready: Promise<void>;
  resolveReady: () => void;
}

export type ManagedTree = ManagedBase & { readonly structure: 'tree'; index: SortedIndex };
type ManagedSearch = ManagedBase & { readonly structure: 'search'; index: SearchIndex };
export type ManagedIndex = ManagedTree | ManagedSearch;

/** Documents per chunk of a build before it yields to the event loop. */
const buildChunkDocs = 512;
const decoder = new Decoder();

function decode(bytes: Uint8Array | null | undefined): unknown {
  return bytes === null || bytes === undefined ? undefined : decoder.decode(bytes);
}

/** The structures a set of definitions needs, each once: trees by (coll, fields), search by coll. */
function wantedStructures(specs: readonly IndexSpec[]): { coll: string; key: string; fields: string[]; kind: IndexKind }[] {
  const found = new Map<string, { coll: string; key: string; fields: string[]; kind: IndexKind }>();
  for (const spec of specs) {
    const key = structureKey(spec);
    const id = JSON.stringify([spec.coll, key]);
    const seen = found.get(id);
    if (seen === undefined) found.set(id, { coll: spec.coll, key, fields: [...spec.fields], kind: spec.kind });
    else if (spec.kind === 'search') for (const field of spec.fields) if (!seen.fields.includes(field)) seen.fields.push(field);
  }
  return [...found.values()];
}

/** The key a persisted file is looked up by: its collection and structure (old entries name one field). */
export function persistedKey(entry: IndexFileEntry): string {
  const key = entry.kind === 'search' ? 'search' : JSON.stringify(entry.fields ?? [entry.field]);
  return JSON.stringify([entry.coll, key]);
}

export interface IndexManagerAccess {
  readonly stores: readonly PartitionStore[];
  /** The newest applied seq (every version at or below it is in the stores). */
  lastSeq(): number;
  readonly logger: Logger;
  /** Monotonic milliseconds, for build times. */
  monotonicMs(): number;
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
  sync(definitions: readonly unknown[], persisted?: (key: string) => PersistedIndexLoader | undefined): void {
    if (this.closed) return;
    const wanted = wantedStructures(parseIndexDefinitions(definitions));
    const wantedIds = new Set(wanted.map(({ coll, key }) => JSON.stringify([coll, key])));
    for (const [coll, structures] of [...this.byColl])
      for (const key of [...structures.keys()]) if (!wantedIds.has(JSON.stringify([coll, key]))) this.dropKey(coll, key);
    for (const want of wanted) {
      const existing = this.byColl.get(want.coll)?.get(want.key);
      if (existing === undefined) this.startBuild(want.coll, want.key, want.fields, want.kind, persisted?.(JSON.stringify([want.coll, want.key])));
      else if (existing.structure === 'search') (existing.fields as string[]).splice(0, existing.fields.length, ...want.fields);
    }
  }

  /** Every ready index as of `seq`, for a checkpoint to persist. */
  persistable(seq: number): PersistedIndex[] {
    const out: PersistedIndex[] = [];
    for (const structures of this.byColl.values())
      for (const managed of structures.values())
        if (managed.state === 'ready')
          out.push({
            coll: managed.coll, fields: [...managed.fields], structure: managed.structure, bytes: managed.index.serialize(seq),
            classesSeen: managed.classesSeen, truncatedEver: managed.truncatedEver, oddStringsEver: managed.oddStringsEver,
          });
    return out;
  }

  /** The ready structures, each as persistedKey() names its file entry. */
  readyKeys(): string[] {
    const keys: string[] = [];
    for (const [coll, structures] of this.byColl)
      for (const [key, managed] of structures) if (managed.state === 'ready') keys.push(JSON.stringify([coll, key]));
    return keys;
  }

  /** The tree on exactly (coll, fields), building or ready. */
  tree(coll: string, fields: readonly string[]): ManagedTree | undefined {
    const managed = this.byColl.get(coll)?.get(JSON.stringify(fields));
    return managed?.structure === 'tree' ? managed : undefined;
  }

  search(coll: string): ManagedSearch | undefined {
    const managed = this.byColl.get(coll)?.get('search');
    return managed?.structure === 'search' ? managed : undefined;
  }

  /** Every structure of a collection (the planner's catalog). */
  ofCollection(coll: string): ManagedIndex[] {
    return [...(this.byColl.get(coll)?.values() ?? [])];
  }

  /** Resolves when the tree on (coll, fields) is ready (at once when it is); undefined when there is none. */
  whenReady(coll: string, fields: readonly string[]): Promise<void> | undefined {
    return this.tree(coll, fields)?.ready;
  }

  whenSearchReady(coll: string): Promise<void> | undefined {
    return this.search(coll)?.ready;
  }

  info(managed: ManagedIndex): IndexInfo {
    const info: IndexInfo = {
      coll: managed.coll,
      fields: [...managed.fields],
      structure: managed.structure,
      state: managed.state,
      entries: managed.structure === 'tree' ? managed.index.btree.size : managed.index.entries,
      bytes: managed.structure === 'tree' ? managed.index.btree.bytesEstimate() : managed.index.bytesEstimate(),
      loaded: managed.loaded,
    };
    if (managed.state === 'building') info.progress = managed.progress;
    if (managed.buildMs !== undefined) info.buildMs = managed.buildMs;
    return info;
  }

  list(): IndexInfo[] {
    const infos: IndexInfo[] = [];
    for (const structures of this.byColl.values()) for (const managed of structures.values()) infos.push(this.info(managed));
    return infos;
  }

  private dropKey(coll: string, key: string): boolean {
    const structures = this.byColl.get(coll);
    const managed = structures?.get(key);
    if (structures === undefined || managed === undefined) return false;
    managed.dropped = true;
    managed.queue = undefined;
    structures.delete(key);
    if (structures.size === 0) this.byColl.delete(coll);
    this.count--;
    managed.resolveReady(); // waiters stop waiting; the index is gone
    return true;
  }

  close(): void {
    this.closed = true;
    for (const [coll, structures] of [...this.byColl]) for (const key of [...structures.keys()]) this.dropKey(coll, key);
  }

  /** CommitIndexHook: one applied put/delete of an indexed collection, in seq order. */
  applied(op: LoggedOp, previous: StoredVersion | undefined): void {
    const structures = this.byColl.get(op.coll);
    if (structures === undefined || op.ns !== Namespace.user || op.kind === OpKind.mark) return;
    const next = op.kind === OpKind.put ? op.doc : null;
    let previousDoc: unknown;
    let nextDoc: unknown;
    let decoded = false;
    for (const managed of structures.values()) {
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

  private startBuild(coll: string, key: string, fields: string[], kind: IndexKind, persisted?: PersistedIndexLoader): void {
    let resolveReady = (): void => {};
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const base: ManagedBase = {
      coll, key, fields, paths: fields.map((field) => field.split('.')), state: 'building', progress: 0, queue: [], dropped: false,
      truncatedEver: false, oddStringsEver: false, classesSeen: 0, loaded: false, startedMs: this.access.monotonicMs(), buildMs: undefined, ready, resolveReady,
    };
    const managed: ManagedIndex = kind === 'search'
      ? { ...base, structure: 'search', index: new SearchIndex(coll) }
      : { ...base, structure: 'tree', index: new SortedIndex({ collection: coll, fields }) };
    let structures = this.byColl.get(coll);
    if (structures === undefined) {
      structures = new Map();
      this.byColl.set(coll, structures);
    }
    structures.set(key, managed);
    this.count++;
    // S0 and, for a persisted index, the keys its log tail touched are taken now, synchronously: writes from here
    // on are queued, and a checkpoint that later moves tail versions into a snapshot cannot hide their keys.
    const s0 = this.access.lastSeq();
    const tailIds = persisted === undefined ? undefined : this.access.stores.map((store) => [...(store.overlay.get(collKeyOf(Namespace.user, coll))?.keys() ?? [])]);
    this.build(managed, s0, persisted, tailIds).catch((error: unknown) => {
      this.access.logger.warn(`building the index on ${coll}.${indexName(fields)} failed: ${String(error)}`);
      if (this.byColl.get(coll)?.get(key) === managed) this.dropKey(coll, key);
    });
  }

  /** Swaps in a persisted index once loaded; returns the seq the walk feeds versions above (-1: all). */
  private async adoptPersisted(managed: ManagedIndex, persisted: PersistedIndexLoader | undefined): Promise<number> {
    const loaded = persisted === undefined ? undefined : await persisted.load();
    if (loaded === undefined || persisted === undefined) return -1;
    if (managed.structure === 'tree' && loaded instanceof SortedIndex) managed.index = loaded;
    else if (managed.structure === 'search' && loaded instanceof SearchIndex) managed.index = loaded;
    else return -1;
    managed.loaded = true;
    managed.classesSeen = persisted.entry.classesSeen;
    managed.truncatedEver = persisted.entry.truncatedEver;
    managed.oddStringsEver = persisted.entry.oddStringsEver === true;
    return persisted.seq;
  }

  /**
   * Walks the collection as of S0 feeding every version above `fromSeq`: all of them for a new index; for one
   * loaded from a checkpoint's file only the log tail after it (the keys in `tailIds`). Then applies the writes
   * queued meanwhile and turns ready.
   */
  private async build(managed: ManagedIndex, s0: number, persisted: PersistedIndexLoader | undefined, tailIds: string[][] | undefined): Promise<void> {
    const fromSeq = await this.adoptPersisted(managed, persisted);
    if (managed.dropped || this.closed) return;
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
    managed.buildMs = this.access.monotonicMs() - managed.startedMs;
    managed.resolveReady();
  }
}

function* arrayIds(ids: string[]): Generator<string, void, undefined> {
  yield* ids;
}

function feed(managed: ManagedIndex, id: string, seq: number, previous: unknown, next: unknown): void {
  managed.index.applyVersion(id, seq, previous, next);
  if (next === undefined || managed.structure === 'search') return;
  for (let field = 0; field < managed.fields.length; field++) {
    const value = readField(next, managed.fields[field]!, managed.paths[field]!);
    const shift = 3 * field;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') managed.classesSeen |= 1 << shift;
    else if (typeof value === 'string') {
      managed.classesSeen |= 2 << shift;
      // A key holds at most indexValueBytesMax bytes of a string (4 per UTF-16 unit at most, NULs escaped).
      if (!managed.truncatedEver && value.length * 4 > indexValueBytesMax && stringKeyBytes(value) > indexValueBytesMax)
        managed.truncatedEver = true;
      // A lone surrogate is keyed as U+FFFD: its order and ranges in the tree are not NQL's (the value's own).
      if (!managed.oddStringsEver && !wellFormed(value)) managed.oddStringsEver = true;
    } else if (typeof value === 'object' && value !== null) managed.classesSeen |= 4 << shift;
  }
}

/** Whether the index order of the tree as of `asOf` is v1's ORDER BY order on each of its fields (nql/source.ts). */
export function followsV1Order(managed: ManagedTree, asOf: number, lastSeq: number): boolean {
  const flags = managed.index.orderFlags();
  let mixedSeen = false;
  for (let field = 0; field < managed.fields.length; field++) {
    const seen = (managed.classesSeen >>> (3 * field)) & 7;
    if ((seen & 4) !== 0 || (seen & 3) === 3) mixedSeen = true;
  }
  // Below HEAD: mixed at some seq, or (conservatively) numbers and strings ever seen in any versions.
  const mixed = asOf >= lastSeq ? flags.mixedTypes : flags.mixedTypesInHistory || mixedSeen;
  return !mixed && flags.truncatedValues === 0 && !managed.truncatedEver && !managed.oddStringsEver;
}

/**
 * Whether the ready tree can answer a range read exactly as a scan would: the prefix fits its fields (and leaves
 * one for a range), every bound is a value whose key is not cut, no lone surrogate (keyed as U+FFFD) ever made
 * its string order another than NQL's, and, for an ordered read, its order is v1's at `asOf`. Equality on a
 * full prefix holds whatever else the fields hold: the filter rechecks every row.
 */
export function treeAnswers(managed: ManagedTree, range: Pick<IndexRangeRequest, 'prefix' | 'lower' | 'upper'>, ordered: boolean, asOf: number, lastSeq: number): boolean {
  const { prefix, lower, upper } = range;
  const fieldCount = managed.fields.length;
  if (prefix.length > fieldCount || (prefix.length === fieldCount && (lower ?? upper) !== undefined)) return false;
  if (!prefix.every(boundable) || (lower !== undefined && !boundable(lower.value)) || (upper !== undefined && !boundable(upper.value))) return false;
  if (managed.oddStringsEver && (typeof lower?.value === 'string' || typeof upper?.value === 'string')) return false;
  return !ordered || followsV1Order(managed, asOf, lastSeq);
}

/** Whether a value can bound an index read: a number, or a string short enough that its key is not cut. */
export function boundable(value: unknown): value is number | string {
  if (typeof value === 'number') return !Number.isNaN(value);
  if (typeof value !== 'string') return false;
  // Strictly shorter than a key holds: a cut key equal to the bound would fall on the wrong side of it. A lone
  // surrogate is keyed as U+FFFD, which NQL does not compare it as.
  return (value.length * 4 < indexValueBytesMax || stringKeyBytes(value) < indexValueBytesMax) && wellFormed(value);
}

/**
 * The key bounds of a range request: keys whose leading components equal the prefix and whose next component
 * lies within the bounds. v1's range comparisons are false across types and for null/missing, so a numeric
 * range stops below the strings and a string range starts above the numbers and stops below null/missing
 * (and arrays/objects). `empty` when the bounds are of two types (nothing satisfies both).
 */
export function rangeKeyBounds(request: Pick<IndexRangeRequest, 'prefix' | 'lower' | 'upper'>): { lower: KeyBound | undefined; upper: KeyBound | undefined; empty: boolean } {
  const { prefix, lower, upper } = request;
  const prefixKey = encodeIndexValues(prefix);
  if (lower === undefined && upper === undefined) {
    if (prefix.length === 0) return { lower: undefined, upper: undefined, empty: false };
    return { lower: { key: prefixKey, inclusive: true }, upper: { key: prefixKey, inclusive: true }, empty: false };
  }
  const numeric = typeof (lower?.value ?? upper?.value) === 'number';
  const empty = lower !== undefined && upper !== undefined && typeof lower.value !== typeof upper.value;
  const at = (value: number | string, inclusive: boolean): KeyBound => ({ key: encodeIndexValues([...prefix, value]), inclusive });
  const lowerBound = lower !== undefined ? at(lower.value, lower.inclusive) : numeric ? at(-Infinity, true) : at('', true);
  let upperBound: KeyBound;
  if (upper !== undefined) upperBound = at(upper.value, upper.inclusive);
  else if (numeric) upperBound = at(Infinity, true);
  else {
    const key = new Uint8Array(prefixKey.length + 1);
    key.set(prefixKey);
    key[prefixKey.length] = keyTag.array;
    upperBound = { key, inclusive: false };
  }
  return { lower: lowerBound, upper: upperBound, empty };
}

/** Entries (every retained version) the request's range holds: exact in O(height), an upper bound for one seq. */
export function countRange(index: SortedIndex, request: Pick<IndexRangeRequest, 'prefix' | 'lower' | 'upper'>): number {
  const { lower, upper, empty } = rangeKeyBounds(request);
  return empty ? 0 : index.btree.countRange(lower, upper);
}

/** Ids of the documents inside the range as of the request's seq, in key order (not id order). */
export function rangeIds(index: SortedIndex, request: IndexRangeRequest): string[] {
  const { lower, upper, empty } = rangeKeyBounds(request);
  const ids: string[] = [];
  if (empty) return ids;
  const fieldCount = index.definition.fields.length;
  for (const cursor of index.btree.scan({ lower, upper, direction: 'asc', asOfSeq: request.asOf })) ids.push(decodeId(cursor.key(), fieldCount));
  return ids;
}

/** DESC reads buffer a run of equal values up to this many ids; a longer run is read in pieces. */
const runBufferMax = 1024;

/**
 * The ids of an index-ordered read, a page at a time. Each page is one synchronous walk of the tree (a write
 * may change the tree between pages), resumed from the last key read. Ties (equal values on every field of the
 * index) are in id order ascending in both directions: DESC finds each distinct value tuple with a descending
 * probe and reads its ids ascending.
 */
export class OrderedIds {
  private readonly lower: KeyBound | undefined;
  private readonly upper: KeyBound | undefined;
  private readonly empty: boolean;
  private readonly fieldCount: number;
  /** The last full key returned (resume point), a copy. */
  private lastKey: Uint8Array | undefined;
  /** DESC: the value components of the run being read, and the upper bound for the next probe. */
  private run: Uint8Array | undefined;
  private probeUpper: KeyBound | undefined;
  private finished = false;
  /** DESC: ids of a run read whole that did not fit the last page, in order, from `pendingAt`. */
  private pending: string[] = [];
  private pendingAt = 0;

  constructor(
    private readonly index: SortedIndex,
    private readonly request: OrderedIdsRequest,
  ) {
    const bounds = rangeKeyBounds(request);
    this.lower = bounds.lower;
    this.upper = bounds.upper;
    this.empty = bounds.empty;
    this.fieldCount = index.definition.fields.length;
    this.probeUpper = this.upper;
  }

  /** Up to `max` ids, in order; an empty array once done. */
  next(max: number): string[] {
    const ids: string[] = [];
    if (this.empty) return ids;
    if (this.finished && this.pendingAt >= this.pending.length) return ids;
    if (!this.request.descending) {
      this.ascending(this.lastKey === undefined ? this.lower : { key: this.lastKey, inclusive: true }, this.upper, max, ids);
      if (ids.length < max) this.finished = true;
      return ids;
    }
    while (this.pendingAt < this.pending.length && ids.length < max) ids.push(this.pending[this.pendingAt++]!);
    while (ids.length < max && !this.finished) {
      // Fast path: one descending walk, each run of equal values buffered and handed out reversed (ids
      // ascending). A run longer than runBufferMax is read by the probe-and-ascend path below instead.
      if (this.run === undefined && this.descendingRuns(max, ids) !== 'long run') break;
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

  /**
   * DESC: reads whole runs of equal values with one descending walk below `probeUpper` and appends their ids
   * ascending to `ids` (what does not fit goes to `pending`). 'full' once `ids` holds `max`; 'done' when the
   * range is exhausted; 'long run' when a run outgrows the buffer (then `run` names it for the slow path).
   */
  private descendingRuns(max: number, ids: string[]): 'full' | 'done' | 'long run' {
    let runValues: Uint8Array | undefined;
    let run: string[] = [];
    const emit = (values: Uint8Array): void => {
      for (let i = run.length - 1; i >= 0; i--) {
        if (ids.length < max) ids.push(run[i]!);
        else this.pending.push(run[i]!);
      }
      run = [];
      this.probeUpper = { key: values, inclusive: false };
    };
    this.pending = [];
    this.pendingAt = 0;
    for (const cursor of this.index.btree.scan({ lower: this.lower, upper: this.probeUpper, direction: 'desc', asOfSeq: this.request.asOf })) {
      const key = cursor.key();
      const end = idStart(key, this.fieldCount);
      if (runValues !== undefined && compareBytes(key, 0, end, runValues, 0, runValues.length) !== 0) {
        emit(runValues);
        runValues = undefined;
        if (ids.length >= max) return 'full';
      }
      runValues ??= key.slice(0, end);
      if (run.length >= runBufferMax) {
        this.run = runValues;
        this.lastKey = undefined;
        return 'long run';
      }
      run.push(decodeId(key, this.fieldCount));
    }
    if (runValues !== undefined) emit(runValues);
    this.finished = true;
    return 'done';
  }

  /** Appends up to `max` ids read ascending from `lower` (skipping the resume key itself) to `ids`. */
  private ascending(lower: KeyBound | undefined, upper: KeyBound | undefined, max: number, ids: string[]): void {
    const skip = this.lastKey;
    let taken = 0;
    for (const cursor of this.index.btree.scan({ lower, upper, direction: 'asc', asOfSeq: this.request.asOf })) {
      const key = cursor.key();
      if (skip !== undefined && compareBytes(key, 0, key.length, skip, 0, skip.length) === 0) continue;
      ids.push(decodeId(key, this.fieldCount));
      this.lastKey = key.slice();
      if (++taken >= max) return;
    }
  }

  /** DESC: the value components of the largest visible key below the previous run, or undefined. */
  private probe(): Uint8Array | undefined {
    for (const cursor of this.index.btree.scan({ lower: this.lower, upper: this.probeUpper, direction: 'desc', asOfSeq: this.request.asOf })) {
      const key = cursor.key();
      return key.slice(0, idStart(key, this.fieldCount));
    }
    return undefined;
  }
}
