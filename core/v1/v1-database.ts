// NEDB v1 write semantics on a core Database (UPSTREAM.md §3, §6): the stored-document shape, idempotency keys,
// client nonces, TTL, links, the checkpoint op, the sweeper. Used by the HTTP layer and later by RESP.
//
// Engine state derived from an op (the idempotency key it used, its client's nonce high-water mark, a TTL
// entry) is written as *attached* ops of the same batch: atomic with the op, in the same log and snapshots,
// without taking a seq of its own, because v1 clients count one seq per op.
import { NedbError, isNedbError } from '../errors.js';
import { Namespace, compareCodePoints } from '../keys.js';
import { batchOpsMax } from '../limits.js';
import { type IndexSpec, definitionItem, indexName, parseIndexDefinition, parseIndexDefinitions, sameFields } from '../index/index-definitions.js';
import { indexFieldsMax } from '../index/index-key.js';
import type { Clock } from '../platform/clock.js';
import type { BatchOp, Database, Durability, JsonDocument, OpMeta, PreconditionFailure } from '../database.js';
import { edgeColl, idemColl, noncesColl, parseEdgeColl, ttlColl, ttlId } from './system-collections.js';
import { V1Log } from './v1-log.js';

export interface V1Provenance {
  client?: string;
  nonce?: number;
  idem?: string;
  ttlS?: number;
  causedBy?: number[];
  evidence?: string;
  confidence?: number;
  validFrom?: string;
  validTo?: string;
}

export interface V1PutRequest extends V1Provenance {
  coll: string;
  id: string;
  doc: JsonDocument;
  durability?: Durability;
}

export type V1BatchOp =
  | { kind: 'put'; coll: string; id: string; sentId: unknown; doc: JsonDocument; ifSeq?: number; idem?: string; client?: string; causedBy?: number[]; ttlS?: number }
  | { kind: 'del'; coll: string; id: string; sentId: unknown; ifSeq?: number; idem?: string; client?: string }
  | { kind: 'link'; frm: string; rel: string; to: string; client?: string }
  | { kind: 'unknown'; name: string };

export type V1BatchResult =
  | { op: 'put'; id: unknown; seq: number; doc: JsonDocument | null }
  | { op: 'del'; id: unknown; seq: number }
  | { op: 'link'; seq: number }
  | { op: string; error: 'unknown op' };

export interface V1Summary {
  name: string;
  seq: number;
  head: string;
  rows: number;
  collections: Record<string, number>;
}

export type IndexDefinition = [coll: string, field: string, kind: string];

export const indexKinds = new Set(['eq', 'ordered', 'search', 'sorted']);

/** The v1 "precondition_failed" 409: every failing op of a batch, by its index in the request. */
export class V1PreconditionFailed extends NedbError {
  constructor(
    readonly failures: PreconditionFailure[],
    readonly seq: number,
  ) {
    super('PRECONDITION_FAILED', { failures, seq });
  }
}

export class V1Database {
  /** Per client: the highest nonce accepted, and the counter implicit nonces are taken from. */
  private readonly nonces = new Map<string, { high: number; auto: number }>();
  readonly log: V1Log;

  private constructor(
    readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.log = new V1Log(db);
  }

  /** Loads the nonce high-water marks; implicit counters resync to them, as v1's do on restart. */
  static async open(db: Database, clock: Clock): Promise<V1Database> {
    const v1 = new V1Database(db, clock);
    for await (const page of db.scan(noncesColl, { ns: Namespace.system }))
      for (const row of page) {
        const high = Number(row.doc.high);
        v1.nonces.set(row.id, { high, auto: high });
      }
    return v1;
  }

  get name(): string {
    return this.db.name;
  }

  /** Seq and head read together, so a reply's pair is consistent. */
  position(): { seq: number; head: string } {
    return { seq: this.db.seq, head: this.db.chainHead };
  }

  /** Takes the op's nonce (explicit or implicit) or throws v1's 409; synchronous so commits keep nonce order. */
  private takeNonce(client: string, explicit: number | undefined): number {
    const state = this.nonces.get(client) ?? { high: -1, auto: 0 };
    this.nonces.set(client, state);
    const nonce = explicit ?? ++state.auto;
    if (nonce <= state.high) throw new NedbError('NONCE_STALE', { client, nonce, last: state.high });
    state.high = nonce;
    return nonce;
  }

  /**
   * A write that took `nonce` failed: give the nonce back if no later one was taken, so the client's retry
   * with the same explicit nonce is not refused as a replay.
   */
  private returnNonce(client: string, nonce: number, previousHigh: number): void {
    const state = this.nonces.get(client);
    if (state === undefined || state.high !== nonce) return;
    state.high = previousHigh;
    if (state.auto === nonce) state.auto--;
  }

  private highOf(client: string): number {
    return this.nonces.get(client)?.high ?? -1;
  }

  /** The op's metadata; optional fields are absent rather than undefined (written on every op: no helpers). */
  private meta(op: string, client: string, nonce: number, provenance: V1Provenance): OpMeta {
    const meta: OpMeta = { op, client, nonce, ts: this.clock.nowMs() };
    if (provenance.idem !== undefined) meta.idem = provenance.idem;
    if (provenance.causedBy !== undefined) meta.causedBy = provenance.causedBy;
    if (provenance.evidence !== undefined) meta.evidence = provenance.evidence;
    if (provenance.confidence !== undefined) meta.confidence = provenance.confidence;
    if (provenance.validFrom !== undefined) meta.validFrom = provenance.validFrom;
    if (provenance.validTo !== undefined) meta.validTo = provenance.validTo;
    return meta;
  }

  /** The v1 stored document: the given doc, `_id` unless present, `_expires_at` and the mirrored fields. */
  storedDocument(id: string, doc: JsonDocument, provenance: V1Provenance): JsonDocument {
    const stored: JsonDocument = { ...doc };
    if (!Object.hasOwn(stored, '_id')) stored._id = id;
    if (provenance.ttlS !== undefined) stored._expires_at = this.clock.nowMs() / 1000 + provenance.ttlS;
    if (provenance.causedBy !== undefined) stored._caused_by = provenance.causedBy;
    if (provenance.evidence !== undefined) stored._evidence = provenance.evidence;
    if (provenance.confidence !== undefined) stored._confidence = provenance.confidence;
    if (provenance.validFrom !== undefined) stored._valid_from = provenance.validFrom;
    if (provenance.validTo !== undefined) stored._valid_to = provenance.validTo;
    delete stored._seq;
    return stored;
  }

  /** Ops derived from a put: nonce mark, idempotency key, TTL entry. */
  private attachedOps(coll: string, id: string, stored: JsonDocument, client: string, nonce: number, idem: string | undefined): BatchOp[] {
    const ops: BatchOp[] = [this.nonceOp(client, nonce)];
    if (idem !== undefined) ops.push({ op: 'put', coll: idemColl, id: idem, doc: { coll, id }, ns: Namespace.system, attached: true, ifSeq: -1 });
    if (typeof stored._expires_at === 'number')
      ops.push({ op: 'put', coll: ttlColl, id: ttlId(coll, id), doc: { coll, id, at: stored._expires_at }, ns: Namespace.system, attached: true });
    return ops;
  }

  /**
   * Whether an idempotency key was used. When it was, waits until the write that used it is visible: a replay
   * must never be acknowledged before the original is durable, nor answer from a state that lacks it.
   */
  private async idemUsed(idem: string | undefined): Promise<boolean> {
    if (idem === undefined) return false;
    const head = await this.db.head(idemColl, idem, Namespace.system);
    if (head === undefined || !head.live) return false;
    await this.db.whenVisible(head.seq);
    return true;
  }

  async currentDoc(coll: string, id: string): Promise<JsonDocument | null> {
    const found = await this.db.get(coll, id);
    return found === undefined ? null : { ...found.doc, _seq: found.seq };
  }

  async put(request: V1PutRequest): Promise<{ doc: JsonDocument | null; seq: number; head: string }> {
    const client = request.client ?? 'local';
    for (let attempt = 0; ; attempt++) {
      if (await this.idemUsed(request.idem)) return { doc: await this.currentDoc(request.coll, request.id), ...this.position() };
      const previousHigh = this.highOf(client);
      const nonce = this.takeNonce(client, request.nonce);
      const stored = this.storedDocument(request.id, request.doc, request);
      const ops: BatchOp[] = [
        { op: 'put', coll: request.coll, id: request.id, doc: stored, meta: this.meta('put', client, nonce, request) },
        ...this.attachedOps(request.coll, request.id, stored, client, nonce, request.idem),
      ];
      try {
        const result = await this.db.batch(ops, request.durability === undefined ? {} : { durability: request.durability });
        return { doc: { ...stored, _seq: result.seqs[0]! }, ...this.position() };
      } catch (error) {
        this.returnNonce(client, nonce, previousHigh);
        // Another request used the same idempotency key between our check and our commit: answer as v1 does.
        if (!isNedbError(error, 'PRECONDITION_FAILED') || attempt > 3) throw error;
      }
    }
  }

  /** v1 DELETE rows: always appends a delete op, even for a missing document. */
  async deleteRow(coll: string, id: string): Promise<{ seq: number; head: string }> {
    const nonce = this.takeNonce('local', undefined);
    await this.db.batch([{ op: 'delete', coll, id, meta: this.meta('delete', 'local', nonce, {}) }, this.nonceOp('local', nonce)]);
    return this.position();
  }

  async link(frm: string, rel: string, to: string, client = 'local'): Promise<{ seq: number; head: string }> {
    const live = await this.edgeLive(frm, rel, to);
    const nonce = this.takeNonce(client, undefined);
    await this.db.batch([this.linkOp(frm, rel, to, client, nonce, live), this.nonceOp(client, nonce)]);
    return this.position();
  }

  private async edgeLive(frm: string, rel: string, to: string): Promise<boolean> {
    return (await this.db.head(edgeColl(frm, rel), to, Namespace.system))?.live ?? false;
  }

  /** A link always takes a seq; re-linking a live edge adds no edge (a mark op keeps its place in the order). */
  private linkOp(frm: string, rel: string, to: string, client: string, nonce: number, live: boolean): BatchOp {
    const meta = { ...this.meta('link', client, nonce, {}), payload: { frm, rel, to } };
    return live ? { op: 'mark', meta } : { op: 'put', coll: edgeColl(frm, rel), id: to, doc: {}, ns: Namespace.system, meta };
  }

  private nonceOp(client: string, nonce: number): BatchOp {
    return { op: 'put', coll: noncesColl, id: client, doc: { high: nonce }, ns: Namespace.system, attached: true };
  }

  /** Live `to` keys of (node, rel) edges as of a seq, in the order they were added. */
  async neighbors(node: string, rel: string, asOf?: number): Promise<string[]> {
    const rows: { id: string; seq: number }[] = [];
    for await (const page of this.db.scan(edgeColl(node, rel), { ns: Namespace.system, ...(asOf === undefined ? {} : { asOf }) }))
      for (const row of page) rows.push({ id: row.id, seq: row.seq });
    return rows.sort((a, b) => a.seq - b.seq).map((row) => row.id);
  }

  /** One entry per distinct live (from, relation, to) triple, endpoints cut at their first ':'. */
  async relations(): Promise<{ from: string; relation: string; to: string; cardinality: 'one_to_many' }[]> {
    const seen = new Map<string, { from: string; relation: string; to: string; cardinality: 'one_to_many' }>();
    for (const [coll, live] of await this.db.collections(Namespace.system)) {
      const edge = parseEdgeColl(coll);
      if (edge === undefined || live === 0) continue;
      for await (const page of this.db.scan(coll, { ns: Namespace.system }))
        for (const row of page) {
          const triple = { from: edge.frm.split(':')[0]!, relation: edge.rel, to: row.id.split(':')[0]!, cardinality: 'one_to_many' as const };
          seen.set(JSON.stringify([triple.from, triple.relation, triple.to]), triple);
        }
    }
    return [...seen.values()];
  }

  /**
   * The v1 batch: every if_seq is checked against the state before the batch and all failures are reported;
   * then the ops apply in order as one atomic write (one fsync). A used idempotency key writes nothing and
   * reports the current seq and document.
   */
  async batch(ops: V1BatchOp[], batchClient: string): Promise<{ results: V1BatchResult[]; seq: number; head: string }> {
    // Each v1 op becomes its op plus attached ones (nonce, idempotency key, TTL entry): bound the expanded
    // size before any nonce is taken.
    const expanded = ops.reduce((sum, op) => sum + (op.kind === 'put' ? 4 : op.kind === 'del' ? 3 : op.kind === 'link' ? 2 : 0), 0);
    if (expanded > batchOpsMax) throw new NedbError('BATCH_TOO_LARGE', { max: Math.floor(batchOpsMax / 4), count: ops.length });
    for (let attempt = 0; ; attempt++) {
      const plan = await this.planBatch(ops, batchClient);
      if (plan.coreOps.length === 0) return { results: await this.batchResults(ops, plan, []), ...this.position() };
      try {
        const result = await this.db.batch(plan.coreOps);
        return { results: await this.batchResults(ops, plan, result.seqs), ...this.position() };
      } catch (error) {
        if (!isNedbError(error, 'PRECONDITION_FAILED')) throw error;
        const failures = (error.details.failures as PreconditionFailure[]).filter((failure) => plan.v1IndexOf.has(failure.index));
        if (failures.length > 0)
          throw new V1PreconditionFailed(
            failures.map((failure) => ({ ...failure, index: plan.v1IndexOf.get(failure.index)! })),
            this.db.seq,
          );
        if (attempt > 3) throw error; // only idempotency keys raced: plan again
      }
    }
  }

  private async planBatch(ops: V1BatchOp[], batchClient: string) {
    const usedIdem = new Set<string>();
    const skipped = new Set<number>();
    for (const [index, op] of ops.entries()) {
      if ((op.kind !== 'put' && op.kind !== 'del') || op.idem === undefined) continue;
      if (usedIdem.has(op.idem) || (await this.idemUsed(op.idem))) skipped.add(index);
      usedIdem.add(op.idem);
    }
    const liveEdges = new Map<number, boolean>();
    for (const [index, op] of ops.entries()) if (op.kind === 'link') liveEdges.set(index, await this.edgeLive(op.frm, op.rel, op.to));
    // Synchronous from here to the commit: nonces are taken in commit order.
    const coreOps: BatchOp[] = [];
    const coreIndexOf = new Map<number, number>();
    const v1IndexOf = new Map<number, number>();
    const storedOf = new Map<number, JsonDocument>();
    for (const [index, op] of ops.entries()) {
      if (op.kind === 'unknown' || skipped.has(index)) continue;
      const client = op.client ?? batchClient;
      const nonce = this.takeNonce(client, undefined);
      coreIndexOf.set(index, coreOps.length);
      v1IndexOf.set(coreOps.length, index);
      if (op.kind === 'link') coreOps.push(this.linkOp(op.frm, op.rel, op.to, client, nonce, liveEdges.get(index)!));
      else if (op.kind === 'put') {
        const stored = this.storedDocument(op.id, op.doc, op);
        storedOf.set(index, stored);
        coreOps.push({ op: 'put', coll: op.coll, id: op.id, doc: stored, meta: this.meta('put', client, nonce, op), ...(op.ifSeq === undefined ? {} : { ifSeq: op.ifSeq }) });
        coreOps.push(...this.attachedOps(op.coll, op.id, stored, client, nonce, op.idem));
        continue;
      } else coreOps.push({ op: 'delete', coll: op.coll, id: op.id, meta: this.meta('delete', client, nonce, op), ...(op.ifSeq === undefined ? {} : { ifSeq: op.ifSeq }) });
      coreOps.push(this.nonceOp(client, nonce));
      if (op.kind === 'del' && op.idem !== undefined)
        coreOps.push({ op: 'put', coll: idemColl, id: op.idem, doc: { coll: op.coll, id: op.id }, ns: Namespace.system, attached: true, ifSeq: -1 });
    }
    return { coreOps, coreIndexOf, v1IndexOf, storedOf, skipped };
  }

  private async batchResults(ops: V1BatchOp[], plan: Awaited<ReturnType<V1Database['planBatch']>>, seqs: number[]): Promise<V1BatchResult[]> {
    const results: V1BatchResult[] = [];
    for (const [index, op] of ops.entries()) {
      if (op.kind === 'unknown') {
        results.push({ op: op.name, error: 'unknown op' });
        continue;
      }
      const coreIndex = plan.coreIndexOf.get(index);
      const seq = coreIndex === undefined ? this.db.seq : seqs[coreIndex]!;
      if (op.kind === 'link') results.push({ op: 'link', seq });
      else if (op.kind === 'del') results.push({ op: 'del', id: op.sentId, seq });
      else if (coreIndex === undefined) results.push({ op: 'put', id: op.sentId, seq, doc: await this.currentDoc(op.coll, op.id) });
      else results.push({ op: 'put', id: op.sentId, seq, doc: { ...plan.storedOf.get(index)!, _seq: seq } });
    }
    return results;
  }

  /** v1 checkpoint: an op (client `__snapshot__`, nonce = epoch ms), then the snapshot. */
  async checkpoint(): Promise<{ seq: number; head: string }> {
    const nowMs = this.clock.nowMs();
    await this.db.mark({ op: 'checkpoint', client: '__snapshot__', nonce: nowMs, ts: nowMs, payload: { note: 'snapshot captured' } });
    await this.db.checkpoint();
    return this.position();
  }

  /** Deletes every live document whose `_expires_at` has passed: one delete op each (client `__ttl__`). */
  async sweep(): Promise<{ swept: number; seq: number }> {
    const nowS = this.clock.nowMs() / 1000;
    const due: { coll: string; id: string }[] = [];
    for await (const page of this.db.scan(ttlColl, { ns: Namespace.system }))
      for (const row of page) if (typeof row.doc.at === 'number' && row.doc.at < nowS) due.push({ coll: String(row.doc.coll), id: String(row.doc.id) });
    const ops: BatchOp[] = [];
    for (const { coll, id } of due) {
      const current = await this.db.get(coll, id);
      const expiresAt = current?.doc._expires_at;
      if (typeof expiresAt !== 'number' || !(nowS > expiresAt)) continue;
      ops.push({ op: 'delete', coll, id, meta: { op: 'delete', client: '__ttl__', ts: this.clock.nowMs() } });
      ops.push({ op: 'delete', coll: ttlColl, id: ttlId(coll, id), ns: Namespace.system, attached: true });
    }
    // Each expired document is a delete op plus its attached TTL-entry delete: commit in bounded batches.
    for (let start = 0; start < ops.length; start += batchOpsMax) await this.db.batch(ops.slice(start, start + batchOpsMax));
    return { swept: ops.length / 2, seq: this.db.seq };
  }

  /** Deletes every live document of a collection: one delete op each, committed in bounded batches. */
  async dropCollection(coll: string): Promise<number> {
    const ids: string[] = [];
    for await (const page of this.db.scan(coll)) for (const row of page) ids.push(row.id);
    for (let start = 0; start < ids.length; start += batchOpsMax / 2) {
      const ops: BatchOp[] = [];
      for (const id of ids.slice(start, start + batchOpsMax / 2)) {
        const nonce = this.takeNonce('local', undefined);
        ops.push({ op: 'delete', coll, id, meta: this.meta('delete', 'local', nonce, {}) }, this.nonceOp('local', nonce));
      }
      await this.db.batch(ops);
    }
    return ids.length;
  }

  async summary(): Promise<V1Summary> {
    const counts = await this.db.collections();
    let rows = 0;
    const collections: Record<string, number> = {};
    for (const [coll, count] of counts) {
      if (count === 0) continue;
      collections[coll] = count;
      rows += count;
    }
    return { name: this.name, ...this.position(), rows, collections };
  }

  /**
   * v1's database view of the explicit definitions: `[coll, field, kind]`, a compound index with its fields
   * joined by "," (lazy ones, which the planner made, are not listed).
   */
  indexes(): IndexDefinition[] {
    return parseIndexDefinitions(this.db.indexDefinitions)
      .filter((spec) => !spec.lazy)
      .map((spec) => [spec.coll, indexName(spec.fields), spec.writtenKind]);
  }

  /** The explicit definitions with their fields (a compound index's name alone cannot tell "a,b" from [a, b]). */
  indexSpecs(): IndexSpec[] {
    return parseIndexDefinitions(this.db.indexDefinitions).filter((spec) => !spec.lazy);
  }

  /**
   * Removes every definition on exactly these fields (a compound [a, b] and a one-field index on a field named
   * "a,b" stay apart), whatever its kind, lazy ones included, and so its in-memory index. True when one was.
   */
  async dropIndex(coll: string, fields: string | readonly string[]): Promise<boolean> {
    const wanted = typeof fields === 'string' ? [fields] : fields;
    let dropped = false;
    await this.db.updateIndexDefinitions((current) => {
      const kept = current.filter((item) => {
        const spec = parseIndexDefinition(item);
        return spec === undefined || spec.coll !== coll || !sameFields(spec.fields, wanted);
      });
      dropped = kept.length !== current.length;
      return kept;
    });
    return dropped;
  }

  /** Indexes the planner created on its own (lazy): not part of v1's database view. */
  lazyIndexes(): IndexSpec[] {
    return parseIndexDefinitions(this.db.indexDefinitions).filter((spec) => spec.lazy);
  }

  /** Idempotent; not an op (v1). `field` may be a list: a compound index (nedb). */
  async addIndex(coll: string, field: string | readonly string[], kind: string): Promise<void> {
    if (!indexKinds.has(kind)) throw new NedbError('INDEX_KIND_UNKNOWN', { kind });
    const fields = typeof field === 'string' ? [field] : [...field];
    if (fields.length === 0 || fields.length > indexFieldsMax || fields.some((name) => name === ''))
      throw new NedbError('INDEX_FIELDS_INVALID', { max: indexFieldsMax });
    if (kind === 'search' && fields.length > 1) throw new NedbError('INDEX_FIELDS_INVALID', { max: 1 });
    const same = (spec: IndexSpec): boolean => !spec.lazy && spec.coll === coll && spec.writtenKind === kind && sameFields(spec.fields, fields);
    if (this.indexSpecs().some(same)) return;
    await this.db.updateIndexDefinitions((current) => {
      const specs = parseIndexDefinitions(current);
      if (specs.some(same)) return [...current];
      // An explicit definition replaces a lazy one on the same fields: it is the user's now.
      const kept = current.filter((item) => {
        const spec = parseIndexDefinition(item);
        return !(spec?.lazy === true && spec.coll === coll && kind !== 'search' && sameFields(spec.fields, fields));
      });
      const sortKey = (item: unknown): string => (Array.isArray(item) ? item.slice(0, 3).join('\u0000') : '');
      return [...kept, definitionItem(coll, fields, kind)].sort((a, b) => compareCodePoints(sortKey(a), sortKey(b)));
    });
  }

}
