// Deterministic block documents of the explorer workload (shared/WORKLOAD.md, "Documents"): every field follows
// from the height alone, so a scenario can build, check or checksum any document without storing it.
import { createHash } from 'node:crypto';

export const explorerDbName = 'explorer';
export const blocksCollName = 'blocks';

/** A type alias, not an interface, so it is assignable to the engine's JsonDocument. */
export type BlockDocument = {
  height: number;
  hash: string;
  prev: string;
  time: number;
  txs: number;
  size: number;
  miner: string;
};

const genesisPrevHash = '0'.repeat(64);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 of the ASCII decimal string of the height. */
export function blockHash(height: number): string {
  return sha256Hex(String(height));
}

export function blockId(height: number): string {
  return String(height);
}

/** The block at `height`; pass the hashes when already known (a run of blocks hashes each height once). */
export function blockDocument(height: number, hash = blockHash(height), prev = height === 0 ? genesisPrevHash : blockHash(height - 1)): BlockDocument {
  return {
    height,
    hash,
    prev,
    time: 1_600_000_000 + 120 * height,
    txs: (height * 7919) % 3001,
    size: 250 + ((height * 104_729) % 1_000_000),
    miner: `miner-${height % 50}`,
  };
}

/** Blocks [first, first + count), hashing each height once. */
export function blockRange(first: number, count: number): BlockDocument[] {
  const blocks: BlockDocument[] = [];
  let prev = first === 0 ? genesisPrevHash : blockHash(first - 1);
  for (let height = first; height < first + count; height++) {
    const hash = blockHash(height);
    blocks.push(blockDocument(height, hash, prev));
    prev = hash;
  }
  return blocks;
}

/** True when `doc` is exactly the block at `height` (same fields, same order as written). */
export function isBlock(doc: unknown, height: number): boolean {
  return JSON.stringify(doc) === JSON.stringify(blockDocument(height));
}

/** The checksum printed with each result: SHA-256 of the answers as JSON, so fast-but-wrong shows. */
export function answersSha256(answers: unknown): string {
  return sha256Hex(JSON.stringify(answers));
}
