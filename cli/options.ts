// Shared option handling. Text options are read from the raw arguments, not from cac's parsed values: cac
// (through mri) turns anything numeric into a number, so `--db 007` would become 7 and `--coll 1e3` 1000.
import { stat } from 'node:fs/promises';
import { CliError, exitCodes } from './errors.js';
import type { Durability, Logger } from '../core/index.js';

/** The data directory when neither --data nor NEDBD_DATA (v1's variable) names one. */
export const dataDirDefault = './nedb-data';
/** The database when --db is absent. */
export const dbDefault = 'default';

/** What every command gets: its parsed options (for flags) and the raw arguments (for text values). */
export interface CommandContext {
  readonly rawArgs: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

/** The last value given for `--name`, exactly as typed; undefined when the option is absent. */
export function textOption(context: CommandContext, name: string): string | undefined {
  const flag = `--${name}`;
  let value: string | undefined;
  for (let i = 0; i < context.rawArgs.length; i++) {
    const arg = context.rawArgs[i]!;
    if (arg === '--') break;
    if (arg === flag) value = context.rawArgs[i + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  return value;
}

export function requiredText(context: CommandContext, name: string, example: string): string {
  const value = textOption(context, name);
  if (value === undefined || value === '')
    throw new CliError(`option --${name} is required, e.g. --${name} ${example}`, exitCodes.usage);
  return value;
}

/** --data, else $NEDBD_DATA, else ./nedb-data. */
export function dataDirOf(context: CommandContext): string {
  const fromFlag = textOption(context, 'data');
  if (fromFlag !== undefined && fromFlag !== '') return fromFlag;
  const fromEnv = process.env.NEDBD_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return dataDirDefault;
}

export function dbOf(context: CommandContext): string {
  const value = textOption(context, 'db');
  return value === undefined || value === '' ? dbDefault : value;
}

export function durabilityOf(context: CommandContext): Durability | undefined {
  const value = textOption(context, 'durability');
  if (value === undefined) return undefined;
  if (value === 'sync' || value === 'batch' || value === 'async') return value;
  throw new CliError(`--durability must be sync, batch or async (got '${value}')`, exitCodes.usage);
}

/** An integer option such as --as-of; undefined when absent. */
export function integerOption(context: CommandContext, name: string): number | undefined {
  const value = textOption(context, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(parsed))
    throw new CliError(`--${name} must be an integer (got '${value}')`, exitCodes.usage);
  return parsed;
}

/** Engine warnings (a stale lock taken over, a torn log tail cut) go to stderr; info only with NEDB_DEBUG=1. */
export const stderrLogger: Logger = {
  info: (message) => {
    if (process.env.NEDB_DEBUG === '1') process.stderr.write(`info: ${message}\n`);
  },
  warn: (message) => {
    process.stderr.write(`warning: ${message}\n`);
  },
};

/** For commands that must not create the directory (checkpoint, verify, repair): fails when it is missing. */
export async function requireDataDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new CliError(`data directory ${dir} does not exist; check --data or $NEDBD_DATA`);
  if (!info.isDirectory()) throw new CliError(`${dir} is not a directory; --data names the data directory`);
}
