// What the NQL executor reads: one database at one seq. The HTTP layer implements it over a core Database (and
// its v1 system collections); tests may implement it in memory. Documents are v1 "stored documents": the
// given doc with `_id` (unless the user set one) and the mirrored `_` fields, as written; the executor adds
// `_seq` (the seq of the put that wrote the version) itself.

// The index request types are the engine's (core/index/index-manager.ts), so the two layers cannot drift.
import type { IndexCatalogEntry, IndexRangeRequest } from '../core/index.js';

export type { IndexCatalogEntry, IndexRangeRequest, ValueBound } from '../core/index.js';

export interface SourceRow {
  /** The key's id (the request's `id`), not necessarily `doc._id`. */
  id: string;
  /** Seq of the put that wrote this version. */
  seq: number;
  doc: Record<string, unknown>;
}

export interface SourceOp {
  seq: number;
  /** v1 op name: 'put', 'delete', 'link', 'unlink', 'checkpoint', … */
  op: string;
  coll: string | null;
  id: string | null;
  causedBy: number[];
}

/** A request for rows in the sort order of the index's fields after the prefix, served by a sorted index. */
export interface OrderedScanRequest extends IndexRangeRequest {
  descending: boolean;
  /** Rows the caller expects to read (LIMIT + OFFSET + 1 when every row is kept): the first page's size. */
  firstPageRows?: number | undefined;
}

export interface QuerySource {
  /** The committed seq: what a query without AS OF reads. -1 for an empty database. */
  readonly seq: number;
  /** Every live document of a collection as of `asOf`, in pages (id order). */
  scan(coll: string, asOf: number): AsyncIterable<SourceRow[]>;
  /** One document as of `asOf`, or undefined when missing or deleted. */
  get(coll: string, id: string, asOf: number): Promise<SourceRow | undefined>;
  /** Live `to` keys of edges (frm, rel, *) as of `asOf`, in the order they were added. */
  edges(frm: string, rel: string, asOf: number): Promise<string[]>;
  /** The op at a seq (for TRACE), or undefined when out of range. */
  op(seq: number): Promise<SourceOp | undefined>;
  /** Seqs of ops whose caused_by includes `seq` (for TRACE REVERSE), ascending. */
  dependents(seq: number): Promise<number[]>;
  /**
   * Live rows of `coll` at `asOf` inside the range, in v1's ORDER BY order of the index's fields after the
   * prefix (values ascending with missing/null last, or descending with missing/null first), ties in id order
   * (code point, ascending) in both directions — exactly what a stable sort of id-ordered rows gives.
   * Undefined when no ready sorted index on (coll, fields) can answer (none, still building, or a field holds
   * values v1 orders by their text, where an index cannot follow). Optional: sources without indexes omit it.
   */
  orderedScan?(request: OrderedScanRequest): AsyncIterable<SourceRow[]> | undefined;
  /** The collection's indexes for the planner; absent: the source has no statistics (plan.ts's shape rule). */
  indexCatalog?(coll: string): IndexCatalogEntry[];
  /** Live documents of a collection (with indexCatalog). */
  collectionRows?(coll: string): number;
  /** Entries of a range of the ready tree on (coll, fields), every retained version counted; undefined: none. */
  indexCount?(request: Omit<IndexRangeRequest, 'asOf'>): number | undefined;
  /** Ids of the live documents of a range at `asOf`, in code point order; undefined when no ready tree answers. */
  indexIds?(request: IndexRangeRequest): string[] | undefined;
  /** Ids of the documents that hold every token at `asOf` (SEARCH's rule), in code point order; undefined: no ready search index. */
  searchIds?(coll: string, tokens: readonly string[], asOf: number): string[] | undefined;
  /** Estimated documents holding every token; undefined: no ready search index. */
  searchCount?(coll: string, tokens: readonly string[]): number | undefined;
  /** The live rows of `ids` at `asOf`, in that order, in pages (missing ones skipped). */
  rowsByIds?(coll: string, ids: readonly string[], asOf: number): AsyncIterable<SourceRow[]>;
  /** The planner would use a sorted index on (coll, fields) that does not exist: the source may build one. */
  requestIndex?(coll: string, fields: readonly string[]): void;
  /** Lets long scans yield and stop: called every N rows; throws when the query is over its deadline. */
  checkDeadline(): Promise<void>;
}
