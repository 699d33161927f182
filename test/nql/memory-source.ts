// An in-memory QuerySource that writes like NEDB v1 (UPSTREAM.md §3.2, §6): one gap-free seq for every op,
// versions per key (tombstones for deletes), edges with added/removed seqs, ops with caused_by, and optional
// search indexes built from HEAD, and optional sorted "indexes" behind orderedScan (a stable sort of the rows
// at the read seq, written apart from nql/compare.ts). Tests script v1 scenarios with it and check what the
// executor reads (rowsRead counts the rows scan and orderedScan hand out).

import type { OrderedScanRequest, QuerySource, SourceOp, SourceRow } from '../../nql/source.js';

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
  /** Rows handed out by scan and orderedScan. */
  rowsRead = 0;
  /** orderedScan requests made (answered or not), and how many an index answered. */
  readonly orderedRequests: OrderedScanRequest[] = [];
  orderedAnswers = 0;
  /** Absent until enableOrderedScan: a source without sorted indexes. */
  orderedScan?: (request: OrderedScanRequest) => AsyncIterable<SourceRow[]> | undefined;
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
        this.rowsRead += page.length;
        yield page;
        page = [];
      }
    }
    this.rowsRead += page.length;
    if (page.length > 0) yield page;
  }

  /**
   * Gives the source sorted indexes on `fields` (every field when omitted). `ready: false` keeps orderedScan
   * but answers undefined, as indexes still building do.
   */
  enableOrderedScan(options: { fields?: readonly string[]; ready?: boolean } = {}): this {
    this.orderedScan = (request) => {
      this.orderedRequests.push(request);
      if (options.ready === false || request.fields.length !== 1 || request.prefix.length > 0) return undefined;
      if (options.fields !== undefined && !options.fields.includes(request.fields[0]!)) return undefined;
      return this.ordered(request);
    };
    return this;
  }

  /**
   * The contract of QuerySource.orderedScan over the memory rows: v1 order of one field (numbers with
   * booleans as 0/1, or strings by code point; missing/null last ascending, first descending), ties in scan
   * (id) order both ways. Undefined when, without bounds, the present values are not all numbers or all
   * strings (v1 might sort them by text). With bounds, only values of the bounds' type inside them.
   */
  private ordered(request: OrderedScanRequest): AsyncIterable<SourceRow[]> | undefined {
    const ids = [...(this.versions.get(request.coll)?.keys() ?? [])].sort();
    const path = request.fields[0]!.split('.');
    const rows = ids.flatMap((id) => {
      const row = this.versionAt(request.coll, id, request.asOf);
      return row === undefined ? [] : [{ row, value: sortValue(readOwnPath(row.doc, path)) }];
    });
    const bounded = request.lower !== undefined || request.upper !== undefined;
    let kept = rows;
    if (bounded) {
      kept = rows.filter(({ value }) => inBounds(value, request));
    } else {
      const kinds = new Set(rows.map(({ value }) => value.kind).filter((kind) => kind !== 'null'));
      if (kinds.has('other') || kinds.size > 1) return undefined;
    }
    this.orderedAnswers += 1;
    const direction = request.descending ? -1 : 1;
    const sorted = [...kept].sort((a, b) => direction * compareValues(a.value, b.value)).map(({ row }) => row);
    return this.pages(sorted);
  }

  private async *pages(rows: SourceRow[]): AsyncIterable<SourceRow[]> {
    for (let at = 0; at < rows.length; at += this.pageSize) {
      const page = rows.slice(at, at + this.pageSize);
      this.rowsRead += page.length;
      yield page;
    }
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

type SortValue = { kind: 'null' } | { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'other' };

function readOwnPath(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return value;
}

function sortValue(value: unknown): SortValue {
  if (value === undefined || value === null) return { kind: 'null' };
  if (typeof value === 'boolean') return { kind: 'number', value: value ? 1 : 0 };
  if (typeof value === 'number') return { kind: 'number', value };
  if (typeof value === 'string') return { kind: 'string', value };
  return { kind: 'other' };
}

/** Code point order, by comparing code point arrays. */
function compareStrings(left: string, right: string): number {
  const a = [...left].map((char) => char.codePointAt(0) ?? 0);
  const b = [...right].map((char) => char.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/** Ascending order of one index: nulls last; values of one kind (ordered() refuses mixed kinds). */
function compareValues(left: SortValue, right: SortValue): number {
  if (left.kind === 'null' || right.kind === 'null') return left.kind === right.kind ? 0 : left.kind === 'null' ? 1 : -1;
  if (left.kind === 'number' && right.kind === 'number') return left.value < right.value ? -1 : left.value > right.value ? 1 : 0;
  if (left.kind === 'string' && right.kind === 'string') return compareStrings(left.value, right.value);
  throw new Error('mixed kinds in one ordered scan');
}

function inBounds(value: SortValue, request: OrderedScanRequest): boolean {
  for (const [end, sign] of [[request.lower, 1], [request.upper, -1]] as const) {
    if (end === undefined) continue;
    const kind = typeof end.value === 'number' ? 'number' : 'string';
    if (value.kind !== kind) return false;
    const order = compareValues(value, sortValue(end.value)) * sign;
    if (order < 0 || (order === 0 && !end.inclusive)) return false;
  }
  return true;
}
