// `nedb query "<nql>"`: runs NQL against a running server (--url) or a data directory (--data), printing an
// aligned table on a terminal and a JSON array otherwise (or with --json). With --data the directory is
// opened read-only and the command waits until the database is loaded; when a server holds the directory,
// the query goes to that server.
import type { CAC } from 'cac';
import { DataDirectory, V1Database, systemClock } from '../../core/index.js';
import { runQuery } from '../../nql/index.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, dbOf, stderrLogger } from '../options.js';
import { remoteOf, serverHolding } from '../remote.js';
import type { NedbClient } from '../../client/nedb-client.js';

export function registerQuery(cli: CAC): void {
  cli
    .command('query <nql>', 'Run an NQL query and print the rows (a table on a terminal, else JSON)')
    .option('--url <url>', 'ask a running server (token from $NEDBD_TOKEN)')
    .option('--data <dir>', 'or open this data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'database (default: default)')
    .option('--json', 'print one JSON array of the rows')
    .example('  $ nedb query "FROM blocks ORDER BY height DESC LIMIT 10" --db explorer')
    .example('  $ nedb query "FROM blocks WHERE miner = \\"miner-7\\" LIMIT 5" --db explorer --url http://127.0.0.1:7070 --json')
    .action(commandAction(cli, (context, args) => queryCommand(context, args[0] ?? '')));
}

type Row = Record<string, unknown>;

async function queryCommand(context: CommandContext, nql: string): Promise<ExitCode> {
  if (nql.trim() === '') throw new CliError('the query is empty; e.g. nedb query "FROM blocks LIMIT 10"', exitCodes.usage);
  const db = dbOf(context);
  const remote = remoteOf(context);
  const rows = remote !== undefined ? await remoteRows(remote, db, nql) : await localRows(context, db, nql);
  printRows(rows, context.options.json === true || process.stdout.isTTY !== true);
  return exitCodes.ok;
}

async function remoteRows(client: NedbClient, db: string, nql: string): Promise<Row[]> {
  const reply = await client.query(db, nql);
  if (reply.ready === false) throw new CliError(`database ${db} on ${client.url} is still loading; retry in a moment`);
  return reply.rows;
}

async function localRows(context: CommandContext, db: string, nql: string): Promise<Row[]> {
  let data: DataDirectory;
  try {
    data = await DataDirectory.open(dataDirOf(context), { readOnly: true, logger: stderrLogger });
  } catch (error) {
    const server = serverHolding(error);
    if (server === undefined) throw error;
    return remoteRows(server, db, nql);
  }
  try {
    const database = await data.openLoading(db);
    const showProgress = process.stderr.isTTY === true;
    while (database.state.state === 'loading') {
      if (showProgress) process.stderr.write(`\rloading ${db}: ${database.state.percent}%`);
      await Promise.race([database.ready.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    if (showProgress) process.stderr.write('\r\x1b[K');
    await database.ready;
    const v1 = await V1Database.open(database, systemClock);
    const result = await runQuery(nql, new DatabaseQuerySource(v1, 600_000, () => performance.now()));
    return result.rows as Row[];
  } finally {
    await data.close();
  }
}

function cellText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An aligned table: one column per field, in the order fields first appear. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const widths = columns.map((column, i) => Math.min(60, Math.max(column.length, ...cells.map((line) => line[i]!.length))));
  const line = (values: string[]) => values.map((value, i) => (value.length > widths[i]! ? `${value.slice(0, widths[i]! - 1)}…` : value.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

function printRows(rows: Row[], asJson: boolean): void {
  process.stdout.write(asJson ? `${JSON.stringify(rows)}\n` : formatTable(rows));
}
