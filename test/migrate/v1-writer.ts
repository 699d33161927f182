// A small NEDB v1 writer built from UPSTREAM.md §3.2–§3.4, §7.1 and §8: it writes log.aof lines the way v1's
// Python does (`json.dumps(OpRecord)`, default separators, ASCII escapes), chains each op with v1's
// BLAKE2b-256 hash over canonical JSON, and writes meta.json, an optional snapshot.json and, for encrypted
// databases, key.enc and `{"enc": 1, "ct": …}` lines. It keeps a model of every version, so tests can ask
// what v1 answers for any key AS OF any seq.
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blake2b } from '@noble/hashes/blake2.js';

/** A value Python holds as a float: written as Python's repr (`2.0`, not `2`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

function pyString(text: string): string {
  let out = '"';
  for (const ch of text) {
    for (let i = 0; i < ch.length; i++) {
      const c = ch.charCodeAt(i);
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else if (c === 0x08) out += '\\b';
      else if (c === 0x0c) out += '\\f';
      else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += ch[i];
    }
  }
  return `${out}"`;
}

function pyNumber(value: number, float: boolean): string {
  if (!Number.isFinite(value)) throw new Error('the writer has no NaN or Infinity');
  if (float && Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  if (Math.abs(value) >= 1e16 || (value !== 0 && Math.abs(value) < 1e-4)) throw new Error(`the writer does not reproduce Python's repr of ${value}`);
  return String(value);
}

/** Python's json.dumps: `canonical` = sort_keys and compact separators (v1's hash input); else v1's log line form. */
export function pythonDumps(value: unknown, canonical: boolean): string {
  const [comma, colon] = canonical ? [',', ':'] : [', ', ': '];
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value instanceof PyFloat) return pyNumber(value.value, true);
  if (typeof value === 'number') return pyNumber(value, !Number.isInteger(value));
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map((item) => pythonDumps(item, canonical)).join(comma)}]`;
  if (typeof value === 'object') {
    let entries = Object.entries(value as Record<string, unknown>);
    if (canonical) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // ASCII keys in tests
    return `{${entries.map(([key, item]) => `${pyString(key)}${colon}${pythonDumps(item, canonical)}`).join(comma)}}`;
  }
  throw new Error(`cannot dump ${typeof value}`);
}

/** What JSON.parse makes of a value the writer dumped (PyFloat → number). */
export function plain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

export interface PutExtra {
  client?: string;
  nonce?: number;
  idem?: string;
  ttlS?: number;
  causedBy?: number[];
  evidence?: string;
  confidence?: number;
  validFrom?: string;
  validTo?: string;
}

export interface WrittenOp {
  seq: number;
  op: string;
  client: string;
  nonce: number | null;
  idem: string | null;
  ts: number;
  payload: Record<string, unknown>;
}

function sealGcm(key: Uint8Array, plaintext: Uint8Array, aad: string): { nonce: Buffer; sealed: Buffer } {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, sealed: Buffer.concat([ct, cipher.getAuthTag()]) };
}

export function envelope(dek: Uint8Array, text: string): string {
  const { nonce, sealed } = sealGcm(dek, Buffer.from(text, 'utf8'), 'NEDB-data-v1');
  return pythonDumps({ enc: 1, ct: Buffer.concat([nonce, sealed]).toString('base64') }, false);
}

/** key.enc for a DEK under a master key (UPSTREAM.md §8). */
export function keyEnc(tmk: Uint8Array, dek: Uint8Array): string {
  const kek = Buffer.from(hkdfSync('sha256', tmk, 'NEDB-hkdf-v1', 'nedb-key', 32));
  const { nonce, sealed } = sealGcm(kek, dek, 'NEDB-DEK-v1');
  return JSON.stringify({ v: 1, alg: 'AES-256-GCM', n: nonce.toString('hex'), ct: sealed.toString('hex') });
}

export interface V1WriterOptions {
  /** The master key; the database is written encrypted when set. */
  tmk?: Uint8Array;
  /** First ts (epoch seconds); each op adds 0.25 s. */
  startTs?: number;
}

export class V1Writer {
  readonly dir: string;
  readonly dek: Uint8Array | undefined;
  private seq = 0;
  private prevHash = '0'.repeat(64);
  private ts: number;
  private readonly autoNonces = new Map<string, number>();
  readonly lines: string[] = [];
  readonly ops: WrittenOp[] = [];
  /** Per key (`coll\u0000id`): versions in seq order, null for a delete. */
  readonly versions = new Map<string, { seq: number; doc: Record<string, unknown> | null }[]>();
  /** Per edge `frm\u0000rel`: to → [added, removed] intervals. */
  readonly edgeLog: { seq: number; frm: string; rel: string; to: string; added: boolean }[] = [];
  private readonly liveEdges = new Set<string>();

  constructor(root: string, readonly name: string, private readonly options: V1WriterOptions = {}) {
    this.dir = join(root, name);
    mkdirSync(this.dir, { recursive: true });
    this.ts = options.startTs ?? 1_712_000_000.125;
    this.dek = options.tmk === undefined ? undefined : randomBytes(32);
  }

  get lastSeq(): number {
    return this.seq - 1;
  }

  private nonceFor(client: string, explicit: number | undefined): number {
    const next = explicit ?? (this.autoNonces.get(client) ?? 0) + 1;
    if (explicit === undefined) this.autoNonces.set(client, next);
    return next;
  }

  /** Appends one OpRecord; extra = caused_by/evidence/confidence/valid_from/valid_to when set. */
  op(op: string, payload: Record<string, unknown>, client: string, nonce: number | null, idem: string | null = null, extra: Record<string, unknown> = {}): number {
    const seq = this.seq++;
    this.ts += 0.25;
    const body: Record<string, unknown> = { seq, client, nonce, op, payload, ts: new PyFloat(this.ts), idem, ...extra };
    const hash = Buffer.from(blake2b(Buffer.from(this.prevHash + pythonDumps(body, true), 'utf8'), { dkLen: 32 })).toString('hex');
    const line = pythonDumps({ ...body, prev_hash: this.prevHash, hash }, false);
    this.prevHash = hash;
    this.lines.push(this.dek === undefined ? line : envelope(this.dek, line));
    this.ops.push({ seq, op, client, nonce, idem, ts: this.ts, payload: plain(payload) as Record<string, unknown> });
    return seq;
  }

  private version(coll: string, id: string, seq: number, doc: Record<string, unknown> | null): void {
    const key = `${coll}\u0000${id}`;
    const list = this.versions.get(key) ?? [];
    list.push({ seq, doc });
    this.versions.set(key, list);
  }

  put(coll: string, id: string, doc: Record<string, unknown>, extra: PutExtra = {}): number {
    const stored: Record<string, unknown> = { ...doc };
    if (!Object.hasOwn(stored, '_id')) stored._id = id;
    if (extra.ttlS !== undefined) stored._expires_at = new PyFloat(this.ts + 0.25 + extra.ttlS);
    if (extra.causedBy !== undefined) stored._caused_by = extra.causedBy;
    if (extra.evidence !== undefined) stored._evidence = extra.evidence;
    if (extra.confidence !== undefined) stored._confidence = extra.confidence;
    if (extra.validFrom !== undefined) stored._valid_from = extra.validFrom;
    if (extra.validTo !== undefined) stored._valid_to = extra.validTo;
    const client = extra.client ?? 'local';
    const fields: Record<string, unknown> = {};
    if (extra.causedBy !== undefined) fields.caused_by = extra.causedBy;
    if (extra.evidence !== undefined) fields.evidence = extra.evidence;
    if (extra.confidence !== undefined) fields.confidence = extra.confidence;
    if (extra.validFrom !== undefined) fields.valid_from = extra.validFrom;
    if (extra.validTo !== undefined) fields.valid_to = extra.validTo;
    const seq = this.op('put', { key: `${coll}:${id}`, coll, id, doc: stored }, client, this.nonceFor(client, extra.nonce), extra.idem ?? null, fields);
    this.version(coll, id, seq, plain(stored) as Record<string, unknown>);
    return seq;
  }

  del(coll: string, id: string, extra: { client?: string; idem?: string } = {}): number {
    const client = extra.client ?? 'local';
    const seq = this.op('delete', { key: `${coll}:${id}`, coll, id }, client, this.nonceFor(client, undefined), extra.idem ?? null);
    this.version(coll, id, seq, null);
    return seq;
  }

  link(frm: string, rel: string, to: string, client = 'local'): number {
    const seq = this.op('link', { frm, rel, to }, client, this.nonceFor(client, undefined));
    const key = JSON.stringify([frm, rel, to]);
    if (!this.liveEdges.has(key)) this.edgeLog.push({ seq, frm, rel, to, added: true });
    this.liveEdges.add(key);
    return seq;
  }

  unlink(frm: string, rel: string, to: string, client = 'redis-compat'): number {
    const seq = this.op('unlink', { frm, rel, to }, client, this.nonceFor(client, undefined));
    const key = JSON.stringify([frm, rel, to]);
    if (this.liveEdges.delete(key)) this.edgeLog.push({ seq, frm, rel, to, added: false });
    return seq;
  }

  checkpoint(): number {
    return this.op('checkpoint', { note: 'snapshot captured' }, '__snapshot__', Math.round(this.ts * 1000));
  }

  putFile(name: string): number {
    return this.op('put_file', { name, tier: 'warm', version: 0, root: 'ab'.repeat(32) }, 'local', this.nonceFor('local', undefined));
  }

  /** The document v1 answers for a key AS OF a seq (without `_seq`), and the seq that wrote it. */
  docAsOf(coll: string, id: string, asOf: number): { seq: number; doc: Record<string, unknown> } | undefined {
    let found: { seq: number; doc: Record<string, unknown> | null } | undefined;
    for (const version of this.versions.get(`${coll}\u0000${id}`) ?? []) if (version.seq <= asOf) found = version;
    return found === undefined || found.doc === null ? undefined : { seq: found.seq, doc: found.doc };
  }

  /** Every live document of a collection AS OF a seq, by id. */
  collectionAsOf(coll: string, asOf: number): Map<string, { seq: number; doc: Record<string, unknown> }> {
    const out = new Map<string, { seq: number; doc: Record<string, unknown> }>();
    for (const key of this.versions.keys()) {
      const [c, id] = key.split('\u0000') as [string, string];
      if (c !== coll) continue;
      const found = this.docAsOf(c, id, asOf);
      if (found !== undefined) out.set(id, found);
    }
    return out;
  }

  collections(): string[] {
    return [...new Set([...this.versions.keys()].map((key) => key.split('\u0000')[0]!))].sort();
  }

  /** Live `to` keys of (frm, rel) AS OF a seq, in the order they were added. */
  neighborsAsOf(frm: string, rel: string, asOf: number): string[] {
    const live = new Map<string, number>();
    for (const event of this.edgeLog) {
      if (event.seq > asOf || event.frm !== frm || event.rel !== rel) continue;
      if (event.added) live.set(event.to, event.seq);
      else live.delete(event.to);
    }
    return [...live].sort((a, b) => a[1] - b[1]).map(([to]) => to);
  }

  writeMeta(indexes: [string, string, string][]): void {
    writeFileSync(join(this.dir, 'meta.json'), JSON.stringify({ indexes }));
  }

  /** snapshot.json of the HEAD state (v1's shape, §8), written plain or as one envelope. */
  writeSnapshot(): void {
    const store: Record<string, unknown> = {};
    for (const [key, list] of this.versions) {
      const [coll, id] = key.split('\u0000') as [string, string];
      const last = list[list.length - 1]!;
      store[`${coll}:${id}`] = { v: last.doc, seq: last.seq, deleted: last.doc === null };
    }
    const relations: Record<string, { to: string; added: number; removed: number | null }[]> = {};
    for (const event of this.edgeLog) {
      const list = (relations[`${event.frm}|${event.rel}`] ??= []);
      if (event.added) list.push({ to: event.to, added: event.seq, removed: null });
      else {
        const open = list.find((edge) => edge.to === event.to && edge.removed === null);
        if (open !== undefined) open.removed = event.seq;
      }
    }
    const snapshot = { version: 1, seq: this.lastSeq, head: this.prevHash, checkpoint_seq: this.lastSeq, store, relations, index_config: [], nonces: {}, idem: {}, blobs: {} };
    const text = pythonDumps(snapshot, false);
    writeFileSync(join(this.dir, 'snapshot.json'), this.dek === undefined ? text : envelope(this.dek, text));
  }

  /** Writes log.aof (and key.enc when encrypted). `transform` may damage or drop lines for tests. */
  close(transform: (lines: string[]) => string[] = (lines) => lines): void {
    const lines = transform([...this.lines]);
    writeFileSync(join(this.dir, 'log.aof'), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    if (this.dek !== undefined) writeFileSync(join(this.dir, 'key.enc'), keyEnc(this.options.tmk!, this.dek));
  }
}
