// Keeps every bench scenario from rotting (STYLE.md §17): each runs in-process at a small size and its answers
// are checked. No timing assertions: numbers belong in docs/BENCHMARKS.md, from the full size.
import { describe, expect, it } from 'vitest';
import { answersSha256, blockDocument, blockRange, isBlock } from '../../bench/blocks.js';
import { runCheckpointStall } from '../../bench/checkpoint-stall.js';
import { runColdStart } from '../../bench/cold-start.js';
import { runMemory } from '../../bench/memory.js';
import { type BenchResult, type ScenarioOptions, formatResult } from '../../bench/result.js';
import { runWrites } from '../../bench/writes.js';

const options: ScenarioOptions = { docs: 2000, caseTimeMs: 250, progress: () => undefined };

function byName(results: BenchResult[], name: string): Record<string, unknown> {
  const found = results.find((result) => result.name === name);
  expect(found, name).toBeDefined();
  return found!.metrics;
}

function expectAllCorrect(results: BenchResult[]): void {
  for (const result of results) {
    if ('correct' in result.metrics) expect(result.metrics.correct, result.name).toBe(true);
    expect(formatResult(result)).toMatch(/^name=\S+( \w+=\S+)+$/);
  }
}

describe('bench blocks', () => {
  it('follow WORKLOAD.md', () => {
    const genesis = blockDocument(0);
    expect(genesis.prev).toBe('0'.repeat(64));
    expect(genesis.hash).toBe('5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9'); // sha256("0")
    const [one, two] = blockRange(1, 2);
    expect(one).toEqual({ height: 1, hash: one!.hash, prev: genesis.hash, time: 1_600_000_120, txs: 7919 % 3001, size: 250 + 104_729, miner: 'miner-1' });
    expect(two!.prev).toBe(one!.hash);
    expect(isBlock(blockDocument(1_000_000), 1_000_000)).toBe(true);
    expect(answersSha256([genesis])).toBe(answersSha256([blockDocument(0)]));
  });
});

describe('bench scenarios at --docs 2000', () => {
  it('writes: every durability and call shape writes and reads back', async () => {
    const results = await runWrites(options);
    expectAllCorrect(results);
    expect(byName(results, 'writes/raw-fdatasync').fsyncs as number).toBeGreaterThan(0);
    for (const durability of ['sync', 'batch', 'async'])
      for (const shape of ['put-1', 'put-64', 'batch-500']) {
        const metrics = byName(results, `writes/${durability}/${shape}`);
        expect(metrics.docs as number).toBeGreaterThan(0);
        expect(metrics.docsPerSec as number).toBeGreaterThan(0);
        if (durability === 'sync') expect(metrics.fsyncs as number).toBeGreaterThan(0);
      }
  });

  it('cold-start: the child answers the newest block correctly', async () => {
    const results = await runColdStart(options);
    expectAllCorrect(results);
    const first = byName(results, 'cold-start/first-answer');
    expect(first.correct).toBe(true);
    const newest = 2000 + 100 - 1;
    const expected = Array.from({ length: 10 }, (_, i) => blockDocument(newest - i));
    expect(first.answersSha256).toBe(answersSha256(expected));
    expect(byName(results, 'cold-start/touch-all').docs).toBe(2100);
    expect(first.firstAnswerMs as number).toBeGreaterThan(0);
  });

  it('memory: log-only and checkpointed directories load and answer', async () => {
    const results = await runMemory(options);
    expectAllCorrect(results);
    expect(byName(results, 'memory/log-only').rawMsgpackBytes as number).toBeGreaterThan(2000 * 150);
    expect(byName(results, 'memory/checkpointed-touched').rssBytes as number).toBeGreaterThan(0);
  });

  it('checkpoint-stall: the checkpoint completes and the writes read back', async () => {
    const results = await runCheckpointStall(options);
    expectAllCorrect(results);
    for (const result of results) {
      expect(result.metrics.snapshotsWritten as number).toBeGreaterThan(0);
      expect(result.metrics.duringWrites as number).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('bench http-ingest at a smoke size', () => {
  it('writes through a real server in every durability mode, beside the hello-world ceiling', async () => {
    const { buildCli } = await import('../cli/run-cli.js');
    buildCli();
    const { runHttpIngest } = await import('../../bench/http-ingest.js');
    const results = await runHttpIngest({ docs: 1000, caseTimeMs: 300, progress: () => undefined });
    expect(results.map((result) => result.name)).toEqual([
      'hello-world-put-64',
      'put-64-sync',
      'batch-500x16-sync',
      'put-64-batch',
      'batch-500x16-batch',
      'put-64-async',
      'batch-500x16-async',
    ]);
    for (const result of results) {
      expect(result.metrics.failures, result.name).toBe(0);
      expect(result.metrics.docs as number, result.name).toBeGreaterThan(0);
    }
  }, 120_000);
});

describe('bench http-topk at a smoke size', () => {
  it('answers the top-10 by scan and by a sorted index, correctly', async () => {
    const { buildCli } = await import('../cli/run-cli.js');
    buildCli();
    const { runHttpTopk } = await import('../../bench/http-topk.js');
    const results = await runHttpTopk({ docs: 2000, caseTimeMs: 300, progress: () => undefined });
    expect(results.map((result) => result.name)).toEqual(['top10-scan', 'health', 'top10-indexed']);
    expect(results[2]!.metrics.correct).toBe(true);
  }, 120_000);
});

describe('bench cold-start-index at a smoke size', () => {
  it('loads the persisted height index at start and rebuilds it when its file is gone, answering right both times', async () => {
    const { runColdStartIndex } = await import('../../bench/cold-start-index.js');
    const results = await runColdStartIndex({ docs: 2000, caseTimeMs: 300, progress: () => undefined });
    expect(results.map((result) => [result.name, result.metrics.loaded, result.metrics.correct])).toEqual([
      ['cold-start-index/loaded', true, true],
      ['cold-start-index/rebuilt', false, true],
    ]);
  }, 120_000);
});

describe('bench engine-queries at a smoke size', () => {
  it('answers every explorer query with and without indexes, the same number of rows', async () => {
    const { runEngineQueries } = await import('../../bench/engine-queries.js');
    const results = await runEngineQueries({ docs: 2000, caseTimeMs: 300, progress: () => undefined });
    const rowsPerRun = (name: string) => {
      const metrics = results.find((result) => result.name === name)!.metrics;
      return (metrics.rows as number) / (metrics.runs as number);
    };
    expect(rowsPerRun('nedb-indexed/top10')).toBe(10);
    expect(rowsPerRun('nedb-indexed/top10-cold')).toBe(10);
    expect(rowsPerRun('nedb-no-index/top10')).toBe(10);
    expect(rowsPerRun('nedb-indexed/miner-top20')).toBe(rowsPerRun('nedb-no-index/miner-top20'));
  }, 120_000);
});

describe('bench explorer-mix at a smoke size', () => {
  it('runs every query kind in both phases, with the backfill and live writers, answering right', async () => {
    const { buildCli } = await import('../cli/run-cli.js');
    buildCli();
    const { phaseNames, queryKinds, runExplorerMix } = await import('../../bench/explorer-mix.js');
    const results = await runExplorerMix({ docs: 2000, caseTimeMs: 300, progress: () => undefined });
    expectAllCorrect(results);
    for (const phase of phaseNames) {
      expect(byName(results, `explorer-mix/${phase}/all`).failures, phase).toBe(0);
      for (const kind of queryKinds) {
        const metrics = byName(results, `explorer-mix/${phase}/${kind}`);
        expect(metrics.count as number, `${phase}/${kind}`).toBeGreaterThan(0);
        expect(metrics.wrong, `${phase}/${kind}`).toBe(0);
      }
    }
    expect(byName(results, 'explorer-mix/with-writers/top10').p50Ratio as number).toBeGreaterThan(0);
    expect(byName(results, 'explorer-mix/with-writers/backfill').docs as number).toBeGreaterThan(0);
    expect(byName(results, 'explorer-mix/with-writers/live').puts as number).toBeGreaterThan(0);
    expect(byName(results, 'explorer-mix/setup').cpus as number).toBeGreaterThan(0);
  }, 120_000);
});
