// `nedb get`: one document by id, as one line of JSON. Opens the directory read-only, so it changes no file.
import type { CAC } from 'cac';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { readTarget } from '../remote.js';
import type { NedbClient } from '../../client/nedb-client.js';
import { type CommandContext, dbOf, integerOption, requiredText } from '../options.js';

export function registerGet(cli: CAC): void {
  cli
    .command('get <id>', 'Print one document as JSON (exit code 1 when there is none)')
    .option('--url <url>', 'ask a running server instead (token from $NEDBD_TOKEN)')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'database (default: default)')
    .option('--coll <name>', 'collection (required)')
    .option('--as-of <seq>', 'read the version visible at this seq (default: the newest)')
    .example('  $ nedb get --db explorer --coll blocks 42')
    .example('  $ nedb get --url http://127.0.0.1:7070 --db explorer --coll blocks 42')
    .example('  $ nedb get --data /var/lib/nedb --db explorer --coll blocks 42 --as-of 100')
    .action(commandAction(cli, (context, args) => getCommand(context, args[0] ?? '')));
}

async function getCommand(context: CommandContext, id: string): Promise<ExitCode> {
  const coll = requiredText(context, 'coll', 'blocks');
  const asOf = integerOption(context, 'as-of');
  const dbName = dbOf(context);
  const target = await readTarget(context);
  if (target.kind === 'remote') return remoteGet(target.client, dbName, coll, id, asOf);
  const data = target.data;
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

async function remoteGet(client: NedbClient, dbName: string, coll: string, id: string, asOf: number | undefined): Promise<ExitCode> {
  let doc: Record<string, unknown> | undefined;
  if (asOf === undefined) doc = await client.get(dbName, coll, id);
  else {
    if (id.includes('"')) throw new CliError('--as-of with --url reads through NQL, which cannot quote an id holding \'"\'; use --data');
    doc = (await client.query(dbName, `FROM ${coll} AS OF ${asOf} WHERE _id = "${id}" LIMIT 1`)).rows[0];
  }
  if (doc === undefined) {
    process.stderr.write(`not found: no document ${JSON.stringify(id)} in ${dbName}/${coll} on ${client.url}\n`);
    return exitCodes.failed;
  }
  process.stdout.write(`${JSON.stringify(doc)}\n`);
  return exitCodes.ok;
}
