// Scenario `cold-start` (WORKLOAD.md S3): N blocks checkpointed plus N/20 in the log tail; a fresh process
// opens the directory read-only and answers the newest block by id, then the newest 10. Reports the child's
// own time from process start to the first correct answer, the parent's spawn-to-exit wall time, peak RSS,
// all against a bare `node -e ''` measured in the same run; then once more touching every document, and the
// CLI's `get` when it exists.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { blockId, blocksCollName, explorerDbName, isBlock } from './blocks.js';
import { type ChildRun, bareNodeMs, bundleColdStartChild, repositoryRoot, runColdStartChild, timeSpawn } from './child-process.js';
import { buildExplorerDirectory } from './explorer-directory.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { median } from './stats.js';

const spawnRuns = 5;
const buildTimeLimitMs = 20 * 60_000;

export async function runColdStart(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-cold-', async (dir) => {
    const tailDocs = Math.floor(options.docs / 20);
    options.progress(`  building ${options.docs} checkpointed + ${tailDocs} tail blocks`);
    const build = await buildExplorerDirectory(dir, { checkpointedDocs: options.docs, tailDocs, checkpoint: true, timeLimitMs: buildTimeLimitMs, progress: options.progress });
    options.progress(`  built in ${Math.round(build.importMs + build.checkpointMs + build.tailMs)} ms`);
    const childPath = await bundleColdStartChild();
    const bareMs = await bareNodeMs(spawnRuns);
    const runs: ChildRun[] = [];
    for (let run = 0; run < spawnRuns; run++) runs.push(await runColdStartChild(childPath, dir, build.totalDocs, []));
    const touched = await runColdStartChild(childPath, dir, build.totalDocs, ['--touch-all']);
    const bareMedianMs = median(bareMs);
    const results: BenchResult[] = [coldStartResult(options.docs, tailDocs, runs, bareMedianMs, build.rawMsgpackBytes), touchResult(touched, build.totalDocs, build.rawMsgpackBytes)];
    const cli = await timeCliGet(dir, build.totalDocs, bareMedianMs);
    results.push(cli);
    return results;
  });
}

function coldStartResult(checkpointedDocs: number, tailDocs: number, runs: ChildRun[], bareMedianMs: number, rawMsgpackBytes: number): BenchResult {
  const wallMedianMs = median(runs.map((run) => run.wallMs));
  const first = runs[0]!.report;
  return {
    scenario: 'cold-start',
    name: 'cold-start/first-answer',
    metrics: {
      checkpointedDocs,
      tailDocs,
      runs: runs.length,
      moduleStartMs: median(runs.map((run) => run.report.moduleStartMs)),
      openMs: median(runs.map((run) => run.report.openMs)),
      firstAnswerMs: median(runs.map((run) => run.report.firstAnswerMs)),
      tenAnswersMs: median(runs.map((run) => run.report.tenAnswersMs)),
      wallMs: wallMedianMs,
      bareNodeMs: bareMedianMs,
      aboveBareNodeMs: wallMedianMs - bareMedianMs,
      peakRssBytes: median(runs.map((run) => run.report.peakRssBytes)),
      rssOpenBytes: median(runs.map((run) => run.report.rssOpenBytes)),
      rawMsgpackBytes,
      correct: runs.every((run) => run.report.correct),
      answersSha256: first.answersSha256,
    },
  };
}

function touchResult(run: ChildRun, totalDocs: number, rawMsgpackBytes: number): BenchResult {
  const touch = run.report.touch;
  return {
    scenario: 'cold-start',
    name: 'cold-start/touch-all',
    metrics: {
      docs: touch?.docs ?? 0,
      wallMs: run.wallMs,
      firstAnswerMs: run.report.firstAnswerMs,
      touchMs: touch?.ms ?? 0,
      getsPerSec: touch === undefined ? 0 : touch.docs / (touch.ms / 1000),
      rssOpenBytes: run.report.rssOpenBytes,
      rssAfterTouchBytes: touch?.rssBytes ?? 0,
      peakRssBytes: touch?.peakRssBytes ?? 0,
      rssVsRawMsgpack: (touch?.rssBytes ?? 0) / rawMsgpackBytes,
      correct: run.report.correct && touch !== undefined && touch.docs === totalDocs && touch.wrongDocs === 0,
      answersSha256: run.report.answersSha256,
    },
  };
}

/** `nedb get` through the CLI bundle, when cli/commands/get.ts exists and dist/nedb.js answers correctly. */
async function timeCliGet(dir: string, totalDocs: number, bareMedianMs: number): Promise<BenchResult> {
  const root = repositoryRoot();
  const cliPath = join(root, 'dist', 'nedb.js');
  const newest = totalDocs - 1;
  const args = [cliPath, 'get', '--data', dir, '--db', explorerDbName, '--coll', blocksCollName, blockId(newest)];
  const unavailable = (reason: string): BenchResult => ({ scenario: 'cold-start', name: 'cold-start/cli-get', metrics: { available: false, reason } });
  if (!existsSync(join(root, 'cli', 'commands', 'get.ts'))) return unavailable('cli/commands/get.ts-missing');
  if (!existsSync(cliPath)) return unavailable('dist/nedb.js-missing');
  const wallMs: number[] = [];
  let correct = true;
  for (let run = 0; run < spawnRuns; run++) {
    const outcome = await timeSpawn(process.execPath, args);
    wallMs.push(outcome.wallMs);
    correct &&= outcome.exitCode === 0 && printsBlock(outcome.stdout, newest);
    if (!correct) return unavailable(`get-failed-exit-${outcome.exitCode}:${outcome.stderr.trim().split('\n')[0]?.replace(/\s+/g, '_').slice(0, 120) ?? ''}`);
  }
  const wallMedianMs = median(wallMs);
  return {
    scenario: 'cold-start',
    name: 'cold-start/cli-get',
    metrics: { available: true, runs: spawnRuns, wallMs: wallMedianMs, bareNodeMs: bareMedianMs, aboveBareNodeMs: wallMedianMs - bareMedianMs, correct },
  };
}

/** The CLI prints the document as JSON, possibly wrapped ({id, seq, doc}); either form counts. */
function printsBlock(stdout: string, height: number): boolean {
  try {
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    return isBlock(printed, height) || isBlock(printed.doc, height);
  } catch {
    return false;
  }
}
