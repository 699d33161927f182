// Fault tests on real files: torn tails at every byte, flipped bits before the tail, seq gaps across partitions,
// incomplete cross-partition batches, and what `repair` keeps.
import { cpSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory, isNedbError, repairDataDirectory, verifyDataDirectory } from '../../core/index.js';
import { scanSegment, parseSegmentFileName } from '../../core/log/segment.js';
import type { Logger } from '../../core/platform/logger.js';
import { tempDir } from '../helpers/temp-dir.js';

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

function segmentsOf(dir: string, db: string): { path: string; partition: number; segmentNo: number }[] {
  const wal = join(dir, db, 'wal');
  return readdirSync(wal)
    .map((name) => ({ name, parsed: parseSegmentFileName(name) }))
    .filter((entry) => entry.parsed !== undefined)
    .map((entry) => ({ path: join(wal, entry.name), ...entry.parsed! }))
    .sort((a, b) => a.partition - b.partition || a.segmentNo - b.segmentNo);
}

function recordsOf(path: string, partition: number, segmentNo: number) {
  return scanSegment(new Uint8Array(readFileSync(path)), partition, segmentNo, path).records;
}

async function writeDocs(dir: string, count: number, partitions = 1): Promise<void> {
  const data = await DataDirectory.open(dir);
  const db = await data.create('d', { partitions });
  for (let i = 0; i < count; i++) await db.put('c', `k${i}`, { i });
  await data.close();
}

async function openSeq(dir: string, logger?: Logger): Promise<{ seq: number; ids: string[] }> {
  const data = await DataDirectory.open(dir, logger === undefined ? {} : { logger });
  try {
    const db = await data.open('d');
    const ids: string[] = [];
    for await (const page of db.scan('c')) ids.push(...page.map((row) => row.id));
    return { seq: db.seq, ids };
  } finally {
    await data.close();
  }
}

describe('log faults', () => {
  it('truncates a torn last record at every byte position, with a log line', async () => {
    const source = tempDir();
    await writeDocs(source, 5);
    const [segment] = segmentsOf(source, 'd');
    const records = recordsOf(segment!.path, 0, segment!.segmentNo);
    const last = records[records.length - 1]!;
    for (let cut = last.offset + 1; cut < last.endOffset; cut++) {
      const dir = tempDir();
      cpSync(source, dir, { recursive: true });
      const path = segmentsOf(dir, 'd')[0]!.path;
      truncateSync(path, cut);
      const logger = capturingLogger();
      const { seq, ids } = await openSeq(dir, logger);
      expect(seq, `cut at ${cut}`).toBe(3);
      expect(ids).toEqual(['k0', 'k1', 'k2', 'k3']);
      expect(logger.lines.some((line) => line.includes('torn last record') && line.includes(path))).toBe(true);
      expect(readFileSync(path).length).toBe(last.offset);
    }
  });

  it('stops the start at a flipped bit before the tail, naming file and offset; repair keeps the prefix', async () => {
    const dir = tempDir();
    await writeDocs(dir, 6);
    const segment = segmentsOf(dir, 'd')[0]!;
    const records = recordsOf(segment.path, 0, segment.segmentNo);
    const damaged = records[3]!;
    const bytes = readFileSync(segment.path);
    bytes[damaged.offset + 30]! ^= 0x10;
    writeFileSync(segment.path, bytes);

    const error = await openSeq(dir).catch((caught: unknown) => caught);
    expect(isNedbError(error, 'LOG_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(segment.path);
    expect((error as Error).message).toContain(`byte ${damaged.offset}`);

    const report = await verifyDataDirectory(dir);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ file: segment.path, offset: damaged.offset, severity: 'damage' });

    const repaired = await repairDataDirectory(dir);
    expect(repaired.unrepairable).toEqual([]);
    expect(repaired.actions[0]).toMatchObject({ file: segment.path, offset: damaged.offset });
    expect(readFileSync(repaired.actions[0]!.movedTo).length).toBe(bytes.length - damaged.offset);
    const { seq, ids } = await openSeq(dir);
    expect(seq).toBe(2);
    expect(ids).toEqual(['k0', 'k1', 'k2']);
    expect((await verifyDataDirectory(dir)).ok).toBe(true);
  });

  it('cuts every partition back to the gap-free prefix when a lower seq is lost', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 2 });
    for (let i = 0; i < 40; i++) await db.put('c', `k${i}`, { i });
    await data.close();
    // Drop the last record of the partition whose last seq is lower: a record durable in the other partition
    // above the lost seq must be dropped too.
    const segments = segmentsOf(dir, 'd');
    const tails = segments.map((s) => {
      const records = recordsOf(s.path, s.partition, s.segmentNo);
      return { ...s, last: records[records.length - 1]! };
    });
    tails.sort((a, b) => a.last.record.seq - b.last.record.seq);
    const lower = tails[0]!;
    const lostSeq = lower.last.record.seq;
    truncateSync(lower.path, lower.last.offset);
    const logger = capturingLogger();
    const { seq, ids } = await openSeq(dir, logger);
    expect(seq).toBe(lostSeq - 1);
    expect(ids.length).toBe(lostSeq);
    expect(logger.lines.some((line) => line.includes('gap'))).toBe(true);
    // The other partition's log no longer holds anything above the cut.
    const other = tails[1]!;
    const remaining = recordsOf(other.path, other.partition, other.segmentNo);
    expect(Math.max(...remaining.map((r) => r.record.seq))).toBeLessThan(lostSeq);
  });

  it('drops a cross-partition batch whose part in one partition is missing', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir);
    const db = await data.create('d', { partitions: 4 });
    await db.put('c', 'before', { i: 0 });
    const ops = Array.from({ length: 12 }, (_, i) => ({ op: 'put' as const, coll: 'c', id: `b${i}`, doc: { i } }));
    const batch = await db.batch(ops);
    await data.close();
    const withPart = segmentsOf(dir, 'd').filter((s) => recordsOf(s.path, s.partition, s.segmentNo).some((r) => r.record.span !== null));
    expect(withPart.length).toBeGreaterThan(1);
    const victim = withPart[withPart.length - 1]!;
    const part = recordsOf(victim.path, victim.partition, victim.segmentNo).find((r) => r.record.span !== null)!;
    truncateSync(victim.path, part.offset);
    const { seq, ids } = await openSeq(dir);
    expect(seq).toBe(batch.firstSeq - 1);
    expect(ids).toEqual(['before']);
  });
});
