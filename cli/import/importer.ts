// The import pipeline: bytes → documents → batches of `importBatchDocs` puts, each committed atomically.
// One batch is in flight while the next is parsed. When a document is bad, the full batches before it are
// committed and the batch holding it is not, so a failed import leaves a clean prefix: every document up
// to a batch boundary, none after it. Memory stays at one chunk plus a few batches, whatever the input size.
import { limits, type BatchOp } from '../../core/index.js';
import { JsonArraySplitter } from './json-array-splitter.js';
import { NdjsonSplitter } from './ndjson-splitter.js';
import { documentOp } from './document-op.js';
import { type DocumentSplitter, type SplitItem, byteNewline, isJsonSpace } from './splitter.js';

export interface ImportOptions {
  coll: string;
  idField: string;
  /** Commits one batch atomically; resolves once it is written. */
  commit: (ops: BatchOp[]) => Promise<unknown>;
  onProgress?: (bytesRead: number, docs: number) => void;
}

/** What has happened so far; kept up to date while importing, so a caller can report it after a failure. */
export interface ImportStats {
  format: 'ndjson' | 'json-array' | 'empty';
  bytesRead: number;
  docsParsed: number;
  docsCommitted: number;
  /** Last input line of the last committed batch (0 before the first). */
  lastCommittedLine: number;
}

interface ReadyBatch {
  ops: BatchOp[];
  lastLine: number;
}

export async function importDocuments(chunks: AsyncIterable<Buffer>, options: ImportOptions, stats: ImportStats): Promise<void> {
  const committer = new Committer(options.commit, stats);
  const batcher = new Batcher(options, stats);
  let splitter: DocumentSplitter | undefined;
  let leadingLines = 0;
  try {
    for await (const input of chunks) {
      const chunk = stats.bytesRead === 0 ? withoutBom(input) : input;
      stats.bytesRead += input.length;
      if (splitter === undefined) {
        const start = firstNonSpace(chunk);
        if (start < 0) {
          leadingLines += countNewlines(chunk);
          continue;
        }
        stats.format = chunk[start] === 0x5b ? 'json-array' : 'ndjson';
        splitter = stats.format === 'json-array' ? new JsonArraySplitter(leadingLines + 1) : new NdjsonSplitter(leadingLines);
      }
      await batcher.run(committer, (emit) => splitter!.feed(chunk, emit));
      options.onProgress?.(stats.bytesRead, stats.docsParsed);
    }
    if (splitter !== undefined) await batcher.run(committer, (emit) => splitter!.end(emit));
    await batcher.finish(committer);
    await committer.drain();
  } catch (error) {
    await committer.drain().catch(() => undefined); // the batches before the failure stay written
    throw error;
  }
}

/** Groups documents into batches; full batches are committed even when a later document in the chunk is bad. */
class Batcher {
  private batch: BatchOp[] = [];
  private lastLine = 0;
  private readonly ready: ReadyBatch[] = [];

  constructor(
    private readonly options: ImportOptions,
    private readonly stats: ImportStats,
  ) {}

  async run(committer: Committer, split: (emit: (item: SplitItem) => void) => void): Promise<void> {
    try {
      split((item) => this.add(item));
    } finally {
      for (const full of this.ready.splice(0)) await committer.submit(full);
    }
  }

  async finish(committer: Committer): Promise<void> {
    if (this.batch.length > 0) await committer.submit({ ops: this.batch, lastLine: this.lastLine });
    this.batch = [];
  }

  private add(item: SplitItem): void {
    this.batch.push(documentOp(item, this.options.coll, this.options.idField));
    this.stats.docsParsed++;
    this.lastLine = item.line;
    if (this.batch.length === limits.importBatchDocs) {
      this.ready.push({ ops: this.batch, lastLine: item.line });
      this.batch = [];
    }
  }
}

/** Keeps one batch in flight: the next waits for it, so batches commit in input order. */
class Committer {
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly commit: (ops: BatchOp[]) => Promise<unknown>,
    private readonly stats: ImportStats,
  ) {}

  async submit(batch: ReadyBatch): Promise<void> {
    await this.inflight;
    const written = this.commit(batch.ops).then(() => {
      this.stats.docsCommitted += batch.ops.length;
      this.stats.lastCommittedLine = batch.lastLine;
    });
    written.catch(() => undefined); // observed by the next submit or by drain()
    this.inflight = written;
  }

  drain(): Promise<void> {
    return this.inflight;
  }
}

function withoutBom(chunk: Buffer): Buffer {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk;
}

function firstNonSpace(chunk: Buffer): number {
  for (let i = 0; i < chunk.length; i++) if (!isJsonSpace(chunk[i]!)) return i;
  return -1;
}

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === byteNewline) count++;
  return count;
}
