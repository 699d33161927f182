// Generates sample/blocks.ndjson: 1000 block documents of the workload in /work/shared/WORKLOAD.md
// (the block-explorer workload): height h, hash = SHA-256 hex of the decimal string of h, prev = hash of h-1,
// time, txs, size, miner, and _id = the decimal string of h. Run: node sample/generate.mjs
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const blocks = 1000;
const hashOf = (h) => createHash('sha256').update(String(h)).digest('hex');
const lines = [];
for (let h = 0; h < blocks; h++)
  lines.push(
    JSON.stringify({
      _id: String(h),
      height: h,
      hash: hashOf(h),
      prev: h === 0 ? '0'.repeat(64) : hashOf(h - 1),
      time: 1600000000 + 120 * h,
      txs: (h * 7919) % 3001,
      size: 250 + ((h * 104729) % 1000000),
      miner: `miner-${h % 50}`,
    }),
  );
writeFileSync(new URL('./blocks.ndjson', import.meta.url), `${lines.join('\n')}\n`);
