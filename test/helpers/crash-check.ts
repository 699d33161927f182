// The invariants every crash test checks after a restart, shared by the SIGKILL and the simulated-disk tests.
// Writers put documents with unique ids {n, batch, size}; a batch writes `size` documents tagged with its id.
import { expect } from 'vitest';
import type { Database } from '../../core/index.js';

export interface AckedWrite {
  ids: string[];
  lastSeq: number;
}

export interface CrashCheckResult {
  documents: number;
  seq: number;
}

/**
 * After a restart: every acknowledged write is present; no batch is partly applied; seq has no gaps (every op
 * is a put of a new id, so the live count is exactly seq + 1).
 */
export async function checkAfterCrash(db: Database, coll: string, acked: readonly AckedWrite[]): Promise<CrashCheckResult> {
  const present = new Map<string, { batch: string; size: number }>();
  for await (const page of db.scan(coll))
    for (const row of page) present.set(row.id, { batch: String(row.doc.batch), size: Number(row.doc.size) });
  for (const write of acked) for (const id of write.ids) expect(present.has(id), `acknowledged write ${id} (seq ${write.lastSeq}) is lost`).toBe(true);
  const batches = new Map<string, { size: number; seen: number }>();
  for (const { batch, size } of present.values()) {
    const entry = batches.get(batch) ?? { size, seen: 0 };
    entry.seen++;
    batches.set(batch, entry);
  }
  for (const [batch, { size, seen }] of batches) expect(seen, `batch ${batch} is partly applied`).toBe(size);
  const seq = db.seq;
  expect(present.size, 'seq has a gap: live documents != seq + 1').toBe(seq + 1);
  const maxAcked = Math.max(-1, ...acked.map((write) => write.lastSeq));
  expect(seq).toBeGreaterThanOrEqual(maxAcked);
  return { documents: present.size, seq };
}
