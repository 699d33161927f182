// Scenario `explorer-mix` (WORKLOAD.md S2): N blocks checkpointed into a data directory, a real `nedb serve` on
// it, explicit sorted indexes (height, and the compound (miner, height) where the server takes one), then two
// timed phases over HTTP/1.1 keep-alive, --case-ms each, after an untimed warm-up of the readers:
//   1. readers only: 32 readers looping over the explorer's mix (top-10 40 %, get by id 40 %, 100-height range
//      15 %, a miner's newest 20 5 %), each reader's choices from its own seeded PRNG so runs repeat;
//   2. the same readers plus a backfill writer (500-document /batch requests, one at a time, heights from N up)
//      and a live writer (one PUT every 100 ms, heights from N + 100,000,000 up: the chain tip, so the top-10
//      follows it), both at the server's default durability (sync).
// Per query kind and phase: count, p50, p99; phase 2 against phase 1; backfill documents/s (over the time the
// writers ran); live ack p50/p99. Each reader's PRNG has the same seed in both phases, so both phases ask the
// same questions in the same order.
// Every answer is checked (row count, heights, miner) without hashing, to keep the load generator light: it
// runs in this process and shares the machine's cores with the server.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { Agent } from 'node:http';
import { type Reply, callText } from './http-call.js';
import { join } from 'node:path';
import { blockDocument, blockRange, blocksCollName, explorerDbName, isBlock } from './blocks.js';
import { repositoryRoot } from './child-process.js';
import { buildExplorerDirectory } from './explorer-directory.js';
import { type BenchResult, type Metric, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder, elapsedUs } from './stats.js';

const readerCount = 32;
const backfillBatchDocs = 500;
const liveIntervalMs = 100;
/** The live writer's first height: far above anything the backfill writer reaches in one phase. */
const liveHeightOffset = 100_000_000;
const minerQueried = 'miner-7';
const samplesPerKind = 1 << 20;
const warmupRunsPerKind = 3;
/** Untimed readers before phase 1 (at most this long, or --case-ms when shorter): the server's JIT settles. */
const warmupReadersMs = 3000;
const buildTimeLimitMs = 20 * 60_000;
const startTimeLimitMs = 60_000;
const indexTimeLimitMs = 10 * 60_000;
const readerSeed = 0x5eed_0002;

const dbPath = `/v1/databases/${explorerDbName}`;

export const queryKinds = ['top10', 'get', 'range100', 'miner-top20'] as const;
export type QueryKind = (typeof queryKinds)[number];
/** Cumulative shares of the mix, in the order of queryKinds (WORKLOAD.md S2: 40 / 40 / 15 / 5 %). */
const mixCumulative: readonly number[] = [0.4, 0.8, 0.95, 1];

export const phaseNames = ['readers-only', 'with-writers'] as const;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function call(agent: Agent, port: number, method: string, path: string, body?: string): Promise<Reply> {
  return callText(agent, port, method, path, body);
}

async function callOk(agent: Agent, port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const reply = await call(agent, port, method, path, body === undefined ? undefined : JSON.stringify(body));
  if (reply.status !== 200 && reply.status !== 201) throw new Error(`${method} ${path} answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  return JSON.parse(reply.text) as unknown;
}

interface Server {
  child: ChildProcess;
  port: number;
  /** performance.now() of each automatic checkpoint the server logged (NEDB_DEBUG=1 info lines). */
  checkpointsAtMs: number[];
}

/** `nedb serve` on `dataDir` with its defaults (durability sync, automatic checkpoints every 100,000 writes). */
function startNedb(dataDir: string, progress: (line: string) => void): Promise<Server> {
  const child = spawn(process.execPath, [join(repositoryRoot(), 'dist', 'nedb.js'), 'serve', '--data', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NEDB_DEBUG: '1' },
  });
  const checkpointsAtMs: number[] = [];
  let pending = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (/^info: checkpoint of /.test(line)) checkpointsAtMs.push(performance.now());
      if (!line.startsWith('info: ') || /lazy index/.test(line)) progress(`  server: ${line}`);
    }
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nedb serve did not start: ${output}`)), startTimeLimitMs);
    child.on('exit', (code) => reject(new Error(`nedb serve exited with ${code}: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving http:\/\/[\d.]+:(\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]), checkpointsAtMs });
    });
  });
}

async function stopNedb(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

interface IndexListing {
  indexes: { coll: string; fields: string[]; kind: string; state: string; lazy: boolean }[];
}

function indexLabel(index: IndexListing['indexes'][number]): string {
  return `${index.coll}.${index.fields.join('+')}:${index.kind}${index.lazy ? ':lazy' : ''}`;
}

/** Polls GET …/indexes until every listed index is ready; returns the listing. */
async function whenIndexesReady(agent: Agent, port: number, deadlineMs: number): Promise<IndexListing> {
  for (;;) {
    const listed = (await callOk(agent, port, 'GET', `${dbPath}/indexes`)) as IndexListing;
    if (listed.indexes.every((index) => index.state === 'ready')) return listed;
    if (performance.now() > deadlineMs) throw new Error(`bench: indexes not ready in time: ${listed.indexes.map(indexLabel).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The request of one read, and the check of its answer. */
interface ReadRequest {
  method: string;
  path: string;
  body?: string;
  check: (answer: unknown) => boolean;
}

interface Rows {
  rows: { height: number; miner: string }[];
}

function descending(rows: Rows['rows']): boolean {
  return rows.every((row, i) => i === 0 || row.height < rows[i - 1]!.height);
}

function readRequest(kind: QueryKind, random: () => number, docs: number): ReadRequest {
  switch (kind) {
    case 'top10':
      return {
        method: 'POST',
        path: `${dbPath}/query`,
        body: JSON.stringify({ nql: `FROM ${blocksCollName} ORDER BY height DESC LIMIT 10` }),
        check: (answer) => {
          const rows = (answer as Rows).rows;
          return rows.length === 10 && descending(rows) && rows[0]!.height >= docs - 1;
        },
      };
    case 'get': {
      const height = Math.floor(random() * docs);
      return {
        method: 'GET',
        path: `${dbPath}/rows/${blocksCollName}/${height}`,
        check: (answer) => {
          const doc = (answer as { doc: { height: number; miner: string } }).doc;
          return doc.height === height && doc.miner === `miner-${height % 50}`;
        },
      };
    }
    case 'range100': {
      const x = Math.floor(random() * Math.max(1, docs - 100));
      return {
        method: 'POST',
        path: `${dbPath}/query`,
        body: JSON.stringify({ nql: `FROM ${blocksCollName} WHERE height >= ${x} AND height < ${x + 100}` }),
        check: (answer) => {
          const rows = (answer as Rows).rows;
          return rows.length === Math.min(100, docs - x) && rows.every((row) => row.height >= x && row.height < x + 100);
        },
      };
    }
    case 'miner-top20':
      return {
        method: 'POST',
        path: `${dbPath}/query`,
        body: JSON.stringify({ nql: `FROM ${blocksCollName} WHERE miner = "${minerQueried}" ORDER BY height DESC LIMIT 20` }),
        check: (answer) => {
          const rows = (answer as Rows).rows;
          return rows.length === 20 && descending(rows) && rows.every((row) => row.miner === minerQueried);
        },
      };
  }
}

function pickKind(random: () => number): QueryKind {
  const draw = random();
  const at = mixCumulative.findIndex((bound) => draw < bound);
  return queryKinds[at < 0 ? queryKinds.length - 1 : at]!;
}

interface KindStats {
  latency: LatencyRecorder;
  wrong: number;
  failures: number;
}

/** One phase's readers. */
interface PhaseStats {
  /** Each reader's PRNG; the same seeds in both phases, so both ask the same questions in the same order. */
  randoms: (() => number)[];
  byKind: Record<QueryKind, KindStats>;
  seconds: number;
  checkpoints: number;
  firstFailure: string | undefined;
}

function phaseStats(seed: number): PhaseStats {
  return {
    randoms: Array.from({ length: readerCount }, (_, reader) => seededRandom(seed + reader)),
    byKind: Object.fromEntries(queryKinds.map((kind) => [kind, { latency: new LatencyRecorder(samplesPerKind), wrong: 0, failures: 0 }])) as Record<QueryKind, KindStats>,
    seconds: 0,
    checkpoints: 0,
    firstFailure: undefined,
  };
}

/** 32 readers over the mix until `caseTimeMs` has passed; every reader finishes its request in flight. */
async function runReaders(agent: Agent, port: number, docs: number, caseTimeMs: number, phase: string, stats: PhaseStats): Promise<void> {
  const startMs = performance.now();
  const endMs = startMs + caseTimeMs;
  await Promise.all(
    stats.randoms.map(async (random) => {
      while (performance.now() < endMs) {
        const kind = pickKind(random);
        const read = readRequest(kind, random, docs);
        const kindStats = stats.byKind[kind];
        const callStartMs = performance.now();
        const reply = await call(agent, port, read.method, read.path, read.body);
        kindStats.latency.record(elapsedUs(callStartMs));
        if (reply.status !== 200) {
          kindStats.failures++;
          stats.firstFailure ??= `${phase} ${kind}: ${reply.status} ${reply.text.slice(0, 200)}`;
        } else if (!read.check(JSON.parse(reply.text))) {
          kindStats.wrong++;
          stats.firstFailure ??= `${phase} ${kind}: wrong answer ${reply.text.slice(0, 200)}`;
        }
      }
    }),
  );
  stats.seconds += elapsedUs(startMs) / 1e6;
}

/** One writer of phase 2. */
interface WriterStats {
  agent: Agent;
  first: number;
  next: number;
  latency: LatencyRecorder;
  failures: number;
  /** Time the writer ran. */
  seconds: number;
  /** Live writer: ticks that went out more than one interval behind their schedule. */
  late: number;
}

function writerStats(first: number): WriterStats {
  return { agent: new Agent({ keepAlive: true, maxSockets: 1 }), first, next: first, latency: new LatencyRecorder(samplesPerKind), failures: 0, seconds: 0, late: 0 };
}

/** 500-document batches, one at a time, heights from `stats.next` up, until `stop.stopped`. */
async function backfillWriter(port: number, stats: WriterStats, stop: { stopped: boolean }): Promise<void> {
  const startMs = performance.now();
  while (!stop.stopped) {
    const ops = blockRange(stats.next, backfillBatchDocs).map((doc) => ({ op: 'put', coll: blocksCollName, id: String(doc.height), doc }));
    const body = JSON.stringify({ ops });
    const callStartMs = performance.now();
    const reply = await call(stats.agent, port, 'POST', `${dbPath}/batch`, body);
    stats.latency.record(elapsedUs(callStartMs));
    if (reply.status !== 200) stats.failures++;
    else stats.next += backfillBatchDocs;
  }
  stats.seconds += elapsedUs(startMs) / 1e6;
}

/** One PUT every `liveIntervalMs` (on a fixed schedule; a late one goes at once), heights from `stats.next` up. */
async function liveWriter(port: number, stats: WriterStats, stop: { stopped: boolean }): Promise<void> {
  const startMs = performance.now();
  for (let tick = 0; !stop.stopped; tick++) {
    const waitMs = startMs + tick * liveIntervalMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    else if (tick > 0 && waitMs < -liveIntervalMs) stats.late++;
    if (stop.stopped) break;
    const body = JSON.stringify({ coll: blocksCollName, id: String(stats.next), doc: blockDocument(stats.next) });
    const callStartMs = performance.now();
    const reply = await call(stats.agent, port, 'POST', `${dbPath}/put`, body);
    stats.latency.record(elapsedUs(callStartMs));
    if (reply.status !== 200) stats.failures++;
    else stats.next++;
  }
  stats.seconds += elapsedUs(startMs) / 1e6;
}

async function getBlock(agent: Agent, port: number, height: number): Promise<boolean> {
  const reply = await call(agent, port, 'GET', `${dbPath}/rows/${blocksCollName}/${height}`);
  if (reply.status !== 200) return false;
  // v1 adds its own fields (`_seq`, …) to a stored document; the block is the rest, in the order written.
  const stored = (JSON.parse(reply.text) as { doc: Record<string, unknown> }).doc;
  return isBlock(Object.fromEntries(Object.entries(stored).filter(([key]) => !key.startsWith('_'))), height);
}

function checkpointsBetween(server: Server, fromMs: number, toMs: number): number {
  return server.checkpointsAtMs.filter((atMs) => atMs >= fromMs && atMs <= toMs).length;
}

export async function runExplorerMix(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-mix-', async (dir) => {
    const dataDir = join(dir, 'data');
    options.progress(`  building ${options.docs} checkpointed blocks`);
    const build = await buildExplorerDirectory(dataDir, { checkpointedDocs: options.docs, tailDocs: 0, checkpoint: true, timeLimitMs: buildTimeLimitMs, progress: options.progress });
    const buildMs = build.importMs + build.checkpointMs;
    options.progress(`  built in ${Math.round(buildMs)} ms`);
    const server = await startNedb(dataDir, options.progress);
    const agent = new Agent({ keepAlive: true, maxSockets: readerCount });
    try {
      const { port } = server;
      // Wait until the database has loaded (queries answer `ready: false` meanwhile).
      for (const deadlineMs = performance.now() + startTimeLimitMs; ; ) {
        const reply = await call(agent, port, 'GET', '/ready');
        if (reply.status === 200) break;
        if (performance.now() > deadlineMs) throw new Error(`bench: the server never became ready: ${reply.text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const indexStartMs = performance.now();
      await callOk(agent, port, 'POST', `${dbPath}/index`, { coll: blocksCollName, field: 'height', kind: 'sorted' });
      const compound = await call(agent, port, 'POST', `${dbPath}/index`, JSON.stringify({ coll: blocksCollName, fields: ['miner', 'height'], kind: 'sorted' }));
      const compoundIndex = compound.status === 200;
      if (!compoundIndex) options.progress(`  compound index (miner, height) not created: ${compound.status} ${compound.text.slice(0, 200)}`);
      await whenIndexesReady(agent, port, performance.now() + indexTimeLimitMs);
      const indexReadyMs = performance.now() - indexStartMs;
      options.progress(`  explicit indexes ready in ${Math.round(indexReadyMs)} ms`);
      // Warm-up: every kind a few times, one at a time (a lazy index the planner wants is created now and
      // waited for, not in the middle of a timed phase), then the readers untimed for a while (the server's JIT).
      const warmRandom = seededRandom(readerSeed - 1);
      for (const kind of queryKinds)
        for (let run = 0; run < warmupRunsPerKind; run++) {
          const read = readRequest(kind, warmRandom, options.docs);
          const reply = await call(agent, port, read.method, read.path, read.body);
          if (reply.status !== 200 || !read.check(JSON.parse(reply.text))) throw new Error(`bench: warm-up ${kind} failed: ${reply.status} ${reply.text.slice(0, 300)}`);
        }
      const listing = await whenIndexesReady(agent, port, performance.now() + indexTimeLimitMs);
      const indexes = listing.indexes.map(indexLabel).join(',');
      options.progress(`  indexes: ${indexes}`);
      const warmup = phaseStats(readerSeed + 1000);
      await runReaders(agent, port, options.docs, Math.min(warmupReadersMs, options.caseTimeMs), 'warm-up', warmup);
      if (warmup.firstFailure !== undefined) options.progress(`  warm-up: ${warmup.firstFailure}`);

      // Phase 1 runs before any write, so no checkpoint or write work of phase 2 can spill into it. (Alternating
      // the phases in short rounds would spread drift over both, but an automatic checkpoint the writers start
      // then finishes in a readers-only round.) Run it on an otherwise idle machine.
      const readersOnly = phaseStats(readerSeed);
      let phaseStartMs = performance.now();
      await runReaders(agent, port, options.docs, options.caseTimeMs, 'readers-only', readersOnly);
      readersOnly.checkpoints = checkpointsBetween(server, phaseStartMs, performance.now());

      const withWriters = phaseStats(readerSeed);
      const backfilled = writerStats(options.docs);
      const lived = writerStats(options.docs + liveHeightOffset);
      phaseStartMs = performance.now();
      const stop = { stopped: false };
      const writers = Promise.all([backfillWriter(port, backfilled, stop), liveWriter(port, lived, stop)]);
      try {
        await runReaders(agent, port, options.docs, options.caseTimeMs, 'with-writers', withWriters);
      } finally {
        stop.stopped = true;
        await writers.finally(() => {
          backfilled.agent.destroy();
          lived.agent.destroy();
        });
      }
      withWriters.checkpoints = checkpointsBetween(server, phaseStartMs, performance.now());
      options.progress(`  readers only: ${summary(readersOnly)}`);
      options.progress(`  with writers: ${summary(withWriters)}`);
      const backfilledDocs = backfilled.next - backfilled.first;
      const livePuts = lived.next - lived.first;
      options.progress(`  backfill: ${backfilledDocs} docs, ${Math.round(backfilledDocs / backfilled.seconds)} docs/s; live: ${livePuts} puts, p50 ${Math.round(lived.latency.percentileUs(50))} us`);
      const writesReadBack =
        (backfilledDocs === 0 || (await getBlock(agent, port, backfilled.next - 1))) && (livePuts === 0 || (await getBlock(agent, port, lived.next - 1)));

      const results: BenchResult[] = [];
      const ran = { readers: readerCount, docs: options.docs };
      for (const [phase, outcome] of [
        ['readers-only', readersOnly],
        ['with-writers', withWriters],
      ] as const) {
        const reads = queryKinds.reduce((sum, kind) => sum + outcome.byKind[kind].latency.count, 0);
        const failures = queryKinds.reduce((sum, kind) => sum + outcome.byKind[kind].failures, 0);
        const wrong = queryKinds.reduce((sum, kind) => sum + outcome.byKind[kind].wrong, 0);
        results.push({
          scenario: 'explorer-mix',
          name: `explorer-mix/${phase}/all`,
          metrics: { ...ran, seconds: outcome.seconds, reads, readsPerSec: reads / outcome.seconds, failures, wrong, checkpoints: outcome.checkpoints, correct: wrong === 0 },
        });
        for (const kind of queryKinds) {
          const stats = outcome.byKind[kind];
          const metrics: Record<string, Metric> = {
            count: stats.latency.count,
            perSec: stats.latency.count / outcome.seconds,
            p50Us: stats.latency.percentileUs(50),
            p99Us: stats.latency.percentileUs(99),
            maxUs: stats.latency.maxUs,
            failures: stats.failures,
            wrong: stats.wrong,
          };
          if (phase === 'with-writers') {
            const base = readersOnly.byKind[kind].latency;
            metrics.p50Ratio = stats.latency.percentileUs(50) / base.percentileUs(50);
            metrics.p99Ratio = stats.latency.percentileUs(99) / base.percentileUs(99);
          }
          results.push({ scenario: 'explorer-mix', name: `explorer-mix/${phase}/${kind}`, metrics });
        }
      }
      results.push({
        scenario: 'explorer-mix',
        name: 'explorer-mix/with-writers/backfill',
        metrics: {
          docs: backfilledDocs,
          batches: backfilled.latency.count,
          docsPerBatch: backfillBatchDocs,
          seconds: backfilled.seconds,
          docsPerSec: backfilledDocs / backfilled.seconds,
          p50Us: backfilled.latency.percentileUs(50),
          p99Us: backfilled.latency.percentileUs(99),
          maxUs: backfilled.latency.maxUs,
          failures: backfilled.failures,
        },
      });
      results.push({
        scenario: 'explorer-mix',
        name: 'explorer-mix/with-writers/live',
        metrics: {
          puts: livePuts,
          intervalMs: liveIntervalMs,
          p50Us: lived.latency.percentileUs(50),
          p99Us: lived.latency.percentileUs(99),
          maxUs: lived.latency.maxUs,
          late: lived.late,
          failures: lived.failures,
          correct: writesReadBack,
        },
      });
      results.push({
        scenario: 'explorer-mix',
        name: 'explorer-mix/setup',
        metrics: {
          docs: options.docs,
          buildMs,
          indexReadyMs,
          compoundIndex,
          indexes,
          // The load generator (this process) and the server share these cores.
          cpus: cpus().length,
          loadSharesCores: true,
          durability: 'sync',
        },
      });
      const failure = readersOnly.firstFailure ?? withWriters.firstFailure;
      if (failure !== undefined) options.progress(`  first failed read: ${failure}`);
      return results;
    } finally {
      agent.destroy();
      await stopNedb(server);
    }
  });
}

function summary(outcome: PhaseStats): string {
  return queryKinds
    .map((kind) => {
      const latency = outcome.byKind[kind].latency;
      return `${kind} ${latency.count} p50 ${Math.round(latency.percentileUs(50))} us p99 ${Math.round(latency.percentileUs(99))} us`;
    })
    .join('; ');
}
