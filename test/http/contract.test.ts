// The NEDB v1 contract (UPSTREAM.md §2–§7) against the real server on a random loopback port: one test per
// route row and per example. Python and TypeScript v1 clients send exactly these shapes.
import { request as httpRequest, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blake2b } from '@noble/hashes/blake2.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const zeros = '0'.repeat(64);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => server.request(method, path, body, headers);

async function createDb(name: string, init?: unknown) {
  const reply = await call('POST', '/v1/databases', init === undefined ? { name } : { name, init });
  expect(reply.status).toBe(201);
  return reply.body;
}

describe('§2 HTTP rules', () => {
  it('answers OPTIONS on any path with 204 and the CORS headers, without auth', async () => {
    const reply = await call('OPTIONS', '/anything/at/all');
    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
    expect(reply.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS');
    expect(reply.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type');
  });

  it('puts CORS headers and application/json on every reply, errors too', async () => {
    const reply = await call('GET', '/nope');
    expect(reply.status).toBe(404);
    expect(reply.body.error).toBe('no such route');
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
    expect(reply.headers.get('content-type')).toContain('application/json');
  });

  it('reads bodies as v1 does: empty is {}, bad JSON 400, a non-object 400', async () => {
    await createDb('bodies');
    expect((await call('POST', '/v1/databases/bodies/put', '{not json')).body).toMatchObject({ error: 'invalid JSON body' });
    expect((await call('POST', '/v1/databases/bodies/put', '')).body.error).toBe('coll, id, and doc are required');
    const array = await call('POST', '/v1/databases/bodies/put', '[1,2]');
    expect(array.status).toBe(400);
  });

  it('does not percent-decode path segments and drops empty ones', async () => {
    await createDb('paths');
    await call('POST', '/v1/databases/paths/put', { coll: 'c', id: 'a%20b', doc: { n: 1 } });
    const deleted = await call('DELETE', '/v1/databases//paths/rows/c/a%20b');
    expect(deleted.status).toBe(200);
    const rows = await call('POST', '/v1/databases/paths/query', { nql: 'FROM c' });
    expect(rows.body.count).toBe(0);
  });

  it('validates names, looks the database up before the action, and never answers 405', async () => {
    expect((await call('GET', '/v1/databases/-bad')).body.error).toBe("invalid database name: '-bad'");
    const missing = await call('POST', '/v1/databases/ghost/frobnicate');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('database not found: ghost');
    await createDb('routes');
    expect((await call('POST', '/v1/databases/routes/frobnicate')).body.error).toBe('no such route');
    expect((await call('GET', '/v1/databases/routes/put')).status).toBe(404);
  });
});

describe('§2 auth', () => {
  it('checks the bearer token before routing under /v1; / and /health stay open', async () => {
    const guarded = await startTestServer({ token: 's3cret' });
    try {
      const refused = await guarded.request('GET', '/v1/databases/-bad-name');
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: 'missing or invalid bearer token' });
      expect((await guarded.request('GET', '/v1/databases', undefined, { Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await guarded.request('GET', '/v1/databases', undefined, { Authorization: 'Bearer s3cret' })).status).toBe(200);
      expect((await guarded.request('GET', '/health')).status).toBe(200);
      expect((await guarded.request('GET', '/')).status).toBe(200);
      expect((await guarded.request('OPTIONS', '/v1/databases')).status).toBe(204);
      expect((await guarded.request('GET', '/metrics')).status).toBe(401);
      expect((await guarded.request('GET', '/metrics', undefined, { Authorization: 'Bearer s3cret' })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('§3 routes', () => {
  it('GET / and /health', async () => {
    const reply = await call('GET', '/health');
    expect(reply.body).toMatchObject({ ok: true, service: 'nedbd', encrypted: false });
    expect(Array.isArray(reply.body.databases)).toBe(true);
  });

  it('creates a database with init (the §3.1 example) and shows summary and detail', async () => {
    const created = await createDb('shop', {
      indexes: [['users', 'status', 'eq']],
      seed: { users: [{ _id: 'u1', name: 'Alice' }] },
      links: [['users:u1', 'buys', 'orders:o1']],
    });
    expect(created.database).toMatchObject({ name: 'shop', seq: 1, rows: 1, collections: { users: 1 } });
    expect(created.database.head).toMatch(/^[0-9a-f]{64}$/);
    const detail = (await call('GET', '/v1/databases/shop')).body;
    expect(detail).toMatchObject({
      name: 'shop',
      seq: 1,
      indexes: [['users', 'status', 'eq']],
      relations: [{ from: 'users', relation: 'buys', to: 'orders', cardinality: 'one_to_many' }],
      integrity: { ok: true },
      encrypted: false,
      has_snapshot: false,
    });
    const list = (await call('GET', '/v1/databases')).body.databases;
    expect(list.find((db: { name: string }) => db.name === 'shop')).toMatchObject({ seq: 1, rows: 1 });
  });

  it('create: name is stringified and trimmed; empty 400; existing 409; bad index kind 400 with nothing created', async () => {
    expect((await call('POST', '/v1/databases', { name: '  spaced  ' })).body.database.name).toBe('spaced');
    expect((await call('POST', '/v1/databases', { name: '' })).body.error).toBe('name is required');
    expect((await call('POST', '/v1/databases', { name: 'spaced' })).status).toBe(409);
    expect((await call('POST', '/v1/databases', { name: 'spaced' })).body.error).toBe('database already exists: spaced');
    const bad = await call('POST', '/v1/databases', { name: 'badkind', init: { indexes: [['c', 'f', 'btree']] } });
    expect(bad.status).toBe(400);
    expect((await call('GET', '/v1/databases/badkind')).status).toBe(404);
  });

  it('drops a database: dropped true, then false', async () => {
    await createDb('gone');
    expect((await call('DELETE', '/v1/databases/gone')).body).toEqual({ dropped: true });
    expect((await call('GET', '/v1/databases/gone')).status).toBe(404);
  });

  it('put: the §3.2 example with every provenance field and the mirrored stored document', async () => {
    await createDb('u');
    await call('POST', '/v1/databases/u/put', { coll: 'u', id: 'a', doc: { n: 1 } });
    const reply = await call('POST', '/v1/databases/u/put', {
      coll: 'u', id: 'b', doc: { n: 2 }, caused_by: [0], evidence: 'tool_result', confidence: 0.5,
      valid_from: '2024-01-01', valid_to: '2024-12-31', ttl_s: 1000, idem: 'k1',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      ok: true,
      doc: { n: 2, _id: 'b', _caused_by: [0], _evidence: 'tool_result', _confidence: 0.5, _valid_from: '2024-01-01', _valid_to: '2024-12-31', _seq: 1 },
      seq: 1,
    });
    expect(reply.body.doc._expires_at).toBeCloseTo(server.clock.nowMs() / 1000 + 1000, 3);
    const reused = await call('POST', '/v1/databases/u/put', { coll: 'u', id: 'c', doc: { n: 3 }, idem: 'k1' });
    expect(reused.body).toMatchObject({ ok: true, doc: null, seq: 1, head: reply.body.head });
  });

  it('put: ids are stringified the Python way and a user _id wins', async () => {
    await createDb('ids');
    expect((await call('POST', '/v1/databases/ids/put', { coll: 'c', id: 1.5, doc: {} })).body.doc._id).toBe('1.5');
    expect((await call('POST', '/v1/databases/ids/put', { coll: 'c', id: true, doc: {} })).body.doc._id).toBe('True');
    expect((await call('POST', '/v1/databases/ids/put', { coll: 'c', id: 'x', doc: { _id: 'mine' } })).body.doc._id).toBe('mine');
    expect((await call('POST', '/v1/databases/ids/put', { coll: 'c', id: null, doc: {} })).body.error).toBe('coll, id, and doc are required');
  });

  it('nonces: explicit must grow; implicit ones come from their own counter (§6.2)', async () => {
    await createDb('nonces');
    const put = (extra: object) => call('POST', '/v1/databases/nonces/put', { coll: 'c', id: 'x', doc: {}, client: 'bot', ...extra });
    expect((await put({ nonce: 5 })).status).toBe(200);
    const replay = await put({ nonce: 5 });
    expect(replay.status).toBe(409);
    expect(replay.body.error).toBe("replay/stale nonce for client 'bot': 5 <= 5");
    const implicit = await put({});
    expect(implicit.status).toBe(409);
    expect(implicit.body.error).toBe("replay/stale nonce for client 'bot': 1 <= 5");
  });

  it('batch: the §3.3 example, atomic, with results per op', async () => {
    await createDb('b', { seed: { users: [{ _id: 'u4' }] } });
    const reply = await call('POST', '/v1/databases/b/batch', {
      ops: [
        { op: 'put', coll: 'orders', id: 'o2', doc: { total: 40 } },
        { op: 'del', coll: 'users', id: 'u4' },
        { op: 'link', frm: 'users:u2', rel: 'buys', to: 'orders:o2' },
      ],
    });
    expect(reply.body).toMatchObject({
      results: [
        { op: 'put', id: 'o2', seq: 1, doc: { total: 40, _id: 'o2', _seq: 1 } },
        { op: 'del', id: 'u4', seq: 2 },
        { op: 'link', seq: 3 },
      ],
      count: 3,
      atomic: true,
      seq: 3,
    });
  });

  it('batch: failing preconditions change nothing and list every failure (§3.3 409)', async () => {
    await createDb('cas');
    await call('POST', '/v1/databases/cas/put', { coll: 'u', id: 'a', doc: {} });
    await call('POST', '/v1/databases/cas/put', { coll: 'u', id: 'b', doc: {} });
    const reply = await call('POST', '/v1/databases/cas/batch', {
      ops: [
        { op: 'put', coll: 'u', id: 'a', doc: {}, if_seq: 5 },
        { op: 'put', coll: 'u', id: 'z', doc: {} },
        { op: 'put', coll: 'u', id: 'b', doc: {}, if_seq: -1 },
      ],
    });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({
      error: 'precondition_failed',
      code: 'PRECONDITION_FAILED',
      failures: [
        { index: 0, coll: 'u', id: 'a', expected: 5, actual: 0 },
        { index: 2, coll: 'u', id: 'b', expected: -1, actual: 1 },
      ],
      seq: 1,
    });
    const ok = await call('POST', '/v1/databases/cas/batch', { ops: [{ coll: 'u', id: 'a', doc: { v: 2 }, if_seq: '0' }] });
    expect(ok.body.results[0]).toMatchObject({ op: 'put', seq: 2 });
  });

  it('batch: bad ops are 400 before anything is applied; unknown ops are reported; empty ops 400', async () => {
    await createDb('badops');
    expect((await call('POST', '/v1/databases/badops/batch', {})).body.error).toBe('ops array is required');
    const missing = await call('POST', '/v1/databases/badops/batch', { ops: [{ op: 'put', coll: 'c', id: '1', doc: {} }, { op: 'put', id: 'x' }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("bad op: 'coll'");
    expect((await call('POST', '/v1/databases/badops/batch', { ops: [{ coll: 'c', id: 'x', if_seq: 'abc' }] })).body.error).toBe(
      "bad op: invalid literal for int() with base 10: 'abc'",
    );
    expect((await call('GET', '/v1/databases/badops')).body.seq).toBe(-1);
    const unknown = await call('POST', '/v1/databases/badops/batch', { ops: [{ op: 'frob' }] });
    expect(unknown.body.results).toEqual([{ op: 'frob', error: 'unknown op' }]);
  });

  it('DELETE rows always appends a delete op, even for a missing document', async () => {
    await createDb('del');
    const reply = await call('DELETE', '/v1/databases/del/rows/c/missing');
    expect(reply.body).toMatchObject({ ok: true, seq: 0 });
    expect((await call('DELETE', '/v1/databases/del/rows/c')).status).toBe(404);
  });

  it('index: required fields, kinds (sorted accepted), idempotent, not an op', async () => {
    await createDb('idx');
    expect((await call('POST', '/v1/databases/idx/index', { coll: 'c' })).body.error).toBe('coll and field are required');
    expect((await call('POST', '/v1/databases/idx/index', { coll: 'c', field: 'f', kind: 'btree' })).body.error).toBe('unknown index kind: btree');
    expect((await call('POST', '/v1/databases/idx/index', { coll: 'c', field: 'f', kind: 'sorted' })).body).toEqual({ ok: true });
    expect((await call('POST', '/v1/databases/idx/index', { coll: 'c', field: 'f', kind: 'sorted' })).body).toEqual({ ok: true });
    const detail = (await call('GET', '/v1/databases/idx')).body;
    expect(detail.indexes).toEqual([['c', 'f', 'sorted']]);
    expect(detail.seq).toBe(-1);
  });

  it('link and neighbors: every link is an op; neighbors in insertion order', async () => {
    await createDb('g');
    expect((await call('POST', '/v1/databases/g/link', { frm: 'u:a' })).body.error).toBe('frm, rel, and to are required');
    await call('POST', '/v1/databases/g/link', { frm: 'u:a', rel: 'knows', to: 'u:c' });
    await call('POST', '/v1/databases/g/link', { frm: 'u:a', rel: 'knows', to: 'u:b' });
    const again = await call('POST', '/v1/databases/g/link', { frm: 'u:a', rel: 'knows', to: 'u:c' });
    expect(again.body).toMatchObject({ ok: true, seq: 2 });
    expect((await call('POST', '/v1/databases/g/neighbors', { node: 'u:a', rel: 'knows' })).body).toEqual({ nodes: ['u:c', 'u:b'], count: 2 });
    expect((await call('POST', '/v1/databases/g/neighbors', { node: 'u:a' })).body.error).toBe('node and rel are required');
  });

  it('log: newest first with v1 OpRecords; limit=0 is the whole log; verify is ok', async () => {
    await createDb('logdb');
    await call('POST', '/v1/databases/logdb/put', { coll: 'c', id: 'a', doc: { n: 1 }, idem: 'i1' });
    await call('DELETE', '/v1/databases/logdb/rows/c/a');
    await call('POST', '/v1/databases/logdb/link', { frm: 'c:a', rel: 'r', to: 'c:b' });
    const log = (await call('GET', '/v1/databases/logdb/log?limit=2')).body;
    expect(log.log.map((op: { op: string }) => op.op)).toEqual(['link', 'delete']);
    const whole = (await call('GET', '/v1/databases/logdb/log?limit=0')).body.log;
    expect(whole).toHaveLength(3);
    expect(whole[2]).toMatchObject({ seq: 0, client: 'local', op: 'put', idem: 'i1', payload: { key: 'c:a', coll: 'c', id: 'a', doc: { n: 1, _id: 'a' } }, prev_hash: zeros });
    expect(whole[1].prev_hash).toBe(whole[2].hash);
    expect(whole[0].payload).toEqual({ frm: 'c:a', rel: 'r', to: 'c:b' });
    expect(whole[0].hash).toBe(log.head);
    expect((await call('GET', '/v1/databases/logdb/verify')).body).toEqual({ ok: true, seq: 2, head: log.head });
    expect((await call('GET', '/v1/databases/logdb/log?limit=x')).status).toBe(500);
  });

  it('checkpoint is an op (client __snapshot__) and the database shows a snapshot', async () => {
    await createDb('cp');
    await call('POST', '/v1/databases/cp/put', { coll: 'c', id: 'a', doc: {} });
    const reply = await call('POST', '/v1/databases/cp/checkpoint');
    expect(reply.body).toMatchObject({ ok: true, seq: 1 });
    const newest = (await call('GET', '/v1/databases/cp/log?limit=1')).body.log[0];
    expect(newest).toMatchObject({ op: 'checkpoint', client: '__snapshot__', payload: { note: 'snapshot captured' } });
    expect((await call('GET', '/v1/databases/cp')).body.has_snapshot).toBe(true);
  });

  it('sweep: 0 before expiry, the right count after, the document then gone (§6.3)', async () => {
    await createDb('ttl');
    await call('POST', '/v1/databases/ttl/put', { coll: 'c', id: 'short', doc: {}, ttl_s: 10 });
    await call('POST', '/v1/databases/ttl/put', { coll: 'c', id: 'long', doc: {}, ttl_s: 1000 });
    expect((await call('POST', '/v1/databases/ttl/sweep')).body).toMatchObject({ ok: true, swept: 0 });
    expect((await call('POST', '/v1/databases/ttl/query', { nql: 'FROM c' })).body.count).toBe(2);
    server.clock.advanceMs(11_000);
    expect((await call('POST', '/v1/databases/ttl/query', { nql: 'FROM c' })).body.count).toBe(2); // lazy until swept
    expect((await call('POST', '/v1/databases/ttl/sweep')).body).toMatchObject({ ok: true, swept: 1, seq: 2 });
    const rows = (await call('POST', '/v1/databases/ttl/query', { nql: 'FROM c' })).body.rows;
    expect(rows.map((row: { _id: string }) => row._id)).toEqual(['long']);
  });

  it('proof: errors, and a fold clients can check offline (§7.3)', async () => {
    await createDb('proofs');
    for (let i = 0; i < 4; i++) await call('POST', '/v1/databases/proofs/put', { coll: 'c', id: `k${i}`, doc: { i } });
    expect((await call('POST', '/v1/databases/proofs/proof', { hash: 'abc' })).body.error).toBe('hash (64-char hex) is required');
    expect((await call('POST', '/v1/databases/proofs/proof', { hash: 'z'.repeat(64) })).body.error).toBe('hash must be 64-char hexadecimal');
    const unknown = await call('POST', '/v1/databases/proofs/proof', { hash: 'a'.repeat(64) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe(`no op with hash=${'a'.repeat(16)}…`);
    const log = (await call('GET', '/v1/databases/proofs/log?limit=0')).body.log;
    const target = log[2].hash as string; // seq 1
    const proof = (await call('POST', '/v1/databases/proofs/proof', { hash: ` ${target.toUpperCase()} ` })).body;
    expect(proof).toMatchObject({ hash: target, seq: 1, verified: true, engine_seq: 3 });
    expect(proof.subsequent).toHaveLength(2);
    let folded = Buffer.from(proof.prev_head, 'hex');
    for (const hash of [target, ...proof.subsequent]) folded = Buffer.from(blake2b(Buffer.concat([folded, Buffer.from(hash, 'hex')]), { dkLen: 32 }));
    expect(folded.toString('hex')).toBe(proof.head);
  });

  it('mongo and files answer 501 naming the missing feature', async () => {
    await createDb('later');
    const mongo = await call('POST', '/v1/databases/later/mongo', { collection: 'c', op: 'find' });
    expect(mongo.status).toBe(501);
    expect(mongo.body.error).toContain('MongoDB');
    expect((await call('POST', '/v1/databases/later/files', { name: 'a', data_b64: '' })).status).toBe(501);
  });

  it('rows and collections extensions', async () => {
    await createDb('ext');
    await call('POST', '/v1/databases/ext/put', { coll: 'c', id: 'a', doc: { n: 1 } });
    await call('POST', '/v1/databases/ext/put', { coll: 'c', id: 'b', doc: { n: 2 } });
    expect((await call('GET', '/v1/databases/ext/rows/c/a')).body.doc).toEqual({ n: 1, _id: 'a', _seq: 0 });
    expect((await call('GET', '/v1/databases/ext/rows/c/zz')).status).toBe(404);
    expect((await call('GET', '/v1/databases/ext/collections')).body.collections).toEqual({ c: 2 });
    expect((await call('DELETE', '/v1/databases/ext/collections/c')).body).toMatchObject({ ok: true, deleted: 2, seq: 3 });
    expect((await call('POST', '/v1/databases/ext/query', { nql: 'FROM c', count: true })).body).toMatchObject({ count: 0, seq: 3 });
  });
});

describe('§4 NQL over HTTP', () => {
  it('answers rows with seq and head; errors are 400 with NQL error text and a position', async () => {
    await createDb('q');
    for (const [id, age] of [['a', 30], ['b', 20], ['c', 40]] as const) await call('POST', '/v1/databases/q/put', { coll: 'users', id, doc: { age } });
    const reply = (await call('POST', '/v1/databases/q/query', { nql: 'FROM users WHERE age > 25 ORDER BY age DESC' })).body;
    expect(reply.rows.map((row: { _id: string }) => row._id)).toEqual(['c', 'a']);
    expect(reply).toMatchObject({ count: 2, seq: 2 });
    expect(reply.rows[0]._seq).toBe(2);
    expect((await call('POST', '/v1/databases/q/query', { nql: 'FROM users AS OF 0' })).body.count).toBe(1);
    expect((await call('POST', '/v1/databases/q/query', { nql: 'FROM nothing' })).body).toMatchObject({ rows: [], count: 0 });
    expect((await call('POST', '/v1/databases/q/query', { nql: '' })).body.error).toBe('nql is required');
    const bad = await call('POST', '/v1/databases/q/query', { nql: 'SELECT * FROM users' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("NQL error: NQL: cannot tokenize near: '* FROM users'");
    const trailing = await call('POST', '/v1/databases/q/query', { nql: 'FROM users LIMIT 1 asc' });
    expect(trailing.body.error).toBe("NQL error: NQL: unexpected trailing tokens: [('kw', 'asc')]");
  });
});

describe('keep-alive hygiene', () => {
  it('serves several requests on one connection, 401s and 404s included, consuming every body', async () => {
    const guarded = await startTestServer({ token: 't' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const send = (method: string, path: string, body: string, auth: boolean) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${guarded.url}${path}`, { method, agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(auth ? { Authorization: 'Bearer t' } : {}) } }, (response) => {
          sockets.add(response.socket);
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('error', reject);
        request.end(body);
      });
    try {
      const big = JSON.stringify({ name: 'x'.repeat(100_000) });
      const statuses = [
        await send('POST', '/v1/databases', big, false),
        await send('POST', '/nowhere', big, true),
        await send('POST', '/v1/databases', JSON.stringify({ name: 'ka' }), true),
        await send('POST', '/v1/databases/ka/put', JSON.stringify({ coll: 'c', id: 'a', doc: {} }), true),
        await send('GET', '/health', '', false),
      ];
      expect(statuses).toEqual([401, 404, 201, 200, 200]);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
      await guarded.close();
    }
  });
});

describe('NQL extensions over HTTP', () => {
  it('returns a keyset cursor with a page, and the next page reads on at the same seq', async () => {
    await createDb('pages');
    for (let i = 0; i < 5; i++) await call('POST', '/v1/databases/pages/put', { coll: 'c', id: `k${i}`, doc: { n: i } });
    const first = (await call('POST', '/v1/databases/pages/query', { nql: 'FROM c ORDER BY n DESC LIMIT 2' })).body;
    expect(first.rows.map((row: { n: number }) => row.n)).toEqual([4, 3]);
    expect(typeof first.cursor).toBe('string');
    await call('POST', '/v1/databases/pages/put', { coll: 'c', id: 'k9', doc: { n: 9 } });
    const second = (await call('POST', '/v1/databases/pages/query', { nql: `FROM c ORDER BY n DESC LIMIT 2 AFTER '${first.cursor}'` })).body;
    expect(second.rows.map((row: { n: number }) => row.n)).toEqual([2, 1]);
    const tampered = await call('POST', '/v1/databases/pages/query', { nql: `FROM c ORDER BY n DESC LIMIT 2 AFTER 'x${first.cursor}'` });
    expect(tampered.status).toBe(400);
  });
});
