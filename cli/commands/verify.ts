// `nedb verify`: checks every CRC of every MANIFEST, snapshot and log segment and reports damage with file
// and byte offset. It changes nothing and takes no lock, so it is safe next to a running server.
import type { CAC } from 'cac';
import { verifyDataDirectory, type VerifyProblem } from '../../core/index.js';
import { commandAction } from '../command.js';
import { type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, requireDataDir } from '../options.js';

export function registerVerify(cli: CAC): void {
  cli
    .command('verify', 'Check every file of the data directory; exit code 1 when something is damaged')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--json', 'print the report as JSON')
    .usage('verify [--data DIR] [--json]\n\n  A torn tail (the end of the newest log segment, as a crash leaves it) is a warning and exits 0:\n  opening the database cuts it. Any other damage exits 1; `nedb repair` keeps the intact prefix.')
    .example('  $ nedb verify --data ./nedb-data')
    .example('  $ nedb verify --json')
    .action(commandAction(cli, (context) => verifyCommand(context)));
}

async function verifyCommand(context: CommandContext): Promise<ExitCode> {
  const dir = dataDirOf(context);
  await requireDataDir(dir);
  const report = await verifyDataDirectory(dir);
  if (context.options.json === true) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? exitCodes.ok : exitCodes.failed;
  }
  if (report.databases.length === 0) process.stdout.write(`no databases in ${dir}\n`);
  for (const db of report.databases)
    process.stdout.write(`${db.name}: ${db.segments} log segments, ${db.records} records, ${db.snapshots} snapshots, ${db.documents} documents in snapshots\n`);
  for (const problem of report.problems) process.stdout.write(`${problemLine(problem)}\n`);
  if (report.ok) {
    process.stdout.write(report.problems.length === 0 ? 'ok\n' : 'ok (torn tails are cut when the database opens)\n');
    return exitCodes.ok;
  }
  process.stdout.write(`damaged: run \`nedb repair --data ${dir}\` to keep the intact prefix of each damaged log (stop the server first)\n`);
  return exitCodes.failed;
}

export function problemLine(problem: VerifyProblem): string {
  const label = problem.severity === 'torn-tail' ? 'warning: torn tail' : 'damage';
  return `${label}: ${problem.file} at byte ${problem.offset}: ${problem.reason}`;
}
