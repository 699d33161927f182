// An in-memory QuerySource that writes like NEDB v1 (UPSTREAM.md §3.2, §6): one gap-free seq for every op,
// versions per key (tombstones for deletes), edges with added/removed seqs, ops with caused_by, and optional
// search indexes built from HEAD. Tests script v1 scenarios with it and check what the executor reads.

import type { QuerySource, SourceOp, SourceRow } from '../../nql/source.js';

type Doc = Record<string, unknown>;

interface Version {
  readonly seq: number;
  /** undefined for a delete (tombstone). */
  readonly doc: Doc | undefined;
}

interface Edge {
  readonly frm: string;
  readonly rel: string;
  readonly to: string;
  readonly added: number;
  removed: number | undefined;
}

export interface PutOptions {
  causedBy?: number[];
  validFrom?: string;
  validTo?: string;
}

export class MemorySource implements QuerySource {
  seq = -1;
  /** Rows per scan page; small so tests cross page boundaries. */
  pageSize = 3;
  deadlineChecks = 0;
  /** Set to make checkDeadline throw, as an over-deadline query would. */
  deadlineError: Error | undefined = undefined;
  /** Reads below this seq fail, as a database's reads below its history retention do. */
  historyFrom = 0;
  private readonly versions = new Map<string, Map<string, Version[]>>();
  private readonly edgeList: Edge[] = [];
  private readonly ops: SourceOp[] = [];
  private readonly searchFields = new Map<string, string[]>();

  private append(op: string, coll: string | null, id: string | null, causedBy: number[] = []): number {
    const seq = this.ops.length;
    this.ops.push({ seq, op, coll, id, causedBy });
    this.seq = seq;
    return seq;
  }

  private chain(coll: string, id: string): Version[] {
    let byId = this.versions.get(coll);
    if (byId === undefined) this.versions.set(coll, (byId = new Map()));
    let versions = byId.get(id);
    if (versions === undefined) byId.set(id, (versions = []));
    return versions;
  }

  /** v1 put: `_id` only if absent (a user `_id` wins), mirrors `_caused_by`, `_valid_from`, `_valid_to`. */
  put(coll: string, id: string, doc: Doc, options: PutOptions = {}): number {
    const stored: Doc = { ...doc };
    if (!Object.hasOwn(stored, '_id')) stored['_id'] = id;
    if (options.causedBy !== undefined) stored['_caused_by'] = options.causedBy;
    if (options.validFrom !== undefined) stored['_valid_from'] = options.validFrom;
    if (options.validTo !== undefined) stored['_valid_to'] = options.validTo;
    const seq = this.append('put', coll, id, options.causedBy);
    this.chain(coll, id).push({ seq, doc: stored });
    return seq;
  }

  /** v1 delete: always an op, even for a missing doc. */
  delete(coll: string, id: string): number {
    const seq = this.append('delete', coll, id);
    this.chain(coll, id).push({ seq, doc: undefined });
    return seq;
  }

  /** v1 link: every call is an op; re-linking a live edge adds no edge. */
  link(frm: string, rel: string, to: string): number {
    const seq = this.append('link', null, null);
    if (this.liveEdge(frm, rel, to) === undefined) this.edgeList.push({ frm, rel, to, added: seq, removed: undefined });
    return seq;
  }

  unlink(frm: string, rel: string, to: string): number {
    const seq = this.append('unlink', null, null);
    const edge = this.liveEdge(frm, rel, to);
    if (edge !== undefined) edge.removed = seq;
    return seq;
  }

  checkpoint(): number {
    return this.append('checkpoint', null, null);
  }

  addSearchIndex(coll: string, field: string): void {
    this.searchFields.set(coll, [...(this.searchFields.get(coll) ?? []), field]);
  }

  private liveEdge(frm: string, rel: string, to: string): Edge | undefined {
    return this.edgeList.find((edge) => edge.frm === frm && edge.rel === rel && edge.to === to && edge.removed === undefined);
  }

  private versionAt(coll: string, id: string, asOf: number): SourceRow | undefined {
    if (asOf >= 0 && asOf < this.historyFrom) throw new Error(`history before seq ${this.historyFrom} is gone`);
    const versions = this.versions.get(coll)?.get(id) ?? [];
    for (let i = versions.length - 1; i >= 0; i -= 1) {
      const version = versions[i];
      if (version === undefined || version.seq > asOf) continue;
      return version.doc === undefined ? undefined : { id, seq: version.seq, doc: structuredClone(version.doc) };
    }
    return undefined;
  }

  async *scan(coll: string, asOf: number): AsyncIterable<SourceRow[]> {
    const ids = [...(this.versions.get(coll)?.keys() ?? [])].sort();
    let page: SourceRow[] = [];
    for (const id of ids) {
      const row = this.versionAt(coll, id, asOf);
      if (row !== undefined) page.push(row);
      if (page.length === this.pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async get(coll: string, id: string, asOf: number): Promise<SourceRow | undefined> {
    return this.versionAt(coll, id, asOf);
  }

  async edges(frm: string, rel: string, asOf: number): Promise<string[]> {
    return this.edgeList
      .filter((edge) => edge.frm === frm && edge.rel === rel && edge.added <= asOf && (edge.removed === undefined || edge.removed > asOf))
      .map((edge) => edge.to);
  }

  async op(seq: number): Promise<SourceOp | undefined> {
    return this.ops[seq];
  }

  async dependents(seq: number): Promise<number[]> {
    return this.ops.filter((op) => op.causedBy.includes(seq)).map((op) => op.seq);
  }

  /** The HEAD index: keys whose indexed string fields hold every token (tokens: lowercase [a-z0-9]+ runs). */
  async searchIndex(coll: string, tokens: string[]): Promise<string[] | undefined> {
    const fields = this.searchFields.get(coll);
    if (fields === undefined) return undefined;
    const keys: string[] = [];
    for (const id of [...(this.versions.get(coll)?.keys() ?? [])].sort()) {
      const doc = this.versionAt(coll, id, this.seq)?.doc;
      if (doc === undefined) continue;
      const held = new Set(fields.flatMap((field) => {
        const value = doc[field];
        return typeof value === 'string' ? (value.toLowerCase().match(/[a-z0-9]+/g) ?? []) : [];
      }));
      if (tokens.every((token) => held.has(token))) keys.push(`${coll}:${id}`);
    }
    return keys;
  }

  async checkDeadline(): Promise<void> {
    this.deadlineChecks += 1;
    if (this.deadlineError !== undefined) throw this.deadlineError;
  }
}
