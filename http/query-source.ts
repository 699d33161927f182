// The NQL executor's view of one database: documents and edges at a seq, the op log for TRACE, SEARCH over
// `search`-indexed fields, and the deadline that keeps long scans from starving the event loop.
import { NedbError, Namespace, OpKindValues, type LoggedOp, type V1Database } from '../core/index.js';
import type { IndexCatalogEntry, IndexRangeRequest, OrderedScanRequest, QuerySource, SourceOp, SourceRow } from '../nql/index.js';

function sourceOp(op: LoggedOp): SourceOp {
  const name = op.meta?.op ?? (op.kind === OpKindValues.put ? 'put' : op.kind === OpKindValues.delete ? 'delete' : 'mark');
  const isUser = op.ns === Namespace.user && op.kind !== OpKindValues.mark;
  return { seq: op.seq, op: name, coll: isUser ? op.coll : null, id: isUser ? op.id : null, causedBy: op.meta?.causedBy ?? [] };
}

export class DatabaseQuerySource implements QuerySource {
  readonly seq: number;
  private readonly deadlineMs: number;
  private ops: LoggedOp[] | undefined;

  constructor(
    private readonly v1: V1Database,
    private readonly timeoutMs: number,
    private readonly nowMs: () => number,
  ) {
    this.seq = v1.db.seq;
    this.deadlineMs = nowMs() + timeoutMs;
  }

  async *scan(coll: string, asOf: number): AsyncIterable<SourceRow[]> {
    if (asOf < 0) return;
    for await (const page of this.v1.db.scan(coll, { asOf })) yield page;
  }

  async get(coll: string, id: string, asOf: number): Promise<SourceRow | undefined> {
    if (asOf < 0) return undefined;
    return this.v1.db.get(coll, id, { asOf });
  }

  edges(frm: string, rel: string, asOf: number): Promise<string[]> {
    return asOf < 0 ? Promise.resolve([]) : this.v1.neighbors(frm, rel, asOf);
  }

  private async allOps(): Promise<LoggedOp[]> {
    this.ops ??= (await this.v1.db.readOps(0, this.seq)).filter((op) => !op.attached);
    return this.ops;
  }

  async op(seq: number): Promise<SourceOp | undefined> {
    if (seq < 0 || seq > this.seq) return undefined;
    const found = (await this.allOps())[seq];
    return found === undefined || found.seq !== seq ? undefined : sourceOp(found);
  }

  async dependents(seq: number): Promise<number[]> {
    return (await this.allOps()).filter((op) => op.meta?.causedBy?.includes(seq) ?? false).map((op) => op.seq);
  }

  /** Served by the database's sorted index on (coll, fields) when one is ready and follows v1's order. */
  orderedScan(request: OrderedScanRequest): AsyncIterable<SourceRow[]> | undefined {
    return this.v1.db.orderedScan(request);
  }

  indexCatalog(coll: string): IndexCatalogEntry[] {
    return this.v1.db.indexCatalog(coll);
  }

  collectionRows(coll: string): number {
    return this.v1.db.collectionRows(coll);
  }

  indexCount(request: Omit<IndexRangeRequest, 'asOf'>): number | undefined {
    return this.v1.db.indexCount(request);
  }

  indexIds(request: IndexRangeRequest): string[] | undefined {
    return this.v1.db.indexIds(request);
  }

  searchIds(coll: string, tokens: readonly string[], asOf: number): string[] | undefined {
    return this.v1.db.searchIds(coll, tokens, asOf);
  }

  searchCount(coll: string, tokens: readonly string[]): number | undefined {
    return this.v1.db.searchCount(coll, tokens);
  }

  rowsByIds(coll: string, ids: readonly string[], asOf: number): AsyncIterable<SourceRow[]> {
    return this.v1.db.rowsByIds(coll, ids, asOf);
  }

  requestIndex(coll: string, fields: readonly string[]): void {
    this.v1.db.requestIndex(coll, fields);
  }

  async checkDeadline(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.nowMs() > this.deadlineMs) throw new NedbError('QUERY_TIMEOUT', { ms: this.timeoutMs });
  }
}
