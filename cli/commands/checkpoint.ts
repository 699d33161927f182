// `nedb checkpoint`: writes snapshots of one database, or of every database in the directory, so the next
// open replays a shorter log.
import type { CAC } from 'cac';
import { DataDirectory } from '../../core/index.js';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { remoteOf } from '../remote.js';
import { type CommandContext, dataDirOf, requireDataDir, stderrLogger, textOption } from '../options.js';

export function registerCheckpoint(cli: CAC): void {
  cli
    .command('checkpoint', 'Write snapshots so the next start replays less log (all databases unless --db)')
    .option('--url <url>', 'ask a running server (a v1 checkpoint op per database; token from $NEDBD_TOKEN)')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'only this database (default: every database)')
    .example('  $ nedb checkpoint --db explorer')
    .example('  $ nedb checkpoint --data /var/lib/nedb')
    .action(commandAction(cli, (context) => checkpointCommand(context)));
}

async function checkpointCommand(context: CommandContext): Promise<ExitCode> {
  const dir = dataDirOf(context);
  const only = textOption(context, 'db');
  const remote = remoteOf(context);
  if (remote !== undefined) {
    const names = only === undefined ? await remote.databases() : [only];
    for (const name of names) {
      const reply = await remote.checkpoint(name);
      process.stdout.write(`${name}: checkpoint at seq ${String(reply.seq)} on ${remote.url}\n`);
    }
    return exitCodes.ok;
  }
  await requireDataDir(dir);
  const data = await DataDirectory.open(dir, { logger: stderrLogger });
  try {
    const names = only === undefined ? await data.list() : [only];
    if (names.length === 0) throw new CliError(`no databases in ${dir}; check --data, or create one with \`nedb import\``);
    for (const name of names) {
      const db = await data.open(name);
      const outcome = await db.checkpoint();
      process.stdout.write(
        `${name}: checkpoint at seq ${outcome.seq}, ${outcome.snapshotsWritten} snapshots written, ${outcome.segmentsArchived} log segments archived\n`,
      );
    }
    return exitCodes.ok;
  } finally {
    await data.close();
  }
}
