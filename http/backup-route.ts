// POST /v1/databases/{db}/backup {"dir": "/abs/path/on/the/server", "checkpoint"?: false}: an online backup of one database into
// <dir>/<db> (core/backup.ts, docs/BACKUP.md), made by the server while it keeps serving and writing. The
// reply names the backup's seq: the backup holds every write at or below it and nothing above.
import { isAbsolute } from 'node:path';
import { NedbError, type Database } from '../core/index.js';
import type { RouteReply } from './v1-routes.js';

export async function backupRoute(body: Record<string, unknown>, database: Database): Promise<RouteReply> {
  const dir = body.dir;
  if (typeof dir !== 'string' || dir === '')
    throw new NedbError('OPTION_INVALID', { name: 'dir', reason: 'send {"dir": "/absolute/path"}, a directory on the server to back up into' });
  if (!isAbsolute(dir)) throw new NedbError('OPTION_INVALID', { name: 'dir', reason: `must be an absolute path on the server (got '${dir}')` });
  const checkpoint = body.checkpoint;
  if (checkpoint !== undefined && typeof checkpoint !== 'boolean') throw new NedbError('OPTION_INVALID', { name: 'checkpoint', reason: 'must be true or false' });
  const result = await database.backup(dir.replace(/\/+$/, '') || '/', undefined, { checkpoint: checkpoint ?? true });
  return { status: 200, body: { ok: true, ...result } };
}
