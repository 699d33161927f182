// What the NQL executor reads: one database at one seq. The HTTP layer implements it over a core Database (and
// its v1 system collections); tests may implement it in memory. Documents are v1 "stored documents": the
// given doc with `_id` (unless the user set one) and the mirrored `_` fields, as written; the executor adds
// `_seq` (the seq of the put that wrote the version) itself.

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
  /** Keys (`coll:id`) whose `search`-indexed fields hold every token, or undefined when `coll` has no search index. */
  searchIndex(coll: string, tokens: string[]): Promise<string[] | undefined>;
  /** Lets long scans yield and stop: called every N rows; throws when the query is over its deadline. */
  checkDeadline(): Promise<void>;
}
