// One process owns a data directory. The lock file LOCK is created exclusively and holds JSON: pid, process
// start time, boot id, and (for a server) its address, never a token. A lock whose process is gone (not alive,
// another boot, or a different start time for the same pid) is stale and taken over; otherwise the opener gets
// LOCKED naming the holder, so the CLI can say "a server at … holds it; use --url".
import { NedbError } from './errors.js';
import type { FileSystem } from './platform/file-system.js';
import { errorCode } from './platform/file-system.js';
import type { ProcessInfo } from './platform/process-info.js';
import type { Logger } from './platform/logger.js';

export interface LockContent {
  pid: number;
  startTime: string | null;
  bootId: string | null;
  address?: string;
  createdMs: number;
}

export class DirectoryLock {
  private constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    private current: LockContent,
  ) {}

  get content(): LockContent {
    return this.current;
  }

  /** Records the address a server bound (known only after listening), replacing the lock file atomically. */
  async setAddress(address: string): Promise<void> {
    const next = { ...this.current, address };
    const tempPath = `${this.path}.tmp`;
    await this.fs.unlink(tempPath).catch(() => undefined);
    const file = await this.fs.open(tempPath, 'createExclusive');
    try {
      await file.write(new TextEncoder().encode(`${JSON.stringify(next)}\n`), 0);
    } finally {
      await file.close();
    }
    await this.fs.rename(tempPath, this.path);
    this.current = next;
  }

  static async acquire(
    fs: FileSystem,
    dir: string,
    processes: ProcessInfo,
    nowMs: number,
    logger: Logger,
    address?: string,
  ): Promise<DirectoryLock> {
    const path = `${dir}/LOCK`;
    const pid = processes.pid();
    const content: LockContent = {
      pid,
      startTime: processes.startTime(pid),
      bootId: processes.bootId(),
      ...(address === undefined ? {} : { address }),
      createdMs: nowMs,
    };
    for (let attempt = 0; attempt < lockAttemptsMax; attempt++) {
      if (await createLock(fs, path, content)) {
        // After a takeover another opener may have judged the same lock stale and replaced ours: look again
        // once it had time to, and keep the lock only if it is still ours.
        if (attempt === 0) return new DirectoryLock(fs, path, content);
        await sleep(takeoverSettleMs);
        const now = await readLock(fs, path);
        if (now?.pid === content.pid && now.createdMs === content.createdMs) return new DirectoryLock(fs, path, content);
        continue;
      }
      const holder = await readLockPatiently(fs, path);
      if (holder !== undefined && isHeld(holder, processes)) {
        const where = holder.address === undefined ? '' : ` (serving at ${holder.address})`;
        throw new NedbError('LOCKED', { dir, pid: holder.pid, address: where, holder });
      }
      // Unlink only the stale lock that was judged: if it changed meanwhile, someone else took over; look again.
      const again = await readLock(fs, path);
      if (again?.pid !== holder?.pid || again?.createdMs !== holder?.createdMs) continue;
      logger.warn(`lock: taking over the stale lock of process ${holder?.pid ?? 'unknown'} in ${dir}`);
      await fs.unlink(path).catch(() => undefined);
    }
    throw new NedbError('LOCKED', { dir, pid: 'unknown', address: '' });
  }

  async release(): Promise<void> {
    const holder = await readLock(this.fs, this.path);
    if (holder?.pid === this.content.pid && holder.createdMs === this.content.createdMs) await this.fs.unlink(this.path);
  }
}

const lockAttemptsMax = 5;
/** A live opener writes its lock within microseconds of creating it; an empty lock older than this is stale. */
const emptyLockPatienceMs = 500;
const emptyLockPollMs = 20;
/** How long a taker waits before checking that a takeover still holds. */
const takeoverSettleMs = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates the lock exclusively with its content; false when a lock exists. */
async function createLock(fs: FileSystem, path: string, content: LockContent): Promise<boolean> {
  // No fsync: the lock excludes live processes only. After a crash a lost or leftover lock file is the same
  // thing (a stale lock, taken over), so making it durable would only slow every open down.
  let file;
  try {
    file = await fs.open(path, 'createExclusive');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await file.write(new TextEncoder().encode(`${JSON.stringify(content)}\n`), 0);
  } finally {
    await file.close();
  }
  return true;
}

/**
 * The holder of an existing lock. An empty or unreadable lock may be one another opener has created and not
 * yet written: wait for it a little before calling it stale (a crash between create and write).
 */
async function readLockPatiently(fs: FileSystem, path: string): Promise<LockContent | undefined> {
  for (let waitedMs = 0; waitedMs < emptyLockPatienceMs; waitedMs += emptyLockPollMs) {
    const holder = await readLock(fs, path);
    if (holder !== undefined || !(await fs.exists(path))) return holder;
    await sleep(emptyLockPollMs);
  }
  return readLock(fs, path);
}

export async function readLock(fs: FileSystem, path: string): Promise<LockContent | undefined> {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(await fs.readFile(path))) as LockContent;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined; // missing, empty (crash while writing it) or unreadable: not a live holder
  }
}

function isHeld(holder: LockContent, processes: ProcessInfo): boolean {
  const bootId = processes.bootId();
  if (holder.bootId !== null && bootId !== null && holder.bootId !== bootId) return false;
  if (!processes.isAlive(holder.pid)) return false;
  const startTime = processes.startTime(holder.pid);
  return holder.startTime === null || startTime === null || holder.startTime === startTime;
}
