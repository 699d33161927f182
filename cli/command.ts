// The bridge between cac and a command: cac calls actions with untyped positional arguments and options;
// commands get strings and a CommandContext, and return the exit code.
import type { CAC } from 'cac';
import type { ExitCode } from './errors.js';
import type { CommandContext } from './options.js';

export type CommandAction = (context: CommandContext, args: readonly string[]) => Promise<ExitCode>;

export function commandAction(cli: CAC, body: CommandAction): (...args: unknown[]) => Promise<ExitCode> {
  return (...args: unknown[]) => {
    const options = (args.pop() ?? {}) as Record<string, unknown>;
    const positional = args.filter((arg) => arg !== undefined).map((arg) => String(arg));
    return body({ rawArgs: cli.rawArgs, options }, positional);
  };
}
