// A simulated disk for crash tests. SIGKILL leaves the page cache intact, so a real kill cannot show a missing
// fsync; this disk can. It keeps, per file, the bytes as the process sees them and the bytes that a completed
// datasync made durable, and per directory the entries as seen and the entries made durable by syncDir.
// `crash()` throws away everything not durable (file bytes and directory entries alike) except a random
// prefix of each file's last write (a torn write), and fails every handle opened before it.
//
// Faults can be injected per operation (ENOSPC on write, EIO on datasync) to test the engine's reactions.
import { posix } from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from './file-system.js';

interface FileNode {
  readonly kind: 'file';
  data: Uint8Array;
  size: number;
  durable: Uint8Array;
  lastWrite: { position: number; bytes: Uint8Array } | undefined;
}

interface DirNode {
  readonly kind: 'dir';
  entries: Map<string, FileNode | DirNode>;
  durableEntries: Map<string, FileNode | DirNode>;
}

export type SimOperation = 'write' | 'datasync' | 'syncDir' | 'rename' | 'truncate' | 'open';

/** Returns an errno code (e.g. 'ENOSPC') to make the operation fail, or undefined to let it run. */
export type SimFault = (operation: SimOperation, path: string) => string | undefined;

function errnoError(code: string, operation: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${operation} ${path}`), { code });
}

function newDir(): DirNode {
  return { kind: 'dir', entries: new Map(), durableEntries: new Map() };
}

export class SimFileSystem implements FileSystem {
  private root: DirNode = newDir();
  private generation = 0;
  /** Pending datasyncs complete after this many macrotask turns, so a crash can land while one is in flight. */
  syncDelayTurns = 1;
  fault: SimFault | undefined;
  /** Counts for tests: how many datasyncs completed, and how many are running now. */
  datasyncsCompleted = 0;
  syncsInFlight = 0;

  /** Drops every byte and entry not made durable; tears each file's last write at `tear(lastWriteBytes)`. */
  crash(tear: (bytes: number) => number): void {
    this.generation++;
    this.syncsInFlight = 0;
    this.resetDir(this.root, tear);
  }

  private resetDir(dir: DirNode, tear: (bytes: number) => number): void {
    dir.entries = new Map(dir.durableEntries);
    for (const node of dir.entries.values()) {
      if (node.kind === 'dir') {
        this.resetDir(node, tear);
        continue;
      }
      const data = new Uint8Array(Math.max(node.durable.length, 1024));
      data.set(node.durable);
      let size = node.durable.length;
      const last = node.lastWrite;
      if (last !== undefined && last.position <= size) {
        const kept = Math.min(last.bytes.length, Math.max(0, tear(last.bytes.length)));
        const grown = ensureCapacity(data, last.position + kept);
        grown.set(last.bytes.subarray(0, kept), last.position);
        size = Math.max(size, last.position + kept);
        node.data = grown;
      } else node.data = data;
      node.size = size;
      node.durable = node.data.slice(0, size);
      node.lastWrite = undefined;
    }
  }

  private check(operation: SimOperation, path: string): void {
    const code = this.fault?.(operation, path);
    if (code !== undefined) throw errnoError(code, operation, path);
  }

  private lookup(path: string): FileNode | DirNode | undefined {
    let node: FileNode | DirNode = this.root;
    for (const part of posix.normalize(path).split('/')) {
      if (part === '' || part === '.') continue;
      if (node.kind !== 'dir') return undefined;
      const next: FileNode | DirNode | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private parentOf(path: string): { dir: DirNode; name: string } {
    const normalized = posix.normalize(path);
    const parent = this.lookup(posix.dirname(normalized));
    if (parent === undefined || parent.kind !== 'dir') throw errnoError('ENOENT', 'lookup', path);
    return { dir: parent, name: posix.basename(normalized) };
  }

  private file(path: string): FileNode {
    const node = this.lookup(path);
    if (node === undefined) throw errnoError('ENOENT', 'open', path);
    if (node.kind !== 'file') throw errnoError('EISDIR', 'open', path);
    return node;
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.check('open', path);
    if (mode === 'createExclusive') {
      const { dir, name } = this.parentOf(path);
      if (dir.entries.has(name)) throw errnoError('EEXIST', 'open', path);
      const node: FileNode = { kind: 'file', data: new Uint8Array(1024), size: 0, durable: new Uint8Array(0), lastWrite: undefined };
      dir.entries.set(name, node);
      return new SimFileHandle(this, path, node, this.generation);
    }
    return new SimFileHandle(this, path, this.file(path), this.generation);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const node = this.file(path);
    return node.data.slice(0, node.size);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    const source = this.parentOf(from);
    const node = source.dir.entries.get(source.name);
    if (node === undefined) throw errnoError('ENOENT', 'rename', from);
    const target = this.parentOf(to);
    source.dir.entries.delete(source.name);
    target.dir.entries.set(target.name, node);
  }

  async unlink(path: string): Promise<void> {
    const { dir, name } = this.parentOf(path);
    if (!dir.entries.has(name)) throw errnoError('ENOENT', 'unlink', path);
    dir.entries.delete(name);
  }

  async list(dir: string): Promise<string[]> {
    const node = this.lookup(dir);
    return node !== undefined && node.kind === 'dir' ? [...node.entries.keys()] : [];
  }

  async mkdir(dir: string): Promise<void> {
    let node: DirNode = this.root;
    for (const part of posix.normalize(dir).split('/')) {
      if (part === '' || part === '.') continue;
      let next = node.entries.get(part);
      if (next === undefined) {
        next = newDir();
        node.entries.set(part, next);
      }
      if (next.kind !== 'dir') throw errnoError('ENOTDIR', 'mkdir', dir);
      node = next;
    }
  }

  async removeTree(dir: string): Promise<void> {
    const { dir: parent, name } = this.parentOf(dir);
    parent.entries.delete(name);
  }

  async exists(path: string): Promise<boolean> {
    return this.lookup(path) !== undefined;
  }

  async syncDir(dir: string): Promise<void> {
    this.check('syncDir', dir);
    const node = this.lookup(dir);
    if (node === undefined || node.kind !== 'dir') throw errnoError('ENOENT', 'syncDir', dir);
    const generation = this.generation;
    this.syncsInFlight++;
    try {
      await this.turns();
    } finally {
      if (generation === this.generation) this.syncsInFlight--;
    }
    if (generation !== this.generation) throw errnoError('EIO', 'syncDir (crashed)', dir);
    node.durableEntries = new Map(node.entries);
  }

  /** Called by handles. */
  assertAlive(generation: number, path: string): void {
    if (generation !== this.generation) throw errnoError('EIO', 'use after crash', path);
  }

  checkFault(operation: SimOperation, path: string): void {
    this.check(operation, path);
  }

  async turns(): Promise<void> {
    for (let i = 0; i < this.syncDelayTurns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  get currentGeneration(): number {
    return this.generation;
  }
}

function ensureCapacity(data: Uint8Array, size: number): Uint8Array {
  if (size <= data.length) return data;
  const grown = new Uint8Array(Math.max(size, data.length * 2));
  grown.set(data);
  return grown;
}

class SimFileHandle implements FileHandle {
  constructor(
    private readonly fs: SimFileSystem,
    readonly path: string,
    private readonly node: FileNode,
    private readonly generation: number,
  ) {}

  readSync(target: Uint8Array, offset: number, length: number, position: number): number {
    this.fs.assertAlive(this.generation, this.path);
    const count = Math.max(0, Math.min(length, this.node.size - position));
    target.set(this.node.data.subarray(position, position + count), offset);
    return count;
  }

  async read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return this.readSync(target, offset, length, position);
  }

  async write(bytes: Uint8Array, position: number): Promise<void> {
    this.fs.assertAlive(this.generation, this.path);
    this.fs.checkFault('write', this.path);
    const node = this.node;
    node.data = ensureCapacity(node.data, position + bytes.length);
    if (position > node.size) node.data.fill(0, node.size, position);
    node.data.set(bytes, position);
    node.size = Math.max(node.size, position + bytes.length);
    node.lastWrite = { position, bytes: bytes.slice() };
  }

  async datasync(): Promise<void> {
    this.fs.assertAlive(this.generation, this.path);
    this.fs.checkFault('datasync', this.path);
    const snapshot = this.node.data.slice(0, this.node.size);
    const lastWrite = this.node.lastWrite;
    this.fs.syncsInFlight++;
    try {
      await this.fs.turns();
    } finally {
      if (this.fs.currentGeneration === this.generation) this.fs.syncsInFlight--;
    }
    this.fs.assertAlive(this.generation, this.path);
    this.node.durable = snapshot;
    if (this.node.lastWrite === lastWrite) this.node.lastWrite = undefined;
    this.fs.datasyncsCompleted++;
  }

  async truncate(length: number): Promise<void> {
    this.fs.assertAlive(this.generation, this.path);
    this.fs.checkFault('truncate', this.path);
    this.node.size = Math.min(this.node.size, length);
    if (length > this.node.size) {
      this.node.data = ensureCapacity(this.node.data, length);
      this.node.data.fill(0, this.node.size, length);
      this.node.size = length;
    }
    this.node.lastWrite = undefined;
  }

  async size(): Promise<number> {
    this.fs.assertAlive(this.generation, this.path);
    return this.node.size;
  }

  async close(): Promise<void> {}
}
