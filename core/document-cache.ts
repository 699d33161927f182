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

interface Entry {
  readonly doc: CachedDocument;
  readonly bytes: number;
  /** Read since it was last passed by eviction (second chance): hits cost a flag, not a Map reorder. */
  referenced: boolean;
}

/** A document no larger than this share of the byte bound is cached; larger ones would evict too much. */
const entryShareMax = 1 / 16;

/**
 * Decoded size from the msgpack size: V8 objects cost a few times their msgpack bytes (property slots,
 * string headers, boxed doubles), plus the entry, its Map slot and its key string.
 */
export function approximateBytes(encodedBytes: number, keyLength: number): number {
  return 3 * encodedBytes + 2 * keyLength + 96;
}

/** True when `value` holds only JSON-like data (plain objects, arrays, primitives): freezing then protects all of it. */
function freezable(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (depth > 64) return false; // deep nesting: not worth the walk, read it fresh
  if (Array.isArray(value)) return value.every((item) => freezable(item, depth + 1));
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key of Object.keys(value)) if (!freezable((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function freezeDeep(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) freezeDeep(item);
}

export class DocumentCache {
  // Insertion order is the eviction order; a referenced entry is moved to the end instead of evicted once.
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly limits: DocumentCacheLimits) {}

  /** The key of one version; the collection's length makes it unambiguous whatever the names hold. */
  static keyOf(ns: Namespace, coll: string, id: string, seq: number): string {
    return `${seq}:${ns}:${coll.length}:${coll}${id}`;
  }

  /** The decoded, frozen version, or undefined when it is not cached. */
  get(key: string): CachedDocument | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.referenced = true;
    return entry.doc;
  }

  /**
   * Caches a freshly decoded version (the caller must hold no other reference it will mutate) and returns it,
   * frozen when it was cached. Documents that cannot be frozen safely or are too large are returned as they are.
   */
  add(key: string, doc: Record<string, unknown>, encodedBytes: number): Record<string, unknown> | CachedDocument {
    const { entriesMax, bytesMax } = this.limits;
    if (entriesMax <= 0) return doc;
    const bytes = approximateBytes(encodedBytes, key.length);
    if (bytes > bytesMax * entryShareMax || this.entries.has(key) || !freezable(doc, 0)) return doc;
    freezeDeep(doc);
    this.entries.set(key, { doc, bytes, referenced: false });
    this.bytes += bytes;
    this.evict();
    return doc;
  }

  private evict(): void {
    const { entriesMax, bytesMax } = this.limits;
    // Each pass moves a referenced entry to the end and clears its flag, so the loop ends within two rounds.
    while (this.entries.size > entriesMax || this.bytes > bytesMax) {
      const [key, entry] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(key);
      if (entry.referenced) {
        entry.referenced = false;
        this.entries.set(key, entry);
        continue;
      }
      this.bytes -= entry.bytes;
      this.evictions++;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): DocumentCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }
}
