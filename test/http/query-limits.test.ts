// Long queries: a scan yields to the event loop, so /health answers while it runs, and a query past its time
// limit stops with a clear error instead of running on.
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/test-server.js';

async function fill(server: Awaited<ReturnType<typeof startTestServer>>, db: string, docs: number): Promise<void> {
  await server.request('POST', '/v1/databases', { name: db });
  for (let first = 0; first < docs; first += 500) {
    const ops = Array.from({ length: Math.min(500, docs - first) }, (_, i) => ({ op: 'put', coll: 'blocks', id: String(first + i), doc: { height: first + i, pad: 'x'.repeat(100) } }));
    expect((await server.request('POST', `/v1/databases/${db}/batch`, { ops })).status).toBe(200);
  }
}

describe('long queries', () => {
  it('answers /health while a full scan runs', async () => {
    const server = await startTestServer();
    try {
      await fill(server, 'big', 30_000);
      const order: string[] = [];
      const scan = server.request('POST', '/v1/databases/big/query', { nql: 'FROM blocks WHERE height < 0' }).then((reply) => {
        order.push('query');
        return reply;
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const health = await server.request('GET', '/health');
      order.push('health');
      expect(health.status).toBe(200);
      expect((await scan).body.count).toBe(0);
      expect(order).toEqual(['health', 'query']);
    } finally {
      await server.close();
    }
  });

  it('stops a query that runs past its limit with a clear error', async () => {
    const server = await startTestServer({ queryTimeoutMs: 1 });
    try {
      await fill(server, 'slow', 20_000);
      const reply = await server.request('POST', '/v1/databases/slow/query', { nql: 'FROM blocks ORDER BY height DESC' });
      expect(reply.body.code).toBe('QUERY_TIMEOUT');
      expect(reply.body.error).toContain('1 ms limit');
    } finally {
      await server.close();
    }
  });
});

describe('large answers', () => {
  it('streams a bare FROM over more rows than it buffers, as one valid JSON body', async () => {
    const server = await startTestServer();
    try {
      await fill(server, 'wide', 25_000);
      const reply = await server.request('POST', '/v1/databases/wide/query', { nql: 'FROM blocks' });
      expect(reply.status).toBe(200);
      expect(reply.body.count).toBe(25_000);
      expect(reply.body.rows).toHaveLength(25_000);
      expect(reply.body.seq).toBe(24_999);
      expect(new Set(reply.body.rows.map((row: { _id: string }) => row._id)).size).toBe(25_000);
      const paged = await server.request('POST', '/v1/databases/wide/query', { nql: 'FROM blocks LIMIT 20000 SELECT height' });
      expect(paged.body.rows).toHaveLength(20_000);
      expect(Object.keys(paged.body.rows[0])).toEqual(['height']);
      expect(typeof paged.body.cursor).toBe('string');
    } finally {
      await server.close();
    }
  });
});
