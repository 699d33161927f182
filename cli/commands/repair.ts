// `nedb repair`: keeps the intact prefix of each damaged log and moves the rest aside (never deletes it), then
// lists what it moved and what it cannot fix. Takes the directory lock, so the server must be stopped.
import type { CAC } from 'cac';
import { repairDataDirectory } from '../../core/index.js';
import { commandAction } from '../command.js';
import { type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, requireDataDir, stderrLogger } from '../options.js';
import { problemLine } from './verify.js';

export function registerRepair(cli: CAC): void {
  cli
    .command('repair', 'Cut damaged logs back to their intact prefix, moving the rest into <db>/damaged/')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .usage('repair [--data DIR]\n\n  Exit code 0 when nothing unrepairable remains. Damaged snapshots and MANIFESTs cannot be repaired:\n  restore them from a backup. Writes after the first damaged byte of a partition are moved aside, not lost.')
    .example('  $ nedb repair --data ./nedb-data && nedb verify --data ./nedb-data')
    .action(commandAction(cli, (context) => repairCommand(context)));
}

async function repairCommand(context: CommandContext): Promise<ExitCode> {
  const dir = dataDirOf(context);
  await requireDataDir(dir);
  const report = await repairDataDirectory(dir, { logger: stderrLogger });
  for (const action of report.actions)
    process.stdout.write(
      `moved ${action.bytesMoved} bytes of ${action.file} from byte ${action.offset} to ${action.movedTo} (${action.reason})\n`,
    );
  for (const problem of report.unrepairable) process.stdout.write(`cannot repair: ${problemLine(problem)}; restore this file from a backup\n`);
  if (report.unrepairable.length > 0) return exitCodes.failed;
  process.stdout.write(report.actions.length === 0 ? 'nothing to repair\n' : 'repaired: the logs now end at their last intact record\n');
  return exitCodes.ok;
}
