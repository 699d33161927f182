// Reads a NEDB v1 data root (UPSTREAM.md §8): which directories are databases, their index config, the data
// key, and log.aof streamed in chunks (files can be gigabytes). Every line is checked as it is read: valid JSON
// (after decryption), the shape of an OpRecord, the next seq (gap-free from the first), and optionally v1's
// hash chain. A failure names the file, the byte offset and the line.
import type { FileSystem } from '../../platform/file-system.js';
import { openEnvelope, unwrapDataKey, type MasterKey } from './v1-crypto.js';
import { V1MigrationError, type V1Location } from './v1-errors.js';
import { RawJsonError, type V1Record, canonicalOpBody, v1GenesisHash, v1OpHash } from './v1-format.js';

/** Bytes read from log.aof per read call. */
export const v1ReadChunkBytes = 4 << 20;
/** One log line may be at most this long: a 16 MiB document, JSON-escaped, encrypted and base64-encoded. */
export const v1LineBytesMax = 96 << 20;
/** snapshot.json is parsed whole only up to this size (it is needed only when log.aof lacks ops). */
export const v1SnapshotBytesMax = 512 << 20;

export interface V1DatabaseFiles {
  name: string;
  dir: string;
  aof: string | undefined;
  meta: string | undefined;
  snapshot: string | undefined;
  keyEnc: string | undefined;
}

/** `<root>/<db>/` is a database when it holds log.aof or meta.json. Sorted by name. */
export async function listV1Databases(fs: FileSystem, root: string): Promise<V1DatabaseFiles[]> {
  const found: V1DatabaseFiles[] = [];
  for (const name of (await fs.list(root)).sort()) {
    const files = await v1DatabaseFiles(fs, root, name);
    if (files !== undefined) found.push(files);
  }
  return found;
}

export async function v1DatabaseFiles(fs: FileSystem, root: string, name: string): Promise<V1DatabaseFiles | undefined> {
  const dir = `${root}/${name}`;
  const at = async (file: string) => ((await fs.exists(`${dir}/${file}`)) ? `${dir}/${file}` : undefined);
  const aof = await at('log.aof');
  const meta = await at('meta.json');
  if (aof === undefined && meta === undefined) return undefined;
  return { name, dir, aof, meta, snapshot: await at('snapshot.json'), keyEnc: await at('key.enc') };
}

export type V1IndexConfig = [coll: string, field: string, kind: string][];

function indexConfigOf(value: unknown, path: string): V1IndexConfig {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new V1MigrationError(`${path}: "indexes" must be a list of [coll, field, kind]`);
  return value.map((item: unknown) => {
    if (!Array.isArray(item) || item.length < 2 || typeof item[0] !== 'string' || typeof item[1] !== 'string')
      throw new V1MigrationError(`${path}: index entry ${JSON.stringify(item)} is not [coll, field, kind]`);
    return [item[0], item[1], typeof item[2] === 'string' ? item[2] : 'eq'];
  });
}

/** meta.json's `{"indexes": [[coll, field, kind]]}`. */
export async function readMetaIndexes(fs: FileSystem, path: string): Promise<V1IndexConfig> {
  const text = Buffer.from(await fs.readFile(path)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new V1MigrationError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new V1MigrationError(`${path}: expected an object {"indexes": [...]}`);
  return indexConfigOf((parsed as { indexes?: unknown }).indexes, path);
}

export async function readDataKey(fs: FileSystem, files: V1DatabaseFiles, tmk: MasterKey | undefined): Promise<Buffer | undefined> {
  if (files.keyEnc === undefined) return undefined;
  if (tmk === undefined)
    throw new V1MigrationError(`database ${files.name} is encrypted (${files.keyEnc}); set NEDB_TMK (hex) or NEDB_TMK_FILE to the v1 master key`);
  return unwrapDataKey(Buffer.from(await fs.readFile(files.keyEnc)).toString('utf8'), tmk, files.name, files.keyEnc);
}

/** The plaintext JSON of an `{"enc":1,"ct":…}` envelope, or the text itself when it is not one. */
function decryptedText(text: string, dek: Buffer | undefined, what: string): string {
  if (!text.startsWith('{"enc"')) return text;
  let envelope: { enc?: unknown; ct?: unknown };
  try {
    envelope = JSON.parse(text) as { enc?: unknown; ct?: unknown };
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  if (envelope.enc !== 1 || typeof envelope.ct !== 'string') return text;
  if (dek === undefined) throw new Error(`${what} is encrypted but the database has no key.enc`);
  return openEnvelope(dek, envelope.ct).toString('utf8');
}

export interface V1Snapshot {
  seq: number;
  checkpointSeq: number;
  store: Record<string, { v?: unknown; seq?: unknown; deleted?: unknown }>;
  relations: Record<string, { to?: unknown; added?: unknown; removed?: unknown }[]>;
  indexConfig: V1IndexConfig;
  nonces: Record<string, unknown>;
  idem: Record<string, unknown>;
}

/** Parses snapshot.json (decrypting it when keyed). Used only where log.aof lacks ops. */
export async function readSnapshot(fs: FileSystem, path: string, dek: Buffer | undefined): Promise<V1Snapshot> {
  const file = await fs.open(path, 'read');
  let size: number;
  try {
    size = await file.size();
  } finally {
    await file.close();
  }
  if (size > v1SnapshotBytesMax)
    throw new V1MigrationError(`${path}: ${size} bytes; snapshots over ${v1SnapshotBytesMax} bytes are not read (log.aof must hold every op)`);
  let parsed: Record<string, unknown>;
  try {
    const text = decryptedText(Buffer.from(await fs.readFile(path)).toString('utf8').trim(), dek, 'snapshot.json');
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new V1MigrationError(`${path}: cannot read the snapshot: ${(error as Error).message}`);
  }
  const seq = parsed.seq;
  if (typeof parsed !== 'object' || parsed === null || typeof seq !== 'number' || !Number.isSafeInteger(seq))
    throw new V1MigrationError(`${path}: not a v1 snapshot (no integer "seq")`);
  const objectOr = <T>(value: unknown, fallback: T): T => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as T) : fallback);
  return {
    seq,
    checkpointSeq: typeof parsed.checkpoint_seq === 'number' ? parsed.checkpoint_seq : seq,
    store: objectOr(parsed.store, {}),
    relations: objectOr(parsed.relations, {}),
    indexConfig: indexConfigOf(parsed.index_config, path),
    nonces: objectOr(parsed.nonces, {}),
    idem: objectOr(parsed.idem, {}),
  };
}

export interface AofEntry {
  record: V1Record;
  location: V1Location;
  /** Bytes of the line on disk, newline included. */
  lineBytes: number;
}

export interface AofReadOptions {
  /** Recompute every op hash (v1's BLAKE2b-256 chain) and check each prev_hash link. */
  verifyHashes: boolean;
}

/** The first entry's seq and the last entry's seq, once reading is done (-1 / -1 for an empty log). */
export interface AofSummary {
  firstSeq: number;
  lastSeq: number;
  lines: number;
  bytes: number;
}

function recordOf(value: unknown): string | V1Record {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq) || record.seq < 0) return 'no integer "seq"';
  if (typeof record.op !== 'string' || record.op === '') return 'no "op" name';
  if (typeof record.payload !== 'object' || record.payload === null || Array.isArray(record.payload)) return '"payload" is not an object';
  if (record.client !== undefined && typeof record.client !== 'string') return '"client" is not a string';
  if (record.nonce !== undefined && record.nonce !== null && typeof record.nonce !== 'number') return '"nonce" is not a number';
  if (record.ts !== undefined && typeof record.ts !== 'number') return '"ts" is not a number';
  if (record.idem !== undefined && record.idem !== null && typeof record.idem !== 'string') return '"idem" is not a string';
  return {
    ...record,
    seq: record.seq,
    op: record.op,
    payload: record.payload as Record<string, unknown>,
    client: typeof record.client === 'string' ? record.client : 'local',
    nonce: typeof record.nonce === 'number' ? record.nonce : null,
    ts: typeof record.ts === 'number' ? record.ts : 0,
    idem: typeof record.idem === 'string' ? record.idem : null,
  };
}

/**
 * Streams log.aof as checked entries, in chunks (one array per read). Blank lines are skipped. The summary is
 * filled when the generator finishes.
 */
export async function* readAof(
  fs: FileSystem,
  path: string,
  dek: Buffer | undefined,
  options: AofReadOptions,
  summary: AofSummary,
): AsyncGenerator<AofEntry[]> {
  const file = await fs.open(path, 'read');
  try {
    const size = await file.size();
    let pending = Buffer.alloc(0);
    let pendingOffset = 0; // file offset of pending[0]
    let position = 0;
    let lineNo = 0;
    let expectedSeq = -1;
    let previousHash: string | undefined;
    summary.firstSeq = -1;
    summary.lastSeq = -1;
    summary.bytes = size;
    const parseLine = (bytes: Buffer, start: number, end: number, terminated: boolean): AofEntry | undefined => {
      lineNo++;
      const location: V1Location = { file: path, offset: pendingOffset + start, line: lineNo };
      const text = bytes.toString('utf8', start, end).trim();
      if (text === '') return undefined;
      const fail = (reason: string): never => {
        throw new V1MigrationError(terminated ? reason : `${reason}; the last line is torn (no newline): v1 was stopped mid-write. Cut it with: truncate -s ${location.offset} ${path}`, location);
      };
      let plain: string;
      let value: unknown;
      try {
        plain = decryptedText(text, dek, 'the line');
        value = JSON.parse(plain);
      } catch (error) {
        return fail(`damaged line: ${(error as Error).message}`);
      }
      const record = recordOf(value);
      if (typeof record === 'string') return fail(`damaged line: ${record}`);
      if (expectedSeq >= 0 && record.seq !== expectedSeq)
        fail(record.seq > expectedSeq ? `seq gap: expected seq ${expectedSeq}, found ${record.seq} (ops ${expectedSeq}..${record.seq - 1} are missing)` : `seq ${record.seq} out of order: expected ${expectedSeq}`);
      if (options.verifyHashes) {
        if (typeof record.hash !== 'string' || typeof record.prev_hash !== 'string') fail('no "hash"/"prev_hash" to verify');
        const previous = previousHash ?? (record.seq === 0 ? v1GenesisHash : record.prev_hash!);
        if (record.prev_hash !== previous) fail(`hash chain broken at seq ${record.seq}: prev_hash ${record.prev_hash!.slice(0, 16)}… is not the previous op's hash ${previous.slice(0, 16)}…`);
        let body: string;
        try {
          body = canonicalOpBody(plain);
        } catch (error) {
          if (!(error instanceof RawJsonError)) throw error;
          return fail(`damaged line: ${error.message}`);
        }
        const computed = v1OpHash(previous, body);
        if (computed !== record.hash) fail(`hash mismatch at seq ${record.seq}: the line says ${record.hash!.slice(0, 16)}…, its content hashes to ${computed.slice(0, 16)}…`);
        previousHash = record.hash;
      }
      if (summary.firstSeq < 0) summary.firstSeq = record.seq;
      summary.lastSeq = record.seq;
      expectedSeq = record.seq + 1;
      return { record, location, lineBytes: end - start + (terminated ? 1 : 0) };
    };
    for (;;) {
      const chunk = Buffer.allocUnsafe(v1ReadChunkBytes);
      const read = await file.read(chunk, 0, chunk.length, position);
      position += read;
      const bytes = pending.length === 0 ? chunk.subarray(0, read) : Buffer.concat([pending, chunk.subarray(0, read)]);
      const entries: AofEntry[] = [];
      let start = 0;
      for (let newline = bytes.indexOf(10, start); newline >= 0; newline = bytes.indexOf(10, start)) {
        const entry = parseLine(bytes, start, newline, true);
        if (entry !== undefined) entries.push(entry);
        start = newline + 1;
      }
      pending = Buffer.from(bytes.subarray(start));
      pendingOffset += start;
      if (read === 0) {
        if (pending.length > 0) {
          const entry = parseLine(pending, 0, pending.length, false);
          if (entry !== undefined) entries.push(entry);
        }
        summary.lines = lineNo;
        if (entries.length > 0) yield entries;
        return;
      }
      if (pending.length > v1LineBytesMax)
        throw new V1MigrationError(`line longer than ${v1LineBytesMax} bytes (no newline): the file is damaged`, { file: path, offset: pendingOffset, line: lineNo + 1 });
      if (entries.length > 0) yield entries;
    }
  } finally {
    await file.close();
  }
}
