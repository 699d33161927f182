// Scenario `memory`: resident memory of a process holding N blocks against their raw msgpack size (the sum of
// encodeDocument(doc).length; goal ≤ 1.5×). Measured in a fresh child process (--expose-gc, collected before
// each reading) so the builder's heap does not count: once while the N documents are only in the log (the
// in-memory overlay case), once after a checkpoint (snapshot base) both after open and after touching every
// document.
import { DataDirectory } from '../core/index.js';
import { explorerDbName } from './blocks.js';
import { type ChildRun, bundleColdStartChild, runColdStartChild } from './child-process.js';
import { buildExplorerDirectory } from './explorer-directory.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';

const buildTimeLimitMs = 20 * 60_000;

export async function runMemory(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-memory-', async (dir) => {
    options.progress(`  building ${options.docs} blocks, log only`);
    const build = await buildExplorerDirectory(dir, { checkpointedDocs: options.docs, tailDocs: 0, checkpoint: false, timeLimitMs: buildTimeLimitMs, progress: options.progress });
    const childPath = await bundleColdStartChild();
    const logOnly = await runColdStartChild(childPath, dir, options.docs, ['--gc']);
    options.progress('  checkpointing');
    const checkpointMs = await checkpointDirectory(dir);
    const checkpointed = await runColdStartChild(childPath, dir, options.docs, ['--touch-all']);
    const raw = build.rawMsgpackBytes;
    return [
      memoryResult('memory/log-only', logOnly, raw, options.docs),
      memoryResult('memory/checkpointed-open', checkpointed, raw, options.docs, checkpointMs),
      touchedResult(checkpointed, raw, options.docs),
    ];
  });
}

async function checkpointDirectory(dir: string): Promise<number> {
  const data = await DataDirectory.open(dir, { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
  try {
    const db = await data.open(explorerDbName);
    const startMs = performance.now();
    await db.checkpoint();
    return performance.now() - startMs;
  } finally {
    await data.close();
  }
}

function memoryResult(name: string, run: ChildRun, rawMsgpackBytes: number, docs: number, checkpointMs?: number): BenchResult {
  const report = run.report;
  const loadedBytes = report.rssOpenBytes - report.rssBeforeOpenBytes;
  return {
    scenario: 'memory',
    name,
    metrics: {
      docs,
      rawMsgpackBytes,
      rssBeforeOpenBytes: report.rssBeforeOpenBytes,
      rssBytes: report.rssOpenBytes,
      rssLoadedBytes: loadedBytes,
      heapUsedBytes: report.heapUsedOpenBytes,
      externalBytes: report.externalOpenBytes,
      peakRssBytes: report.peakRssBytes,
      rssVsRaw: report.rssOpenBytes / rawMsgpackBytes,
      loadedVsRaw: loadedBytes / rawMsgpackBytes,
      loadedBytesPerDoc: loadedBytes / docs,
      openMs: report.openMs,
      ...(checkpointMs === undefined ? {} : { checkpointMs }),
      correct: report.correct,
      answersSha256: report.answersSha256,
    },
  };
}

function touchedResult(run: ChildRun, rawMsgpackBytes: number, docs: number): BenchResult {
  const report = run.report;
  const touch = report.touch;
  const rssBytes = touch?.rssBytes ?? 0;
  return {
    scenario: 'memory',
    name: 'memory/checkpointed-touched',
    metrics: {
      docs,
      rawMsgpackBytes,
      rssBytes,
      rssLoadedBytes: rssBytes - report.rssBeforeOpenBytes,
      heapUsedBytes: touch?.heapUsedBytes ?? 0,
      externalBytes: touch?.externalBytes ?? 0,
      peakRssBytes: touch?.peakRssBytes ?? 0,
      rssVsRaw: rssBytes / rawMsgpackBytes,
      loadedVsRaw: (rssBytes - report.rssBeforeOpenBytes) / rawMsgpackBytes,
      touchMs: touch?.ms ?? 0,
      correct: report.correct && touch !== undefined && touch.docs === docs && touch.wrongDocs === 0,
      answersSha256: report.answersSha256,
    },
  };
}
