// A data directory: the lock, and the databases in it (a directory with a MANIFEST is a database). Creating
// a database makes its directories durable before the MANIFEST that makes it exist; dropping one renames it
// aside first, so a crash halfway never leaves something that looks like a database.
import { dirname } from 'node:path';
import { NedbError } from './errors.js';
import { dbNamePattern, partitionsDefault, partitionsMax, batchFsyncIntervalMsDefault, checkpointEveryWritesDefault, checkpointIntervalSecondsDefault } from './limits.js';
import { type FileSystem } from './platform/file-system.js';
import { nodeFileSystem } from './platform/node-file-system.js';
import { type Clock, systemClock } from './platform/clock.js';
import { type Logger, silentLogger } from './platform/logger.js';
import { type ProcessInfo, systemProcessInfo } from './platform/process-info.js';
import { DirectoryLock } from './lock.js';
import { Database, type DatabaseOpenOptions, databasePaths } from './database.js';
import type { Durability } from './log/group-committer.js';
import { type Manifest, writeManifest } from './manifest.js';

export interface DataDirectoryOptions {
  fs?: FileSystem;
  clock?: Clock;
  logger?: Logger;
  processes?: ProcessInfo;
  /** Open without changing any file (no repairs, no writes). Still takes the lock. */
  readOnly?: boolean;
  /** The server's durability: used when neither the call nor the database sets one. Default 'sync'. */
  durability?: Durability;
  batchFsyncIntervalMs?: number;
  checkpointEveryWrites?: number;
  checkpointIntervalSeconds?: number;
  /** Written into the lock file so other processes can name the server that holds the directory. */
  address?: string;
}

export interface CreateDatabaseOptions {
  partitions?: number;
  durability?: Durability;
  historyRetentionSeqs?: number | null;
  /** Let the planner create sorted indexes on its own (default true). */
  lazyIndexes?: boolean;
}

export class DataDirectory {
  private readonly databases = new Map<string, Database>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fs: FileSystem,
    private readonly lock: DirectoryLock,
    private readonly openOptions: DatabaseOpenOptions,
  ) {}

  static async open(path: string, options: DataDirectoryOptions = {}): Promise<DataDirectory> {
    const fs = options.fs ?? nodeFileSystem;
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const readOnly = options.readOnly ?? false;
    if (!(await fs.exists(path))) {
      if (readOnly) throw new NedbError('DB_NOT_FOUND', { name: path });
      await fs.mkdir(path);
      await fs.syncDir(dirname(path)); // the new directory's own entry must survive a crash too
    }
    const lock = await DirectoryLock.acquire(fs, path, options.processes ?? systemProcessInfo, clock.nowMs(), logger, options.address);
    return new DataDirectory(path, fs, lock, {
      fs,
      clock,
      logger,
      readOnly,
      durability: options.durability ?? 'sync',
      batchFsyncIntervalMs: options.batchFsyncIntervalMs ?? batchFsyncIntervalMsDefault,
      checkpointEveryWrites: options.checkpointEveryWrites ?? checkpointEveryWritesDefault,
      checkpointIntervalSeconds: options.checkpointIntervalSeconds ?? checkpointIntervalSecondsDefault,
    });
  }

  /** Names of the databases in the directory, sorted. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    for (const name of await this.fs.list(this.path))
      if (dbNamePattern.test(name) && (await this.fs.exists(`${this.path}/${name}/MANIFEST`))) names.push(name);
    return names.sort();
  }

  async exists(name: string): Promise<boolean> {
    checkDbName(name);
    return this.fs.exists(`${this.path}/${name}/MANIFEST`);
  }

  /** The database's handle, opening it on first use. Resolves when it is ready; see `openLoading`. */
  async open(name: string): Promise<Database> {
    const database = await this.openLoading(name);
    await database.ready;
    return database;
  }

  /** The handle at once, possibly still loading (for servers that answer while databases load). */
  async openLoading(name: string): Promise<Database> {
    this.checkOpen();
    checkDbName(name);
    const existing = this.databases.get(name);
    if (existing !== undefined) return existing;
    if (!(await this.exists(name))) throw new NedbError('DB_NOT_FOUND', { name });
    const database = Database.open(name, `${this.path}/${name}`, this.openOptions);
    this.databases.set(name, database);
    database.ready.catch(() => this.databases.delete(name));
    return database;
  }

  async create(name: string, options: CreateDatabaseOptions = {}): Promise<Database> {
    this.checkOpen();
    checkDbName(name);
    if (this.openOptions.readOnly) throw new NedbError('READ_ONLY', { name });
    if (await this.exists(name)) throw new NedbError('DB_EXISTS', { name });
    const partitions = options.partitions ?? partitionsDefault;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > partitionsMax)
      throw new NedbError('OPTION_INVALID', { name: 'partitions', reason: `must be an integer from 1 to ${partitionsMax}` });
    const retention = options.historyRetentionSeqs ?? null;
    if (retention !== null && (!Number.isSafeInteger(retention) || retention < 0))
      throw new NedbError('OPTION_INVALID', { name: 'historyRetentionSeqs', reason: 'must be a whole number of seqs, or null to keep all' });
    const paths = databasePaths(`${this.path}/${name}`);
    for (const dir of [paths.dir, paths.wal, paths.snap, paths.archive]) await this.fs.mkdir(dir);
    await this.fs.syncDir(this.path);
    await this.fs.syncDir(paths.dir);
    const manifest: Manifest = {
      partitions,
      createdMs: this.openOptions.clock.nowMs(),
      checkpoint: { seq: -1, snapshots: new Array<null>(partitions).fill(null), logStart: new Array<number>(partitions).fill(1) },
      settings: { durability: options.durability ?? null, historyRetentionSeqs: retention, lazyIndexes: options.lazyIndexes ?? true },
      indexes: [],
    };
    await writeManifest(this.fs, paths.dir, manifest);
    return this.open(name);
  }

  async openOrCreate(name: string, options: CreateDatabaseOptions = {}): Promise<Database> {
    return (await this.exists(name)) ? this.open(name) : this.create(name, options);
  }

  /** Closes and removes a database; false when there was none. */
  async drop(name: string): Promise<boolean> {
    this.checkOpen();
    checkDbName(name);
    if (this.openOptions.readOnly) throw new NedbError('READ_ONLY', { name });
    const open = this.databases.get(name);
    if (open !== undefined) {
      this.databases.delete(name);
      await open.close();
    }
    if (!(await this.exists(name))) return false;
    const aside = `${this.path}/.dropped-${name}`;
    await this.fs.removeTree(aside);
    await this.fs.rename(`${this.path}/${name}`, aside);
    await this.fs.syncDir(this.path);
    await this.fs.removeTree(aside);
    return true;
  }

  /** Names the server address in the lock file, so other processes can point to it. */
  setAddress(address: string): Promise<void> {
    return this.lock.setAddress(address);
  }

  /** Every open database, loading or ready. */
  openDatabases(): Database[] {
    return [...this.databases.values()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const database of this.databases.values()) await database.close().catch(() => undefined);
    this.databases.clear();
    await this.lock.release();
  }

  private checkOpen(): void {
    if (this.closed) throw new NedbError('DB_CLOSED', { name: this.path });
  }
}

export function checkDbName(name: string): void {
  if (typeof name !== 'string' || !dbNamePattern.test(name)) throw new NedbError('DB_NAME_INVALID', { name });
}
