// The `nedb` command line. This file only wires the commands (one file each under cli/commands/) into cac
// and turns every outcome into an exit code; see cli/errors.ts for the codes.
import { cac } from 'cac';
import packageJson from '../package.json' with { type: 'json' };
import { registerCheckpoint } from './commands/checkpoint.js';
import { registerGet } from './commands/get.js';
import { registerImport, stdinMarker } from './commands/import.js';
import { registerRepair } from './commands/repair.js';
import { registerVerify } from './commands/verify.js';
import { registerServe } from './commands/serve.js';
import { registerQuery } from './commands/query.js';
import { registerBackup } from './commands/backup.js';
import { registerRestore } from './commands/restore.js';
import { registerExport } from './commands/export.js';
import { registerMigrateV1 } from './commands/migrate-v1.js';
import { CliError, type ExitCode, exitCodes, reportError } from './errors.js';

function buildCli(): ReturnType<typeof cac> {
  const cli = cac('nedb');
  registerServe(cli);
  registerQuery(cli);
  registerImport(cli);
  registerGet(cli);
  registerCheckpoint(cli);
  registerVerify(cli);
  registerRepair(cli);
  registerExport(cli);
  registerBackup(cli);
  registerRestore(cli);
  registerMigrateV1(cli);
  cli.usage(
    '<command> [options]\n\n' +
      '  serve runs the server; query, import, get and checkpoint take --url to talk to one, or work directly\n' +
      '  on a data directory: --data DIR, else $NEDBD_DATA, else ./nedb-data.\n' +
      '  The database is --db NAME, else "default".\n' +
      '  Exit codes: 0 ok; 1 failed (not found, damaged, locked, a bad input line); 2 wrong command line.\n' +
      '  NEDB_DEBUG=1 prints stack traces.',
  );
  cli.example('  $ nedb serve   # then: curl localhost:7070/health');
  cli.example('  $ nedb import sample/blocks.ndjson --db explorer --coll blocks && nedb get --db explorer --coll blocks 42');
  cli.example('  $ nedb verify --data ./nedb-data');
  cli.help();
  cli.version(packageJson.version);
  return cli;
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const cli = buildCli();
  try {
    // cac (mri) drops a lone `-`; swap it for a marker that cannot be a path.
    cli.parse(argv.map((arg) => (arg === '-' ? stdinMarker : arg)), { run: false });
    if (cli.options.help === true || cli.options.version === true) return exitCodes.ok;
    if (cli.matchedCommand === undefined) {
      const name = cli.args[0];
      if (name === undefined) {
        cli.outputHelp();
        return exitCodes.ok;
      }
      throw new CliError(`unknown command '${name}'; run \`nedb --help\` for the list of commands`, exitCodes.usage);
    }
    const code: unknown = await cli.runMatchedCommand();
    return code === exitCodes.failed || code === exitCodes.usage ? code : exitCodes.ok;
  } catch (error) {
    if (error instanceof Error && error.name === 'CACError') {
      const command = cli.matchedCommandName === undefined ? '' : ` ${cli.matchedCommandName}`;
      return reportError(new CliError(`${error.message}; run \`nedb${command} --help\` for usage`, exitCodes.usage));
    }
    return reportError(error);
  }
}

// `nedb query … | head` closes stdout early: that is the reader's choice, not an error worth a stack trace. The
// rest of the output is dropped (stdout is destroyed) and the command finishes with its own exit code.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
    process.stdout.destroy();
    return;
  }
  throw error;
});
process.exitCode = await main(process.argv);
