// The v1 op log as clients see it (UPSTREAM.md §3.4 log, §7 verify and proof), rebuilt from nedb's log records.
// Op hashes are nedb's own chain (core/chain.ts, FORMAT.md §10); the proof fold is v1's BLAKE2b-256 fold of
// §7.3, which clients check offline.
import { blake2b } from '@noble/hashes/blake2.js';
import { NedbError } from '../errors.js';
import { genesisHeadHex, opHash, toHex, fromHex } from '../chain.js';
import { Namespace } from '../keys.js';
import { type LoggedOp, OpKind } from '../log/record.js';
import { type Database, decodeDocument } from '../database.js';

export interface V1OpRecord {
  seq: number;
  client: string;
  nonce: number | null;
  op: string;
  payload: Record<string, unknown>;
  ts: number;
  idem: string | null;
  prev_hash: string;
  hash: string;
  caused_by?: number[];
  evidence?: string;
  confidence?: number;
  valid_from?: string;
  valid_to?: string;
}

interface ChainedOp {
  op: LoggedOp;
  previous: string;
  hash: string;
}

function v1Name(op: LoggedOp): string {
  if (op.meta?.op !== undefined) return op.meta.op === 'delete' ? 'delete' : op.meta.op;
  return op.kind === OpKind.put ? 'put' : op.kind === OpKind.delete ? 'delete' : 'mark';
}

function payloadOf(op: LoggedOp): Record<string, unknown> {
  const name = v1Name(op);
  if (op.ns === Namespace.user && op.kind === OpKind.put && op.doc !== null)
    return { key: `${op.coll}:${op.id}`, coll: op.coll, id: op.id, doc: decodeDocument(op.doc) };
  if (op.ns === Namespace.user && op.kind === OpKind.delete) return { key: `${op.coll}:${op.id}`, coll: op.coll, id: op.id };
  const payload = op.meta?.payload;
  return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : { note: name };
}

export function toV1Record({ op, previous, hash }: ChainedOp): V1OpRecord {
  const meta = op.meta ?? {};
  const record: V1OpRecord = {
    seq: op.seq,
    client: meta.client ?? 'local',
    nonce: meta.nonce ?? null,
    op: v1Name(op),
    payload: payloadOf(op),
    ts: (meta.ts ?? 0) / 1000,
    idem: meta.idem ?? null,
    prev_hash: previous,
    hash,
  };
  if (meta.causedBy !== undefined) record.caused_by = meta.causedBy;
  if (meta.evidence !== undefined) record.evidence = meta.evidence;
  if (meta.confidence !== undefined) record.confidence = meta.confidence;
  if (meta.validFrom !== undefined) record.valid_from = meta.validFrom;
  if (meta.validTo !== undefined) record.valid_to = meta.validTo;
  return record;
}

/** v1's proof fold: F(h, x) = BLAKE2b-256(bytes(h) ‖ bytes(x)), from 32 zero bytes. */
export function proofFold(hashes: readonly string[], start: Uint8Array = new Uint8Array(32)): Uint8Array {
  let head = start;
  for (const hash of hashes) {
    const joined = new Uint8Array(64);
    joined.set(head, 0);
    joined.set(fromHex(hash), 32);
    head = blake2b(joined, { dkLen: 32 });
  }
  return head;
}

export class V1Log {
  constructor(private readonly db: Database) {}

  /** Every op from genesis to the visible seq with its chain hashes (the chain is folded from genesis). */
  async chained(): Promise<{ ops: ChainedOp[]; seq: number; head: string; gapAt: number | undefined }> {
    const seq = this.db.seq;
    const head = this.db.chainHead;
    const ops = (await this.db.readOps(0, seq)).filter((op) => !op.attached);
    const chained: ChainedOp[] = [];
    let previous: Uint8Array = new Uint8Array(32);
    let gapAt: number | undefined;
    for (const [index, op] of ops.entries()) {
      if (op.seq !== index && gapAt === undefined) gapAt = index;
      const hash = opHash(previous, op);
      chained.push({ op, previous: toHex(previous), hash: toHex(hash) });
      previous = hash;
    }
    return { ops: chained, seq, head, gapAt };
  }

  /** The last `limit` ops, newest first; 0 means the whole log. */
  async log(limit: number): Promise<{ log: V1OpRecord[]; seq: number; head: string }> {
    const { ops, seq, head } = await this.chained();
    const newest = limit > 0 ? ops.slice(-limit) : ops;
    return { log: newest.reverse().map(toV1Record), seq, head };
  }

  /** Walks from genesis, recomputing every hash; ok when the fold ends at the head and no seq is missing. */
  async verify(): Promise<{ ok: boolean; seq: number; head: string }> {
    const { ops, seq, head, gapAt } = await this.chained();
    const folded = ops.length === 0 ? genesisHeadHex : ops[ops.length - 1]!.hash;
    return { ok: gapAt === undefined && ops.length === seq + 1 && folded === head, seq, head };
  }

  async proof(input: string) {
    const hash = input.trim().toLowerCase();
    if (hash.length !== 64) throw new NedbError('HASH_REQUIRED');
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new NedbError('HASH_NOT_HEX');
    const { ops, seq, head } = await this.chained();
    const hashes = ops.map((op) => op.hash);
    const index = hashes.indexOf(hash);
    if (index < 0) throw new NedbError('PROOF_NOT_FOUND', { prefix: hash.slice(0, 16) });
    return {
      hash,
      seq: ops[index]!.op.seq,
      prev_head: toHex(proofFold(hashes.slice(0, index))),
      subsequent: hashes.slice(index + 1),
      head: toHex(proofFold(hashes)),
      verified: true,
      engine_head: head,
      engine_seq: seq,
    };
  }
}
