// GET /v1/databases/{db}/indexes and DELETE /v1/databases/{db}/indexes/{coll}/{fields}, and the query source's
// orderedScan over the database's in-memory sorted indexes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, V1Database } from '../../core/index.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const call = (method: string, path: string, body?: unknown) => server.request(method, path, body);

async function waitReady(db: string, coll: string, field: string): Promise<void> {
  const database = await server.data.open(db);
  await database.whenIndexReady(coll, field);
}

describe('index routes', () => {
  it('lists every definition with its state, and drops one', async () => {
    expect((await call('POST', '/v1/databases', { name: 'ix' })).status).toBe(201);
    for (let i = 0; i < 50; i++) expect((await call('POST', '/v1/databases/ix/put', { coll: 'blocks', id: `b${i}`, doc: { height: i } })).status).toBe(200);
    expect((await call('GET', '/v1/databases/ix/indexes')).body).toEqual({ indexes: [] });
    expect((await call('POST', '/v1/databases/ix/index', { coll: 'blocks', field: 'height', kind: 'ordered' })).status).toBe(200);
    expect((await call('POST', '/v1/databases/ix/index', { coll: 'blocks', field: 'miner' })).status).toBe(200);
    await waitReady('ix', 'blocks', 'height');

    const listed = await call('GET', '/v1/databases/ix/indexes');
    expect(listed.status).toBe(200);
    expect(listed.body.indexes).toHaveLength(2);
    const [height, miner] = listed.body.indexes;
    expect(height).toMatchObject({ coll: 'blocks', fields: ['height'], kind: 'ordered', state: 'ready', entries: 50, lazy: false });
    expect(height.bytes).toBeGreaterThan(0);
    expect(height.progress).toBeUndefined();
    // An eq index is a B+tree too (core/index/index-definitions.ts): built, counted and sized like a sorted one.
    await waitReady('ix', 'blocks', 'miner');
    const eq = (await call('GET', '/v1/databases/ix/indexes')).body.indexes[1];
    expect(eq).toMatchObject({ coll: 'blocks', fields: ['miner'], kind: 'eq', state: 'ready', entries: 50, loaded: false, lazy: false });
    expect(eq.bytes).toBeGreaterThan(0);
    expect(typeof eq.build_ms).toBe('number');
    expect(miner.coll).toBe('blocks');
    // v1's database view keeps listing the triples
    expect((await call('GET', '/v1/databases/ix')).body.indexes).toEqual([
      ['blocks', 'height', 'ordered'],
      ['blocks', 'miner', 'eq'],
    ]);

    const dropped = await call('DELETE', '/v1/databases/ix/indexes/blocks/height');
    expect(dropped).toMatchObject({ status: 200, body: { ok: true, dropped: true } });
    expect((await call('DELETE', '/v1/databases/ix/indexes/blocks/height')).body).toEqual({ ok: true, dropped: false });
    expect((await call('GET', '/v1/databases/ix/indexes')).body.indexes.map((index: { fields: string[] }) => index.fields)).toEqual([['miner']]);
    const database = await server.data.open('ix');
    expect(database.sortedIndexInfo('blocks', 'height')).toBeUndefined();
    expect((await call('DELETE', '/v1/databases/ix/indexes/blocks')).status).toBe(404);
    expect((await call('DELETE', '/v1/databases/nope/indexes/blocks/height')).status).toBe(404);
  });

  it('creates compound, eq and search indexes from "fields", lists them with statistics, and drops them by name', async () => {
    expect((await call('POST', '/v1/databases', { name: 'cx', lazy_indexes: false })).status).toBe(201);
    const ops = [];
    for (let i = 0; i < 40; i++) ops.push({ op: 'put', coll: 'blocks', id: `b${i}`, doc: { height: i, miner: `m${i % 4}`, note: i === 4 ? 'a rare gem' : i % 2 === 0 ? 'even block' : 'odd' } });
    expect((await call('POST', '/v1/databases/cx/batch', { ops })).status).toBe(200);
    expect((await call('POST', '/v1/databases/cx/index', { coll: 'blocks', fields: ['miner', 'height'], kind: 'sorted' })).status).toBe(200);
    expect((await call('POST', '/v1/databases/cx/index', { coll: 'blocks', field: 'note', kind: 'search' })).status).toBe(200);
    const bad = await call('POST', '/v1/databases/cx/index', { coll: 'blocks', fields: [], kind: 'sorted' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INDEX_FIELDS_INVALID' } });
    expect((await call('POST', '/v1/databases/cx/index', { coll: 'blocks', fields: 'height' })).status).toBe(400);
    const database = await server.data.open('cx');
    await database.whenIndexReady('blocks', ['miner', 'height']);
    await database.whenSearchIndexReady('blocks');
    const listed = (await call('GET', '/v1/databases/cx/indexes')).body.indexes;
    expect(listed).toMatchObject([
      { coll: 'blocks', fields: ['miner', 'height'], kind: 'sorted', state: 'ready', entries: 40, lazy: false },
      { coll: 'blocks', fields: ['note'], kind: 'search', state: 'ready', lazy: false },
    ]);
    expect(listed[0].statistics).toMatchObject({ documents: 40, min: ['m0', 0], max: ['m3', 39], present: [40, 40], mixed_types: false });
    expect((await call('GET', '/v1/databases/cx')).body.indexes).toEqual([['blocks', 'miner,height', 'sorted'], ['blocks', 'note', 'search']]);
    const query = await call('POST', '/v1/databases/cx/query', { nql: "FROM blocks WHERE miner = 'm1' ORDER BY height DESC LIMIT 2 SELECT height" });
    expect(query.body.rows).toEqual([{ height: 37 }, { height: 33 }]);
    const explained = await call('POST', '/v1/databases/cx/query', { nql: "FROM blocks WHERE miner = 'm1' ORDER BY height DESC LIMIT 2", explain: true });
    expect(explained.body.rows.map((row: { kind: string }) => row.kind)).toContain('IndexOrderedScan');
    // A rare token is read from the search index; a common one (half the collection) is cheaper to scan.
    const searched = await call('POST', '/v1/databases/cx/query', { nql: "FROM blocks WHERE height < 6 SEARCH 'GEM'", explain: true });
    expect(searched.body.rows.find((row: { kind: string }) => row.kind === 'IndexLookup')).toMatchObject({ actualRows: 1, index: { tokens: ['gem'] } });
    const common = await call('POST', '/v1/databases/cx/query', { nql: "FROM blocks SEARCH 'even'", explain: true });
    expect(common.body.rows.map((row: { kind: string }) => row.kind)).toContain('FullScan');
    // A field whose name holds a comma is written %2C in the path; "," separates a compound index's fields.
    expect((await call('POST', '/v1/databases/cx/index', { coll: 'blocks', field: 'miner,height', kind: 'sorted' })).status).toBe(200);
    expect((await call('DELETE', '/v1/databases/cx/indexes/blocks/miner%2Cheight')).body).toEqual({ ok: true, dropped: true });
    expect((await call('DELETE', '/v1/databases/cx/indexes/blocks/miner,height')).body).toEqual({ ok: true, dropped: true });
    expect((await call('DELETE', '/v1/databases/cx/indexes/blocks/bad%E0')).status).toBe(400);
    expect((await call('GET', '/v1/databases/cx/indexes')).body.indexes.map((index: { fields: string[] }) => index.fields)).toEqual([['note']]);
  });

  it('reports a build in progress, then ready', async () => {
    expect((await call('POST', '/v1/databases', { name: 'big' })).status).toBe(201);
    const database = await server.data.open('big');
    for (let first = 0; first < 5000; first += 500) {
      const ops = [];
      for (let i = first; i < first + 500; i++) ops.push({ op: 'put' as const, coll: 'blocks', id: `b${i}`, doc: { height: i } });
      await database.batch(ops, { durability: 'async' });
    }
    const v1 = await V1Database.open(database, systemClock);
    await v1.addIndex('blocks', 'height', 'sorted');
    const building = listedOf(database.indexList());
    expect(building).toEqual([['blocks', 'height', 'building']]);
    const reply = await call('GET', '/v1/databases/big/indexes');
    expect(['building', 'ready']).toContain(reply.body.indexes[0].state);
    if (reply.body.indexes[0].state === 'building') expect(reply.body.indexes[0].progress).toBeGreaterThanOrEqual(0);
    await database.whenIndexReady('blocks', 'height');
    expect((await call('GET', '/v1/databases/big/indexes')).body.indexes[0]).toMatchObject({ state: 'ready', entries: 5000 });
  });

  it('answers orderedScan through the query source', async () => {
    expect((await call('POST', '/v1/databases', { name: 'src' })).status).toBe(201);
    for (const [id, height] of [['a', 3], ['b', 1], ['c', 3], ['d', 2]] as const)
      await call('POST', '/v1/databases/src/put', { coll: 'blocks', id, doc: { height } });
    await call('POST', '/v1/databases/src/put', { coll: 'blocks', id: 'e', doc: {} });
    const database = await server.data.open('src');
    const v1 = await V1Database.open(database, systemClock);
    const source = new DatabaseQuerySource(v1, 30_000, () => 0);
    expect(source.orderedScan({ coll: 'blocks', fields: ['height'], prefix: [], descending: true, asOf: source.seq })).toBeUndefined();
    await call('POST', '/v1/databases/src/index', { coll: 'blocks', fields: ['height'], prefix: [], kind: 'sorted' });
    await database.whenIndexReady('blocks', 'height');
    const fresh = new DatabaseQuerySource(v1, 30_000, () => 0);
    const ids: string[] = [];
    for await (const page of fresh.orderedScan({ coll: 'blocks', fields: ['height'], prefix: [], descending: true, asOf: fresh.seq })!)
      for (const row of page) ids.push(row.id);
    expect(ids).toEqual(['e', 'a', 'c', 'd', 'b']);
    const bounded: string[] = [];
    const pages = fresh.orderedScan({ coll: 'blocks', fields: ['height'], prefix: [], descending: false, asOf: fresh.seq, lower: { value: 2, inclusive: true } })!;
    for await (const page of pages) for (const row of page) bounded.push(row.id);
    expect(bounded).toEqual(['d', 'a', 'c']);
  });
});

function listedOf(infos: { coll: string; fields: string[]; state: string }[]): string[][] {
  return infos.map((info) => [info.coll, info.fields.join(','), info.state]);
}

describe('the planner through HTTP', () => {
  it('answers ORDER BY … LIMIT from a ready sorted index, the same rows as a scan, and EXPLAIN says so', async () => {
    const server = await startTestServer();
    try {
      await server.request('POST', '/v1/databases', { name: 'ex' });
      const ops = Array.from({ length: 300 }, (_, h) => ({ op: 'put', coll: 'blocks', id: String(h), doc: { height: h, miner: `m${h % 7}` } }));
      await server.request('POST', '/v1/databases/ex/batch', { ops });
      const query = 'FROM blocks ORDER BY height DESC LIMIT 5';
      const scanned = (await server.request('POST', '/v1/databases/ex/query', { nql: query })).body;
      const before = (await server.request('POST', '/v1/databases/ex/query', { nql: query, explain: true })).body;
      expect(JSON.stringify(before.rows)).toContain('would help');
      await server.request('POST', '/v1/databases/ex/index', { coll: 'blocks', field: 'height', kind: 'sorted' });
      for (let i = 0; i < 200; i++) {
        const listed = (await server.request('GET', '/v1/databases/ex/indexes')).body.indexes;
        if (listed.every((index: { state: string }) => index.state === 'ready')) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const indexed = (await server.request('POST', '/v1/databases/ex/query', { nql: query })).body;
      expect(indexed.rows).toEqual(scanned.rows);
      expect(indexed.rows.map((row: { height: number }) => row.height)).toEqual([299, 298, 297, 296, 295]);
      const after = (await server.request('POST', '/v1/databases/ex/query', { nql: query, explain: true })).body;
      const kinds = after.rows.map((row: { kind: string }) => row.kind);
      expect(kinds).toContain('IndexOrderedScan');
      expect(kinds).not.toContain('Sort');
    } finally {
      await server.close();
    }
  });
});

describe('lazy indexes', () => {
  it('a query that would use a missing sorted index creates it; later queries use it; it survives a restart', async () => {
    const server = await startTestServer();
    const dir = server.dir;
    try {
      await server.request('POST', '/v1/databases', { name: 'lz' });
      const ops = Array.from({ length: 200 }, (_, h) => ({ op: 'put', coll: 'blocks', id: String(h), doc: { height: h } }));
      await server.request('POST', '/v1/databases/lz/batch', { ops });
      const query = { nql: 'FROM blocks ORDER BY height DESC LIMIT 3' };
      const first = (await server.request('POST', '/v1/databases/lz/query', query)).body;
      expect(first.rows.map((row: { height: number }) => row.height)).toEqual([199, 198, 197]);
      let listed: { coll: string; fields: string[]; lazy: boolean; state: string }[] = [];
      for (let i = 0; i < 200; i++) {
        listed = (await server.request('GET', '/v1/databases/lz/indexes')).body.indexes;
        if (listed.length === 1 && listed[0]!.state === 'ready') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(listed).toMatchObject([{ coll: 'blocks', fields: ['height'], lazy: true, state: 'ready' }]);
      expect((await server.request('GET', '/v1/databases/lz')).body.indexes).toEqual([]); // v1's view: explicit ones only
      const explained = (await server.request('POST', '/v1/databases/lz/query', { ...query, explain: true })).body;
      expect(explained.rows.map((row: { kind: string }) => row.kind)).toContain('IndexOrderedScan');
      expect((await server.request('POST', '/v1/databases/lz/query', query)).body.rows).toEqual(first.rows);
    } finally {
      await server.close();
    }
    const again = await startTestServer({}, dir);
    try {
      for (let i = 0; i < 200 && (await again.request('GET', '/ready')).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const listed = (await again.request('GET', '/v1/databases/lz/indexes')).body.indexes;
      expect(listed).toMatchObject([{ coll: 'blocks', fields: ['height'], lazy: true }]);
      expect((await again.request('DELETE', '/v1/databases/lz/indexes/blocks/height')).body).toEqual({ ok: true, dropped: true });
    } finally {
      await again.close();
    }
  });

  it('is off when the database says so', async () => {
    const server = await startTestServer();
    try {
      await server.request('POST', '/v1/databases', { name: 'nolazy', lazy_indexes: false });
      await server.request('POST', '/v1/databases/nolazy/put', { coll: 'c', id: 'a', doc: { n: 1 } });
      await server.request('POST', '/v1/databases/nolazy/query', { nql: 'FROM c ORDER BY n LIMIT 1' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await server.request('GET', '/v1/databases/nolazy/indexes')).body.indexes).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
