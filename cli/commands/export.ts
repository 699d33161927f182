// `nedb export --coll C`: one collection as NDJSON on stdout, every document as of one seq (the newest, or
// --as-of), in id order, so `nedb import FILE --coll C` reads it back. Each line is the stored document; when
// it has no `_id` field, `_id` (the document's id) is put first, so the import keys it the same.
import type { Writable } from 'node:stream';
import type { CAC } from 'cac';
import type { Database } from '../../core/index.js';
import type { NedbClient } from '../../client/nedb-client.js';
import { commandAction } from '../command.js';
import { type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dbOf, integerOption, requiredText } from '../options.js';
import { readTarget } from '../remote.js';

export function registerExport(cli: CAC): void {
  cli
    .command('export', 'Print one collection as NDJSON, as of one seq (read back with `nedb import`)')
    .option('--url <url>', 'ask a running server instead (token from $NEDBD_TOKEN)')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data)')
    .option('--db <name>', 'database (default: default)')
    .option('--coll <name>', 'collection (required)')
    .option('--as-of <seq>', 'export the documents as they were at this seq (default: the newest)')
    .usage(
      'export --coll NAME [--data DIR | --url URL] [--db NAME] [--as-of SEQ] > FILE.ndjson\n\n' +
        '  One line per live document, in id order, every one as of the same seq; stderr says which seq.\n' +
        '  To export several collections at one seq, pass that seq as --as-of to each. Read a file back\n' +
        '  with `nedb import FILE.ndjson --coll NAME`.',
    )
    .example('  $ nedb export --db explorer --coll blocks > blocks.ndjson')
    .example('  $ nedb export --db explorer --coll blocks --as-of 1200 > blocks-1200.ndjson && nedb import blocks-1200.ndjson --data ./copy --db explorer --coll blocks')
    .action(commandAction(cli, (context) => exportCommand(context)));
}

export async function exportCommand(context: CommandContext, out: Writable = process.stdout): Promise<ExitCode> {
  const coll = requiredText(context, 'coll', 'blocks');
  const asOf = integerOption(context, 'as-of');
  const dbName = dbOf(context);
  const target = await readTarget(context);
  if (target.kind === 'remote') return remoteExport(target.client, dbName, coll, asOf, out);
  const data = target.data;
  try {
    const db = await data.open(dbName);
    const { seq, documents } = await exportCollection(db, coll, asOf, out);
    process.stderr.write(`exported ${documents} documents of ${dbName}/${coll} at seq ${seq}\n`);
    return exitCodes.ok;
  } finally {
    await data.close();
  }
}

/** The line for one document: the stored document, with `_id` first when it has none. */
export function exportLine(id: string, doc: Record<string, unknown>): string {
  return JSON.stringify(Object.hasOwn(doc, '_id') ? doc : { _id: id, ...doc });
}

/** Streams a collection as of one seq (default: the visible seq when called) as NDJSON into `out`. */
export async function exportCollection(db: Database, coll: string, asOf: number | undefined, out: Writable): Promise<{ seq: number; documents: number }> {
  const seq = asOf ?? db.seq;
  let documents = 0;
  for await (const page of db.scan(coll, { asOf: seq })) {
    let text = '';
    for (const row of page) text += `${exportLine(row.id, row.doc)}\n`;
    documents += page.length;
    await write(out, text);
  }
  return { seq, documents };
}

async function remoteExport(client: NedbClient, db: string, coll: string, asOf: number | undefined, out: Writable): Promise<ExitCode> {
  const reply = await client.query(db, asOf === undefined ? `FROM ${coll}` : `FROM ${coll} AS OF ${asOf}`);
  let text = '';
  for (const row of reply.rows) {
    text += `${JSON.stringify(row)}\n`;
    if (text.length > 1 << 20) {
      await write(out, text);
      text = '';
    }
  }
  await write(out, text);
  process.stderr.write(`exported ${reply.rows.length} documents of ${db}/${coll} at seq ${asOf ?? reply.seq} from ${client.url}\n`);
  return exitCodes.ok;
}

/** Writes and waits for the stream to drain when its buffer is full (stdout to a slow pipe or file). */
function write(out: Writable, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const ok = out.write(text, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else out.once('drain', () => resolve());
  });
}
