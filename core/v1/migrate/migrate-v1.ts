// Migrates one NEDB v1 database (UPSTREAM.md §8) into a new nedb database, keeping v1's seq numbers: nedb seqs
// are gap-free from 0 like v1's, and every v1 op becomes exactly one non-attached nedb op, so replaying the log
// in order gives each op the seq it had. State v1 derives from ops (nonce high-water marks, idempotency keys,
// TTL entries) is written as attached ops, the way V1Database writes it. The mapping:
//
//   put            → put coll/id with payload.doc (the stored doc: `_id` and mirrors; nedb adds `_seq` on read)
//   delete         → delete coll/id (also of a missing document: it takes its seq in v1 too)
//   link           → put of the edge (system collection edgeColl(frm, rel), id = to); a mark when already live
//   unlink         → delete of the edge; a mark when not live
//   anything else  → a mark op (checkpoint, put_file, …) carrying the op name and payload
//
// log.aof is the source of truth: v1 keeps the whole log and replays it on open. snapshot.json is read only
// where log.aof lacks ops (a log that starts after seq 0, or ends before the snapshot's seq): those seqs are
// filled from the snapshot's HEAD values at the seq each was written, which is exactly what v1 itself answers
// for them after a restart; seqs the snapshot has no value for become mark ops.
import type { DataDirectory } from '../../data-directory.js';
import type { BatchOp, Database, JsonDocument, OpMeta } from '../../database.js';
import { batchOpsMax } from '../../limits.js';
import { Namespace } from '../../keys.js';
import { type Clock, systemClock } from '../../platform/clock.js';
import type { FileSystem } from '../../platform/file-system.js';
import { nodeFileSystem } from '../../platform/node-file-system.js';
import { edgeColl, idemColl, noncesColl, parseEdgeColl, ttlColl, ttlId } from '../system-collections.js';
import { type IndexDefinition, V1Database, indexKinds } from '../v1-database.js';
import { type MasterKey, openEnvelopePrefix } from './v1-crypto.js';
import { V1MigrationError, type V1Location } from './v1-errors.js';
import type { V1Record } from './v1-format.js';
import { type AofSummary, type V1DatabaseFiles, type V1Snapshot, readAof, readDataKey, readMetaIndexes, readSnapshot, v1SnapshotBytesMax } from './v1-reader.js';

/** v1 ops per nedb batch: big enough to amortise a commit, small enough to stay far below the record bound. */
export const migrateBatchV1OpsMax = 1000;
/** A batch is committed early once its log lines reach this many bytes. */
export const migrateBatchBytesMax = 8 << 20;
/** Client name of ops filled in from snapshot.json (their own client, nonce and ts are not in a snapshot). */
export const snapshotFillClient = '__v1_snapshot__';

export interface MigrateV1Progress {
  bytesDone: number;
  bytesTotal: number;
  ops: number;
}

export interface MigrateV1Options {
  data: DataDirectory;
  source: V1DatabaseFiles;
  /** The nedb database to create (default: the v1 name). It must not exist. */
  target?: string;
  tmk: MasterKey | undefined;
  /** Recompute v1's hash chain while reading (default true). */
  verifyHashes?: boolean;
  /** Checkpoint after this many v1 ops, bounding memory (0: only at the end). */
  checkpointEveryOps?: number;
  fs?: FileSystem;
  clock?: Clock;
  signal?: AbortSignal;
  onProgress?: (progress: MigrateV1Progress) => void;
  onWarning?: (message: string) => void;
}

export interface CollectionCount {
  coll: string;
  /** Live documents the v1 replay computed. */
  expected: number;
  /** Live documents nedb holds after the migration. */
  actual: number;
}

export interface MigrateV1Report {
  source: string;
  target: string;
  encrypted: boolean;
  /** v1 ops written (= last seq + 1). */
  ops: number;
  lastSeq: number;
  logLines: number;
  logBytes: number;
  /** Seqs filled in from snapshot.json because log.aof lacks them. */
  filledFromSnapshot: number;
  indexes: IndexDefinition[];
  collections: CollectionCount[];
  documents: number;
  edges: { expected: number; actual: number };
  countsMatch: boolean;
  /** True when the target was dropped (a count mismatch). */
  dropped: boolean;
  seconds: number;
}

function metaOf(record: V1Record, payload: boolean): OpMeta {
  // Built field by field (not through `defined`): this runs once per op of logs with millions of ops.
  const meta: OpMeta = { op: record.op, client: record.client, ts: record.ts * 1000 };
  if (record.nonce !== null) meta.nonce = record.nonce;
  if (record.idem !== null) meta.idem = record.idem;
  if (record.caused_by !== undefined && Array.isArray(record.caused_by) && record.caused_by.every((item) => typeof item === 'number')) meta.causedBy = record.caused_by as number[];
  if (typeof record.evidence === 'string') meta.evidence = record.evidence;
  if (typeof record.confidence === 'number') meta.confidence = record.confidence;
  if (typeof record.valid_from === 'string') meta.validFrom = record.valid_from;
  if (typeof record.valid_to === 'string') meta.validTo = record.valid_to;
  if (payload) meta.payload = record.payload;
  return meta;
}

/** The v1 state a replay keeps to translate ops and to check the result. */
class ReplayState {
  readonly live = new Map<string, Set<string>>();
  readonly edges = new Map<string, Set<string>>();
  readonly ttl = new Set<string>();
  readonly nonces = new Map<string, number>();

  liveSet(map: Map<string, Set<string>>, coll: string): Set<string> {
    let set = map.get(coll);
    if (set === undefined) map.set(coll, (set = new Set()));
    return set;
  }
}

function keyParts(payload: Record<string, unknown>, location: V1Location, op: string): { coll: string; id: string } {
  let coll = payload.coll;
  let id = payload.id;
  if ((typeof coll !== 'string' || typeof id !== 'string') && typeof payload.key === 'string') {
    const cut = payload.key.indexOf(':');
    if (cut > 0) {
      coll = payload.key.slice(0, cut);
      id = payload.key.slice(cut + 1);
    }
  }
  if (typeof id === 'number') id = String(id);
  if (typeof coll !== 'string' || typeof id !== 'string' || coll === '' || id === '')
    throw new V1MigrationError(`${op} op without a collection and id in its payload`, location);
  return { coll, id };
}

function edgeParts(payload: Record<string, unknown>, location: V1Location, op: string): { frm: string; rel: string; to: string } {
  const { frm, rel, to } = payload;
  if (typeof frm !== 'string' || typeof rel !== 'string' || typeof to !== 'string' || frm === '' || rel === '' || to === '')
    throw new V1MigrationError(`${op} op without frm, rel and to strings in its payload`, location);
  return { frm, rel, to };
}

/** The nedb ops for one v1 op: exactly one non-attached op first, then attached derived state. */
function translate(record: V1Record, state: ReplayState, location: V1Location): BatchOp[] {
  const ops: BatchOp[] = [];
  switch (record.op) {
    case 'put': {
      const { coll, id } = keyParts(record.payload, location, 'put');
      const given = record.payload.doc;
      if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new V1MigrationError('put op whose payload.doc is not an object', location);
      const doc: JsonDocument = { ...(given as JsonDocument) };
      delete doc._seq;
      ops.push({ op: 'put', coll, id, doc, meta: metaOf(record, false) });
      state.liveSet(state.live, coll).add(id);
      if (typeof doc._expires_at === 'number') {
        ops.push({ op: 'put', coll: ttlColl, id: ttlId(coll, id), doc: { coll, id, at: doc._expires_at }, ns: Namespace.system, attached: true });
        state.ttl.add(ttlId(coll, id));
      }
      break;
    }
    case 'delete':
    case 'del': {
      const { coll, id } = keyParts(record.payload, location, 'delete');
      ops.push({ op: 'delete', coll, id, meta: { ...metaOf(record, false), op: 'delete' } });
      state.live.get(coll)?.delete(id);
      if (state.ttl.delete(ttlId(coll, id))) ops.push({ op: 'delete', coll: ttlColl, id: ttlId(coll, id), ns: Namespace.system, attached: true });
      break;
    }
    case 'link': {
      const { frm, rel, to } = edgeParts(record.payload, location, 'link');
      const coll = edgeColl(frm, rel);
      const edges = state.liveSet(state.edges, coll);
      const meta = { ...metaOf(record, false), payload: { frm, rel, to } };
      ops.push(edges.has(to) ? { op: 'mark', meta } : { op: 'put', coll, id: to, doc: {}, ns: Namespace.system, meta });
      edges.add(to);
      break;
    }
    case 'unlink': {
      const { frm, rel, to } = edgeParts(record.payload, location, 'unlink');
      const coll = edgeColl(frm, rel);
      const meta = { ...metaOf(record, false), payload: { frm, rel, to } };
      const edges = state.edges.get(coll);
      ops.push(edges?.has(to) === true ? { op: 'delete', coll, id: to, ns: Namespace.system, meta } : { op: 'mark', meta });
      edges?.delete(to);
      break;
    }
    default:
      ops.push({ op: 'mark', meta: metaOf(record, true) });
  }
  // v1 keeps a nonce high-water mark per client (checkpoints use epoch ms as a nonce and are not a client's).
  if (record.nonce !== null && record.op !== 'checkpoint' && record.client !== snapshotFillClient && record.nonce > (state.nonces.get(record.client) ?? -Infinity)) {
    state.nonces.set(record.client, record.nonce);
    ops.push({ op: 'put', coll: noncesColl, id: record.client, doc: { high: record.nonce }, ns: Namespace.system, attached: true });
  }
  if (record.idem !== null && record.op !== 'link' && record.op !== 'unlink') {
    const target = record.op === 'put' || record.op === 'delete' || record.op === 'del' ? keyParts(record.payload, location, record.op) : {};
    ops.push({ op: 'put', coll: idemColl, id: record.idem, doc: target, ns: Namespace.system, attached: true });
  }
  return ops;
}

/** Records for the seqs in [from, to] taken from the snapshot: each key and edge change at its own seq. */
function snapshotFill(snapshot: V1Snapshot, from: number, to: number, path: string): V1Record[] {
  const bySeq = new Map<number, V1Record>();
  const claim = (seq: unknown, record: Omit<V1Record, 'seq' | 'client' | 'nonce' | 'ts' | 'idem'>) => {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < from || seq > to) return;
    if (bySeq.has(seq)) throw new V1MigrationError(`${path}: two entries claim seq ${seq}; the snapshot is inconsistent`);
    bySeq.set(seq, { seq, client: snapshotFillClient, nonce: null, ts: 0, idem: null, ...record });
  };
  for (const [key, entry] of Object.entries(snapshot.store)) {
    const cut = key.indexOf(':');
    if (cut <= 0) throw new V1MigrationError(`${path}: store key '${key}' is not coll:id`);
    const coll = key.slice(0, cut);
    const id = key.slice(cut + 1);
    if (entry.deleted === true || typeof entry.v !== 'object' || entry.v === null) claim(entry.seq, { op: 'delete', payload: { key, coll, id } });
    else claim(entry.seq, { op: 'put', payload: { key, coll, id, doc: entry.v } });
  }
  for (const [pair, list] of Object.entries(snapshot.relations)) {
    const cut = pair.indexOf('|');
    if (cut <= 0 || !Array.isArray(list)) throw new V1MigrationError(`${path}: relation '${pair}' is not frm|rel`);
    const frm = pair.slice(0, cut);
    const rel = pair.slice(cut + 1);
    for (const edge of list) {
      if (typeof edge.to !== 'string') continue;
      claim(edge.added, { op: 'link', payload: { frm, rel, to: edge.to } });
      if (edge.removed !== null && edge.removed !== undefined) claim(edge.removed, { op: 'unlink', payload: { frm, rel, to: edge.to } });
    }
  }
  const records: V1Record[] = [];
  for (let seq = from; seq <= to; seq++)
    records.push(bySeq.get(seq) ?? { seq, client: snapshotFillClient, nonce: null, ts: 0, idem: null, op: 'v1_snapshot_gap', payload: { note: 'op not in log.aof; state from snapshot.json' } });
  return records;
}

/** Commits translated ops in batches of whole v1 ops, checking that each took the seq it had in v1. */
class BatchWriter {
  private ops: BatchOp[] = [];
  private firstSeqs: { seq: number; location: V1Location }[] = [];
  private bytes = 0;
  written = 0;
  private sinceCheckpoint = 0;

  constructor(
    private readonly db: Database,
    private readonly checkpointEveryOps: number,
  ) {}

  async add(seq: number, ops: BatchOp[], location: V1Location, lineBytes: number): Promise<void> {
    if (this.ops.length + ops.length > batchOpsMax || this.firstSeqs.length >= migrateBatchV1OpsMax || this.bytes + lineBytes > migrateBatchBytesMax) await this.commit();
    this.firstSeqs.push({ seq, location });
    for (const op of ops) this.ops.push(op);
    this.bytes += lineBytes;
  }

  async commit(): Promise<void> {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    const expected = this.firstSeqs;
    this.ops = [];
    this.firstSeqs = [];
    this.bytes = 0;
    let result;
    try {
      result = await this.db.batch(ops, { durability: 'async' });
    } catch (error) {
      const first = expected[0]!.location;
      throw new V1MigrationError(`cannot write the ops of lines ${first.line}..${expected[expected.length - 1]!.location.line}: ${(error as Error).message}`, first);
    }
    if (result.firstSeq !== expected[0]!.seq || result.lastSeq !== expected[expected.length - 1]!.seq)
      throw new V1MigrationError(`nedb gave seqs ${result.firstSeq}..${result.lastSeq} to v1 ops ${expected[0]!.seq}..${expected[expected.length - 1]!.seq}`, expected[0]!.location);
    this.written += expected.length;
    this.sinceCheckpoint += expected.length;
    if (this.checkpointEveryOps > 0 && this.sinceCheckpoint >= this.checkpointEveryOps) {
      this.sinceCheckpoint = 0;
      await this.db.checkpoint();
    }
  }
}

/**
 * Creates `target` and replays the v1 database into it. On any failure the partial target is dropped and the
 * error rethrown; a count mismatch at the end also drops it (the report says so).
 */
export async function migrateV1Database(options: MigrateV1Options): Promise<MigrateV1Report> {
  const fs = options.fs ?? nodeFileSystem;
  const clock = options.clock ?? systemClock;
  const source = options.source;
  const target = options.target ?? source.name;
  const startedMs = clock.nowMs();
  const warn = options.onWarning ?? (() => undefined);
  // Everything that can fail before writing is checked before the target exists.
  const dek = await readDataKey(fs, source, options.tmk);
  let indexConfig = source.meta === undefined ? undefined : await readMetaIndexes(fs, source.meta);
  if (await options.data.exists(target))
    throw new V1MigrationError(`database ${target} already exists in ${options.data.path}; drop it first, or choose the databases to migrate with --db`);
  const db = await options.data.create(target);
  try {
    const report = await replay(db, options, fs, dek, (config) => (indexConfig ??= config), warn);
    const v1 = await V1Database.open(db, clock);
    for (const [coll, field, kind] of indexConfig ?? []) {
      if (indexKinds.has(kind)) await v1.addIndex(coll, field, kind);
      else warn(`${source.name}: index [${coll}, ${field}, ${kind}] has an unknown kind and is not migrated (v1 could not open a database with it)`);
    }
    await db.flush();
    await db.checkpoint();
    report.indexes = v1.indexes();
    report.seconds = (clock.nowMs() - startedMs) / 1000;
    if (!report.countsMatch) {
      await options.data.drop(target);
      report.dropped = true;
    }
    return report;
  } catch (error) {
    await options.data.drop(target).catch(() => undefined);
    throw error;
  }
}

async function replay(
  db: Database,
  options: MigrateV1Options,
  fs: FileSystem,
  dek: Buffer | undefined,
  snapshotIndexes: (config: V1Snapshot['indexConfig']) => void,
  warn: (message: string) => void,
): Promise<MigrateV1Report> {
  const source = options.source;
  const state = new ReplayState();
  const writer = new BatchWriter(db, options.checkpointEveryOps ?? 0);
  const summary: AofSummary = { firstSeq: -1, lastSeq: -1, lines: 0, bytes: 0 };
  let snapshot: V1Snapshot | undefined;
  let filled = 0;
  const loadSnapshot = async (why: string): Promise<V1Snapshot> => {
    if (snapshot !== undefined) return snapshot;
    if (source.snapshot === undefined) throw new V1MigrationError(`${source.aof ?? source.dir}: ${why}, and there is no snapshot.json to take them from`);
    snapshot = await readSnapshot(fs, source.snapshot, dek);
    snapshotIndexes(snapshot.indexConfig);
    return snapshot;
  };
  const fill = async (from: number, to: number) => {
    const snap = await loadSnapshot(`log.aof lacks ops ${from}..${to}`);
    const location: V1Location = { file: source.snapshot!, offset: 0, line: 1 };
    for (const record of snapshotFill(snap, from, to, source.snapshot!)) await writer.add(record.seq, translate(record, state, location), location, 256);
    filled += to - from + 1;
    warn(`${source.name}: seqs ${from}..${to} are not in log.aof; filled from snapshot.json (each key's value at the seq it was written; other seqs as placeholder ops)`);
  };
  let bytesDone = 0;
  let nextSeq = 0;
  if (source.aof !== undefined) {
    for await (const entries of readAof(fs, source.aof, dek, { verifyHashes: options.verifyHashes ?? true }, summary)) {
      if (options.signal?.aborted === true) throw new V1MigrationError('interrupted');
      for (const entry of entries) {
        if (entry.record.seq !== nextSeq) {
          const snap = await loadSnapshot(`log.aof starts at seq ${entry.record.seq}, so ops 0..${entry.record.seq - 1} are missing`);
          if (snap.seq < entry.record.seq - 1)
            throw new V1MigrationError(`log.aof starts at seq ${entry.record.seq} but snapshot.json ends at seq ${snap.seq}: ops ${snap.seq + 1}..${entry.record.seq - 1} are in neither`, entry.location);
          await fill(nextSeq, entry.record.seq - 1);
          nextSeq = entry.record.seq;
        }
        await writer.add(entry.record.seq, translate(entry.record, state, entry.location), entry.location, entry.lineBytes);
        nextSeq++;
        bytesDone += entry.lineBytes;
      }
      options.onProgress?.({ bytesDone, bytesTotal: summary.bytes, ops: writer.written });
    }
  }
  if (source.snapshot !== undefined) {
    const snap = await loadSnapshotIfBehind(fs, source.snapshot, dek, summary.lastSeq, () => loadSnapshot('snapshot.json is ahead of log.aof'), warn);
    if (snap !== undefined && snap.seq >= nextSeq) await fill(nextSeq, snap.seq);
  }
  await writer.commit();
  options.onProgress?.({ bytesDone: summary.bytes, bytesTotal: summary.bytes, ops: writer.written });
  const lastSeq = nextSeq - 1;
  if (db.seq !== lastSeq) throw new V1MigrationError(`nedb is at seq ${db.seq} after the replay, v1 at ${lastSeq}`);
  return { ...(await compareCounts(db, state)), source: source.name, target: db.name, encrypted: dek !== undefined, ops: nextSeq, lastSeq, logLines: summary.lines, logBytes: summary.bytes, filledFromSnapshot: filled, indexes: [], dropped: false, seconds: 0 };
}

/**
 * The snapshot matters at the end only when it is ahead of the log. Its `seq` is read from the file's start
 * when v1 wrote it there (`{"version": 1, "seq": …}`, decrypting just that prefix of a keyed snapshot);
 * otherwise the whole snapshot is parsed, unless it is too large to (then the log is taken as complete).
 */
async function loadSnapshotIfBehind(
  fs: FileSystem,
  path: string,
  dek: Buffer | undefined,
  logLastSeq: number,
  load: () => Promise<V1Snapshot>,
  warn: (message: string) => void,
): Promise<V1Snapshot | undefined> {
  const file = await fs.open(path, 'read');
  const head = Buffer.alloc(8192);
  let read: number;
  let size: number;
  try {
    size = await file.size();
    read = await file.read(head, 0, head.length, 0);
  } finally {
    await file.close();
  }
  let text = head.toString('utf8', 0, read);
  if (dek !== undefined) {
    const ct = /^\s*\{\s*"enc"\s*:\s*1\s*,\s*"ct"\s*:\s*"([A-Za-z0-9+/]*)/.exec(text);
    text = ct === null ? '' : openEnvelopePrefix(dek, ct[1]!).toString('utf8');
  }
  const match = /^\s*\{\s*"version"\s*:\s*\d+\s*,\s*"seq"\s*:\s*(-?\d+)\s*[,}]/.exec(text);
  if (match !== null) return Number(match[1]) > logLastSeq ? load() : undefined;
  if (size > v1SnapshotBytesMax) {
    warn(`${path}: cannot tell the snapshot's seq without parsing ${size} bytes; log.aof is taken as complete`);
    return undefined;
  }
  const snapshot = await load();
  return snapshot.seq > logLastSeq ? snapshot : undefined;
}

async function compareCounts(db: Database, state: ReplayState): Promise<Pick<MigrateV1Report, 'collections' | 'documents' | 'edges' | 'countsMatch'>> {
  const actual = await db.collections();
  const names = new Set([...actual.keys(), ...state.live.keys()]);
  const collections: CollectionCount[] = [];
  for (const coll of [...names].sort()) {
    const count = { coll, expected: state.live.get(coll)?.size ?? 0, actual: actual.get(coll) ?? 0 };
    if (count.expected > 0 || count.actual > 0) collections.push(count);
  }
  let edgesActual = 0;
  for (const [coll, live] of await db.collections(Namespace.system)) if (parseEdgeColl(coll) !== undefined) edgesActual += live;
  let edgesExpected = 0;
  for (const set of state.edges.values()) edgesExpected += set.size;
  return {
    collections,
    documents: collections.reduce((sum, count) => sum + count.actual, 0),
    edges: { expected: edgesExpected, actual: edgesActual },
    countsMatch: edgesExpected === edgesActual && collections.every((count) => count.expected === count.actual),
  };
}
