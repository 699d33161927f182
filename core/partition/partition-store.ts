// One partition's documents: an immutable snapshot (the base, as of its seq) under an overlay of the version
// chains written since. Invariant: every overlay version has a seq above the base's, so a read looks in the
// overlay first and falls back to the base only when no overlay version is old enough. A checkpoint installs a
// newer base and drops the overlay versions it covers, which is how memory is returned.
import { assert } from '../assert.js';
import { type Namespace, compareCodePoints, encodeCollPrefix, encodeKey } from '../keys.js';
import { type LoggedOp, OpKind } from '../log/record.js';
import { type StoredVersion, SnapshotReader, collKeyOf } from '../snapshot/snapshot-reader.js';
import { yieldEveryItems } from '../limits.js';

/** Versions of one document in the overlay, oldest first. */
export type Chain = StoredVersion[];

export interface HeadState {
  /** Seq of the newest put or delete of the key (v1's last_seq). */
  seq: number;
  live: boolean;
}

export interface CollectionInfo {
  ns: Namespace;
  coll: string;
}

export interface ScannedVersion {
  id: string;
  seq: number;
  doc: Uint8Array;
}

/** Entries of PartitionStore.baseFound before it starts over (about 100 bytes each). */
const baseFoundMax = 4096;

export class PartitionStore {
  /** collKey → id → chain. */
  readonly overlay = new Map<string, Map<string, Chain>>();
  private readonly liveCounts = new Map<string, number>();
  private readonly names = new Map<string, CollectionInfo>();
  private activeScans = 0;
  /**
   * Keys the start-up replay touched, with their liveness at the end of the replay: their effect on the live
   * counts needs the snapshot's liveness of each key (a binary search apiece), which is done on first need
   * rather than during a start that may only want one document.
   */
  private recoveredLiveness: Map<string, Map<string, boolean>> | undefined;
  private readonly retired: SnapshotReader[] = [];
  /**
   * Directory positions in the base of recently read keys (`ns:length(coll):coll id` → index, -1 absent). The base never
   * changes under it (installBase empties it), and a hot read (a top-k asked again and again) then costs a Map
   * lookup instead of a key encoding and a binary search over the directory, whose cache misses dominate at 1M.
   */
  private baseFound = new Map<string, number>();

  constructor(
    readonly partition: number,
    private baseReader: SnapshotReader | null,
  ) {
    if (baseReader !== null) this.countBase(baseReader);
  }

  get base(): SnapshotReader | null {
    return this.baseReader;
  }

  private countBase(base: SnapshotReader): void {
    for (const run of base.collections.values()) {
      const collKey = collKeyOf(run.ns, run.coll);
      this.names.set(collKey, { ns: run.ns as Namespace, coll: run.coll });
      this.liveCounts.set(collKey, run.liveCount);
    }
  }

  head(ns: Namespace, coll: string, id: string): HeadState | undefined {
    const chain = this.overlay.get(collKeyOf(ns, coll))?.get(id);
    const newest = chain?.[chain.length - 1];
    if (newest !== undefined) return { seq: newest.seq, live: newest.doc !== null };
    const base = this.baseReader;
    if (base === null) return undefined;
    const index = this.baseIndex(base, ns, coll, id);
    if (index < 0) return undefined;
    const head = base.head(index);
    return { seq: head.headSeq, live: !head.headTombstone };
  }

  /** The key's position in the base's directory (-1: absent), through baseFound. */
  private baseIndex(base: SnapshotReader, ns: Namespace, coll: string, id: string): number {
    const memo = `${ns}:${coll.length}:${coll}${id}`; // the length keeps ("a\0b", "c") apart from ("a", "b\0c")
    let index = this.baseFound.get(memo);
    if (index === undefined) {
      index = base.find(encodeKey(ns, coll, id));
      if (this.baseFound.size >= baseFoundMax) this.baseFound = new Map(); // bounded; refilled by what is hot
      this.baseFound.set(memo, index);
    }
    return index;
  }

  /** The newest version at or below `asOf`, tombstones included. */
  versionAt(ns: Namespace, coll: string, id: string, asOf: number): StoredVersion | undefined {
    const found = this.locate(ns, coll, id, asOf);
    return found === undefined || found.doc !== undefined ? found : { seq: found.seq, doc: readLocated(found) };
  }

  /**
   * versionAt without reading the snapshot when the version is the base's newest: the directory entry tells
   * its seq, and the bytes stay unread (doc undefined, see readLocated) so a caller holding that version
   * decoded already skips the positioned read.
   */
  locate(ns: Namespace, coll: string, id: string, asOf: number): LocatedVersion | undefined {
    const chain = this.overlay.get(collKeyOf(ns, coll))?.get(id);
    if (chain !== undefined) {
      const found = newestAtOrBelow(chain, asOf);
      if (found !== undefined) return found;
    }
    const base = this.baseReader;
    if (base === null || asOf < 0) return undefined;
    const index = this.baseIndex(base, ns, coll, id);
    if (index < 0) return undefined;
    const head = base.head(index);
    if (head.headSeq <= asOf) return head.headTombstone ? { seq: head.headSeq, doc: null } : { seq: head.headSeq, doc: undefined, base, index };
    for (const version of base.versions(index)) if (version.seq <= asOf) return version;
    return undefined;
  }

  /** Applies a replayed op; its live-count effect is settled later (see recoveredLiveness). */
  applyRecovered(op: LoggedOp): void {
    if (op.kind === OpKind.mark) return;
    const collKey = collKeyOf(op.ns, op.coll);
    this.appendVersion(collKey, op);
    this.recoveredLiveness ??= new Map();
    let keys = this.recoveredLiveness.get(collKey);
    if (keys === undefined) {
      keys = new Map();
      this.recoveredLiveness.set(collKey, keys);
    }
    keys.set(op.id, op.kind === OpKind.put);
  }

  private settleRecoveredCounts(): void {
    const recovered = this.recoveredLiveness;
    if (recovered === undefined) return;
    this.recoveredLiveness = undefined;
    const base = this.baseReader;
    for (const [collKey, keys] of recovered) {
      const info = this.names.get(collKey)!;
      let delta = 0;
      for (const [id, liveAfter] of keys) {
        const index = base === null ? -1 : base.find(encodeKey(info.ns, info.coll, id));
        const liveBefore = index >= 0 && !base!.head(index).headTombstone;
        delta += Number(liveAfter) - Number(liveBefore);
      }
      if (delta !== 0) this.liveCounts.set(collKey, (this.liveCounts.get(collKey) ?? 0) + delta);
    }
  }

  private appendVersion(collKey: string, op: LoggedOp): Chain {
    let docs = this.overlay.get(collKey);
    if (docs === undefined) {
      docs = new Map();
      this.overlay.set(collKey, docs);
      if (!this.names.has(collKey)) this.names.set(collKey, { ns: op.ns, coll: op.coll });
    }
    let chain = docs.get(op.id);
    if (chain === undefined) {
      chain = [];
      docs.set(op.id, chain);
    }
    assert(chain.length === 0 || chain[chain.length - 1]!.seq < op.seq, 'versions of a key are applied in seq order');
    chain.push({ seq: op.seq, doc: op.kind === OpKind.put ? op.doc : null });
    return chain;
  }

  apply(op: LoggedOp): void {
    if (op.kind === OpKind.mark) return;
    const collKey = collKeyOf(op.ns, op.coll);
    const wasLive = this.head(op.ns, op.coll, op.id)?.live ?? false;
    this.appendVersion(collKey, op);
    const isLive = op.kind === OpKind.put;
    if (wasLive !== isLive) this.liveCounts.set(collKey, (this.liveCounts.get(collKey) ?? 0) + (isLive ? 1 : -1));
  }

  /** Live documents of a collection at the newest applied seq. */
  liveCount(ns: Namespace, coll: string): number {
    this.settleRecoveredCounts();
    return this.liveCounts.get(collKeyOf(ns, coll)) ?? 0;
  }

  collections(): CollectionInfo[] {
    return [...this.names.values()];
  }

  /**
   * The versions visible at `asOf` of one collection, in code point order of id, tombstones left out. The
   * overlay map and the base are captured when iteration starts: a checkpoint that installs a new base
   * meanwhile replaces maps instead of changing them, so a running scan keeps one consistent state.
   * Documents stay msgpack bytes; the caller decodes what it keeps.
   */
  *scan(ns: Namespace, coll: string, asOf: number): Generator<ScannedVersion> {
    const docs = this.overlay.get(collKeyOf(ns, coll));
    const base = this.baseReader;
    this.activeScans++;
    try {
      const overlayIds = docs === undefined ? [] : sortIds([...docs.keys()]);
      const run = base?.collection(ns, coll);
      let baseIndex = run?.firstEntry ?? 0;
      const baseEnd = run === undefined ? 0 : run.firstEntry + run.entryCount;
      const prefixBytes = run === undefined ? 0 : encodeCollPrefix(ns, coll).length;
      let overlayIndex = 0;
      while (baseIndex < baseEnd || overlayIndex < overlayIds.length) {
        const baseId = baseIndex < baseEnd ? base!.idAt(baseIndex, prefixBytes) : undefined;
        const overlayId = overlayIndex < overlayIds.length ? overlayIds[overlayIndex] : undefined;
        const order = baseId === undefined ? 1 : overlayId === undefined ? -1 : compareCodePoints(baseId, overlayId);
        let version: StoredVersion | undefined;
        if (order >= 0) version = newestAtOrBelow(docs!.get(overlayId!)!, asOf);
        if (version === undefined && order <= 0) version = baseVersionAt(base!, baseIndex, asOf);
        const id = order <= 0 ? baseId! : overlayId!;
        if (order <= 0) baseIndex++;
        if (order >= 0) overlayIndex++;
        if (version !== undefined && version.doc !== null) yield { id, seq: version.seq, doc: version.doc };
      }
    } finally {
      this.activeScans--;
      if (this.activeScans === 0) this.closeRetired();
    }
  }

  /**
   * Every id of a collection that has a stored version (tombstones and history included), in no particular
   * order: the keys a sorted-index build walks. Captures the overlay map and the base when iteration starts,
   * as scan() does, so a checkpoint meanwhile does not disturb it (read versions with history()).
   */
  *ids(ns: Namespace, coll: string): Generator<string> {
    const docs = this.overlay.get(collKeyOf(ns, coll));
    const base = this.baseReader;
    this.activeScans++;
    try {
      const run = base?.collection(ns, coll);
      const prefixBytes = run === undefined ? 0 : encodeCollPrefix(ns, coll).length;
      const fromBase = new Set<string>();
      if (run !== undefined)
        for (let index = run.firstEntry; index < run.firstEntry + run.entryCount; index++) {
          const id = base!.idAt(index, prefixBytes);
          if (docs !== undefined) fromBase.add(id);
          yield id;
        }
      if (docs !== undefined) for (const id of docs.keys()) if (!fromBase.has(id)) yield id;
    } finally {
      this.activeScans--;
      if (this.activeScans === 0) this.closeRetired();
    }
  }

  /** Every retained version of a key with seq <= `upTo`, oldest first, tombstones included (index builds). */
  history(ns: Namespace, coll: string, id: string, upTo: number): StoredVersion[] {
    const versions: StoredVersion[] = [];
    const base = this.baseReader;
    if (base !== null) {
      const index = base.find(encodeKey(ns, coll, id));
      if (index >= 0) {
        const stored = base.versions(index);
        for (let i = stored.length - 1; i >= 0; i--) if (stored[i]!.seq <= upTo) versions.push(stored[i]!);
      }
    }
    const chain = this.overlay.get(collKeyOf(ns, coll))?.get(id);
    if (chain !== undefined) for (const version of chain) if (version.seq <= upTo) versions.push(version);
    return versions;
  }

  /**
   * Overlay keys with their versions at or below `seq` (newest first), sorted by encoded key: the input of a
   * snapshot writer. Yields to the event loop as it goes; that is safe because chains only grow until the
   * checkpoint that called this installs its base, and versions above `seq` are left out.
   */
  async overlayAsOf(seq: number): Promise<OverlayEntry[]> {
    const entries: OverlayEntry[] = [];
    let sinceYield = 0;
    for (const [collKey, docs] of this.overlay) {
      const info = this.names.get(collKey)!;
      for (const [id, chain] of docs) {
        if (++sinceYield >= yieldEveryItems) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const versions: StoredVersion[] = [];
        for (let i = chain.length - 1; i >= 0; i--) if (chain[i]!.seq <= seq) versions.push(chain[i]!);
        if (versions.length > 0) entries.push({ key: encodeKey(info.ns, info.coll, id), ns: info.ns, coll: info.coll, versions });
      }
    }
    entries.sort((a, b) => compareKeyBytes(a.key, b.key));
    return entries;
  }

  /**
   * Replaces the base with a newer snapshot and drops the overlay versions it holds. Maps are replaced, not
   * changed, so scans that started before keep reading the state they captured; the old base is closed once
   * no scan reads it.
   */
  installBase(reader: SnapshotReader): void {
    this.settleRecoveredCounts(); // it reads the liveness of the base being replaced
    const previous = this.baseReader;
    assert(previous === null || reader.seq >= previous.seq, 'a newer snapshot never goes back in seq');
    for (const [collKey, docs] of this.overlay) {
      const kept = new Map<string, Chain>();
      for (const [id, chain] of docs) {
        let first = 0;
        while (first < chain.length && chain[first]!.seq <= reader.seq) first++;
        if (first < chain.length) kept.set(id, first === 0 ? chain : chain.slice(first));
      }
      if (kept.size === 0) this.overlay.delete(collKey);
      else this.overlay.set(collKey, kept);
    }
    this.baseReader = reader;
    this.baseFound = new Map();
    if (previous !== null) this.retired.push(previous);
    if (this.activeScans === 0) this.closeRetired();
  }

  private closeRetired(): void {
    for (const reader of this.retired.splice(0)) void reader.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closeRetired();
    await this.baseReader?.close();
  }

}

/** A version found by PartitionStore.locate: its bytes, null for a tombstone, or undefined while unread. */
export type LocatedVersion =
  | StoredVersion
  | { seq: number; doc: undefined; base: SnapshotReader; index: number };

/** The bytes of a located version, reading them from the snapshot when locate left them there. */
export function readLocated(found: LocatedVersion): Uint8Array | null {
  if (found.doc !== undefined) return found.doc;
  const version = found.base.versions(found.index).find((stored) => stored.seq === found.seq);
  assert(version !== undefined, 'the directory head names a stored version');
  return version.doc;
}

export interface OverlayEntry {
  key: Uint8Array;
  ns: Namespace;
  coll: string;
  /** Newest first. */
  versions: StoredVersion[];
}

function baseVersionAt(base: SnapshotReader, index: number, asOf: number): StoredVersion | undefined {
  const head = base.head(index);
  if (head.headSeq <= asOf && head.headTombstone) return undefined;
  for (const version of base.versions(index)) if (version.seq <= asOf) return version;
  return undefined;
}

/** Code point order; the native sort is UTF-16 order, which differs only when an id holds a surrogate. */
function sortIds(ids: string[]): string[] {
  ids.sort();
  for (const id of ids) if (/[\uD800-\uDFFF]/.test(id)) return ids.sort(compareCodePoints);
  return ids;
}

function newestAtOrBelow(chain: Chain, asOf: number): StoredVersion | undefined {
  for (let i = chain.length - 1; i >= 0; i--) if (chain[i]!.seq <= asOf) return chain[i];
  return undefined;
}

function compareKeyBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
