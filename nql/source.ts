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

/** A request for rows in the sort order of one field, served by a sorted index. */
export interface OrderedScanRequest {
  coll: string;
  /** A v1 field name or a dotted path (`a.b`). */
  field: string;
  descending: boolean;
  asOf: number;
  /** Optional bounds on the field's value, of one type (numbers or strings), as WHERE ranges give them. */
  lower?: { value: number | string; inclusive: boolean };
  upper?: { value: number | string; inclusive: boolean };
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
  /**
   * Live rows of `coll` at `asOf` in v1's ORDER BY order of `field` (values ascending with missing/null last, or
   * descending with missing/null first), ties in id order (code point, ascending) in both directions — exactly
   * what a stable sort of id-ordered rows gives — with only rows inside the bounds when bounds are given (rows
   * whose value is missing, null or of another type are then left out, as v1's range comparisons are false for
   * them; booleans count as the numbers 0 and 1 there, as in v1's comparisons, so `f >= 1` keeps `true`).
   * Undefined when no ready sorted index on (coll, field) can answer (none, still building, or the field holds
   * values v1 orders by their text, where an index cannot follow). Optional: sources without indexes omit it.
   */
  orderedScan?(request: OrderedScanRequest): AsyncIterable<SourceRow[]> | undefined;
  /** Lets long scans yield and stop: called every N rows; throws when the query is over its deadline. */
  checkDeadline(): Promise<void>;
}
