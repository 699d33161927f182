// Keys: how a (namespace, collection, id) triple becomes bytes, which partition owns it, and the one string
// order of the engine (Unicode code points, the order of UTF-8 bytes).
//
// Encoded key (FORMAT.md §5.2): u8 namespace | u32 big-endian collection byte length | collection UTF-8 | id UTF-8.
// The fixed-width length prefix keeps every key of one collection contiguous in byte order, sorted by id bytes,
// so a collection scan is one range of the snapshot's key directory.
import { NedbError } from './errors.js';
import { collNameBytesMax, docIdBytesMax } from './limits.js';

/** User documents and the engine's own state (edges, idempotency keys, nonces, TTL) never share a name. */
export const Namespace = { user: 0, system: 1 } as const;
export type Namespace = (typeof Namespace)[keyof typeof Namespace];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Names and ids must be well-formed UTF-16: a lone surrogate encodes to U+FFFD in UTF-8, so two different ids
 * would share one key.
 */
export function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export function checkCollName(coll: unknown): asserts coll is string {
  if (typeof coll !== 'string' || coll.length === 0 || utf8Length(coll) > collNameBytesMax || !wellFormed(coll))
    throw new NedbError('COLL_NAME_INVALID', { max: collNameBytesMax, coll: String(coll) });
}

export function checkDocId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || utf8Length(id) > docIdBytesMax || !wellFormed(id))
    throw new NedbError('DOC_ID_INVALID', { max: docIdBytesMax, id: String(id) });
}

/** UTF-8 length without allocating: ids are checked on every write. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export function encodeKey(ns: Namespace, coll: string, id: string): Uint8Array {
  // Every read of a key encodes it; for ASCII (most names and ids) a copy loop beats two TextEncoder calls.
  const key = new Uint8Array(5 + coll.length + id.length);
  if (writeAscii(key, 5, coll) && writeAscii(key, 5 + coll.length, id)) {
    const length = coll.length;
    key[0] = ns;
    key[1] = length >>> 24;
    key[2] = (length >>> 16) & 0xff;
    key[3] = (length >>> 8) & 0xff;
    key[4] = length & 0xff;
    return key;
  }
  return encodeKeyUtf8(ns, coll, id);
}

/** Writes `text` at `offset` one byte per character; false (leaving junk) when a character is not ASCII. */
function writeAscii(target: Uint8Array, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return false;
    target[offset + i] = c;
  }
  return true;
}

function encodeKeyUtf8(ns: Namespace, coll: string, id: string): Uint8Array {
  const collBytes = encoder.encode(coll);
  const idBytes = encoder.encode(id);
  const key = new Uint8Array(5 + collBytes.length + idBytes.length);
  key[0] = ns;
  new DataView(key.buffer).setUint32(1, collBytes.length, false);
  key.set(collBytes, 5);
  key.set(idBytes, 5 + collBytes.length);
  return key;
}

/** The key prefix shared by every document of one collection. */
export function encodeCollPrefix(ns: Namespace, coll: string): Uint8Array {
  const collBytes = encoder.encode(coll);
  const prefix = new Uint8Array(5 + collBytes.length);
  prefix[0] = ns;
  new DataView(prefix.buffer).setUint32(1, collBytes.length, false);
  prefix.set(collBytes, 5);
  return prefix;
}

/** FNV-1a step over the UTF-8 bytes of `text`, without encoding it (hot path: every write and read). */
function fnvUtf8(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) hash = Math.imul(hash ^ c, 0x01000193);
    else if (c < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (c >> 6)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else if (c < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (c >> 12)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
    } else {
      hash = Math.imul(hash ^ (0xf0 | (c >> 18)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
    }
  }
  return hash;
}

/** partitionOfKey(encodeKey(ns, coll, id), partitions), computed without building the key. */
export function partitionOf(ns: Namespace, coll: string, id: string, partitions: number): number {
  let hash = Math.imul(0x811c9dc5 ^ ns, 0x01000193);
  const collBytes = utf8Length(coll);
  hash = Math.imul(hash ^ ((collBytes >>> 24) & 0xff), 0x01000193);
  hash = Math.imul(hash ^ ((collBytes >>> 16) & 0xff), 0x01000193);
  hash = Math.imul(hash ^ ((collBytes >>> 8) & 0xff), 0x01000193);
  hash = Math.imul(hash ^ (collBytes & 0xff), 0x01000193);
  hash = fnvUtf8(hash, coll);
  hash = fnvUtf8(hash, id);
  return (hash >>> 0) % partitions;
}

/**
 * The partition that owns a key: FNV-1a (32-bit) over the encoded key, modulo the partition count. Part of the
 * on-disk format (a partition's log and snapshot hold exactly its keys), so it never changes.
 */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Code point order (= UTF-8 byte order). JS `<` compares UTF-16 code units, which puts U+E000..U+FFFF after
 * astral characters; this corrects exactly that case and is otherwise the plain comparison.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1; // an astral character sorts after every BMP one
    return x - y;
  }
  return a.length - b.length;
}
