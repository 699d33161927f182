// Test file systems that change one or two operations of a real one (delay an open, mark an fdatasync).
// A class instance's methods live on its prototype, so `{ ...nodeFileSystem }` would not copy them: every
// operation is bound here explicitly, then the overrides replace some.
import type { FileSystem } from '../../core/index.js';

export function overriding(base: FileSystem, overrides: Partial<FileSystem>): FileSystem {
  return {
    open: (path, mode) => base.open(path, mode),
    readFile: (path) => base.readFile(path),
    rename: (from, to) => base.rename(from, to),
    unlink: (path) => base.unlink(path),
    list: (dir) => base.list(dir),
    mkdir: (dir) => base.mkdir(dir),
    removeTree: (dir) => base.removeTree(dir),
    exists: (path) => base.exists(path),
    syncDir: (dir) => base.syncDir(dir),
    ...overrides,
  };
}
