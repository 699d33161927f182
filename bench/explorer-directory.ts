// Builds the explorer data directory that cold-start and memory open: `checkpointedDocs` blocks imported in
// 500-document batches with durability async (the import path, limits.importBatchDocs), optionally
// checkpointed, then `tailDocs` more left in the log tail. Automatic checkpoints are off so the split between
// snapshot and log is exactly the one asked for.
import { DataDirectory, type Database, encodeDocument, limits } from '../core/index.js';
import { blockRange, blocksCollName, explorerDbName } from './blocks.js';
import { checkDeadline } from './result.js';

export interface ExplorerBuildOptions {
  checkpointedDocs: number;
  tailDocs: number;
  /** false: every document stays in the log (the overlay case). */
  checkpoint: boolean;
  timeLimitMs: number;
  progress: (line: string) => void;
}

export interface ExplorerBuild {
  totalDocs: number;
  /** Sum of encodeDocument(doc).length over every document: the raw size memory is compared against. */
  rawMsgpackBytes: number;
  importMs: number;
  checkpointMs: number;
  tailMs: number;
}

/** Builds the database `explorer` in `dir` (which must not hold one) and closes it. */
export async function buildExplorerDirectory(dir: string, options: ExplorerBuildOptions): Promise<ExplorerBuild> {
  const deadlineMs = performance.now() + options.timeLimitMs;
  const data = await DataDirectory.open(dir, { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
  try {
    const db = await data.create(explorerDbName);
    let startMs = performance.now();
    let rawMsgpackBytes = await importBlocks(db, 0, options.checkpointedDocs, deadlineMs, options.progress);
    const importMs = performance.now() - startMs;
    let checkpointMs = 0;
    if (options.checkpoint) {
      startMs = performance.now();
      await db.checkpoint();
      checkpointMs = performance.now() - startMs;
    }
    startMs = performance.now();
    rawMsgpackBytes += await importBlocks(db, options.checkpointedDocs, options.tailDocs, deadlineMs, options.progress);
    const tailMs = performance.now() - startMs;
    const totalDocs = options.checkpointedDocs + options.tailDocs;
    return { totalDocs, rawMsgpackBytes, importMs, checkpointMs, tailMs };
  } finally {
    await data.close();
  }
}

/** Puts blocks [first, first + count) in batches; returns their raw msgpack bytes. */
export async function importBlocks(db: Database, first: number, count: number, deadlineMs: number, progress: (line: string) => void): Promise<number> {
  const batchDocs = limits.importBatchDocs;
  let rawBytes = 0;
  let nextReportDocs = 100_000;
  for (let done = 0; done < count; done += batchDocs) {
    checkDeadline(deadlineMs, 'import');
    const blocks = blockRange(first + done, Math.min(batchDocs, count - done));
    for (const block of blocks) rawBytes += encodeDocument(block).length;
    await db.batch(
      blocks.map((block) => ({ op: 'put' as const, coll: blocksCollName, id: String(block.height), doc: block })),
      { durability: 'async' },
    );
    if (done + batchDocs >= nextReportDocs) {
      progress(`  imported ${first + done + batchDocs} blocks`);
      nextReportDocs += 100_000;
    }
  }
  return rawBytes;
}
