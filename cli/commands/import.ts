// `nedb import`: streams NDJSON or a JSON array into a collection, in atomic batches (see cli/import/).
import { createReadStream, fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { CAC } from 'cac';
import { DataDirectory, limits, type BatchOp, type WriteOptions } from '../../core/index.js';
import { CliError, type ExitCode, exitCodes, reportError } from '../errors.js';
import { commandAction } from '../command.js';
import { type CommandContext, dataDirOf, dbOf, durabilityOf, requiredText, stderrLogger, textOption } from '../options.js';
import { startProgress } from '../progress.js';
import { remoteOf } from '../remote.js';
import type { NedbClient } from '../../client/nedb-client.js';
import { type ImportStats, importDocuments } from '../import/importer.js';

/** cac drops a lone `-` argument, so main.ts swaps it for this before parsing (NUL cannot be in a path). */
export const stdinMarker = '\u0000stdin';

const readChunkBytes = 1 << 20;
/**
 * Import checkpoints as it goes, awaited between batches. Until a checkpoint the engine keeps every written
 * version in memory (about 500 bytes of heap per document besides the document bytes), so an import that
 * never checkpointed would need heap in proportion to the file. The interval scales with the heap limit:
 * one document per `importHeapBytesPerDoc` of heap, measured as the fastest setting under a 64 MiB old space
 * (a checkpoint itself needs heap; a longer interval made the GC thrash), and at most the engine's own
 * automatic interval, since every checkpoint rewrites the snapshots and costs time in proportion to the data.
 */
export const importHeapBytesPerDoc = 4608;
export const importCheckpointDocsMin = 5_000;

export function importCheckpointEveryDocs(heapLimitBytes: number): number {
  const scaled = Math.floor(heapLimitBytes / importHeapBytesPerDoc);
  return Math.min(limits.checkpointEveryWritesDefault, Math.max(importCheckpointDocsMin, scaled));
}

export function registerImport(cli: CAC): void {
  cli
    .command('import <file>', 'Import NDJSON or a JSON array of documents (file path, or - for stdin)')
    .option('--url <url>', 'send to a running server in /batch requests instead (token from $NEDBD_TOKEN)')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data; created when missing)')
    .option('--db <name>', 'database, created when missing (default: default)')
    .option('--coll <name>', 'collection to write into (required)')
    .option('--id-field <field>', 'field holding the document id; numbers become strings (default: _id)')
    .option('--durability <mode>', 'sync, batch or async (default: the database setting, else sync); all is synced at the end')
    .usage(
      `import <file|-> --coll NAME [--data DIR] [--db NAME]\n\n` +
        `  The format is detected from the first non-space character: [ starts a JSON array, anything else is\n` +
        `  NDJSON (one object per line). The input is streamed, so files larger than memory import fine.\n` +
        `  Documents are written in atomic batches of ${limits.importBatchDocs}. A bad line (invalid JSON, not an\n` +
        `  object, no id) stops the import with "line N: <reason>" and exit code 1: every batch before the one\n` +
        `  holding line N is written, nothing of that batch or after it is. Documents are put by id, so after\n` +
        `  fixing the line, importing the whole file again is safe.`,
    )
    .example('  $ nedb import sample/blocks.ndjson --db explorer --coll blocks')
    .example('  $ cat blocks.json | nedb import - --data /var/lib/nedb --db explorer --coll blocks --id-field height')
    .action(commandAction(cli, (context, args) => importCommand(context, args[0] ?? '')));
}

interface Source {
  chunks: AsyncIterable<Buffer>;
  bytesTotal: number | undefined;
}

async function openSource(file: string): Promise<Source> {
  if (file === stdinMarker) {
    if (process.stdin.isTTY === true) process.stderr.write('reading documents from the terminal; end with Ctrl-D\n');
    let bytesTotal: number | undefined;
    try {
      const info = fstatSync(0);
      if (info.isFile()) bytesTotal = info.size;
    } catch {
      bytesTotal = undefined; // not a file (a pipe or a terminal): size unknown
    }
    return { chunks: process.stdin, bytesTotal };
  }
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${error.code ?? error.message}; check the path, or pass - to read stdin`);
  });
  if (!info.isFile()) throw new CliError(`${file} is not a file; pass a file of NDJSON or a JSON array, or - for stdin`);
  return { chunks: createReadStream(file, { highWaterMark: readChunkBytes }), bytesTotal: info.size };
}

async function importCommand(context: CommandContext, file: string): Promise<ExitCode> {
  const coll = requiredText(context, 'coll', 'blocks');
  const idField = textOption(context, 'id-field') ?? '_id';
  const durability = durabilityOf(context);
  const source = await openSource(file);
  const remote = remoteOf(context);
  if (remote !== undefined) return remoteImport(remote, dbOf(context), source, { coll, idField, durability });
  // Automatic checkpoints are off: they run beside the writes, so memory would keep growing while one runs.
  const data = await DataDirectory.open(dataDirOf(context), { logger: stderrLogger, checkpointEveryWrites: 0 });
  const stats: ImportStats = { format: 'empty', bytesRead: 0, docsParsed: 0, docsCommitted: 0, lastCommittedLine: 0 };
  const progress = startProgress(source.bytesTotal);
  const startedMs = performance.now();
  // Holds the process open until flush and close are done: the engine's flush can wait on its batch-sync
  // timer, which is unref'd, so without a ref'd handle Node would exit (code 13) before the data is synced.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    const db = await data.openOrCreate(dbOf(context));
    const writeOptions: WriteOptions = durability === undefined ? {} : { durability };
    const checkpointEveryDocs = importCheckpointEveryDocs(getHeapStatistics().heap_size_limit);
    let docsSinceCheckpoint = 0;
    const commit = async (ops: BatchOp[]) => {
      await db.batch(ops, writeOptions);
      docsSinceCheckpoint += ops.length;
      if (docsSinceCheckpoint < checkpointEveryDocs) return;
      docsSinceCheckpoint = 0;
      await db.checkpoint();
    };
    await importDocuments(source.chunks, { coll, idField, commit, onProgress: (bytes, docs) => progress.update(bytes, docs) }, stats);
    await db.flush();
    progress.stop();
  } catch (error) {
    progress.stop();
    return importFailed(error, stats);
  } finally {
    await data.close();
    clearInterval(keepAlive);
  }
  return importDone(stats, startedMs, '');
}

/** The error, and what was written before it (so the user knows whether to run the import again). */
function importFailed(error: unknown, stats: ImportStats): ExitCode {
  const code = reportError(error);
  if (stats.docsParsed > 0) process.stderr.write(`${failureNote(stats)}\n`);
  return code;
}

function importDone(stats: ImportStats, startedMs: number, where: string): ExitCode {
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = Math.round(stats.docsCommitted / Math.max(seconds, 0.001));
  process.stdout.write(`imported ${stats.docsCommitted} documents in ${seconds.toFixed(2)} s (${rate} docs/s)${where}\n`);
  return exitCodes.ok;
}

function failureNote(stats: ImportStats): string {
  if (stats.docsCommitted === 0) return 'note: nothing was written; fix the input and run the import again';
  return (
    `note: ${stats.docsCommitted} documents were written (through line ${stats.lastCommittedLine}); nothing after ` +
    `line ${stats.lastCommittedLine} was. Fix the input and run the import again: documents are put by id, so ` +
    `importing the whole file again is safe`
  );
}

/** --url: the same pipeline, each batch one v1 /batch request (atomic on the server). */
async function remoteImport(
  client: NedbClient,
  db: string,
  source: Source,
  options: { coll: string; idField: string; durability: WriteOptions['durability'] },
): Promise<ExitCode> {
  const stats: ImportStats = { format: 'empty', bytesRead: 0, docsParsed: 0, docsCommitted: 0, lastCommittedLine: 0 };
  const progress = startProgress(source.bytesTotal);
  const startedMs = performance.now();
  try {
    await client.ensureDatabase(db);
    const commit = async (ops: BatchOp[]) => {
      const v1Ops = ops.map((op) => (op.op === 'put' ? { op: 'put', coll: op.coll, id: op.id, doc: op.doc } : op));
      await client.batch(db, v1Ops, { client: 'nedb-import' });
    };
    await importDocuments(source.chunks, { coll: options.coll, idField: options.idField, commit, onProgress: (bytes, docs) => progress.update(bytes, docs) }, stats);
    progress.stop();
  } catch (error) {
    progress.stop();
    return importFailed(error, stats);
  }
  return importDone(stats, startedMs, ` into ${client.url}`);
}
