// How the CLI ends: every failure is printed once, as `error: <message>`, and mapped to an exit code here.
// NedbError messages already say what to fix; the CLI adds a hint only where the next step is a CLI command.
// Stacks are for bugs, so they show only with NEDB_DEBUG=1.
import { isNedbError, type ErrorCode } from '../core/index.js';

/** Exit codes, stable for scripts: 0 ok, 1 the operation failed or found damage, 2 the command line is wrong. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** A failure the CLI itself detects (a missing file, a wrong flag), with the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = exitCodes.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The next step for errors whose fix is another command. */
const hints: Partial<Record<ErrorCode, string>> = {
  DB_NOT_FOUND: 'check --data and --db (run `nedb verify --data DIR` to list the databases); `nedb import` creates a database',
  READ_ONLY: 'this command opened the directory read-only; use a command that writes (import, checkpoint, repair)',
};

export function isDebug(): boolean {
  return process.env.NEDB_DEBUG === '1';
}

/** Prints the error to stderr and returns the exit code the process should end with. */
export function reportError(error: unknown): ExitCode {
  const debug = isDebug();
  if (isNedbError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    const hint = hints[error.code];
    if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
    if (debug && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return exitCodes.failed;
  }
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('hint: rerun with NEDB_DEBUG=1 for the stack trace, and report it if it looks like a bug\n');
  return exitCodes.failed;
}
