// A stand-in for cli/main.ts with only `migrate-v1` registered, bundled by the CLI test until the command is
// wired into main.ts. It ends the way main.ts does: exit codes from cli/errors.ts.
import { cac } from 'cac';
import { registerMigrateV1 } from '../../cli/commands/migrate-v1.js';
import { type ExitCode, exitCodes, reportError } from '../../cli/errors.js';

async function main(argv: readonly string[]): Promise<ExitCode> {
  const cli = cac('nedb');
  registerMigrateV1(cli);
  cli.help();
  try {
    cli.parse([...argv], { run: false });
    if (cli.options.help === true) return exitCodes.ok;
    const code: unknown = await cli.runMatchedCommand();
    return code === exitCodes.failed || code === exitCodes.usage ? code : exitCodes.ok;
  } catch (error) {
    return reportError(error);
  }
}

process.exitCode = await main(process.argv);
