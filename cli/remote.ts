// Talking to a running server instead of opening a data directory: --url, or the address a server left in
// the lock file of the directory it holds.
import { NedbClient } from '../client/nedb-client.js';
import { DataDirectory, isNedbError } from '../core/index.js';
import { type CommandContext, dataDirOf, stderrLogger, textOption } from './options.js';

/** The bearer token for --url: NEDBD_TOKEN (v1's variable); never a command-line argument. */
function tokenFromEnvironment(): string | undefined {
  const token = process.env.NEDBD_TOKEN;
  return token === undefined || token === '' ? undefined : token;
}

/** A client when --url was given. */
export function remoteOf(context: CommandContext): NedbClient | undefined {
  const url = textOption(context, 'url');
  return url === undefined || url === '' ? undefined : new NedbClient(url, tokenFromEnvironment());
}

/**
 * When opening the directory failed because a server holds it, a client for that server (it wrote its
 * address into the lock file); undefined for any other error.
 */
export function serverHolding(error: unknown): NedbClient | undefined {
  if (!isNedbError(error, 'LOCKED')) return undefined;
  const holder = error.details.holder as { address?: string } | undefined;
  if (holder?.address === undefined) return undefined;
  process.stderr.write(`note: a server at ${holder.address} holds this data directory; asking it instead\n`);
  return new NedbClient(holder.address, tokenFromEnvironment());
}

/** Where a reading command reads: a server, or a data directory opened read-only (close it when done). */
export type ReadTarget = { kind: 'remote'; client: NedbClient } | { kind: 'local'; data: DataDirectory };

/** --url; else the data directory, read-only; else, when a server holds that directory, that server. */
export async function readTarget(context: CommandContext): Promise<ReadTarget> {
  const remote = remoteOf(context);
  if (remote !== undefined) return { kind: 'remote', client: remote };
  try {
    return { kind: 'local', data: await DataDirectory.open(dataDirOf(context), { readOnly: true, logger: stderrLogger }) };
  } catch (error) {
    const server = serverHolding(error);
    if (server === undefined) throw error;
    return { kind: 'remote', client: server };
  }
}
