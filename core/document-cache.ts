// A bounded cache of decoded documents, so a hot read (a top-k page asked for again and again) does not read and
// msgpack-decode the same versions every time. An entry is one version: (namespace, collection, id, seq of the
// put that wrote it). A version never changes once written, so the cache needs no invalidation on writes: the
// partition store still decides which version a read at a seq sees, and only then is the cache asked for that
// version's decoded form. MVCC comes for free: an old and a new version of a key are different entries.
//
// Cached documents are shared by every reader, so they are deep-frozen before they go in: a caller that
// mutates one gets a TypeError (ES modules are strict) instead of silently changing what later reads return.
// Values freezing cannot protect (typed arrays, dates, class instances) make a document uncacheable.
import type { Namespace } from './keys.js';

export type CachedDocument = Readonly<Record<string, unknown>>;

export interface DocumentCacheLimits {
  /** Most entries held. 0 turns the cache off. */
  entriesMax: number;
  /** Most approximate bytes held (see approximateBytes). */
  bytesMax: number;
}

export interface DocumentCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

/** One cached version. Versions that share a seq (an op and the ops attached to it) chain through `next`. */
interface Entry {
  readonly ns: Namespace;
  readonly coll: string;
  readonly id: string;
  readonly seq: number;
  readonly doc: CachedDocument;
  readonly bytes: number;
  /** Read since it was last passed by eviction (second chance): hits cost a flag, not a Map reorder. */
  referenced: boolean;
  next: Entry | undefined;
}

/** A document no larger than this share of the byte bound is cached; larger ones would evict too much. */
const entryShareMax = 1 / 16;

/**
 * Decoded size from the msgpack size: V8 objects cost a few times their msgpack bytes (property slots,
 * string headers, boxed doubles), plus the entry, its Map slot and its key string.
 */
export function approximateBytes(encodedBytes: number, nameLength: number): number {
  return 3 * encodedBytes + 2 * nameLength + 96;
}

/**
 * Collects the objects and arrays of `value` (itself included) into `found`; false when it holds something
 * freezing cannot protect (typed arrays, dates, class instances) or nests deeper than is worth the walk.
 * One pass, so a document is checked and then frozen without walking it twice.
 */
function plainContainers(value: object, found: object[], depth: number): boolean {
  if (depth > 64) return false;
  if (!Array.isArray(value)) {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return false;
  }
  found.push(value);
  for (const item of Object.values(value) as unknown[])
    if (typeof item === 'object' && item !== null && !plainContainers(item, found, depth + 1)) return false;
  return true;
}

export class DocumentCache {
  // Lookups by seq: a number key needs no string built per lookup, and a seq names one version of one key but
  // for attached ops (they share their parent's seq), which the chain through `next` tells apart.
  private readonly bySeq = new Map<number, Entry>();
  // Eviction is CLOCK over `slots`: the hand passes entries in turn, clearing the flag of a referenced one and
  // evicting the first it finds unreferenced. (Evicting in Map order instead costs a walk over the Map's
  // deleted entries on every eviction: V8 compacts them only on a rehash.)
  private slots: (Entry | undefined)[] = [];
  private freeSlots: number[] = [];
  private hand = 0;
  private entries = 0;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly limits: DocumentCacheLimits) {}

  /** The decoded, frozen version (ns, coll, id) written at `seq`, or undefined when it is not cached. */
  get(ns: Namespace, coll: string, id: string, seq: number): CachedDocument | undefined {
    for (let entry = this.bySeq.get(seq); entry !== undefined; entry = entry.next) {
      if (entry.id === id && entry.coll === coll && entry.ns === ns) {
        this.hits++;
        entry.referenced = true;
        return entry.doc;
      }
    }
    this.misses++;
    return undefined;
  }

  /**
   * Caches a freshly decoded version (the caller must hold no other reference it will mutate) and returns it,
   * frozen when it was cached. Documents that cannot be frozen safely or are too large are returned as they are.
   */
  add(ns: Namespace, coll: string, id: string, seq: number, doc: Record<string, unknown>, encodedBytes: number): Record<string, unknown> | CachedDocument {
    const { entriesMax, bytesMax } = this.limits;
    if (entriesMax <= 0) return doc;
    const bytes = approximateBytes(encodedBytes, coll.length + id.length);
    if (bytes > bytesMax * entryShareMax) return doc;
    const chain = this.bySeq.get(seq);
    for (let entry = chain; entry !== undefined; entry = entry.next) if (entry.id === id && entry.coll === coll && entry.ns === ns) return doc;
    const containers: object[] = [];
    if (!plainContainers(doc, containers, 0)) return doc;
    for (const container of containers) Object.freeze(container);
    const entry: Entry = { ns, coll, id, seq, doc, bytes, referenced: false, next: chain };
    this.bySeq.set(seq, entry);
    const free = this.freeSlots.pop();
    if (free === undefined) this.slots.push(entry);
    else this.slots[free] = entry;
    this.entries++;
    this.bytes += bytes;
    this.evict();
    return doc;
  }

  private evict(): void {
    const { entriesMax, bytesMax } = this.limits;
    // One turn of the hand clears every flag, so an entry is evicted within two turns.
    while (this.entries > entriesMax || this.bytes > bytesMax) {
      if (this.hand >= this.slots.length) this.hand = 0;
      const at = this.hand++;
      const entry = this.slots[at];
      if (entry === undefined) continue;
      if (entry.referenced) {
        entry.referenced = false;
        continue;
      }
      this.slots[at] = undefined;
      this.freeSlots.push(at);
      this.unlink(entry);
      this.entries--;
      this.bytes -= entry.bytes;
      this.evictions++;
    }
  }

  private unlink(entry: Entry): void {
    const head = this.bySeq.get(entry.seq);
    if (head === entry) {
      if (entry.next === undefined) this.bySeq.delete(entry.seq);
      else this.bySeq.set(entry.seq, entry.next);
      return;
    }
    for (let before = head; before !== undefined; before = before.next) {
      if (before.next === entry) {
        before.next = entry.next;
        return;
      }
    }
  }

  clear(): void {
    this.bySeq.clear();
    this.slots = [];
    this.freeSlots = [];
    this.hand = 0;
    this.entries = 0;
    this.bytes = 0;
  }

  stats(): DocumentCacheStats {
    return { entries: this.entries, bytes: this.bytes, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }
}
