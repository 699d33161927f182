// `nedb get`: one document by id, as one line of JSON. Opens the directory read-only, so it changes no file.
import type { CAC } from 'cac';
import { DataDirectory } from '../../core/index.js';
import { commandAction } from '../command.js';
import { type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, dbOf, integerOption, requiredText, stderrLogger } from '../options.js';

export function registerGet(cli: CAC): void {
  cli
    .command('get <id>', 'Print one document as JSON (exit code 1 when there is none)')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'database (default: default)')
    .option('--coll <name>', 'collection (required)')
    .option('--as-of <seq>', 'read the version visible at this seq (default: the newest)')
    .example('  $ nedb get --db explorer --coll blocks 42')
    .example('  $ nedb get --data /var/lib/nedb --db explorer --coll blocks 42 --as-of 100')
    .action(commandAction(cli, (context, args) => getCommand(context, args[0] ?? '')));
}

async function getCommand(context: CommandContext, id: string): Promise<ExitCode> {
  const coll = requiredText(context, 'coll', 'blocks');
  const asOf = integerOption(context, 'as-of');
  const dbName = dbOf(context);
  const data = await DataDirectory.open(dataDirOf(context), { readOnly: true, logger: stderrLogger });
  try {
    const db = await data.open(dbName);
    const found = await db.get(coll, id, asOf === undefined ? {} : { asOf });
    if (found === undefined) {
      const at = asOf === undefined ? '' : ` at seq ${asOf}`;
      process.stderr.write(`not found: no document ${JSON.stringify(id)} in ${dbName}/${coll}${at}\n`);
      return exitCodes.failed;
    }
    process.stdout.write(`${JSON.stringify(found.doc)}\n`);
    return exitCodes.ok;
  } finally {
    await data.close();
  }
}
