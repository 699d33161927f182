// Scenario `writes`: documents/s per durability mode for three call shapes (one caller putting one document at
// a time, 64 concurrent callers doing the same, one caller writing 500-document batches), with the group
// commit's fsync count and documents per fsync; and the raw fdatasync rate of the same disk, the ceiling a
// database without group commit would have under `sync`. Each case writes into its own fresh database.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirectory, type Durability } from '../core/index.js';
import { blockId, blockRange, blocksCollName, type BlockDocument } from './blocks.js';
import { readBackBlocks } from './read-back.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder, elapsedUs } from './stats.js';

interface CallShape {
  name: string;
  callers: number;
  docsPerCall: number;
}

const shapes: readonly CallShape[] = [
  { name: 'put-1', callers: 1, docsPerCall: 1 },
  { name: 'put-64', callers: 64, docsPerCall: 1 },
  { name: 'batch-500', callers: 1, docsPerCall: 500 },
];
const durabilities: readonly Durability[] = ['sync', 'batch', 'async'];
const rawFsyncTimeMs = 2000;
const rawFsyncCountMax = 100_000;
const rawFsyncBlockBytes = 4096;
const latencySamplesMax = 1 << 20;

export async function runWrites(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-writes-', async (dir) => {
    const results: BenchResult[] = [];
    const raw = await rawFdatasync(join(dir, 'fdatasync.probe'), Math.min(rawFsyncTimeMs, options.caseTimeMs * 4));
    results.push(raw);
    options.progress(`  raw fdatasync: ${Math.round(raw.metrics.fsyncsPerSec as number)}/s`);
    const blocks = blockRange(0, options.docs);
    const data = await DataDirectory.open(join(dir, 'data'), { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
    try {
      for (const durability of durabilities)
        for (const shape of shapes) {
          const result = await runCase(data, durability, shape, blocks, options.caseTimeMs);
          result.metrics.vsRawFsync = (result.metrics.docsPerSec as number) / (raw.metrics.fsyncsPerSec as number);
          results.push(result);
          options.progress(`  ${result.name}: ${Math.round(result.metrics.docsPerSec as number)} docs/s`);
        }
    } finally {
      await data.close();
    }
    return results;
  });
}

async function runCase(data: DataDirectory, durability: Durability, shape: CallShape, blocks: readonly BlockDocument[], caseTimeMs: number): Promise<BenchResult> {
  const dbName = `writes-${durability}-${shape.name}`;
  const db = await data.create(dbName);
  const latency = new LatencyRecorder(latencySamplesMax);
  const startMs = performance.now();
  const deadlineMs = startMs + caseTimeMs;
  let next = 0;
  let calls = 0;
  const caller = async (): Promise<void> => {
    while (next < blocks.length && performance.now() < deadlineMs) {
      const first = next;
      next = Math.min(blocks.length, next + shape.docsPerCall);
      const ops = blocks.slice(first, next).map((doc) => ({ op: 'put' as const, coll: blocksCollName, id: blockId(doc.height), doc }));
      const callStartMs = performance.now();
      await db.batch(ops, { durability });
      latency.record(elapsedUs(callStartMs));
      calls++;
    }
  };
  await Promise.all(Array.from({ length: shape.callers }, caller));
  const seconds = (performance.now() - startMs) / 1000;
  const { stats } = db.status();
  const docs = next;
  const answers = await readBackBlocks(db, [0, docs - 1]);
  await data.drop(dbName);
  return {
    scenario: 'writes',
    name: `writes/${durability}/${shape.name}`,
    metrics: {
      durability,
      callers: shape.callers,
      docsPerCall: shape.docsPerCall,
      docs,
      seconds,
      docsPerSec: docs / seconds,
      callsPerSec: calls / seconds,
      p50Us: latency.percentileUs(50),
      p99Us: latency.percentileUs(99),
      maxUs: latency.maxUs,
      fsyncs: stats.fsyncs,
      docsPerFsync: stats.fsyncs === 0 ? 0 : stats.seqsSynced / stats.fsyncs,
      fsyncAvgMs: stats.fsyncs === 0 ? 0 : stats.fsyncMsTotal / stats.fsyncs,
      groupWrites: stats.groupWrites,
      correct: answers.correct,
      answersSha256: answers.sha256,
    },
  };
}

/** 4 KiB appends, each followed by fdatasync, on the disk the databases use: the raw sync rate. */
async function rawFdatasync(path: string, timeMs: number): Promise<BenchResult> {
  const file = await open(path, 'w');
  const block = new Uint8Array(rawFsyncBlockBytes).fill(0x6e);
  const latency = new LatencyRecorder(rawFsyncCountMax);
  const startMs = performance.now();
  let count = 0;
  try {
    while (count < rawFsyncCountMax && performance.now() - startMs < timeMs) {
      const callStartMs = performance.now();
      await file.write(block, 0, block.length, count * rawFsyncBlockBytes);
      await file.datasync();
      latency.record(elapsedUs(callStartMs));
      count++;
    }
  } finally {
    await file.close();
  }
  const seconds = (performance.now() - startMs) / 1000;
  return {
    scenario: 'writes',
    name: 'writes/raw-fdatasync',
    metrics: { blockBytes: rawFsyncBlockBytes, fsyncs: count, seconds, fsyncsPerSec: count / seconds, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99) },
  };
}
