// Scenario `checkpoint-stall`: an online checkpoint of N documents (all in the overlay) while one writer puts
// single documents with durability batch, flat out or paced (1 ms between puts). Reports the writer's latency before and during the checkpoint, the
// checkpoint's own longestStepMs and its duration: a checkpoint must not stall writes for long.
import { join } from 'node:path';
import { type CheckpointOutcome, type Database, DataDirectory } from '../core/index.js';
import { blockDocument, blockId, blocksCollName, explorerDbName } from './blocks.js';
import { importBlocks } from './explorer-directory.js';
import { type ReadBack, readBackBlocks } from './read-back.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder, elapsedUs } from './stats.js';

const buildTimeLimitMs = 20 * 60_000;
const checkpointTimeLimitMs = 10 * 60_000;
const writesMax = 10_000_000;
/** The writer runs during the checkpoint for at most this many case times (30 s at the default 5 s). */
const duringBoundCaseTimes = 6;
const latencySamplesMax = 1 << 21;

interface CheckpointTiming {
  checkpointMs: number;
  finishedWhileWriting: boolean;
  /** How long the checkpoint took to finish after the writer stopped (0 when it finished before). */
  afterWriterStopMs: number;
}

interface WriterState {
  nextHeight: number;
  writes: number;
  pauseMs: number;
}

/** A writer flat out (the next put as soon as the last is acknowledged), and one paced like a live feed. */
interface WriterShape {
  name: string;
  /** Pause after each put, in milliseconds (0: none). */
  pauseMs: number;
}

const writerShapes: readonly WriterShape[] = [
  { name: 'put-batch-flat-out', pauseMs: 0 },
  { name: 'put-batch-paced-1ms', pauseMs: 1 },
];

export async function runCheckpointStall(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-stall-', async (dir) => {
    const data = await DataDirectory.open(join(dir, 'data'), { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
    try {
      const results: BenchResult[] = [];
      for (const shape of writerShapes) {
        results.push(await runCase(data, shape, options));
        options.progress(`  ${results[results.length - 1]!.name} done`);
      }
      return results;
    } finally {
      await data.close();
    }
  });
}

async function runCase(data: DataDirectory, shape: WriterShape, options: ScenarioOptions): Promise<BenchResult> {
  const db = await data.create(`${explorerDbName}-${shape.name}`);
  options.progress(`  importing ${options.docs} blocks for ${shape.name}`);
  await importBlocks(db, 0, options.docs, performance.now() + buildTimeLimitMs, options.progress);
  await db.flush();
  const writer: WriterState = { nextHeight: options.docs, writes: 0, pauseMs: shape.pauseMs };
  const before = new LatencyRecorder(latencySamplesMax);
  await writeWhile(db, writer, before, performance.now() + Math.min(2000, options.caseTimeMs), () => true);
  const during = new LatencyRecorder(latencySamplesMax);
  const startMs = performance.now();
  let outcome: CheckpointOutcome | undefined;
  const checkpoint = db.checkpoint().then((done) => {
    outcome = done;
    return done;
  });
  // The writer stops after a bound even when the checkpoint has not finished: a checkpoint that cannot
  // finish under a steady writer is a finding, reported as finishedWhileWriting=false.
  await writeWhile(db, writer, during, startMs + Math.min(checkpointTimeLimitMs, options.caseTimeMs * duringBoundCaseTimes), () => outcome === undefined);
  const writerStoppedMs = performance.now();
  const finishedWhileWriting = outcome !== undefined;
  await checkpoint;
  const timing: CheckpointTiming = {
    checkpointMs: performance.now() - startMs,
    finishedWhileWriting,
    afterWriterStopMs: finishedWhileWriting ? 0 : performance.now() - writerStoppedMs,
  };
  const after = new LatencyRecorder(latencySamplesMax);
  await writeWhile(db, writer, after, performance.now() + Math.min(1000, options.caseTimeMs), () => true);
  const answers = await readBackBlocks(db, [0, options.docs - 1, writer.nextHeight - 1]);
  await data.drop(db.name);
  return stallResult(shape.name, options.docs, { before, during, after }, timing, outcome!, answers);
}

/** Single puts, one at a time, until the deadline or `more()` says stop. */
async function writeWhile(db: Database, writer: WriterState, latency: LatencyRecorder, deadlineMs: number, more: () => boolean): Promise<void> {
  while (more() && writer.writes < writesMax && performance.now() < deadlineMs) {
    const height = writer.nextHeight++;
    const startMs = performance.now();
    await db.put(blocksCollName, blockId(height), blockDocument(height), { durability: 'batch' });
    latency.record(elapsedUs(startMs));
    writer.writes++;
    if (writer.pauseMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, writer.pauseMs));
  }
}

interface PhaseLatencies {
  before: LatencyRecorder;
  during: LatencyRecorder;
  after: LatencyRecorder;
}

function stallResult(
  shapeName: string,
  docs: number,
  { before, during, after }: PhaseLatencies,
  timing: CheckpointTiming,
  outcome: CheckpointOutcome,
  answers: ReadBack,
): BenchResult {
  return {
    scenario: 'checkpoint-stall',
    name: `checkpoint-stall/${shapeName}`,
    metrics: {
      docs,
      checkpointMs: timing.checkpointMs,
      finishedWhileWriting: timing.finishedWhileWriting,
      afterWriterStopMs: timing.afterWriterStopMs,
      longestStepMs: outcome.longestStepMs,
      snapshotsWritten: outcome.snapshotsWritten,
      beforeWrites: before.count,
      beforeP50Us: before.percentileUs(50),
      beforeP99Us: before.percentileUs(99),
      beforeMaxUs: before.maxUs,
      duringWrites: during.count,
      duringP50Us: during.percentileUs(50),
      duringP99Us: during.percentileUs(99),
      duringMaxUs: during.maxUs,
      afterP99Us: after.percentileUs(99),
      afterMaxUs: after.maxUs,
      stallVsBefore: during.maxUs / Math.max(1, before.maxUs),
      correct: answers.correct,
      answersSha256: answers.sha256,
    },
  };
}
