// The NQL executor's view of one database: documents and edges at a seq, the op log for TRACE, SEARCH over
// `search`-indexed fields, and the deadline that keeps long scans from starving the event loop.
import { NedbError, Namespace, OpKindValues, type LoggedOp, type V1Database } from '../core/index.js';
import type { OrderedScanRequest, QuerySource, SourceOp, SourceRow } from '../nql/index.js';

function sourceOp(op: LoggedOp): SourceOp {
  const name = op.meta?.op ?? (op.kind === OpKindValues.put ? 'put' : op.kind === OpKindValues.delete ? 'delete' : 'mark');
  const isUser = op.ns === Namespace.user && op.kind !== OpKindValues.mark;
  return { seq: op.seq, op: name, coll: isUser ? op.coll : null, id: isUser ? op.id : null, causedBy: op.meta?.causedBy ?? [] };
}

/** Lowercase [a-z0-9]+ runs, as v1 tokenizes search text and indexed fields. */
function tokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
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

  /** Keys whose search-indexed fields hold every token, at HEAD (v1 answers from its HEAD index). */
  async searchIndex(coll: string, wanted: string[]): Promise<string[] | undefined> {
    const fields = this.v1.indexes().filter(([c, , kind]) => c === coll && kind === 'search').map(([, field]) => field);
    if (fields.length === 0) return undefined;
    const keys: string[] = [];
    for await (const page of this.v1.db.scan(coll)) {
      await this.checkDeadline();
      for (const row of page) {
        const held = new Set<string>();
        for (const field of fields) {
          const value = row.doc[field];
          if (typeof value === 'string') for (const token of tokens(value)) held.add(token);
        }
        if (wanted.every((token) => held.has(token))) keys.push(`${coll}:${row.id}`);
      }
    }
    return keys;
  }

  /** Served by the database's in-memory sorted index on (coll, field) when one is ready and follows v1's order. */
  orderedScan(request: OrderedScanRequest): AsyncIterable<SourceRow[]> | undefined {
    return this.v1.db.orderedScan({
      coll: request.coll,
      field: request.field,
      descending: request.descending,
      asOf: request.asOf,
      lower: request.lower,
      upper: request.upper,
    });
  }

  async checkDeadline(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.nowMs() > this.deadlineMs) throw new NedbError('QUERY_TIMEOUT', { ms: this.timeoutMs });
  }
}
