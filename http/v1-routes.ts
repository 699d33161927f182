// The NEDB v1 routes under /v1/databases (UPSTREAM.md §3). Routing works on the raw path segments as v1 does:
// segments are not percent-decoded (`a%20b` is the literal id), empty segments are dropped, the database is
// looked up before the action (so an unknown action on a missing database is a 404 for the database), and an
// unmatched route or method is 404 `no such route`, never 405.
import { NedbError, checkDbName, pythonStr, type Database, type JsonDocument, type V1BatchOp, type V1Database } from '../core/index.js';
import { type QueryStream, explainQuery, runQuery, streamQuery } from '../nql/index.js';
import type { ServerContext } from './context.js';
import { parseBody } from './body.js';
import { DatabaseQuerySource } from './query-source.js';
import {
  batchBody,
  causedByOf,
  createBody,
  indexBody,
  linkBody,
  neighborsBody,
  proofBody,
  putBody,
  pythonInt,
  queryBody,
  requiredField,
} from './schemas.js';
import { writeEventsResponse } from './observability/events.js';
import { backupRoute } from './backup-route.js';

export interface RouteReply {
  status: number;
  body?: unknown;
  /** A streaming reply (SSE) instead of JSON. */
  response?: Response;
  retryAfterSeconds?: number;
}

export interface V1Request {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  raw: Request;
}

/** The route pattern for metrics labels (bounded: never the raw path). */
const topLevelRoutes = new Set(['', 'health', 'ready', 'metrics', 'events']);
/** Metric labels stay bounded: only these action names become labels. */
const knownActions = new Set(['query', 'put', 'batch', 'index', 'link', 'neighbors', 'verify', 'log', 'checkpoint', 'sweep', 'proof', 'mongo', 'files', 'events', 'backup', 'indexes']);

export function routeLabel(segments: string[], method: string): string {
  if (method === 'OPTIONS') return 'OPTIONS';
  if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') return 'unsupported method';
  if (segments[0] !== 'v1' || segments[1] !== 'databases') {
    const path = segments.join('/');
    return segments.length <= 1 && topLevelRoutes.has(path) ? `${method} /${path}` : 'unmatched';
  }
  const action = segments[3];
  if (segments.length === 2) return `${method} /v1/databases`;
  if (segments.length === 3) return `${method} /v1/databases/{db}`;
  if (action === 'rows') return `${method} /v1/databases/{db}/rows/{coll}/{id}`;
  if (action === 'collections') return `${method} /v1/databases/{db}/collections`;
  return knownActions.has(action ?? '') ? `${method} /v1/databases/{db}/${action}` : 'unmatched';
}

const notFoundRoute = (): never => {
  throw new NedbError('ROUTE_NOT_FOUND');
};

export async function handleV1(request: V1Request, ctx: ServerContext): Promise<RouteReply> {
  const { method, segments } = request;
  if (segments[1] !== 'databases') return notFoundRoute();
  if (segments.length === 2) {
    if (method === 'GET') return listDatabases(ctx);
    if (method === 'POST') return createDatabase(request.body, ctx);
    return notFoundRoute();
  }
  const name = segments[2]!;
  checkDbName(name);
  const database = ctx.databases().get(name);
  if (database === undefined) {
    const reason = ctx.failures().get(name);
    if (reason !== undefined) throw new NedbError('INTERNAL', { reason: `database ${name} failed to open: ${reason}` });
    throw new NedbError('DB_NOT_FOUND', { name });
  }
  if (segments.length === 3) {
    if (method === 'GET') return { status: 200, body: await detail(await ctx.v1(name)) };
    if (method === 'DELETE') return dropDatabase(name, ctx);
    return notFoundRoute();
  }
  return handleAction(request, database, ctx);
}

async function handleAction(request: V1Request, database: Database, ctx: ServerContext): Promise<RouteReply> {
  const { method, segments, body } = request;
  const action = segments[3]!;
  const key = `${method} ${action}`;
  if (key === 'POST query') return query(body, database, ctx);
  if (key === 'GET events' && segments.length === 4) return { status: 200, response: writeEventsResponse(ctx, database, request.raw) };
  if (key === 'POST mongo')
    throw new NedbError('FEATURE_NOT_IMPLEMENTED', { feature: 'the MongoDB adapter (/mongo)', hint: 'use /put, /batch and /query' });
  if (action === 'files' && (method === 'POST' || method === 'GET'))
    throw new NedbError('FEATURE_NOT_IMPLEMENTED', { feature: 'versioned files (/files)', hint: 'store file bytes in documents for now' });
  if (action === 'rows') return rows(request, ctx);
  if (action === 'collections') return collections(request, ctx);
  const v1 = await ctx.v1(database.name);
  switch (key) {
    case 'POST put':
      return { status: 200, body: { ok: true, ...(await put(v1, body)) } };
    case 'POST batch':
      return batch(v1, body);
    case 'POST index':
      return index(v1, body);
    case 'GET indexes':
      if (segments.length !== 4) return notFoundRoute();
      return { status: 200, body: { indexes: listIndexes(v1) } };
    case 'DELETE indexes':
      if (segments.length !== 6) return notFoundRoute();
      return { status: 200, body: { ok: true, dropped: await v1.dropIndex(segments[4]!, indexFieldsOf(segments[5]!)) } };
    case 'POST link':
      return link(v1, body);
    case 'POST neighbors':
      return neighbors(v1, body);
    case 'GET verify':
      return { status: 200, body: await v1.log.verify() };
    case 'GET log':
      return { status: 200, body: await v1.log.log(logLimit(request.query.get('limit'))) };
    case 'POST backup':
      return backupRoute(body, database);
    case 'POST checkpoint':
      return { status: 200, body: { ok: true, ...(await v1.checkpoint()) } };
    case 'POST sweep':
      return { status: 200, body: { ok: true, ...(await v1.sweep()) } };
    case 'POST proof': {
      const { hash } = parseBody(proofBody, body);
      if (typeof hash !== 'string') throw new NedbError('HASH_REQUIRED');
      return { status: 200, body: await v1.log.proof(hash) };
    }
    default:
      return notFoundRoute();
  }
}

async function listDatabases(ctx: ServerContext): Promise<RouteReply> {
  const summaries = [];
  for (const name of ctx.databases().keys()) summaries.push(await (await ctx.v1(name)).summary());
  return { status: 200, body: { databases: summaries } };
}

async function detail(v1: V1Database) {
  return {
    ...(await v1.summary()),
    indexes: v1.indexes(),
    relations: await v1.relations(),
    integrity: { ok: (await v1.log.verify()).ok },
    encrypted: false,
    has_snapshot: v1.db.hasSnapshot,
  };
}

async function createDatabase(rawBody: Record<string, unknown>, ctx: ServerContext): Promise<RouteReply> {
  const body = parseBody(createBody, rawBody);
  const name = body.name === undefined || body.name === null ? '' : pythonStr(body.name).trim();
  if (name === '') throw new NedbError('NAME_REQUIRED');
  checkDbName(name);
  const init = body.init;
  const indexes = (init?.indexes ?? []).map((entry) => [pythonStr(entry[0]), pythonStr(entry[1]), entry[2] === undefined ? 'eq' : pythonStr(entry[2])] as const);
  for (const [, , kind] of indexes) if (!['eq', 'ordered', 'search', 'sorted'].includes(kind)) throw new NedbError('INDEX_KIND_UNKNOWN', { kind });
  const database = await ctx.data.create(name, {
    ...(body.partitions === undefined ? {} : { partitions: body.partitions }),
    ...(body.durability === undefined ? {} : { durability: body.durability }),
    ...(body.lazy_indexes === undefined ? {} : { lazyIndexes: body.lazy_indexes }),
  });
  ctx.adopt(database);
  const v1 = await ctx.v1(name);
  for (const [coll, field, kind] of indexes) await v1.addIndex(coll, field, kind);
  for (const [coll, docs] of Object.entries(init?.seed ?? {}))
    for (const [i, doc] of docs.entries()) {
      const id = pythonStr(doc._id || doc.id || `${coll}-${i + 1}`);
      await v1.put({ coll, id, doc });
    }
  for (const [frm, rel, to] of init?.links ?? []) await v1.link(pythonStr(frm), pythonStr(rel), pythonStr(to));
  return { status: 201, body: { database: await v1.summary() } };
}

async function dropDatabase(name: string, ctx: ServerContext): Promise<RouteReply> {
  ctx.forget(name);
  return { status: 200, body: { dropped: await ctx.data.drop(name) } };
}

async function query(rawBody: Record<string, unknown>, database: Database, ctx: ServerContext): Promise<RouteReply> {
  const body = parseBody(queryBody, rawBody);
  if (typeof body.nql !== 'string' || body.nql.trim() === '') throw new NedbError('NQL_REQUIRED');
  const state = database.state;
  if (state.state === 'loading')
    return {
      status: 200,
      body: { rows: [], count: 0, seq: -1, head: '0'.repeat(64), ready: false, progress: { phase: state.phase, percent: state.percent } },
      retryAfterSeconds: ctx.settings.retryAfterSeconds,
    };
  const v1 = await ctx.v1(database.name);
  const source = new DatabaseQuerySource(v1, ctx.settings.queryTimeoutMs, () => ctx.clock.monotonicMs());
  const position = { seq: source.seq, head: v1.db.chainHead };
  if (body.explain === true) {
    const plan = await explainQuery(body.nql, source);
    return { status: 200, body: { rows: plan.rows, count: plan.count, ...position } };
  }
  const stream = body.count === true ? undefined : streamQuery(body.nql, source);
  if (stream !== undefined) return streamedRows(stream, position);
  const result = await runQuery(body.nql, source);
  const cursor = result.cursor === undefined ? {} : { cursor: result.cursor };
  if (body.count === true) return { status: 200, body: { count: result.count, ...position } };
  return { status: 200, body: { rows: result.rows, count: result.count, ...position, ...cursor } };
}

/** Replies up to this many rows as one JSON body; a larger answer streams (see streamedRows). */
const rowsBeforeStreaming = 10_000;

/**
 * A row-wise answer: read up to `rowsBeforeStreaming` rows first, so small answers (and every error that
 * happens early) get a normal reply; past that, the body streams page by page as the scan reads, so
 * `FROM coll` works at any size without the server holding every row. An error after streaming began can
 * only cut the body short (the status is sent), which a client sees as invalid JSON.
 */
async function streamedRows(stream: QueryStream, position: { seq: number; head: string }): Promise<RouteReply> {
  const pages = stream.pages[Symbol.asyncIterator]();
  const buffered: unknown[] = [];
  for (;;) {
    if (buffered.length >= rowsBeforeStreaming) break;
    const next = await pages.next();
    if (next.done === true) {
      const { count, cursor } = stream.summary();
      return { status: 200, body: { rows: buffered, count, ...position, ...(cursor === undefined ? {} : { cursor }) } };
    }
    buffered.push(...next.value);
  }
  const encoder = new TextEncoder();
  let first = true;
  const rowsText = (rows: unknown[]) => {
    const text = rows.map((row) => JSON.stringify(row)).join(',');
    const joined = first || text === '' ? text : `,${text}`;
    if (text !== '') first = false;
    return joined;
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`{"rows":[${rowsText(buffered)}`));
    },
    async pull(controller) {
      try {
        const next = await pages.next();
        if (next.done !== true) {
          controller.enqueue(encoder.encode(rowsText(next.value)));
          return;
        }
        const { count, cursor } = stream.summary();
        const tail = { count, ...position, ...(cursor === undefined ? {} : { cursor }) };
        controller.enqueue(encoder.encode(`],${JSON.stringify(tail).slice(1)}`));
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await pages.return?.();
    },
  });
  return { status: 200, response: new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } }) };
}

async function put(v1: V1Database, rawBody: Record<string, unknown>) {
  const body = parseBody(putBody, rawBody, () => new NedbError('PUT_FIELDS_REQUIRED'));
  const doc = body.doc as JsonDocument;
  const causedBy = causedByOf(body.caused_by, doc);
  return v1.put({
    coll: pythonStr(body.coll),
    id: pythonStr(body.id),
    doc,
    ...defined({
      client: body.client,
      nonce: body.nonce,
      idem: body.idem,
      ttlS: body.ttl_s,
      causedBy,
      evidence: body.evidence,
      confidence: body.confidence,
      validFrom: body.valid_from,
      validTo: body.valid_to,
      durability: body.durability,
    }),
  });
}

function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Every op is checked before any is applied (v1 applied earlier ops before finding a bad one). */
function batchOp(raw: unknown): V1BatchOp {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new NedbError('BATCH_OP_INVALID', { detail: "'str' object has no attribute 'get'" });
  const op = raw as Record<string, unknown>;
  const name = (op.op === undefined || op.op === null ? 'put' : pythonStr(op.op)).toLowerCase();
  const ifSeq = op.if_seq === undefined || op.if_seq === null ? undefined : pythonInt(op.if_seq);
  const common = defined({
    ifSeq,
    idem: typeof op.idem === 'string' ? op.idem : undefined,
    client: typeof op.client === 'string' ? op.client : undefined,
  });
  if (name === 'put') {
    const coll = pythonStr(requiredField(op, 'coll'));
    const sentId = requiredField(op, 'id');
    const doc = op.doc === undefined || op.doc === null ? {} : op.doc;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new NedbError('BATCH_OP_INVALID', { detail: 'doc must be an object' });
    const causedBy = causedByOf(op.caused_by, doc as JsonDocument);
    const ttlS = typeof op.ttl_s === 'number' ? op.ttl_s : undefined;
    return { kind: 'put', coll, id: pythonStr(sentId), sentId, doc: doc as JsonDocument, ...common, ...defined({ causedBy, ttlS }) };
  }
  if (name === 'del' || name === 'delete') {
    const coll = pythonStr(requiredField(op, 'coll'));
    const sentId = requiredField(op, 'id');
    return { kind: 'del', coll, id: pythonStr(sentId), sentId, ...common };
  }
  if (name === 'link') {
    const [frm, rel, to] = ['frm', 'rel', 'to'].map((field) => pythonStr(requiredField(op, field))) as [string, string, string];
    return { kind: 'link', frm, rel, to, ...(common.client === undefined ? {} : { client: common.client }) };
  }
  return { kind: 'unknown', name };
}

async function batch(v1: V1Database, rawBody: Record<string, unknown>): Promise<RouteReply> {
  const body = parseBody(batchBody, rawBody);
  if (!Array.isArray(body.ops) || body.ops.length === 0) throw new NedbError('OPS_REQUIRED');
  const ops = body.ops.map(batchOp);
  const client = body.client === undefined || body.client === null || body.client === '' ? 'http' : pythonStr(body.client);
  const result = await v1.batch(ops, client);
  return { status: 200, body: { results: result.results, count: result.results.length, atomic: true, seq: result.seq, head: result.head } };
}

async function index(v1: V1Database, rawBody: Record<string, unknown>): Promise<RouteReply> {
  const body = parseBody(indexBody, rawBody);
  // nedb: `"fields": [...]` makes a compound index; v1's `"field"` stays one field (even with a comma in it).
  if (body.fields !== undefined && body.fields !== null) {
    if (!body.coll) throw new NedbError('INDEX_FIELDS_REQUIRED');
    if (!Array.isArray(body.fields) || !body.fields.every((field) => typeof field === 'string')) throw new NedbError('INDEX_FIELDS_INVALID', { max: 8 });
    const kind = body.kind === undefined || body.kind === null ? 'eq' : pythonStr(body.kind);
    await v1.addIndex(pythonStr(body.coll), body.fields as string[], kind);
    return { status: 200, body: { ok: true } };
  }
  if (!body.coll || !body.field) throw new NedbError('INDEX_FIELDS_REQUIRED');
  const kind = body.kind === undefined || body.kind === null ? 'eq' : pythonStr(body.kind);
  await v1.addIndex(pythonStr(body.coll), pythonStr(body.field), kind);
  return { status: 200, body: { ok: true } };
}

/**
 * Every index definition with its state: the in-memory structure it uses (`sorted`/`ordered` and `eq` on the
 * same fields share one tree; every `search` definition of a collection shares its inverted index), its build
 * progress, entries, bytes, and build time once ready.
 */
function listIndexes(v1: V1Database): unknown[] {
  const specs = [...v1.indexSpecs(), ...v1.lazyIndexes()];
  return specs.map((spec) => {
    const info = spec.kind === 'search' ? v1.db.searchIndexInfo(spec.coll) : v1.db.indexInfo(spec.coll, spec.fields);
    return {
      coll: spec.coll,
      fields: [...spec.fields],
      kind: spec.lazy ? 'sorted' : spec.writtenKind,
      state: info?.state ?? 'building',
      ...(info?.progress === undefined ? {} : { progress: info.progress }),
      entries: info?.entries ?? 0,
      bytes: info?.bytes ?? 0,
      ...(info?.buildMs === undefined ? {} : { build_ms: Math.round(info.buildMs) }),
      ...(spec.kind === 'search' ? {} : statisticsOf(v1, spec.coll, spec.fields)),
      loaded: info?.loaded ?? false,
      lazy: spec.lazy,
    };
  });
}

/**
 * The fields an index name in a DELETE path names: split at each ",", then each part percent-decoded, so a
 * field whose name holds a comma is written `a%2Cb` (the compound [a, b] is `a,b`). The collection segment
 * stays raw, as every v1 route reads its segments.
 */
function indexFieldsOf(segment: string): string[] {
  try {
    return segment.split(',').map((part) => decodeURIComponent(part));
  } catch {
    throw new NedbError('INDEX_FIELDS_INVALID', { max: 8 });
  }
}

/** A tree's statistics for the listing (what the planner reads, and whether v1 orders a field by its text). */
function statisticsOf(v1: V1Database, coll: string, fields: readonly string[]): { statistics?: Record<string, unknown> } {
  const found = v1.db.indexStatistics(coll, fields);
  if (found === undefined) return {};
  return {
    statistics: {
      documents: found.liveEntries, distinct: found.distinctEstimate, min: found.min ?? null, max: found.max ?? null,
      present: found.presentCounts, mixed_types: found.mixedTypes, cut_strings: found.truncatedValues,
    },
  };
}

async function link(v1: V1Database, rawBody: Record<string, unknown>): Promise<RouteReply> {
  const body = parseBody(linkBody, rawBody);
  if (!body.frm || !body.rel || !body.to) throw new NedbError('LINK_FIELDS_REQUIRED');
  const position = await v1.link(pythonStr(body.frm), pythonStr(body.rel), pythonStr(body.to), body.client ?? 'local');
  return { status: 200, body: { ok: true, ...position } };
}

async function neighbors(v1: V1Database, rawBody: Record<string, unknown>): Promise<RouteReply> {
  const body = parseBody(neighborsBody, rawBody);
  if (!body.node || !body.rel) throw new NedbError('NEIGHBORS_FIELDS_REQUIRED');
  const nodes = await v1.neighbors(pythonStr(body.node), pythonStr(body.rel));
  return { status: 200, body: { nodes, count: nodes.length } };
}

/** `?limit=` as v1 reads it: default 50, 0 = the whole log, a non-integer is an error. */
function logLimit(raw: string | null): number {
  if (raw === null) return 50;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new NedbError('LOG_LIMIT_INVALID', { value: raw });
  return Math.max(0, Number.parseInt(raw, 10));
}

/** v1 DELETE of a row (exactly 6 segments); nedb adds GET of a row (an extension). */
async function rows(request: V1Request, ctx: ServerContext): Promise<RouteReply> {
  const { method, segments } = request;
  if (segments.length !== 6) return notFoundRoute();
  const [, , name, , coll, id] = segments as [string, string, string, string, string, string];
  const v1 = await ctx.v1(name);
  if (method === 'DELETE') return { status: 200, body: { ok: true, ...(await v1.deleteRow(coll, id)) } };
  if (method === 'GET') {
    const doc = await v1.currentDoc(coll, id);
    if (doc === null) throw new NedbError('DOC_NOT_FOUND', { coll, id });
    return { status: 200, body: { doc, ...v1.position() } };
  }
  return notFoundRoute();
}

/** Extensions: GET …/collections lists live counts; DELETE …/collections/{coll} deletes every document. */
async function collections(request: V1Request, ctx: ServerContext): Promise<RouteReply> {
  const { method, segments } = request;
  const v1 = await ctx.v1(segments[2]!);
  if (method === 'GET' && segments.length === 4) {
    const summary = await v1.summary();
    return { status: 200, body: { collections: summary.collections, seq: summary.seq, head: summary.head } };
  }
  if (method === 'DELETE' && segments.length === 5) {
    const deleted = await v1.dropCollection(segments[4]!);
    return { status: 200, body: { ok: true, deleted, ...v1.position() } };
  }
  return notFoundRoute();
}
