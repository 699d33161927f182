// The hash chain over a database's ops in seq order (tamper evidence; v1's `head`, verify, proof). nedb defines
// its own op hash (UPSTREAM.md §7.2 allows it; FORMAT.md §10 specifies it):
//   hash(op) = SHA-256( prevHash (32 bytes) ‖ u64 seq ‖ u8 kind ‖ u8 ns ‖ u32 len ‖ coll ‖ u32 len ‖ id
//                       ‖ u32 len ‖ doc msgpack ‖ u32 len ‖ meta msgpack with sorted keys )
// lengths little-endian, strings UTF-8, an absent doc or meta has length 0. The genesis prevHash is 32 zero
// bytes and `head` is the hex of the last op's hash (64 zeros for an empty database), as in v1.
// SHA-256 rather than v1's BLAKE2b-256: it is native in node:crypto (also in Bun and Deno) and runs on every
// op before its acknowledgement; the proof fold of §7.3 stays BLAKE2b-256 as clients check it offline.
// Attached ops (derived state sharing their parent's seq) are not links of the chain.
import { createHash } from 'node:crypto';
import { Encoder } from '@msgpack/msgpack';
import type { LoggedOp } from './log/record.js';
import { utf8Length } from './keys.js';

export const genesisHeadHex = '0'.repeat(64);
const backgroundFoldDelayMs = 1000;
const metaEncoder = new Encoder({ sortKeys: true, ignoreUndefined: true });
const scratch = new DataView(new ArrayBuffer(12));
const scratchBytes = new Uint8Array(scratch.buffer);

function updateLength(hash: ReturnType<typeof createHash>, bytes: Uint8Array | null): void {
  scratch.setUint32(0, bytes?.length ?? 0, true);
  hash.update(scratchBytes.subarray(0, 4));
  if (bytes !== null && bytes.length > 0) hash.update(bytes);
}

/** u32 UTF-8 length, then the text's UTF-8 bytes (hashed by node:crypto without an intermediate buffer). */
function updateText(hash: ReturnType<typeof createHash>, text: string): void {
  scratch.setUint32(0, utf8Length(text), true);
  hash.update(scratchBytes.subarray(0, 4));
  if (text.length > 0) hash.update(text, 'utf8');
}

export function opHash(previous: Uint8Array, op: LoggedOp): Uint8Array {
  const hash = createHash('sha256');
  hash.update(previous);
  scratch.setBigUint64(0, BigInt(op.seq), true);
  scratch.setUint8(8, op.kind);
  scratch.setUint8(9, op.ns);
  hash.update(scratchBytes.subarray(0, 10));
  updateText(hash, op.coll);
  updateText(hash, op.id);
  updateLength(hash, op.doc);
  updateLength(hash, op.meta === null ? null : metaEncoder.encode(op.meta));
  return new Uint8Array(hash.digest());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * The head as ops become visible, folded in seq order. The ops of the log tail replayed at start are folded
 * lazily (in the background, or at once when the head is first needed): a read-only `nedb get` never needs the
 * head, and hashing 50,000 ops would cost it ~150 ms of its cold start.
 */
export class HashChain {
  private headBytes: Uint8Array;
  private seqFolded: number;
  private readonly wanted = new Map<number, (head: string) => void>();
  private pending: LoggedOp[];

  constructor(headHex: string, seq: number, tail: LoggedOp[] = []) {
    this.headBytes = fromHex(headHex);
    this.seqFolded = seq;
    this.pending = tail;
    if (tail.length > 0) this.foldInBackground();
  }

  /**
   * Folds the replayed tail in slices on unref'd timers, after a pause: a short-lived process (a CLI `get`)
   * finishes before it starts, a server has it done before most clients ask for a head.
   */
  private foldInBackground(): void {
    const step = () => {
      const slice = this.pending.splice(0, 4096);
      for (const op of slice) this.foldNow(op);
      if (this.pending.length > 0) setTimeout(step, 0).unref?.();
    };
    setTimeout(step, backgroundFoldDelayMs).unref?.();
  }

  private catchUp(): void {
    if (this.pending.length === 0) return;
    const rest = this.pending;
    this.pending = [];
    for (const op of rest) this.foldNow(op);
  }

  get seq(): number {
    this.catchUp();
    return this.seqFolded;
  }

  get head(): string {
    this.catchUp();
    return toHex(this.headBytes);
  }

  fold(op: LoggedOp): void {
    this.catchUp();
    this.foldNow(op);
  }

  private foldNow(op: LoggedOp): void {
    if (op.attached) return;
    this.headBytes = opHash(this.headBytes, op);
    this.seqFolded = op.seq;
    const waiter = this.wanted.get(op.seq);
    if (waiter !== undefined) {
      this.wanted.delete(op.seq);
      waiter(this.head);
    }
  }

  /** Resolves with the head as of `seq` once the fold reaches it (at once when it already stands there). */
  headAt(seq: number): Promise<string> {
    this.catchUp();
    if (seq === this.seqFolded) return Promise.resolve(this.head);
    return new Promise((resolve) => this.wanted.set(seq, resolve));
  }
}
