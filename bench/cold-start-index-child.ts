// The measured process of `cold-start-index`: opens the explorer directory read-only, waits until the height
// index is ready (loaded from its checkpoint file and caught up, or rebuilt), reads the newest 10 heights
// through it, and prints one JSON line of times from its own process start.
import { DataDirectory } from '../core/index.js';
import { blockId } from './blocks.js';

const dir = process.argv[2]!;
const totalDocs = Number(process.argv[3]);
const data = await DataDirectory.open(dir, { readOnly: true });
const db = await data.open('explorer');
const openMs = performance.now();
await db.whenIndexReady('blocks', 'height');
const indexReadyMs = performance.now();
const pages = db.orderedScan({ coll: 'blocks', field: 'height', descending: true });
const newest: string[] = [];
if (pages !== undefined)
  for await (const page of pages) {
    newest.push(...page.map((row) => row.id));
    if (newest.length >= 10) break;
  }
const answerMs = performance.now();
const expected = Array.from({ length: 10 }, (_, i) => blockId(totalDocs - 1 - i));
process.stdout.write(
  `${JSON.stringify({ openMs, indexReadyMs, answerMs, loaded: db.sortedIndexInfo('blocks', 'height')?.loaded ?? false, correct: newest.slice(0, 10).join() === expected.join() })}\n`,
);
await data.close();
