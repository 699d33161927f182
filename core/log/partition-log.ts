// One partition's write-ahead log: the open segment, the records waiting to be written, and rolls to the next
// segment. Records are appended synchronously (in seq order, by the thread that assigns seqs) and written in
// groups by the committer. `seal()` makes every later record go to a new segment, synchronously: that is how
// a checkpoint knows exactly which segments hold only records at or below its seq.
import type { FileHandle, FileSystem } from '../platform/file-system.js';
import { errorCode } from '../platform/file-system.js';
import { segmentBytesMax } from '../limits.js';
import { encodeSegmentHeader, segmentFileName, segmentHeaderBytes } from './segment.js';

/**
 * An fsync (of a segment or its directory) failed. Never a "full disk" to retry, whatever its errno: after a
 * failed fsync the kernel may have dropped the dirty pages, so the database must stop writing (fail-stop).
 */
export class SyncFailure extends Error {
  constructor(readonly failure: unknown) {
    super(`fsync failed: ${failure instanceof Error ? failure.message : String(failure)}`, { cause: failure });
    this.name = 'SyncFailure';
  }
}

interface PendingGroup {
  segmentNo: number;
  chunks: Uint8Array[];
  bytes: number;
}

export class PartitionLog {
  private file: FileHandle | null;
  /** Bytes of the open segment known to be written (the position of the next write). */
  private fileBytes: number;
  private openSegmentNo: number;
  private groups: PendingGroup[];
  private unsynced = false;
  private dirUnsynced = false;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    readonly partition: number,
    segmentNo: number,
    file: FileHandle | null,
    fileBytes: number,
  ) {
    this.file = file;
    this.fileBytes = fileBytes;
    this.openSegmentNo = segmentNo;
    this.groups = [{ segmentNo, chunks: [], bytes: 0 }];
  }

  get pendingBytes(): number {
    let bytes = 0;
    for (const group of this.groups) bytes += group.bytes;
    return bytes;
  }

  get needsSync(): boolean {
    return this.unsynced || this.dirUnsynced;
  }

  /** The segment that records appended now will land in. */
  get currentSegmentNo(): number {
    return this.groups[this.groups.length - 1]!.segmentNo;
  }

  append(record: Uint8Array): void {
    const group = this.groups[this.groups.length - 1]!;
    group.chunks.push(record);
    group.bytes += record.length;
  }

  /**
   * Every record appended from now on goes to a new segment. Returns that segment's number; when nothing is
   * in the current segment yet, there is nothing to separate and the current number is returned.
   */
  seal(): number {
    const last = this.groups[this.groups.length - 1]!;
    const currentHasRecords = last.bytes > 0 || (last.segmentNo === this.openSegmentNo && this.fileBytes > segmentHeaderBytes);
    if (!currentHasRecords) return last.segmentNo;
    this.groups.push({ segmentNo: last.segmentNo + 1, chunks: [], bytes: 0 });
    return last.segmentNo + 1;
  }

  /**
   * Writes everything appended so far. Synchronously takes the pending records (so the caller knows which seqs
   * the write covers), then writes them. On a failed write the file is cut back and the records are put back,
   * to be written again (a full disk) or never (fail-stop).
   */
  writePending(): Promise<void> {
    const groups = this.groups;
    const last = groups[groups.length - 1]!;
    this.groups = [{ segmentNo: last.segmentNo, chunks: [], bytes: 0 }];
    return this.writeGroups(groups);
  }

  private async writeGroups(groups: PendingGroup[]): Promise<void> {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (group.bytes === 0) continue;
      try {
        if (group.segmentNo !== this.openSegmentNo || this.file === null) await this.openSegment(group.segmentNo);
        const bytes = concat(group.chunks, group.bytes);
        const position = this.fileBytes;
        try {
          await this.file!.write(bytes, position);
        } catch (error) {
          await this.file!.truncate(position).catch(() => undefined);
          throw error;
        }
        this.fileBytes += bytes.length;
        this.unsynced = true;
        group.chunks = [];
        group.bytes = 0;
      } catch (error) {
        this.restore(groups.slice(i));
        throw error;
      }
    }
    if (this.fileBytes >= segmentBytesMax) this.seal();
  }

  /** Puts unwritten groups back in front of whatever was appended meanwhile. */
  private restore(unwritten: PendingGroup[]): void {
    const merged = [...unwritten];
    for (const group of this.groups) {
      const tail = merged[merged.length - 1]!;
      if (tail.segmentNo === group.segmentNo) {
        tail.chunks.push(...group.chunks);
        tail.bytes += group.bytes;
      } else merged.push(group);
    }
    this.groups = merged;
  }

  private async openSegment(segmentNo: number): Promise<void> {
    if (this.file !== null) {
      // The segment being left must be durable before anything in the next one can be: recovery treats damage
      // in any segment but the last as corruption, not as a torn tail.
      await this.sync();
      await this.file.close();
      this.file = null;
    }
    const path = `${this.dir}/${segmentFileName(this.partition, segmentNo)}`;
    let file: FileHandle;
    try {
      file = await this.fs.open(path, 'createExclusive');
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      file = await this.fs.open(path, 'readWrite'); // a header-only file left by a crash; it is rewritten below
      await file.truncate(0);
    }
    await file.write(encodeSegmentHeader(this.partition, segmentNo), 0);
    this.file = file;
    this.fileBytes = segmentHeaderBytes;
    this.openSegmentNo = segmentNo;
    this.unsynced = true;
    this.dirUnsynced = true;
  }

  /**
   * fdatasync of the open segment, then of the directory when a segment was created since the last sync. A sync
   * already running is awaited first: a caller (a roll) must not take "nothing unsynced" for "durable" while
   * another caller's fdatasync of the same bytes is still in flight.
   */
  sync(): Promise<void> {
    const previous = this.syncing ?? Promise.resolve();
    const current = previous.then(() => this.syncNow());
    this.syncing = current.catch(() => undefined);
    return current;
  }

  private async syncNow(): Promise<void> {
    if (this.file !== null && this.unsynced) {
      this.unsynced = false;
      try {
        await this.file.datasync();
      } catch (error) {
        this.unsynced = true;
        throw new SyncFailure(error);
      }
    }
    if (this.dirUnsynced) {
      this.dirUnsynced = false;
      try {
        await this.fs.syncDir(this.dir);
      } catch (error) {
        this.dirUnsynced = true;
        throw new SyncFailure(error);
      }
    }
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
