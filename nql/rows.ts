// What flows between executor steps: a stored document plus the key it was read from (TRAVERSE follows
// edges from keys), and the per-query context every step shares.

import type { QuerySource, SourceRow } from './source.js';

export type Doc = Record<string, unknown>;

export interface Row {
  readonly coll: string;
  /** The key's id (the request's id), which a user `_id` in the doc may differ from. */
  readonly id: string;
  /** The stored doc with `_seq` set to the seq of the put that wrote this version (v1). */
  readonly doc: Doc;
}

/** Rows between deadline checks: small enough to stop a runaway query soon, large enough to cost nothing. */
export const rowsPerDeadlineCheck = 1024;

export class QueryContext {
  private rowsSinceCheck = 0;

  constructor(
    readonly source: QuerySource,
    /** The seq every read is made at: AS OF (capped at the committed seq) or the committed seq. */
    readonly readSeq: number,
  ) {}

  /**
   * Counts one row of work; every rowsPerDeadlineCheck rows it returns the source's deadline check to await.
   * Returning undefined in between keeps the scan loop free of a microtask per row.
   */
  countRow(): Promise<void> | undefined {
    this.rowsSinceCheck += 1;
    if (this.rowsSinceCheck < rowsPerDeadlineCheck) return undefined;
    this.rowsSinceCheck = 0;
    return this.source.checkDeadline();
  }
}

/** v1 overwrote `_seq` in every stored version with the seq of its put; the key keeps its position. */
export function toRow(coll: string, found: SourceRow): Row {
  return { coll, id: found.id, doc: { ...found.doc, _seq: found.seq } };
}

/** A raw edge endpoint `coll:id` split at its first colon; undefined when it has none (no such key). */
export function splitKey(key: string): { coll: string; id: string } | undefined {
  const colon = key.indexOf(':');
  return colon < 0 ? undefined : { coll: key.slice(0, colon), id: key.slice(colon + 1) };
}
