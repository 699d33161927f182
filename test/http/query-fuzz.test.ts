// Fuzz of the real HTTP query route: 10,000 generated NQL texts go to POST /v1/databases/{db}/query of a
// running test server on loopback, over collections with missing fields, nulls, mixed types, unicode, nested
// objects, edges, causes, valid-time and deletes, plus sorted indexes and a search index made through the v1
// index route (so the planner's index paths run too). Every reply must be a 200 with the v1 result shape or a
// 400 NQL error whose line and column lie inside the text; never a 500, never a dropped connection. Both
// outcomes must occur in real numbers, so the test cannot pass vacuously. Seeded and replayable:
// NEDB_SEED=<n> npx vitest run test/http/query-fuzz.test.ts
import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nqlErrorCodes } from '../../nql/errors.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const seed = Number(process.env['NEDB_SEED'] ?? 20261126);
const batchSize = 8; // requests in flight at once
const numBatches = 1250; // 10,000 queries in all
const requestTimeoutMs = 10_000;
const db = 'fz';

/**
 * NQL runtime errors that have no place in the text (nql/errors.ts gives them line 0, so http/errors.ts leaves
 * `line`/`col` out): GROUP BY over a list or object, and cursor or size limits met while running.
 */
const unpositionedCodes = new Set(['NQL_UNHASHABLE', 'NQL_CURSOR_AHEAD', 'NQL_CURSOR_ROW', 'NQL_LIMIT_SORT_ROWS', 'NQL_LIMIT_GROUPS']);

let server: TestServer;
let agent: Agent;
const cursors: { query: string; cursor: string }[] = [];

type Json = ReturnType<typeof JSON.parse>;
interface Reply {
  status: number;
  body: Json;
  raw: string;
}

/** One POST over the keep-alive agent; a socket error or a timeout rejects (a dropped connection fails the run). */
function post(path: string, body: unknown): Promise<Reply> {
  const payload = JSON.stringify(body);
  return new Promise<Reply>((resolve, reject) => {
    const request = httpRequest(
      `${server.url}${path}`,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('response aborted')));
        response.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: Json;
          try {
            parsed = JSON.parse(raw);
          } catch {
            parsed = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body: parsed, raw });
        });
      },
    );
    request.setTimeout(requestTimeoutMs, () => request.destroy(new Error(`no reply in ${requestTimeoutMs} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

async function ok(path: string, body: unknown): Promise<Json> {
  const reply = await post(path, body);
  expect(reply.status, `${path} ${JSON.stringify(body)} -> ${reply.raw}`).toBeLessThan(300);
  return reply.body;
}

const v1 = (action: string) => `/v1/databases/${db}/${action}`;

/** A database with awkward documents: every field is missing, null or of another type somewhere. */
async function seedDatabase(): Promise<void> {
  await ok('/v1/databases', { name: db });
  const statuses = ['active', 'inactive', 'Active', null, 'ünïcödé', '😀', '', 'a b', 1, true];
  const ages: unknown[] = [30, 31.5, '31', null, true, false, -1, 0, 1e21, 'thirty', [30], { years: 30 }];
  const bios = ['alpha beta', 'Alpha gamma 42', 'beta', 'ünï code', '😀 emoji text', '', 'active user', 'zeta ALPHA'];
  const ops: unknown[] = [];
  for (let i = 0; i < 60; i++) {
    const doc: Record<string, unknown> = {};
    if (i % 7 !== 0) doc.status = statuses[i % statuses.length];
    if (i % 5 !== 1) doc.age = ages[i % ages.length];
    if (i % 3 === 0) doc.name = ['Zoë', 'ÅSA', 'bob', '名前', 'x\ny', 'O\'Brien "q"'][i % 6];
    if (i % 4 === 0) doc.tags = i % 8 === 0 ? ['a', 'b'] : [];
    if (i % 6 !== 5) doc.meta = i % 2 === 0 ? { k: i % 3, z: { deep: i % 4 === 0 ? 'x' : null } } : { k: String(i % 3) };
    if (i % 2 === 0) doc.bio = bios[i % bios.length];
    if (i % 9 === 0) doc.score = i / 7;
    ops.push({ op: 'put', coll: 'users', id: i % 10 === 0 ? `ü${i}` : `u${String(i).padStart(2, '0')}`, doc });
  }
  for (let i = 0; i < 40; i++) {
    const doc: Record<string, unknown> = { status: ['paid', 'open', 'void', null][i % 4] };
    if (i % 6 !== 3) doc.total = i % 11 === 0 ? null : Math.round(((i * 37) % 100) * 1.5 * 100) / 100;
    if (i % 5 === 0) doc.items = [{ sku: `s${i}`, n: i % 3 }];
    if (i % 4 === 1) doc.note = 'ünï order';
    ops.push({ op: 'put', coll: 'orders', id: `o${String(i).padStart(2, '0')}`, doc });
  }
  await ok(v1('batch'), { ops });
  // Single puts after the batch: causes for TRACE, valid-time for VALID AS OF, unicode collections, updates.
  const first = await ok(v1('put'), { coll: 'events', id: 'e0', doc: { kind: 'start', at: '2024-01-01' }, valid_from: '2024-01-01', valid_to: '2024-06-30' });
  const second = await ok(v1('put'), { coll: 'events', id: 'e1', doc: { kind: 'next', n: 1 }, caused_by: [first.seq] });
  await ok(v1('put'), { coll: 'events', id: 'e2', doc: { kind: 'end', n: null, nested: { a: { b: [1, { c: 2 }] } } }, caused_by: [second.seq, 0, 99_999] });
  await ok(v1('put'), { coll: 'events', id: 'e3', doc: { kind: 3, _valid_from: '2025-01-01' } });
  await ok(v1('put'), { coll: 'Count', id: 'c', doc: { v: 1 } });
  await ok(v1('put'), { coll: 'ünï', id: '😀', doc: { v: '😀' } });
  await ok(v1('put'), { coll: 'users', id: 'u01', doc: { status: 'active', age: 99, bio: 'updated alpha' } });
  await ok(v1('put'), { coll: 'orders', id: 'o02', doc: { status: 'paid', total: 7 } });
  for (const [frm, to] of [['users:u01', 'orders:o01'], ['users:u01', 'orders:o02'], ['users:u02', 'orders:o01'], ['users:u03', 'orders:nope'], ['orders:o01', 'users:u01']])
    await ok(v1('link'), { frm, rel: 'buys', to });
  // Deletes, so AS OF brings documents back.
  await deleteRow('users', 'u04');
  await deleteRow('orders', 'o05');
  // Indexes through the v1 index route: sorted on a numeric field (the ordered-scan path), sorted on a
  // mixed-type field (v1 sorts it by text, so the planner falls back), a search index, and an eq index.
  await ok(v1('index'), { coll: 'orders', field: 'total', kind: 'sorted' });
  await ok(v1('index'), { coll: 'users', field: 'age', kind: 'sorted' });
  await ok(v1('index'), { coll: 'users', field: 'bio', kind: 'search' });
  await ok(v1('index'), { coll: 'orders', field: 'status', kind: 'eq' });
  const database = await server.data.open(db);
  await database.whenIndexReady('orders', 'total');
  await database.whenIndexReady('users', 'age');
  // Writes after the index builds, so the indexes are maintained, not only built.
  await ok(v1('put'), { coll: 'orders', id: 'o99', doc: { status: 'late', total: 12.5 } });
  await ok(v1('put'), { coll: 'users', id: 'u98', doc: { age: 42, bio: 'late alpha' } });
  // Real cursors, so some AFTERs continue a page.
  for (const query of ['FROM orders ORDER BY total DESC LIMIT 3', 'FROM users ORDER BY age LIMIT 2', 'FROM orders WHERE total >= 10 ORDER BY total LIMIT 4']) {
    const reply = await ok(v1('query'), { nql: query });
    expect(typeof reply.cursor, query).toBe('string');
    cursors.push({ query, cursor: reply.cursor as string });
  }
}

async function deleteRow(coll: string, id: string): Promise<void> {
  const response = await fetch(`${server.url}/v1/databases/${db}/rows/${coll}/${id}`, { method: 'DELETE' });
  expect(response.status).toBe(200);
  await response.text();
}

// ---- the generator -------------------------------------------------------------------------------------

const keywordWords = ['from', 'as', 'of', 'where', 'and', 'search', 'order', 'by', 'asc', 'desc', 'traverse', 'trace', 'reverse',
  'limit', 'valid', 'true', 'false', 'null', 'group', 'count', 'sum', 'avg', 'min', 'max'];
const extensionWords = ['OR', 'NOT', 'IN', 'BETWEEN', 'OFFSET', 'AFTER', 'SELECT', 'EXPLAIN'];
const collections = ['users', 'orders', 'events', 'Count', 'nothing', 'Users', 'explain', 'offset'];
const fieldNames = ['status', 'age', 'name', 'tags', 'meta', 'meta.k', 'meta.z.deep', 'bio', 'total', 'score', 'items', 'note', 'kind', 'n',
  'nested.a.b', '_id', '_seq', '_valid_from', 'missing', 'v', 'Count', 'or', 'not', 'select'];
const literals = ['0', '1', '-1', '30', '31.5', '2.5', '-0.5', '1e3', '007', '99999999999999999999', '"active"', "'Active'", '"ünïcödé"',
  '"😀"', '""', '"a b"', "'x y'", '"31"', '"2024-06-01"', 'TRUE', 'false', 'NULL', 'active', 'paid'];
const punctuation = ['=', '!=', '<', '<=', '>', '>=', '==', '!', '+1', '.', '*', ',', '(', ')', ';', ':', '"open', "'", 'ü', '😀', '\n', '\t', '[', '{', '$', '\\'];
const vocabulary = [
  ...keywordWords.flatMap((word) => [word, word.toUpperCase()]),
  ...extensionWords.flatMap((word) => [word, word.toLowerCase()]),
  ...collections, ...fieldNames, ...literals, ...punctuation, 'COUNT(*)', 'buys', 'x', 'AS OF', 'ORDER BY', 'GROUP BY',
];

const optional = (...choices: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: fc.constant('') }, fc.constantFrom(...choices));

const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...vocabulary), fc.constantFrom(' ', ' ', '  ', '\n', '')), { minLength: 1, maxLength: 20 })
  .map((parts) => parts.map(([word, space]) => word + space).join(''));

const soupAfterHead = fc
  .tuple(fc.constantFrom('FROM users ', 'FROM orders WHERE ', 'EXPLAIN FROM users ', 'FROM events ORDER BY ', 'from users where age '), tokenSoup)
  .map(([head, tail]) => head + tail);

const field = fc.constantFrom(...fieldNames);
const value = fc.constantFrom(...literals);
const op = fc.constantFrom('=', '!=', '<', '<=', '>', '>=');
const leaf = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(field, op, value).map((parts) => parts.join(' ')) },
  fc.tuple(field, fc.array(value, { minLength: 1, maxLength: 4 }), fc.constantFrom('IN', 'in')).map(([name, values, word]) => `${name} ${word} (${values.join(', ')})`),
  fc.tuple(field, value, value).map(([name, low, high]) => `${name} BETWEEN ${low} AND ${high}`),
);
const condition: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('expr'), fc.constantFrom(' AND ', ' OR ', ' and ', ' or '), tie('expr')).map(([a, word, b]) => `${a}${word}${b}`),
    tie('expr').map((inner) => `NOT ${inner}`),
    tie('expr').map((inner) => `(${inner})`),
  ),
})).expr;

/** Queries of the extended grammar (docs/NQL.md), clauses in their fixed order: most of them run to a 200. */
const wellFormed = fc
  .tuple(
    optional('EXPLAIN ', 'explain '),
    fc.constantFrom(...collections),
    optional('AS OF 0', 'AS OF 5', 'AS OF 70', 'AS OF 2.7', 'AS OF -1', 'AS OF 100000', 'as of 105'),
    optional('VALID AS OF "2024-03-01"', 'VALID "2024-07-01"', 'VALID OF "2026"'),
    fc.option(condition, { nil: undefined, freq: 2 }),
    optional('SEARCH "alpha"', 'SEARCH "Alpha beta"', 'SEARCH "ünï"', 'SEARCH ""', 'SEARCH "42"', "SEARCH 'zzz'", 'SEARCH "active"'),
    fc.array(fc.tuple(field, optional('ASC', 'DESC', 'asc', 'desc')), { maxLength: 2 }),
    optional('TRAVERSE buys', 'TRAVERSE nothing', 'TRACE x', 'TRACE why REVERSE'),
    optional('LIMIT 0', 'LIMIT 1', 'LIMIT 3', 'LIMIT -1', 'LIMIT 2.5', 'LIMIT 1000'),
    optional('OFFSET 0', 'OFFSET 1', 'OFFSET 7'),
    fc.constantFrom('', '', '', '', '', '', '', '', '', "AFTER 'eyJ4Ijo'"),
    optional('GROUP BY status', 'GROUP BY meta.k SUM age', 'GROUP BY status COUNT', 'GROUP BY kind AVG n', 'GROUP BY missing MAX total', 'GROUP BY tags'),
    optional('SELECT COUNT(*)', 'SELECT status, meta.k', 'SELECT _id', 'SELECT count, status'),
  )
  .map(([explain, from, asOf, valid, where, search, order, traverse, limit, offset, after, group, select]) => {
    const orderBy = order.length === 0 ? '' : `ORDER BY ${order.map((key) => key.join(' ').trim()).join(', ')}`;
    const parts = [`FROM ${from}`, asOf, valid, where === undefined ? '' : `WHERE ${where}`, search, orderBy, traverse, limit, offset, after, group, select];
    return explain + parts.filter((part) => part !== '').join(' ');
  });

/** Queries shaped for the sorted indexes: one ORDER BY key on an indexed field, bounds, LIMIT/OFFSET. */
const indexShaped = fc
  .tuple(
    optional('EXPLAIN '),
    fc.constantFrom(['orders', 'total'], ['users', 'age'], ['orders', 'status']),
    fc.array(fc.tuple(fc.constantFrom('>', '>=', '<', '<=', '='), fc.constantFrom('0', '10', '12.5', '50', '-1', '"10"', '"a"', 'null', 'true')), { maxLength: 2 }),
    optional('status = paid', 'status != void', 'NOT status IN (open, null)', 'bio = "alpha beta"'),
    optional('BETWEEN 5 AND 80', 'BETWEEN "a" AND "z"'),
    optional('ASC', 'DESC'),
    optional('LIMIT 1', 'LIMIT 3', 'LIMIT 10', 'LIMIT 0'),
    optional('OFFSET 2'),
    optional('SELECT total, _id', 'SELECT COUNT(*)'),
  )
  .map(([explain, [coll, name], bounds, extra, between, direction, limit, offset, select]) => {
    const conditions = bounds.map(([compare, literal]) => `${name} ${compare} ${literal}`);
    if (between !== '') conditions.push(`${name} ${between}`);
    if (extra !== '') conditions.push(extra);
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    return [`${explain}FROM ${coll}`, where, `ORDER BY ${name}`, direction, limit, offset, select].filter((part) => part !== '').join(' ');
  });

/** Continue a real page: the same query with its cursor, sometimes with LIMIT/OFFSET/SELECT changed or edited. */
const cursorQuery = (pages: readonly { query: string; cursor: string }[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...pages), fc.constantFrom('', '', ' OFFSET 1', ' SELECT _id', ' GROUP BY status'), fc.constantFrom('same', 'same', 'cut', 'edit', 'other'))
    .map(([page, tail, how]) => {
      const cursor = how === 'cut' ? page.cursor.slice(0, -3) : how === 'edit' ? `A${page.cursor.slice(1)}` : page.cursor;
      const query = how === 'other' ? page.query.replace(' ORDER BY', ` ${page.query.includes('WHERE') ? 'AND' : 'WHERE'} status != x ORDER BY`) : page.query;
      const [head, select] = tail === ' SELECT _id' || tail === ' GROUP BY status' ? ['', tail] : [tail, ''];
      return `${query}${head} AFTER '${cursor}'${select}`;
    });

/** A well-formed query with one token dropped, duplicated, or one vocabulary word inserted: near misses. */
const nearMiss = fc.tuple(fc.oneof(wellFormed, indexShaped), fc.nat(), fc.constantFrom(...vocabulary), fc.constantFrom('drop', 'insert', 'double', 'swap'))
  .map(([text, at, word, how]) => {
    const words = text.split(' ').filter((part) => part !== '');
    const index = at % Math.max(1, words.length);
    if (how === 'drop') words.splice(index, 1);
    else if (how === 'insert') words.splice(index, 0, word);
    else if (how === 'double') words.splice(index, 0, words[index] ?? word);
    else if (index + 1 < words.length) [words[index], words[index + 1]] = [words[index + 1]!, words[index]!];
    return words.join(' ');
  });

/** Texts at and past the extensions' limits (nql/limits.ts): nesting depth, IN list length, SELECT width. */
const atLimits = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 45 }), fc.constantFrom('(', 'NOT ', 'NOT (')).map(([depth, open]) => {
    const closing = open.includes('(') ? ')'.repeat(depth) : '';
    return `FROM users WHERE ${open.repeat(depth)}age > 1${closing} LIMIT 2`;
  }),
  fc.integer({ min: 4090, max: 4100 }).map((n) => `FROM orders WHERE total IN (${Array.from({ length: n }, (_, i) => String(i)).join(',')})`),
  fc.integer({ min: 250, max: 260 }).map((n) => `FROM users LIMIT 1 SELECT ${Array.from({ length: n }, (_, i) => `f${i}`).join(', ')}`),
  fc.integer({ min: 250, max: 260 }).map((n) => `FROM users ORDER BY ${Array.from({ length: n }, (_, i) => `f${i % 7} DESC`).join(', ')} LIMIT 1`),
);

interface Case {
  text: string;
  /** Sent as the body's `explain` or `count` flag, beside `nql`. */
  flag: 'none' | 'explain' | 'count';
}

function caseArbitrary(pages: readonly { query: string; cursor: string }[]): fc.Arbitrary<Case> {
  const text = fc.oneof(
    { weight: 30, arbitrary: wellFormed },
    { weight: 14, arbitrary: indexShaped },
    { weight: 4, arbitrary: cursorQuery(pages) },
    { weight: 18, arbitrary: nearMiss },
    { weight: 12, arbitrary: tokenSoup },
    { weight: 10, arbitrary: soupAfterHead },
    { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map((tail) => `FROM users WHERE name = ${tail}`) },
    { weight: 2, arbitrary: atLimits },
  );
  const flag = fc.constantFrom<Case['flag']>(...Array<Case['flag']>(18).fill('none'), 'explain', 'count');
  return fc.record({ text, flag });
}

// ---- the checks -----------------------------------------------------------------------------------------

const stats = { sent: 0, ok: 0, nqlPositioned: 0, nqlUnpositioned: 0, blank: 0, indexScans: 0, byCode: new Map<string, number>() };

function insideText(text: string, line: unknown, col: unknown): boolean {
  if (!Number.isInteger(line) || !Number.isInteger(col)) return false;
  const lines = text.split('\n');
  const at = lines[(line as number) - 1];
  return (line as number) >= 1 && (col as number) >= 1 && at !== undefined && (col as number) <= at.length + 1;
}

/** Why a reply breaks the contract, or undefined when it keeps it (and counts it). */
function judge(sent: Case, reply: Reply): string | undefined {
  const body = reply.body as Record<string, unknown> | undefined;
  if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body is not a JSON object';
  if (reply.status === 200) {
    if (typeof body.seq !== 'number' || typeof body.head !== 'string' || !/^[0-9a-f]{64}$/.test(body.head)) return 'a 200 without seq and head';
    if (typeof body.count !== 'number' || !Number.isInteger(body.count) || body.count < 0) return 'a 200 without a count';
    if (sent.flag === 'count') {
      if ('rows' in body) return 'a count-only reply with rows';
    } else {
      if (!Array.isArray(body.rows)) return 'a 200 without a rows array';
      if (body.rows.length !== body.count) return `count ${body.count} but ${body.rows.length} rows`;
      if (!body.rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) return 'a row that is not an object';
      if (body.cursor !== undefined && typeof body.cursor !== 'string') return 'a cursor that is not a string';
      if (body.rows.some((row: Record<string, unknown>) => row.kind === 'IndexOrderedScan')) stats.indexScans += 1;
    }
    stats.ok += 1;
    return undefined;
  }
  if (reply.status !== 400) return `status ${reply.status}`;
  const code = body.code;
  if (typeof body.error !== 'string' || typeof code !== 'string') return 'a 400 without error and code';
  stats.byCode.set(code, (stats.byCode.get(code) ?? 0) + 1);
  if (sent.text.trim() === '') {
    if (code !== 'NQL_REQUIRED' || body.error !== 'nql is required') return 'a blank text without NQL_REQUIRED';
    stats.blank += 1;
    return undefined;
  }
  if (!(code in nqlErrorCodes)) return `a 400 that is not an NQL error (${code})`;
  if (!body.error.startsWith('NQL error: ')) return 'an NQL error without the "NQL error: " prefix';
  if (unpositionedCodes.has(code)) {
    if ('line' in body || 'col' in body) return 'a runtime NQL error with a position';
    stats.nqlUnpositioned += 1;
    return undefined;
  }
  if (!insideText(sent.text, body.line, body.col)) return `line ${String(body.line)} col ${String(body.col)} is not inside the text`;
  stats.nqlPositioned += 1;
  return undefined;
}

async function send(sent: Case): Promise<string | undefined> {
  stats.sent += 1;
  const body = sent.flag === 'none' ? { nql: sent.text } : { nql: sent.text, [sent.flag]: true };
  let reply: Reply;
  try {
    reply = await post(v1('query'), body);
  } catch (error) {
    return `no reply: ${(error as Error).message}`;
  }
  const problem = judge(sent, reply);
  return problem === undefined ? undefined : `${problem}: ${JSON.stringify(sent)} -> ${reply.status} ${reply.raw.slice(0, 400)}`;
}

beforeAll(async () => {
  server = await startTestServer();
  agent = new Agent({ keepAlive: true, maxSockets: batchSize });
  await seedDatabase();
});
afterAll(async () => {
  agent?.destroy();
  await server?.close();
});

describe('query route fuzz', () => {
  it('sets up the index paths the fuzz relies on', async () => {
    const plan = await ok(v1('query'), { nql: 'EXPLAIN FROM orders WHERE total >= 10 ORDER BY total DESC LIMIT 3' });
    expect(plan.rows.map((row: { kind: string }) => row.kind)).toContain('IndexOrderedScan');
    const search = await ok(v1('query'), { nql: 'FROM users SEARCH "alpha"' });
    expect(search.count).toBeGreaterThan(0);
    for (const page of cursors) {
      const next = await ok(v1('query'), { nql: `${page.query} AFTER '${page.cursor}'` });
      expect(next.count, page.query).toBeGreaterThan(0);
    }
  });

  it(`answers 10,000 fuzzed texts with a 200 or a positioned 400, never a 500 or a dropped connection (seed ${seed})`, async () => {
    const startedMs = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.array(caseArbitrary(cursors), { minLength: batchSize, maxLength: batchSize }), async (batch) => {
        const problems = (await Promise.all(batch.map(send))).filter((problem) => problem !== undefined);
        if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      { seed, numRuns: numBatches },
    );
    const seconds = (performance.now() - startedMs) / 1000;
    const errors = stats.nqlPositioned + stats.nqlUnpositioned + stats.blank;
    const codes = [...stats.byCode].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code}=${n}`).join(' ');
    console.log(
      `query fuzz (seed ${seed}): ${stats.sent} queries in ${seconds.toFixed(1)} s; 200: ${stats.ok}, 400: ${errors} ` +
        `(positioned ${stats.nqlPositioned}, runtime ${stats.nqlUnpositioned}, blank ${stats.blank}); ` +
        `EXPLAIN replies with an IndexOrderedScan: ${stats.indexScans}; codes: ${codes}`,
    );
    expect(stats.sent).toBe(batchSize * numBatches);
    expect(stats.ok + errors).toBe(stats.sent);
    expect(stats.ok).toBeGreaterThanOrEqual(stats.sent * 0.1);
    expect(stats.nqlPositioned).toBeGreaterThanOrEqual(stats.sent * 0.1);
    expect(stats.indexScans).toBeGreaterThan(0);
    // The server still answers on the same keep-alive agent after the run.
    expect((await ok(v1('query'), { nql: 'FROM users LIMIT 1' })).count).toBe(1);
  }, 120_000);
});
