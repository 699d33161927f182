// Health, readiness, metrics, SSE and the listener, over a real data directory in a temp dir. Every wait is
// bounded (a stuck stream fails the test with a message instead of hanging), and nothing asserts on timing.
import { connect } from 'node:net';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, DataDirectory, type Database, type FileSystem, nodeFileSystem } from '../../core/index.js';
import type { HttpMetrics, ServerContext } from '../../http/context.js';
import { sseQueuedEventsMax } from '../../http/limits.js';
import { healthBody, readyStatus } from '../../http/observability/health.js';
import { createMetrics } from '../../http/observability/metrics.js';
import { loadEventsResponse, parseLastEventId, writeEventsResponse } from '../../http/observability/events.js';
import { type RunningServer, startServer } from '../../http/server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { overriding } from '../helpers/file-systems.js';

const waitMs = 10_000;

const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close().catch(() => undefined);
});

interface Fixture {
  ctx: ServerContext;
  handles: Map<string, Database>;
  failures: Map<string, string>;
  clock: Clock & { now: number };
  shutdown: AbortController;
}

function fakeClock(): Clock & { now: number } {
  const clock = { now: 1_700_000_000_000, nowMs: () => clock.now, monotonicMs: () => clock.now };
  return clock;
}

function fixture(data: DataDirectory, handles: Map<string, Database>, heartbeatMs = 60_000): Fixture {
  const failures = new Map<string, string>();
  const clock = fakeClock();
  const shutdown = new AbortController();
  const metrics: HttpMetrics = createMetrics(() => handles, clock);
  const ctx: ServerContext = {
    data,
    clock,
    settings: { token: undefined, metricsPublic: false, queryTimeoutMs: 30_000, heartbeatMs, retryAfterSeconds: 1, version: '0.1.0-test' },
    metrics,
    databases: () => new Map([...handles].sort(([a], [b]) => (a < b ? -1 : 1))),
    v1: () => Promise.reject(new Error('not used here')),
    failures: () => failures,
    adopt: (database) => handles.set(database.name, database),
    forget: (name) => handles.delete(name),
    closing: shutdown.signal,
  };
  return { ctx, handles, failures, clock, shutdown };
}

async function openData(dir = tempDir(), fs: FileSystem = nodeFileSystem): Promise<DataDirectory> {
  const data = await DataDirectory.open(dir, { fs });
  toClose.push(() => data.close());
  return data;
}

async function readyFixture(heartbeatMs?: number): Promise<Fixture & { alpha: Database; beta: Database }> {
  const data = await openData();
  const alpha = await data.create('alpha', { partitions: 2 });
  const beta = await data.create('beta', { partitions: 1 });
  const handles = new Map([
    ['alpha', alpha],
    ['beta', beta],
  ]);
  return { ...fixture(data, handles, heartbeatMs), alpha, beta };
}

/** A file system whose opens of one database's log files wait for `release`. */
function gatedFileSystem(database: string): { fs: FileSystem; release: () => void } {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const fs: FileSystem = overriding(nodeFileSystem, {
    open: async (path, mode) => {
      if (path.includes(`/${database}/`) && path.endsWith('.wal')) await gate;
      return nodeFileSystem.open(path, mode);
    },
  });
  return { fs, release };
}

function within<T>(promise: Promise<T>, what: string, ms = waitMs): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface SseBlock {
  comment?: string;
  id?: string;
  event?: string;
  data?: string;
}

/** Reads an SSE body block by block (a block ends with a blank line). */
class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(body: ReadableStream<Uint8Array> | null) {
    if (body === null) throw new Error('response has no body');
    this.reader = body.getReader();
  }

  /** The next block, or undefined at the end of the stream. */
  async next(): Promise<SseBlock | undefined> {
    for (let reads = 0; reads < 100_000; reads++) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseBlock(text);
      }
      const { done, value } = await within(this.reader.read(), 'the next SSE chunk');
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
    throw new Error('no block ended within 100000 reads');
  }

  /** The next `count` blocks that are events named `event` (skipping comments and other events). */
  async events(event: string, count: number): Promise<SseBlock[]> {
    const found: SseBlock[] = [];
    for (let blocks = 0; found.length < count && blocks < count + 1000; blocks++) {
      const block = await this.next();
      if (block === undefined) throw new Error(`stream ended after ${found.length} of ${count} '${event}' events`);
      if (block.event === event) found.push(block);
    }
    expect(found).toHaveLength(count);
    return found;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parseBlock(text: string): SseBlock {
  const block: SseBlock = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) block.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) block.id = line.slice(4);
    else if (line.startsWith('event: ')) block.event = line.slice(7);
    else if (line.startsWith('data: ')) block.data = line.slice(6);
  }
  return block;
}

function dataOf(block: SseBlock): Record<string, unknown> {
  return JSON.parse(block.data ?? 'null') as Record<string, unknown>;
}

async function scrape(metrics: HttpMetrics): Promise<PrometheusFamily[]> {
  const { contentType, body } = await metrics.render();
  expect(contentType).toMatch(/^text\/plain/);
  return parsePrometheusTextFormat(body);
}

/** The value of one sample (counter or gauge) with exactly these labels; undefined when absent. */
function sample(families: PrometheusFamily[], name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((candidate) => candidate.name === name);
  const match = family?.metrics.find((metric) => JSON.stringify(metric.labels ?? {}) === JSON.stringify(labels));
  return match?.value === undefined ? undefined : Number(match.value);
}

describe('metrics', () => {
  it('parses as Prometheus text, and request counters rise by N after N requests', async () => {
    const { ctx } = await readyFixture();
    const route = 'POST /v1/databases/:db/put';
    const before = await scrape(ctx.metrics);
    expect(sample(before, 'nedb_http_requests_total', { route, status: '200' }) ?? 0).toBe(0);
    const n = 7;
    for (let i = 0; i < n; i++) ctx.metrics.observeRequest(route, 200, 0.002);
    ctx.metrics.observeRequest(route, 409, 0.001);
    const after = await scrape(ctx.metrics);
    expect(sample(after, 'nedb_http_requests_total', { route, status: '200' })).toBe(n);
    expect(sample(after, 'nedb_http_requests_total', { route, status: '409' })).toBe(1);
    const histogram = after.find((family) => family.name === 'nedb_http_request_duration_seconds');
    expect(histogram?.type).toBe('HISTOGRAM');
    // This parser folds a labelled histogram into one sample of buckets (its labels and _count are lost); with
    // one route observed, the +Inf bucket is that route's count.
    expect(Number(histogram?.metrics[0]?.buckets?.['+Inf'])).toBe(n + 1);
    expect(after.some((family) => family.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('reflects N writes in the per-database series', async () => {
    const { ctx, alpha, clock } = await readyFixture();
    const before = await scrape(ctx.metrics);
    expect(sample(before, 'nedb_writes_seq', { db: 'alpha' })).toBe(-1);
    expect(sample(before, 'nedb_documents', { db: 'alpha' })).toBe(0);
    const fsyncsBefore = sample(before, 'nedb_fsyncs_total', { db: 'alpha' }) ?? 0;
    const n = 12;
    for (let i = 0; i < n; i++) await alpha.put('users', `u${i}`, { i }, { durability: 'sync' });
    await alpha.delete('users', 'u0');
    clock.now = alpha.status().lastCheckpointMs + 42_000;
    const after = await scrape(ctx.metrics);
    expect(sample(after, 'nedb_writes_seq', { db: 'alpha' })).toBe(n);
    expect(sample(after, 'nedb_documents', { db: 'alpha' })).toBe(n - 1);
    expect(sample(after, 'nedb_fsyncs_total', { db: 'alpha' })).toBeGreaterThan(fsyncsBefore);
    expect(sample(after, 'nedb_fsync_seconds_total', { db: 'alpha' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'nedb_documents_per_fsync', { db: 'alpha' })).toBeGreaterThan(0);
    expect(sample(after, 'nedb_log_bytes_since_checkpoint', { db: 'alpha' })).toBeGreaterThan(0);
    expect(sample(after, 'nedb_checkpoint_age_seconds', { db: 'alpha' })).toBe(42);
    expect(sample(after, 'nedb_database_ready', { db: 'alpha' })).toBe(1);
    expect(sample(after, 'nedb_database_writable', { db: 'alpha' })).toBe(1);
    expect(sample(after, 'nedb_database_load_percent', { db: 'alpha' })).toBe(100);
    expect(sample(after, 'nedb_writes_seq', { db: 'beta' })).toBe(-1);
  });
});

describe('health and readiness', () => {
  it('answers at once while a database loads, with progress, and /ready goes from 503 to 200', async () => {
    const dir = tempDir();
    const seed = await DataDirectory.open(dir);
    const slowSeed = await seed.create('slow', { partitions: 1 });
    for (let i = 0; i < 20; i++) await slowSeed.put('c', `k${i}`, { i });
    await seed.create('fast', { partitions: 1 });
    await seed.close();

    const { fs, release } = gatedFileSystem('slow');
    const data = await openData(dir, fs);
    const slow = await data.openLoading('slow');
    const fast = await data.open('fast');
    const { ctx, failures } = fixture(
      data,
      new Map([
        ['slow', slow],
        ['fast', fast],
      ]),
    );
    failures.set('broken', 'MANIFEST: bad checksum');
    expect(slow.state.state).toBe('loading');

    const loading = await within(healthBody(ctx), 'health while loading');
    expect(loading).toMatchObject({ ok: true, service: 'nedbd', version: '0.1.0-test', databases: ['fast', 'slow'], encrypted: false });
    expect(loading.ready).toBe(false);
    expect(Object.keys(loading.loading)).toEqual(['slow']);
    expect(loading.loading['slow']).toMatchObject({ percent: expect.any(Number), bytesDone: expect.any(Number) });
    expect(loading.failed).toEqual({ broken: 'MANIFEST: bad checksum' });
    expect(readyStatus(ctx)).toEqual({ status: 503, body: { ready: false, loading: ['slow'] } });
    const metrics = await scrape(ctx.metrics);
    expect(sample(metrics, 'nedb_database_ready', { db: 'slow' })).toBe(0);
    expect(sample(metrics, 'nedb_database_writable', { db: 'slow' })).toBe(0);
    expect(sample(metrics, 'nedb_database_ready', { db: 'fast' })).toBe(1);

    const events = new SseReader(loadEventsResponse(ctx, new Request('http://test/events')).body);
    const [first] = await events.events('progress', 1);
    expect(dataOf(first!)).toMatchObject({ db: 'fast', state: 'ready', percent: 100 });

    release();
    await within(slow.ready, 'the slow database to load');
    expect(readyStatus(ctx)).toEqual({ status: 200, body: { ready: true } });
    const ready = await healthBody(ctx);
    expect(ready.ready).toBe(true);
    expect(ready.loading).toEqual({});
    const [done] = await events.events('ready', 1);
    expect(dataOf(done!)).toEqual({ ready: true });
    await events.cancel();
  });
});

describe('write events', () => {
  it('sends one event per write with the seq as id, and resumes with Last-Event-ID without gaps or duplicates', async () => {
    const { ctx, alpha } = await readyFixture();
    const first = new SseReader(writeEventsResponse(ctx, alpha, new Request('http://test/v1/databases/alpha/events')).body);
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push(await alpha.put('users', `u${i}`, { i }));
    seqs.push(await alpha.delete('users', 'u1'));
    const received = await first.events('write', 6);
    expect(received.map((block) => Number(block.id))).toEqual(seqs);
    expect(received.map(dataOf)).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => ({ seq: seqs[i], coll: 'users', id: `u${i}`, op: 'put' })),
      { seq: seqs[5], coll: 'users', id: 'u1', op: 'delete' },
    ]);
    const lastSeen = seqs[2]!; // the client saw up to here, then lost the connection
    await first.cancel();

    const missed: number[] = [];
    for (let i = 5; i < 8; i++) missed.push(await alpha.put('orders', `o${i}`, { i }));
    const resumed = new SseReader(
      writeEventsResponse(ctx, alpha, new Request('http://test/v1/databases/alpha/events', { headers: { 'Last-Event-ID': String(lastSeen) } })).body,
    );
    const live = await alpha.put('orders', 'live', {});
    const expected = [...seqs.slice(3), ...missed, live];
    const replayed = await resumed.events('write', expected.length);
    expect(replayed.map((block) => Number(block.id))).toEqual(expected);
    const once = await alpha.put('orders', 'after', {});
    const [next] = await resumed.events('write', 1);
    expect(Number(next!.id)).toBe(once); // nothing duplicated in between
    await resumed.cancel();
  });

  it('sends heartbeats, and ends the stream when the server begins shutting down', async () => {
    const { ctx, alpha, shutdown } = await readyFixture(10);
    const stream = new SseReader(writeEventsResponse(ctx, alpha, new Request('http://test/v1/databases/alpha/events')).body);
    let heartbeats = 0;
    for (let blocks = 0; heartbeats < 3 && blocks < 100; blocks++) if ((await stream.next())?.comment === 'heartbeat') heartbeats++;
    expect(heartbeats).toBe(3);
    shutdown.abort();
    let ended = false;
    for (let blocks = 0; !ended && blocks < 100; blocks++) ended = (await stream.next()) === undefined;
    expect(ended).toBe(true);
    const refused = writeEventsResponse(ctx, alpha, new Request('http://test/v1/databases/alpha/events'));
    expect(refused.status).toBe(503);
  });

  it('drops a client that does not read instead of queueing without bound', async () => {
    const { ctx, alpha } = await readyFixture();
    const response = writeEventsResponse(ctx, alpha, new Request('http://test/v1/databases/alpha/events'));
    const chunk = 4000;
    let written = 0;
    for (let batch = 0; written <= sseQueuedEventsMax; batch++) {
      const ops = Array.from({ length: chunk }, (_, i) => ({ op: 'put' as const, coll: 'c', id: `b${batch}-${i}`, doc: {} }));
      await alpha.batch(ops);
      written += chunk;
    }
    const reader = response.body!.getReader();
    await expect(within(reader.read(), 'the dropped stream to error')).rejects.toThrow(/too slow/);
  });

  it('ignores a malformed Last-Event-ID', () => {
    expect(parseLastEventId(null)).toBeUndefined();
    expect(parseLastEventId('abc')).toBeUndefined();
    expect(parseLastEventId('1.5')).toBeUndefined();
    expect(parseLastEventId('-2')).toBeUndefined();
    expect(parseLastEventId('-1')).toBe(-1);
    expect(parseLastEventId(' 42 ')).toBe(42);
  });
});

describe('startServer', () => {
  async function started(fetch: (request: Request) => Response | Promise<Response>): Promise<RunningServer> {
    const server = await startServer({ fetch, host: '127.0.0.1', port: 0 });
    toClose.push(() => server.close(0));
    return server;
  }

  it('binds a random port, answers, and refuses oversized headers', async () => {
    const server = await started(() => new Response('hello'));
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`http://127.0.0.1:${server.port}`);
    const reply = await within(fetch(`${server.address}/`), 'a reply');
    expect(await reply.text()).toBe('hello');
    const tooLarge = await within(fetch(`${server.address}/`, { headers: { 'X-Big': 'x'.repeat(64 << 10) } }), 'a 431');
    expect(tooLarge.status).toBe(431);
  });

  it('lets an in-flight request finish within the grace period, then stops accepting', async () => {
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const server = await started(async (request) => {
      if (new URL(request.url).pathname !== '/slow') return new Response('fast');
      arrived();
      await finished;
      return new Response('slow done');
    });
    const slow = fetch(`${server.address}/slow`);
    await within(arrival, 'the slow request to arrive');
    const closing = server.close(waitMs);
    expect(await canConnect(server.port)).toBe(false);
    finish();
    const reply = await within(slow, 'the slow reply');
    expect(reply.status).toBe(200);
    expect(await reply.text()).toBe('slow done');
    await within(closing, 'close to finish');
  });

  it('streams write events over HTTP and closes them on shutdown', async () => {
    const { ctx, alpha, shutdown } = await readyFixture();
    const server = await started((request) => writeEventsResponse(ctx, alpha, request));
    const response = await within(fetch(`${server.address}/v1/databases/alpha/events`), 'the SSE headers');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const stream = new SseReader(response.body);
    await stream.next(); // the opening comment: subscribed
    const seq = await alpha.put('c', 'k', { v: 1 });
    const [event] = await stream.events('write', 1);
    expect(Number(event!.id)).toBe(seq);
    shutdown.abort();
    await within(server.close(waitMs), 'close with an open SSE stream');
    let ended = false;
    for (let blocks = 0; !ended && blocks < 100; blocks++) ended = (await stream.next().catch(() => undefined)) === undefined;
    expect(ended).toBe(true);
  });
});

/** Whether a TCP connection to the port is accepted. */
function canConnect(port: number): Promise<boolean> {
  return within(
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    }),
    'a connection attempt',
  );
}
