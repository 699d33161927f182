// Document reads through the decoded-document cache (document-cache.ts), synchronous because the partitions run
// inline: a read is a directory lookup, then either a cache hit or one positioned read and a msgpack decode.
// Hot paths (a LIMIT page read through a sorted index, point gets) so pay neither an await nor a decode per
// document they have read before.
import type { CachedDocument, DocumentCache } from './document-cache.js';
import type { Namespace } from './keys.js';
import type { InlinePartitionSet } from './partition/inline-partition-set.js';
import { readLocated } from './partition/partition-store.js';

/** A document read at a seq: `doc` may be the cache's frozen copy, shared with other readers. */
export interface CachedRead {
  id: string;
  seq: number;
  doc: Record<string, unknown>;
}

export type DecodeDocument = (bytes: Uint8Array) => Record<string, unknown>;

/**
 * The version of (ns, coll, id) visible at `asOf`, or undefined when missing or deleted. The store decides
 * which version that is; the cache only saves decoding it again (its key is the version's seq).
 */
export function readThroughCache(
  set: InlinePartitionSet, cache: DocumentCache, decode: DecodeDocument, ns: Namespace, coll: string, id: string, asOf: number,
): CachedRead | undefined {
  const found = set.locate(ns, coll, id, asOf);
  if (found === undefined || found.doc === null) return undefined;
  const cached: CachedDocument | undefined = cache.get(ns, coll, id, found.seq);
  if (cached !== undefined) return { id, seq: found.seq, doc: cached };
  const bytes = readLocated(found);
  if (bytes === null) return undefined;
  return { id, seq: found.seq, doc: cache.add(ns, coll, id, found.seq, decode(bytes), bytes.length) };
}

/** First page of an id-ordered read when the caller gives no hint: a LIMIT usually wants a few rows. */
const firstPageRowsDefault = 16;
const pageRowsMax = 512;

/**
 * Pages of documents by id (`nextIds` hands out up to `max` ids in order, fewer once done): small first, then
 * larger; the first holds `firstPageRows` when the caller knows how many it will read, so a LIMIT 10 reads 11
 * documents, not 16. Ids `read` finds nothing for (no live version) are skipped.
 */
export async function* documentPages(
  read: (id: string) => CachedRead | undefined, nextIds: (max: number) => string[], firstPageRows?: number,
): AsyncIterable<CachedRead[]> {
  let pageRows = firstPageRows === undefined || !(firstPageRows >= 1) ? firstPageRowsDefault : Math.min(pageRowsMax, Math.floor(firstPageRows));
  for (;;) {
    const page: CachedRead[] = [];
    const batch = nextIds(pageRows);
    for (const id of batch) {
      const found = read(id);
      if (found !== undefined) page.push(found);
    }
    if (page.length > 0) yield page;
    if (batch.length < pageRows) return;
    pageRows = Math.min(pageRowsMax, Math.max(firstPageRowsDefault, pageRows * 4));
  }
}
