// The engine's only door to files. core/ never imports node:fs outside core/platform/, so that tests can plug in
// the simulated disk (sim-file-system.ts) that drops what was never fsynced, and so that Bun and Deno
// differences stay in one place.
//
// Writes, fsyncs, renames and unlinks are asynchronous: on Node they run on the libuv thread pool, so an
// fdatasync never blocks the thread that serves requests. Positioned reads of immutable files (snapshots) are
// also offered synchronously: they hit the page cache in microseconds and a promise per document read would
// cost more than the read.

export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `target[offset..]`; returns the count read (0 at EOF). */
  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  readSync(target: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes all of `bytes` at `position` (a short write is retried until done or an error is thrown). */
  write(bytes: Uint8Array, position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  | 'read' // existing file, read only
  | 'readWrite' // existing file
  | 'createExclusive'; // new file, fails with EEXIST when the name exists

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Small whole files only (MANIFEST, lock file): never a log segment or a snapshot. */
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Names in a directory, unsorted; [] when the directory does not exist. */
  list(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  /** Removes a directory tree (dropping a database). */
  removeTree(dir: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** fsync of a directory: makes creates, renames and unlinks in it durable. */
  syncDir(dir: string): Promise<void>;
}

/** A file system error with the errno-style code the engine reacts to (ENOSPC, EIO, ENOENT, EEXIST). */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * A whole file in one buffer, by positioned reads: for bounded files (a log segment, a backup's file), never
 * for a snapshot's documents. A file that shrinks meanwhile returns what was there.
 */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Uint8Array> {
  const file = await fs.open(path, 'read');
  try {
    const size = await file.size();
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const read = await file.read(bytes, done, size - done, done);
      if (read === 0) break;
      done += read;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await file.close();
  }
}
