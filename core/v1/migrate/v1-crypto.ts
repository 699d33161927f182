// NEDB v1 encryption at rest (UPSTREAM.md §8): the master key (TMK) from the environment, HKDF-SHA256 to a key
// that unwraps the per-database data key (DEK) in key.enc, and AES-256-GCM data lines
// `{"enc":1,"ct":"<b64(nonce12 ‖ ciphertext ‖ tag16)>"}`.
import { createDecipheriv, hkdfSync } from 'node:crypto';
import type { FileSystem } from '../../platform/file-system.js';
import { V1MigrationError } from './v1-errors.js';

export const v1HkdfSalt = 'NEDB-hkdf-v1';
export const v1HkdfInfo = 'nedb-key';
export const v1DekAad = 'NEDB-DEK-v1';
export const v1DataAad = 'NEDB-data-v1';
const nonceBytes = 12;
const tagBytes = 16;

/** Where the master key came from, for messages. */
export interface MasterKey {
  bytes: Uint8Array;
  source: 'NEDB_TMK' | 'NEDB_TMK_FILE';
}

/** NEDB_TMK (hex, any length), else NEDB_TMK_FILE (raw bytes, surrounding whitespace trimmed); undefined when neither is set. */
export async function masterKeyFromEnv(env: Readonly<Record<string, string | undefined>>, fs: FileSystem): Promise<MasterKey | undefined> {
  const hex = env.NEDB_TMK?.trim();
  if (hex !== undefined && hex !== '') {
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new V1MigrationError('NEDB_TMK must be the master key as hex digits (an even number of 0-9a-f)');
    return { bytes: new Uint8Array(Buffer.from(hex, 'hex')), source: 'NEDB_TMK' };
  }
  const file = env.NEDB_TMK_FILE;
  if (file === undefined || file === '') return undefined;
  let raw: Uint8Array;
  try {
    raw = await fs.readFile(file);
  } catch (error) {
    throw new V1MigrationError(`cannot read NEDB_TMK_FILE ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { bytes: trimAsciiSpace(raw), source: 'NEDB_TMK_FILE' };
}

/** Python's bytes.strip(): ASCII whitespace at both ends. */
function trimAsciiSpace(bytes: Uint8Array): Uint8Array {
  const space = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  let start = 0;
  let end = bytes.length;
  while (start < end && space(bytes[start]!)) start++;
  while (end > start && space(bytes[end - 1]!)) end--;
  return bytes.slice(start, end);
}

export function keyEncryptionKey(tmk: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', tmk, v1HkdfSalt, v1HkdfInfo, 32));
}

function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  if (sealed.length < tagBytes) throw new Error('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - tagBytes)), decipher.final()]);
}

/** Unwraps key.enc's DEK; a wrong master key fails the GCM tag and says so, naming the database. */
export function unwrapDataKey(keyEncText: string, tmk: MasterKey, database: string, path: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(keyEncText);
  } catch {
    throw new V1MigrationError(`${path}: not JSON; key.enc of database ${database} is damaged`);
  }
  const entry = parsed as { v?: unknown; alg?: unknown; n?: unknown; ct?: unknown };
  if (entry.v !== 1 || entry.alg !== 'AES-256-GCM' || typeof entry.n !== 'string' || typeof entry.ct !== 'string' || !/^[0-9a-f]{24}$/i.test(entry.n))
    throw new V1MigrationError(`${path}: expected {"v":1,"alg":"AES-256-GCM","n":<24 hex>,"ct":<hex>}; key.enc of database ${database} is damaged`);
  let dek: Buffer;
  try {
    dek = gcmOpen(keyEncryptionKey(tmk.bytes), Buffer.from(entry.n, 'hex'), Buffer.from(entry.ct, 'hex'), v1DekAad);
  } catch {
    throw new V1MigrationError(
      `wrong master key for database ${database}: the key from ${tmk.source} does not unwrap ${path}; set the NEDB_TMK (hex) or NEDB_TMK_FILE the v1 server ran with`,
    );
  }
  if (dek.length !== 32) throw new V1MigrationError(`${path}: the data key of database ${database} is ${dek.length} bytes, not 32`);
  return dek;
}

/** The plaintext of one `{"enc":1,"ct":…}` envelope; throws a plain Error (the caller adds the location). */
export function openEnvelope(dek: Uint8Array, ctBase64: string): Buffer {
  const sealed = Buffer.from(ctBase64, 'base64');
  if (sealed.length < nonceBytes + tagBytes) throw new Error('encrypted line too short');
  try {
    return gcmOpen(dek, sealed.subarray(0, nonceBytes), sealed.subarray(nonceBytes), v1DataAad);
  } catch {
    throw new Error('cannot decrypt the line (authentication failed: damaged, or written with another key)');
  }
}

/**
 * The first plaintext bytes of an envelope from a prefix of its base64 (GCM is a stream cipher, so a prefix
 * decrypts without the tag; nothing read this way is trusted beyond a cheap look at a header).
 */
export function openEnvelopePrefix(dek: Uint8Array, ctBase64Prefix: string): Buffer {
  const sealed = Buffer.from(ctBase64Prefix.slice(0, ctBase64Prefix.length - (ctBase64Prefix.length % 4)), 'base64');
  if (sealed.length <= nonceBytes + tagBytes) return Buffer.alloc(0);
  const decipher = createDecipheriv('aes-256-gcm', dek, sealed.subarray(0, nonceBytes));
  decipher.setAAD(Buffer.from(v1DataAad));
  // Keep back what could be the tag, in case the prefix is the whole envelope.
  return decipher.update(sealed.subarray(nonceBytes, sealed.length - tagBytes));
}
