// The log record codec (FORMAT.md §2). Little-endian; the CRC covers every byte after itself:
//   u32 lengthBytes | u32 crc32c | u64 seq | u8 kind | u8 flags | u16 reserved | msgpack payload
// `lengthBytes` counts the whole record, itself included. `seq` is the seq of the record's first operation.
// The payload carries every field a NEDB v1 op carries (client, nonce, ts, idem, causal and valid-time fields),
// so the hash chain and replication can be built on these records without a format change.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { assert } from '../assert.js';
import { crc32c } from '../crc32c.js';
import type { Namespace } from '../keys.js';

export const recordHeaderBytes = 4 + 4 + 8 + 1 + 1 + 2;

export const RecordKind = { txn: 1 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RecordFlags = {
  /** Reserved for encryption at rest: a nonce follows the header and the payload is AES-256-GCM. */
  encrypted: 1 << 0,
  /** The record is one partition's part of a batch that spans partitions. */
  multiPartition: 1 << 1,
} as const;

/** Bits of an op's optional 8th array element. */
export const OpFlags = { attached: 1 << 0 } as const;

export const OpKind = { put: 0, delete: 1, mark: 2 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/** What a v1 op carries beside the document (UPSTREAM.md §3.2, §6, §7.1). Every field is optional. */
export interface OpMeta {
  /** The v1 op name when it is not put/delete ('link', 'unlink', 'checkpoint', 'put_file', …). */
  op?: string;
  client?: string;
  nonce?: number;
  /** Epoch milliseconds when the op was accepted. */
  ts?: number;
  idem?: string;
  causedBy?: number[];
  evidence?: string;
  confidence?: number;
  validFrom?: string;
  validTo?: string;
  /** Op-specific payload of non-document ops (a link's endpoints, a checkpoint's note). */
  payload?: unknown;
}

export interface LoggedOp {
  seq: number;
  /**
   * An attached op shares the seq of the op before it in its batch: engine state derived from that op (an
   * idempotency key, a nonce high-water mark) that must change atomically with it without taking a seq of its
   * own, since NEDB v1 clients count seqs per op. Attached ops are not links of the hash chain.
   */
  attached: boolean;
  kind: OpKind;
  ns: Namespace;
  coll: string;
  id: string;
  /** msgpack bytes of the stored document (put only). */
  doc: Uint8Array | null;
  meta: OpMeta | null;
}

/** A cross-partition batch: its whole seq range and how many partitions hold a part of it. */
export interface TxnSpan {
  firstSeq: number;
  lastSeq: number;
  parts: number;
}

export interface TxnRecord {
  seq: number;
  ops: LoggedOp[];
  span: TxnSpan | null;
}

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export function encodeTxnRecord(record: TxnRecord): Uint8Array {
  assert(record.ops.length > 0, 'a record holds at least one op');
  assert(record.ops[0]!.seq === record.seq, "a record's seq is its first op's seq");
  const payload = encoder.encode({
    ops: record.ops.map((op) =>
      op.attached ? [op.seq, op.kind, op.ns, op.coll, op.id, op.doc, op.meta, OpFlags.attached] : [op.seq, op.kind, op.ns, op.coll, op.id, op.doc, op.meta],
    ),
    ...(record.span === null ? {} : { txn: [record.span.firstSeq, record.span.lastSeq, record.span.parts] }),
  });
  const flags = record.span === null ? 0 : RecordFlags.multiPartition;
  return frameRecord(record.seq, RecordKind.txn, flags, payload);
}

export function frameRecord(seq: number, kind: RecordKind, flags: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(recordHeaderBytes + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, bytes.length, true);
  view.setBigUint64(8, BigInt(seq), true);
  view.setUint8(16, kind);
  view.setUint8(17, flags);
  view.setUint16(18, 0, true);
  bytes.set(payload, recordHeaderBytes);
  view.setUint32(4, crc32c(bytes, 8, bytes.length), true);
  return bytes;
}

export type RecordScan =
  | { status: 'ok'; record: TxnRecord; endOffset: number }
  | { status: 'end' }
  /** The bytes at offset cannot be a whole record: it runs past the end, or the rest is zeros. */
  | { status: 'torn'; reason: string }
  /** A complete-looking record that fails its checks. */
  | { status: 'bad'; reason: string }
  /** An intact record (its CRC holds) that this version cannot read: never a torn tail. */
  | { status: 'unsupported'; reason: string };

/** Decodes the record at `offset` of `bytes[0, end)`. Never throws on damaged input. */
export function readRecordAt(bytes: Uint8Array, offset: number, end: number): RecordScan {
  if (offset === end) return { status: 'end' };
  if (end - offset < recordHeaderBytes)
    return allZero(bytes, offset, end) || end - offset < 4
      ? { status: 'torn', reason: `${end - offset} bytes left, a header needs ${recordHeaderBytes}` }
      : { status: 'torn', reason: 'header runs past the end of the file' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(offset, true);
  if (length === 0 && allZero(bytes, offset, end)) return { status: 'torn', reason: 'zero-filled tail' };
  if (length < recordHeaderBytes) return { status: 'bad', reason: `record length ${length} is below the header size` };
  if (offset + length > end) return { status: 'torn', reason: `record of ${length} bytes runs past the end of the file` };
  const stored = view.getUint32(offset + 4, true);
  const actual = crc32c(bytes, offset + 8, offset + length);
  if (stored !== actual)
    return { status: 'bad', reason: `CRC-32C mismatch (stored ${hex(stored)}, computed ${hex(actual)})` };
  const seq = Number(view.getBigUint64(offset + 8, true));
  const kind = view.getUint8(offset + 16);
  const flags = view.getUint8(offset + 17);
  if (kind !== RecordKind.txn) return { status: 'unsupported', reason: `unknown record kind ${kind} (written by a newer nedb?)` };
  if ((flags & RecordFlags.encrypted) !== 0) return { status: 'unsupported', reason: 'encrypted record, but no key is configured' };
  const decoded = decodeTxnPayload(bytes.subarray(offset + recordHeaderBytes, offset + length), seq);
  if (typeof decoded === 'string') return { status: 'bad', reason: decoded };
  return { status: 'ok', record: decoded, endOffset: offset + length };
}

function decodeTxnPayload(payload: Uint8Array, seq: number): TxnRecord | string {
  let value: unknown;
  try {
    value = decoder.decode(payload);
  } catch (error) {
    return `payload is not msgpack: ${String(error)}`;
  }
  if (typeof value !== 'object' || value === null || !('ops' in value) || !Array.isArray(value.ops))
    return 'payload has no ops array';
  const ops: LoggedOp[] = [];
  for (const raw of value.ops as unknown[]) {
    const op = decodeOp(raw);
    if (op === undefined) return 'payload holds a malformed op';
    ops.push(op);
  }
  if (ops.length === 0 || ops[0]!.seq !== seq) return "the header's seq is not the first op's seq";
  for (let i = 1; i < ops.length; i++) {
    const op = ops[i]!;
    const previous = ops[i - 1]!.seq;
    if (op.attached ? op.seq < previous : op.seq <= previous) return 'op seqs do not grow within the record';
  }
  let span: TxnSpan | null = null;
  if ('txn' in value && value.txn !== undefined) {
    const txn = value.txn;
    if (!Array.isArray(txn) || txn.length !== 3 || !txn.every((n) => Number.isSafeInteger(n)))
      return 'malformed txn span';
    span = { firstSeq: txn[0] as number, lastSeq: txn[1] as number, parts: txn[2] as number };
  }
  return { seq, ops, span };
}

function decodeOp(raw: unknown): LoggedOp | undefined {
  if (!Array.isArray(raw) || (raw.length !== 7 && raw.length !== 8)) return undefined;
  const [seq, kind, ns, coll, id, doc, meta, flags = 0] = raw as unknown[];
  if (typeof flags !== 'number') return undefined;
  if (!Number.isSafeInteger(seq) || (kind !== 0 && kind !== 1 && kind !== 2) || (ns !== 0 && ns !== 1)) return undefined;
  if (typeof coll !== 'string' || typeof id !== 'string') return undefined;
  if (doc !== null && !(doc instanceof Uint8Array)) return undefined;
  if (meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) return undefined;
  return { seq: seq as number, attached: (flags & OpFlags.attached) !== 0, kind, ns, coll, id, doc, meta: meta as OpMeta | null };
}

function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
