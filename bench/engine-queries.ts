// Scenario `engine-queries` (S2's reads, in-engine): N blocks with sorted indexes on height and [miner, height]
// (SQLite gets the same two), then the
// explorer's queries through NQL on the engine (no HTTP) — with the indexes ready, and without them — and the
// same queries on SQLite (better-sqlite3 12, indexed) in the same run when it is installed. SQLite is a
// benchmark-only peer, never in the project's dependencies: install it beside the repository
// (`npm install --prefix ../sqlite-peer better-sqlite3@12`) and pass NEDB_SQLITE_DIR=../sqlite-peer.
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { DataDirectory, V1Database, systemClock } from '../core/index.js';
import { runQuery } from '../nql/index.js';
import { DatabaseQuerySource } from '../http/query-source.js';
import { blockDocument } from './blocks.js';
import { importBlocks } from './explorer-directory.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder } from './stats.js';

const indexedRuns = 2000;
/**
 * Untimed runs before an indexed case, so its percentiles are the optimized code's and not the JIT's warm-up
 * (a hot query is asked thousands of times; V8 needs a few thousand runs of a short one to settle), bounded in time.
 */
const warmupRuns = 4000;
const warmupMsMax = 2000;
const scanRuns = 3;
const buildTimeLimitMs = 20 * 60_000;

interface QueryCase {
  name: string;
  nql: (x: number) => string;
  sql: string;
  sqlArgs: (x: number) => unknown[];
  /** Runs a full scan without an index: only a few runs. */
  scans: boolean;
  /** Also timed with the decoded-document cache emptied before each run (`<name>-cold`). */
  coldCase?: boolean;
}

function cases(docs: number): QueryCase[] {
  const all: QueryCase[] = [
    { name: 'top10', nql: () => 'FROM blocks ORDER BY height DESC LIMIT 10', sql: 'SELECT * FROM blocks ORDER BY height DESC LIMIT 10', sqlArgs: () => [], scans: false, coldCase: true },
    {
      name: 'range100-ordered',
      nql: (x: number) => `FROM blocks WHERE height >= ${x} AND height < ${x + 100} ORDER BY height LIMIT 100`,
      sql: 'SELECT * FROM blocks WHERE height >= ? AND height < ? ORDER BY height LIMIT 100',
      sqlArgs: (x: number) => [x, x + 100],
      scans: false,
    },
    {
      name: 'miner-top20',
      nql: () => 'FROM blocks WHERE miner = "miner-7" ORDER BY height DESC LIMIT 20',
      sql: 'SELECT * FROM blocks WHERE miner = ? ORDER BY height DESC LIMIT 20',
      sqlArgs: () => ['miner-7'],
      scans: false,
    },
    {
      name: 'range100-unordered',
      nql: (x: number) => `FROM blocks WHERE height >= ${x} AND height < ${x + 100}`,
      sql: 'SELECT * FROM blocks WHERE height >= ? AND height < ?',
      sqlArgs: (x: number) => [x, x + 100],
      scans: false,
    },
  ];
  return docs > 0 ? all : [];
}

/** `beforeEach` runs outside the timed part (the cold case empties the decoded-document cache there). */
async function timeNedb(
  source: () => DatabaseQuerySource, query: QueryCase, runs: number, docs: number, beforeEach?: () => void,
): Promise<{ latency: LatencyRecorder; rows: number }> {
  const latency = new LatencyRecorder(runs);
  let rows = 0;
  const warmupEndMs = performance.now() + warmupMsMax;
  for (let i = runs > scanRuns ? -warmupRuns : 0; i < 0 && performance.now() < warmupEndMs; i++) {
    beforeEach?.();
    await runQuery(query.nql((-i * 7919) % Math.max(1, docs - 100)), source());
  }
  for (let i = 0; i < runs; i++) {
    const x = (i * 7919) % Math.max(1, docs - 100);
    beforeEach?.();
    const startMs = performance.now();
    const result = await runQuery(query.nql(x), source());
    latency.record((performance.now() - startMs) * 1000);
    rows += result.count;
  }
  return { latency, rows };
}

interface SqliteDatabase {
  prepare(sql: string): { all(...args: unknown[]): unknown[]; run(...args: unknown[]): unknown };
  exec(sql: string): void;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

function loadSqlite(): ((path: string) => SqliteDatabase) | undefined {
  const dir = process.env.NEDB_SQLITE_DIR;
  if (dir === undefined || dir === '') return undefined;
  const require = createRequire(join(resolve(dir), 'package.json'));
  return require('better-sqlite3') as (path: string) => SqliteDatabase;
}

function sqliteResults(open: (path: string) => SqliteDatabase, dir: string, docs: number, queries: QueryCase[]): BenchResult[] {
  const db = open(join(dir, 'blocks.sqlite'));
  try {
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE blocks (id TEXT PRIMARY KEY, height INTEGER, hash TEXT, prev TEXT, time INTEGER, txs INTEGER, size INTEGER, miner TEXT)');
    const insert = db.prepare('INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const load = db.transaction((first: number, count: number) => {
      for (let h = first; h < first + count; h++) {
        const b = blockDocument(h);
        insert.run(String(h), b.height, b.hash, b.prev, b.time, b.txs, b.size, b.miner);
      }
    });
    for (let first = 0; first < docs; first += 50_000) load(first, Math.min(50_000, docs - first));
    db.exec('CREATE INDEX blocks_height ON blocks(height); CREATE INDEX blocks_miner_height ON blocks(miner, height)');
    return queries.map((query) => {
      const statement = db.prepare(query.sql);
      const latency = new LatencyRecorder(indexedRuns);
      const warmupEndMs = performance.now() + warmupMsMax;
      for (let i = 1; i <= warmupRuns && performance.now() < warmupEndMs; i++) statement.all(...query.sqlArgs((i * 7919) % Math.max(1, docs - 100)));
      for (let i = 0; i < indexedRuns; i++) {
        const x = (i * 7919) % Math.max(1, docs - 100);
        const startMs = performance.now();
        statement.all(...query.sqlArgs(x));
        latency.record((performance.now() - startMs) * 1000);
      }
      return { scenario: 'engine-queries', name: `sqlite/${query.name}`, metrics: { docs, runs: indexedRuns, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99) } };
    });
  } finally {
    db.close();
  }
}

export async function runEngineQueries(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-queries-', async (dir) => {
    const data = await DataDirectory.open(join(dir, 'data'), { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
    const results: BenchResult[] = [];
    const queries = cases(options.docs);
    try {
      const db = await data.create('explorer', { lazyIndexes: false });
      await importBlocks(db, 0, options.docs, performance.now() + buildTimeLimitMs, options.progress);
      await db.checkpoint();
      const v1 = await V1Database.open(db, systemClock);
      const source = () => new DatabaseQuerySource(v1, 600_000, () => performance.now());
      for (const query of queries) {
        const { latency, rows } = await timeNedb(source, query, scanRuns, options.docs);
        results.push({ scenario: 'engine-queries', name: `nedb-no-index/${query.name}`, metrics: { docs: options.docs, runs: scanRuns, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99), rows } });
        options.progress(`  no index, ${query.name}: p50 ${Math.round(latency.percentileUs(50))} us`);
      }
      // Each index built alone, timed, then persisted by a checkpoint: the bytes it adds to the snapshot directory.
      let buildMs = 0;
      for (const fields of [['height'], ['miner', 'height']]) {
        const startMs = performance.now();
        await v1.addIndex('blocks', fields, 'sorted');
        await db.whenIndexReady('blocks', fields);
        const ms = performance.now() - startMs;
        buildMs += ms;
        const info = db.indexInfo('blocks', fields)!;
        const name = fields.join(',');
        results.push({ scenario: 'engine-queries', name: `index-build/${name}`, metrics: { docs: options.docs, buildMs: Math.round(ms), entries: info.entries, memoryBytes: info.bytes } });
        options.progress(`  index on ${name} ready in ${Math.round(ms)} ms (${info.entries} entries, ~${Math.round(info.bytes / 2 ** 20)} MiB in memory)`);
      }
      const checkpointStartMs = performance.now();
      await db.checkpoint();
      const checkpointMs = performance.now() - checkpointStartMs;
      const snapDir = join(dir, 'data', 'explorer', 'snap');
      const files = readdirSync(snapDir);
      const sizeOf = (suffix: string): number => files.filter((file) => file.endsWith(suffix)).reduce((sum, file) => sum + statSync(join(snapDir, file)).size, 0);
      results.push({ scenario: 'engine-queries', name: 'index-build/checkpoint', metrics: { docs: options.docs, checkpointMs: Math.round(checkpointMs), indexFileBytes: sizeOf('.sidx'), snapshotBytes: sizeOf('.snap') } });
      options.progress(`  checkpoint with both indexes: ${Math.round(checkpointMs)} ms; index files ${sizeOf('.sidx')} bytes beside ${sizeOf('.snap')} bytes of snapshots`);
      for (const query of queries) {
        const runs = query.scans ? scanRuns : indexedRuns;
        const { latency, rows } = await timeNedb(source, query, runs, options.docs);
        results.push({ scenario: 'engine-queries', name: `nedb-indexed/${query.name}`, metrics: { docs: options.docs, runs, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99), rows, indexBuildMs: buildMs } });
        options.progress(`  indexed, ${query.name}: p50 ${Math.round(latency.percentileUs(50))} us`);
      }
      // The cases above ran warm (the decoded-document cache holds their rows after the first run); cold empties
      // it before every run, so each row is read from its snapshot and decoded again (page cache still warm).
      for (const query of queries.filter((candidate) => candidate.coldCase)) {
        const { latency, rows } = await timeNedb(source, query, indexedRuns, options.docs, () => db.clearDocumentCache());
        results.push({ scenario: 'engine-queries', name: `nedb-indexed/${query.name}-cold`, metrics: { docs: options.docs, runs: indexedRuns, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99), rows, indexBuildMs: buildMs } });
        options.progress(`  indexed, ${query.name}, document cache emptied before each run: p50 ${Math.round(latency.percentileUs(50))} us`);
      }
    } finally {
      await data.close();
    }
    const sqlite = loadSqlite();
    if (sqlite !== undefined) results.push(...sqliteResults(sqlite, dir, options.docs, queries));
    else options.progress('  SQLite skipped: set NEDB_SQLITE_DIR to a folder where better-sqlite3@12 is installed');
    return results;
  });
}
