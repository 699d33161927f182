// `nedb restore DIR --data DATADIR`: makes databases in a data directory from a backup that `nedb backup` (or
// POST /v1/databases/{db}/backup) wrote, checking every file's size and CRC-32C against the backup's BACKUP
// marker and every checksum of the restored files. A database that already exists in DATADIR is refused.
import type { CAC } from 'cac';
import { SingleBar } from 'cli-progress';
import { BackupError, restoreBackup } from '../../core/index.js';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, requiredText, stderrLogger, textOption } from '../options.js';
import { formatBytes } from '../progress.js';

export function registerRestore(cli: CAC): void {
  cli
    .command('restore <dir>', 'Make databases in a data directory from a backup, checking every checksum')
    .option('--data <dir>', 'data directory to restore into (required; created when missing)')
    .option('--db <name>', 'only this database of the backup (default: every database in it)')
    .usage(
      'restore <dir> --data DATADIR [--db NAME]\n\n' +
        '  DIR is what `nedb backup` wrote (DIR/<db>/ for each database), or one database\'s backup directory.\n' +
        '  A database that already exists in DATADIR is refused; drop it or restore into another directory.\n' +
        '  Stop any server on DATADIR first (restore takes its lock); start it again afterwards.',
    )
    .example('  $ nedb restore /backups/2024-06-01 --data /var/lib/nedb-restored')
    .example('  $ nedb restore /backups/2024-06-01 --data /var/lib/nedb --db explorer')
    .action(commandAction(cli, (context, args) => restoreCommand(context, args[0] ?? '')));
}

export async function restoreCommand(context: CommandContext, source: string): Promise<ExitCode> {
  if (source === '') throw new CliError('name the backup directory, e.g. `nedb restore /backups/today --data ./restored`', exitCodes.usage);
  const dataDir = requiredText(context, 'data', './restored');
  const only = textOption(context, 'db');
  const bar = startRestoreBar();
  try {
    const results = await restoreBackup(source, dataDir, {
      logger: stderrLogger,
      ...(only === undefined ? {} : { db: only }),
      onProgress: (progress) => bar.update(progress.database, progress.bytesDone, progress.bytesTotal),
    });
    bar.stop();
    for (const result of results)
      process.stdout.write(`${result.database}: restored at seq ${result.seq} into ${result.dir}: ${result.files} files, ${formatBytes(result.bytes)}, every checksum verified\n`);
    return exitCodes.ok;
  } catch (error) {
    bar.stop();
    if (error instanceof BackupError) throw new CliError(`${error.message}\nnote: nothing was restored from this backup`);
    throw error;
  }
}

function startRestoreBar(): { update(database: string, done: number, total: number): void; stop(): void } {
  if (process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'restoring {database} {bar} {percentage}% | {doneText} of {totalText}',
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  let current: string | undefined;
  return {
    update(database, done, total) {
      const payload = { database, doneText: formatBytes(done), totalText: formatBytes(total) };
      if (current !== database) {
        if (current !== undefined) bar.stop();
        bar.start(Math.max(1, total), done, payload);
        current = database;
      } else bar.update(done, payload);
    },
    stop() {
      if (current !== undefined) bar.stop();
      current = undefined;
    },
  };
}
