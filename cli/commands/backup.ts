// `nedb backup DIR`: an online backup of one database (--db) or of every database, into DIR/<db>/, while the
// server (or this process) keeps writing. See docs/BACKUP.md; `nedb restore` makes a data directory from it.
import { isAbsolute, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CAC } from 'cac';
import { SingleBar } from 'cli-progress';
import { BackupError, DataDirectory, type BackupProgress, type BackupResult } from '../../core/index.js';
import type { NedbClient } from '../../client/nedb-client.js';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, requireDataDir, stderrLogger, textOption } from '../options.js';
import { formatBytes } from '../progress.js';
import { remoteOf, serverHolding } from '../remote.js';

export function registerBackup(cli: CAC): void {
  cli
    .command('backup <dir>', 'Online backup: a consistent copy of each database into DIR/<db>/ while writes go on')
    .option('--url <url>', 'ask a running server to write the backup; DIR is then an absolute path on the server')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'only this database (default: every database)')
    .option('--no-checkpoint', 'copy the last checkpoint and the whole log after it instead of checkpointing first')
    .usage(
      'backup <dir> [--data DIR | --url URL] [--db NAME]\n\n' +
        '  Takes a checkpoint, then copies its snapshots and the log after it, up to one seq, without stopping\n' +
        '  writes. DIR/<db> must not exist or be empty. A BACKUP file written last marks the backup complete;\n' +
        '  `nedb restore DIR --data NEWDIR` makes a data directory from it and checks every checksum.',
    )
    .example('  $ nedb backup /backups/2024-06-01 --data /var/lib/nedb')
    .example('  $ nedb backup /backups/2024-06-01 --url http://127.0.0.1:7070 --db explorer')
    .action(commandAction(cli, (context, args) => backupCommand(context, args[0] ?? '')));
}

export async function backupCommand(context: CommandContext, target: string): Promise<ExitCode> {
  if (target === '') throw new CliError('name the directory to back up into, e.g. `nedb backup /backups/today`', exitCodes.usage);
  const only = textOption(context, 'db');
  const checkpoint = context.options.checkpoint !== false && !context.rawArgs.includes('--no-checkpoint');
  const remote = remoteOf(context);
  if (remote !== undefined) {
    if (!isAbsolute(target)) throw new CliError(`with --url, DIR is a path on the server and must be absolute (got '${target}')`, exitCodes.usage);
    return remoteBackup(remote, target, only, checkpoint);
  }
  const dir = dataDirOf(context);
  await requireDataDir(dir);
  let data: DataDirectory;
  try {
    data = await DataDirectory.open(dir, { logger: stderrLogger });
  } catch (error) {
    const server = serverHolding(error);
    if (server === undefined) throw error;
    return remoteBackup(server, resolve(target), only, checkpoint);
  }
  try {
    const names = only === undefined ? await data.list() : [only];
    if (names.length === 0) throw new CliError(`no databases in ${dir}; check --data`);
    for (const name of names) {
      const db = await data.open(name);
      const bar = startBackupBar(name);
      let result: BackupResult;
      try {
        result = await db.backup(target, (progress) => bar.update(progress), { checkpoint });
      } catch (error) {
        if (error instanceof BackupError) throw new CliError(error.message);
        throw error;
      } finally {
        bar.stop();
      }
      process.stdout.write(`${describeBackup(result)}\n`);
    }
    return exitCodes.ok;
  } finally {
    await data.close();
  }
}

async function remoteBackup(client: NedbClient, target: string, only: string | undefined, checkpoint: boolean): Promise<ExitCode> {
  const names = only === undefined ? await client.databases() : [only];
  for (const name of names) {
    process.stderr.write(`backing up ${name} on ${client.url} (the server copies; no progress is shown)\n`);
    const reply = (await client.backup(name, target, checkpoint ? {} : { checkpoint: false })) as unknown as BackupResult;
    process.stdout.write(`${describeBackup(reply)} (on ${client.url})\n`);
  }
  return exitCodes.ok;
}

export function describeBackup(result: BackupResult): string {
  const seconds = result.ms / 1000;
  const rate = result.bytes / (1 << 20) / Math.max(seconds, 0.001);
  return (
    `${result.database}: backup at seq ${result.seq} in ${result.dir}: ${result.files} files, ${formatBytes(result.bytes)} ` +
    `in ${seconds.toFixed(2)} s (${rate.toFixed(1)} MiB/s)`
  );
}

interface BackupBar {
  update(progress: BackupProgress): void;
  stop(): void;
}

/** A progress bar on stderr, drawn only when stderr is a terminal (scripts and tests get the summary line). */
function startBackupBar(name: string): BackupBar {
  if (process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `backing up ${name} {bar} {percentage}% | {doneText} of {totalText} | {phase} | {rate}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  const startMs = performance.now();
  let started = false;
  return {
    update(progress) {
      const total = Math.max(1, progress.bytesTotal);
      const seconds = (performance.now() - startMs) / 1000;
      const payload = {
        doneText: formatBytes(progress.bytesDone),
        totalText: formatBytes(progress.bytesTotal),
        phase: progress.phase,
        rate: `${(progress.bytesDone / (1 << 20) / Math.max(seconds, 0.001)).toFixed(1)} MiB/s`,
      };
      if (!started) {
        bar.start(total, progress.bytesDone, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(progress.bytesDone, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
