// Micro-benchmark of the sorted index alone (core/index/), with no partitions, planner or HTTP around it: the
// floor under `FROM blocks ORDER BY height DESC LIMIT 10` (WORKLOAD.md S2). Measures a 1M-entry height index:
// bulk build, build by inserts (ascending and shuffled), top-10 DESC scan, a 100-height range, serialize and
// deserialize. Prints one `name=… key=value …` line per measurement and an answers checksum (STYLE.md §17).
//
//   node --input-type=module -e "await (await import('esbuild')).build({entryPoints: ['bench/index-micro.ts'],
//     bundle: true, platform: 'node', format: 'esm', outfile: 'dist/index-micro.js'})" && node dist/index-micro.js
//   node dist/index-micro.js --docs 20000     (smoke size)
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { BPlusTreeBuilder } from '../core/index/b-plus-tree.js';
import { IndexKeyWriter } from '../core/index/index-key.js';
import { SortedIndex } from '../core/index/sorted-index.js';

const docsArgument = process.argv.indexOf('--docs');
const docs = docsArgument >= 0 ? Number(process.argv[docsArgument + 1]) : 1_000_000;
const answers = createHash('sha256');

function line(name: string, fields: Record<string, number | string>): void {
  const text = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toFixed(3)) : value}`);
  process.stdout.write(`name=${name} ${text.join(' ')}\n`);
}

function percentile(sortedUs: Float64Array, percent: number): number {
  return sortedUs[Math.min(sortedUs.length - 1, Math.floor((percent / 100) * sortedUs.length))]!;
}

/** A deterministic shuffle (xorshift32), so runs compare. */
function shuffled(count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let state = 0x9e3779b9;
  for (let i = count - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

function blockId(height: number): string {
  return `block-${height.toString().padStart(8, '0')}`;
}

function timeMs(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function buildByInserts(order: Uint32Array | undefined): SortedIndex {
  const index = new SortedIndex({ collection: 'blocks', fields: ['height'] });
  for (let i = 0; i < docs; i++) {
    const height = order === undefined ? i : order[i]!;
    index.applyVersion(blockId(height), i, undefined, { height, miner: 'm' });
  }
  return index;
}

function measureBuilds(): SortedIndex {
  const writer = new IndexKeyWriter();
  let heightLevels = 0;
  const bulkMs = timeMs(() => {
    const builder = new BPlusTreeBuilder();
    for (let height = 0; height < docs; height++) {
      writer.reset();
      writer.value(height);
      writer.id(blockId(height));
      builder.append(writer.bytes, 0, writer.length, height, Infinity, 0);
    }
    heightLevels = builder.finish().height;
  });
  line('index-build-bulk', { entries: docs, ms: bulkMs, nsPerEntry: (bulkMs * 1e6) / docs, treeHeight: heightLevels });
  let ascending: SortedIndex | undefined;
  const ascendingMs = timeMs(() => (ascending = buildByInserts(undefined)));
  line('index-build-inserts-ascending', { entries: docs, ms: ascendingMs, nsPerInsert: (ascendingMs * 1e6) / docs });
  const order = shuffled(docs);
  const shuffledMs = timeMs(() => buildByInserts(order));
  line('index-build-inserts-shuffled', { entries: docs, ms: shuffledMs, nsPerInsert: (shuffledMs * 1e6) / docs });
  return ascending!;
}

function measureScans(index: SortedIndex): void {
  const rounds = 20_000;
  const topSamples = new Float64Array(rounds);
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    let taken = 0;
    for (const row of index.scan({ direction: 'desc' })) {
      if (round === 0) answers.update(row.id);
      if (++taken === 10) break;
    }
    topSamples[round] = (performance.now() - start) * 1000;
  }
  topSamples.sort();
  line('index-top10-desc', { rounds, p50Us: percentile(topSamples, 50), p99Us: percentile(topSamples, 99) });
  const rangeSamples = new Float64Array(rounds);
  const starts = shuffled(docs);
  let rows = 0;
  for (let round = 0; round < rounds; round++) {
    const low = starts[round % docs]! % Math.max(1, docs - 100);
    const start = performance.now();
    for (const row of index.scan({ lower: { values: [low], inclusive: true }, upper: { values: [low + 99], inclusive: true }, direction: 'asc' })) {
      rows++;
      if (round === 0) answers.update(row.id);
    }
    rangeSamples[round] = (performance.now() - start) * 1000;
  }
  rangeSamples.sort();
  line('index-range-100', { rounds, rowsPerRange: rows / rounds, p50Us: percentile(rangeSamples, 50), p99Us: percentile(rangeSamples, 99) });
}

function measurePersistence(index: SortedIndex): void {
  let bytes: Uint8Array = new Uint8Array(0);
  const serializeMs = timeMs(() => (bytes = index.serialize()));
  let loaded: SortedIndex | undefined;
  const deserializeMs = timeMs(() => (loaded = SortedIndex.deserialize(bytes)));
  const stats = loaded!.statistics();
  line('index-persist', {
    entries: stats.entries, bytes: bytes.length, bytesPerEntry: bytes.length / stats.entries, serializeMs, deserializeMs,
    depth: stats.depth, treeBytesEstimate: stats.bytesEstimate, distinctEstimate: stats.distinctEstimate,
  });
  let taken = 0;
  for (const row of loaded!.scan({ direction: 'desc' })) {
    answers.update(row.id);
    if (++taken === 10) break;
  }
}

const heapBeforeBytes = process.memoryUsage().heapUsed;
line('machine', { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, docs });
const index = measureBuilds();
line('index-memory', { heapUsedMiB: (process.memoryUsage().heapUsed - heapBeforeBytes) / 2 ** 20, treeBytesEstimateMiB: index.statistics().bytesEstimate / 2 ** 20 });
measureScans(index);
measurePersistence(index);
line('answers', { sha256: answers.digest('hex').slice(0, 16) });
