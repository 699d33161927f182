// `nedb migrate-v1`: brings NEDB v1 databases (log.aof, meta.json, snapshot.json, key.enc) into a nedb data
// directory with their ids, documents, deletes, edges, indexes and AS OF history, v1's seq numbers unchanged.
// The engine is core/v1/migrate/; this file reads the options, draws progress, prints the summary and the
// per-collection count check, and maps failures to exit codes.
import { stat } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import type { CAC } from 'cac';
import { SingleBar } from 'cli-progress';
import { DataDirectory, checkDbName, nodeFileSystem } from '../../core/index.js';
import {
  type MigrateV1Report,
  type V1DatabaseFiles,
  V1MigrationError,
  listV1Databases,
  masterKeyFromEnv,
  migrateV1Database,
} from '../../core/v1/migrate/index.js';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes, reportError } from '../errors.js';
import { type CommandContext, dataDirOf, stderrLogger } from '../options.js';
import { formatBytes } from '../progress.js';
import { importCheckpointEveryDocs } from './import.js';

export function registerMigrateV1(cli: CAC): void {
  cli
    .command('migrate-v1 <v1-data-dir>', 'Migrate NEDB v1 databases (log.aof, meta.json, key.enc) into a nedb data directory')
    .option('--data <dir>', 'nedb data directory to write into (default: $NEDBD_DATA or ./nedb-data; created when missing)')
    .option('--db <name>', 'migrate only this v1 database (repeat for several; default: every database in the v1 directory)')
    .option('--no-verify-hashes', "skip recomputing v1's BLAKE2b hash chain while reading (faster; damaged lines are still caught)")
    .usage(
      `migrate-v1 <v1-data-dir> [--data DIR] [--db NAME ...]\n\n` +
        `  <v1-data-dir> is the v1 server's --data directory (NEDBD_DATA): each <v1-data-dir>/<name>/ holding\n` +
        `  log.aof or meta.json is a database. Each becomes the nedb database <name>, which must not exist yet.\n` +
        `  Stop the v1 server first. Encrypted databases (key.enc) need the v1 master key in NEDB_TMK (hex) or\n` +
        `  NEDB_TMK_FILE; nedb stores their data in the clear (it has no encryption at rest yet).\n` +
        `  The log is replayed op by op, so seq numbers, AS OF history, deletes and edges match v1. A damaged\n` +
        `  line, a seq gap or a wrong key stops with the file and byte offset, and the half-written database is\n` +
        `  removed. At the end the live documents per collection are counted in both and compared.`,
    )
    .example('  $ nedb migrate-v1 /var/lib/nedbd --data /var/lib/nedb')
    .example('  $ NEDB_TMK_FILE=/etc/nedb/tmk nedb migrate-v1 ./nedb-data-v1 --data ./nedb-data --db shop --db vault')
    .action(commandAction(cli, (context, args) => migrateV1Command(context, args[0] ?? '')));
}

/** Every value of a repeatable text option, as typed (cac would turn `--db 007` into 7). */
function allTextOptions(context: CommandContext, name: string): string[] {
  const flag = `--${name}`;
  const values: string[] = [];
  for (let i = 0; i < context.rawArgs.length; i++) {
    const arg = context.rawArgs[i]!;
    if (arg === '--') break;
    if (arg === flag && context.rawArgs[i + 1] !== undefined) values.push(context.rawArgs[++i]!);
    else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
  }
  return values;
}

async function sourceDatabases(root: string, wanted: string[]): Promise<V1DatabaseFiles[]> {
  const info = await stat(root).catch(() => undefined);
  if (info === undefined) throw new CliError(`v1 data directory ${root} does not exist; pass the directory the v1 server ran with (its --data or NEDBD_DATA)`);
  if (!info.isDirectory()) throw new CliError(`${root} is not a directory; pass the v1 data directory that holds one folder per database`);
  const all = await listV1Databases(nodeFileSystem, root);
  if (all.length === 0) {
    const isDatabase = (await stat(`${root}/log.aof`).catch(() => undefined)) !== undefined;
    throw new CliError(
      isDatabase
        ? `${root} is one v1 database, not the data directory; pass its parent and --db ${root.split('/').filter(Boolean).pop() ?? 'NAME'}`
        : `no v1 databases in ${root} (a database is a folder with log.aof or meta.json)`,
    );
  }
  if (wanted.length === 0) return all;
  return wanted.map((name) => {
    const found = all.find((db) => db.name === name);
    if (found === undefined) throw new CliError(`${root} has no v1 database ${name}; it has: ${all.map((db) => db.name).join(', ')}`, exitCodes.usage);
    return found;
  });
}

interface Bar {
  update(bytesDone: number, bytesTotal: number, ops: number): void;
  stop(): void;
}

function startBar(name: string): Bar {
  if (process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `migrating ${name} {bar} {percentage}% | {doneText} of {totalText} | {ops} ops | eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  let started = false;
  return {
    update(bytesDone, bytesTotal, ops) {
      const payload = { doneText: formatBytes(bytesDone), totalText: formatBytes(bytesTotal), ops };
      if (!started) bar.start(Math.max(1, bytesTotal), 0, payload);
      started = true;
      bar.update(bytesDone, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function printReport(report: MigrateV1Report, dataDir: string): void {
  const out: string[] = [];
  const rate = Math.round(report.ops / Math.max(report.seconds, 0.001));
  out.push(
    `${report.dropped ? 'FAILED' : 'migrated'} ${report.source} → ${dataDir}/${report.target}: ${report.collections.length} collections, ` +
      `${report.documents} documents, ${report.edges.actual} edges, ${report.ops} ops (seq ${report.ops === 0 ? '-' : `0..${report.lastSeq}`}) ` +
      `in ${report.seconds.toFixed(2)} s (${rate} ops/s)`,
  );
  const width = Math.max(10, ...report.collections.map((count) => count.coll.length));
  out.push(`  ${'collection'.padEnd(width)}  ${'v1'.padStart(10)}  ${'nedb'.padStart(10)}`);
  for (const count of report.collections)
    out.push(`  ${count.coll.padEnd(width)}  ${String(count.expected).padStart(10)}  ${String(count.actual).padStart(10)}${count.expected === count.actual ? '' : '  MISMATCH'}`);
  out.push(`  ${'(edges)'.padEnd(width)}  ${String(report.edges.expected).padStart(10)}  ${String(report.edges.actual).padStart(10)}${report.edges.expected === report.edges.actual ? '' : '  MISMATCH'}`);
  if (report.indexes.length > 0) out.push(`  indexes: ${report.indexes.map(([coll, field, kind]) => `${coll}.${field} (${kind})`).join(', ')}`);
  if (report.filledFromSnapshot > 0) out.push(`  ${report.filledFromSnapshot} seqs were not in log.aof and came from snapshot.json`);
  out.push(report.countsMatch ? '  counts match' : '  counts DO NOT match: the database was removed; report this with the v1 files if you can');
  process.stdout.write(`${out.join('\n')}\n`);
}

async function migrateV1Command(context: CommandContext, root: string): Promise<ExitCode> {
  if (root === '') throw new CliError('the v1 data directory is required, e.g. nedb migrate-v1 /var/lib/nedbd', exitCodes.usage);
  const sources = await sourceDatabases(root, allTextOptions(context, 'db'));
  for (const source of sources) checkDbName(source.name);
  const tmk = await masterKeyFromEnv(process.env, nodeFileSystem).catch((error: unknown) => {
    throw error instanceof V1MigrationError ? new CliError(error.message) : error;
  });
  const dataDir = dataDirOf(context);
  const data = await DataDirectory.open(dataDir, { logger: stderrLogger, checkpointEveryWrites: 0 });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The engine's flush can wait on an unref'd timer; keep the process alive until the work is done.
  const keepAlive = setInterval(() => undefined, 60_000);
  const done: string[] = [];
  try {
    const existing = [];
    for (const source of sources) if (await data.exists(source.name)) existing.push(source.name);
    if (existing.length > 0)
      throw new CliError(
        `${existing.join(', ')} already ${existing.length === 1 ? 'exists' : 'exist'} in ${dataDir}; drop ${existing.length === 1 ? 'it' : 'them'} first ` +
          `(DELETE /v1/databases/<name> on a running server, or remove the folder while none runs), use another --data, or choose the databases with --db`,
      );
    const checkpointEveryOps = importCheckpointEveryDocs(getHeapStatistics().heap_size_limit);
    let failed = false;
    for (const source of sources) {
      const bar = startBar(source.name);
      let report: MigrateV1Report;
      try {
        report = await migrateV1Database({
          data,
          source,
          tmk,
          verifyHashes: context.options.verifyHashes !== false,
          checkpointEveryOps,
          signal: abort.signal,
          onProgress: (progress) => bar.update(progress.bytesDone, progress.bytesTotal, progress.ops),
          onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
        });
      } finally {
        bar.stop();
      }
      printReport(report, dataDir);
      if (report.encrypted && !report.dropped)
        process.stderr.write(
          `warning: ${source.name} was encrypted in v1 (key.enc); nedb has no encryption at rest yet, so its data is now stored ` +
            `in the clear under ${dataDir}/${report.target}. Protect that directory (permissions, disk encryption).\n`,
        );
      if (report.dropped) {
        failed = true;
        break;
      }
      done.push(source.name);
    }
    return failed ? exitCodes.failed : exitCodes.ok;
  } catch (error) {
    const code = reportError(error instanceof V1MigrationError ? new CliError(error.message) : error);
    const rest = sources.map((source) => source.name).filter((name) => !done.includes(name));
    if (done.length > 0) process.stderr.write(`note: ${done.join(', ')} migrated completely; ${rest.join(', ')} not (nothing of them is left in ${dataDir}). Rerun with --db ${rest.join(' --db ')} after fixing the cause\n`);
    else if (error instanceof V1MigrationError) process.stderr.write(`note: nothing was written to ${dataDir}\n`);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await data.close();
    clearInterval(keepAlive);
  }
}
