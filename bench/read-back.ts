// Reads blocks back by id and checks each is exactly the block written: the correctness half of every result.
import type { Database } from '../core/index.js';
import { answersSha256, blockId, blocksCollName, isBlock } from './blocks.js';

export interface ReadBack {
  correct: boolean;
  sha256: string;
}

export async function readBackBlocks(db: Database, heights: readonly number[]): Promise<ReadBack> {
  const docs: unknown[] = [];
  let correct = true;
  for (const height of heights) {
    const found = await db.get(blocksCollName, blockId(height));
    correct &&= found !== undefined && isBlock(found.doc, height);
    docs.push(found?.doc ?? null);
  }
  return { correct, sha256: answersSha256(docs) };
}
