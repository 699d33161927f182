// The process whose start is measured (bundled on its own into dist/cold-start-child.js by child-process.ts).
// It opens the explorer directory read-only, answers the newest block by id and checks it, then the newest 10,
// and prints one JSON line: times from its own process start (performance.now() counts from timeOrigin, taken
// as node starts) and memory. `--touch-all` then gets every document and reports memory after that.
import { readFileSync } from 'node:fs';
import { DataDirectory } from '../core/index.js';
import { answersSha256, blockId, blocksCollName, explorerDbName, isBlock } from './blocks.js';

export interface ChildReport {
  totalDocs: number;
  /** ms from process start until this module's code began (bundle loaded). */
  moduleStartMs: number;
  openMs: number;
  firstAnswerMs: number;
  tenAnswersMs: number;
  correct: boolean;
  answersSha256: string;
  rssBeforeOpenBytes: number;
  rssOpenBytes: number;
  heapUsedOpenBytes: number;
  externalOpenBytes: number;
  peakRssBytes: number;
  touch?: { docs: number; wrongDocs: number; ms: number; rssBytes: number; heapUsedBytes: number; externalBytes: number; peakRssBytes: number };
}

const touchTimeLimitMs = 600_000;

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

/**
 * Peak resident bytes of this process image. Linux's getrusage maxRSS (process.resourceUsage) survives exec, so
 * a child spawned by a large parent reports the parent's RSS at fork; VmHWM in /proc/self/status belongs to the
 * new image only. Elsewhere, fall back to maxRSS.
 */
function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match !== null) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const moduleStartMs = performance.now();
  const dir = argument('--dir');
  const totalDocs = Number(argument('--total'));
  if (dir === undefined || !Number.isSafeInteger(totalDocs) || totalDocs < 10) throw new Error('usage: cold-start-child --dir DIR --total N [--touch-all]');
  collectGarbage();
  const rssBeforeOpenBytes = process.memoryUsage().rss;
  const data = await DataDirectory.open(dir, { readOnly: true });
  const db = await data.open(explorerDbName);
  const openMs = performance.now();
  const newest = totalDocs - 1;
  const first = await db.get(blocksCollName, blockId(newest));
  const firstAnswerMs = performance.now();
  let correct = first !== undefined && isBlock(first.doc, newest);
  const answers: unknown[] = [];
  for (let height = newest; height > newest - 10; height--) {
    const found = await db.get(blocksCollName, blockId(height));
    correct &&= found !== undefined && isBlock(found.doc, height);
    answers.push(found?.doc ?? null);
  }
  const tenAnswersMs = performance.now();
  collectGarbage();
  const memory = process.memoryUsage();
  const report: ChildReport = {
    totalDocs,
    moduleStartMs,
    openMs,
    firstAnswerMs,
    tenAnswersMs,
    correct,
    answersSha256: answersSha256(answers),
    rssBeforeOpenBytes,
    rssOpenBytes: memory.rss,
    heapUsedOpenBytes: memory.heapUsed,
    externalOpenBytes: memory.external,
    peakRssBytes: peakRssBytes(),
  };
  if (process.argv.includes('--touch-all')) {
    const startMs = performance.now();
    let wrongDocs = 0;
    let docs = 0;
    for (let height = 0; height < totalDocs && performance.now() - startMs < touchTimeLimitMs; height++) {
      const found = await db.get(blocksCollName, blockId(height));
      docs++;
      if (found === undefined || (found.doc as { height?: unknown }).height !== height) wrongDocs++;
    }
    const ms = performance.now() - startMs;
    collectGarbage();
    const after = process.memoryUsage();
    report.touch = { docs, wrongDocs, ms, rssBytes: after.rss, heapUsedBytes: after.heapUsed, externalBytes: after.external, peakRssBytes: peakRssBytes() };
  }
  await data.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
