// The keyset cursor of `AFTER '…'` (docs/NQL.md): base64url of a small JSON array
//   [version, seq, fingerprint, id, keys, check]
// where seq is the seq the first page read at (every later page reads there too, so pages stay stable while
// writes arrive), fingerprint identifies the query (everything but LIMIT, OFFSET, AFTER and SELECT), id and
// keys are the key id and the ORDER BY values of the page's last row, and check is FNV-1a of the rest. The
// check is not a signature: it catches a cursor that was edited or cut, not a forger, and a forged cursor
// can only name a seq and a row of the same database. It is opaque to clients and may change shape with
// its version number.

import type { QueryNode } from './ast.js';
import { cursorCharsMax } from './limits.js';

export interface Cursor {
  readonly seq: number;
  readonly fingerprint: number;
  readonly id: string;
  /** The ORDER BY values of the last row, null for a missing field; one per ORDER BY key. */
  readonly keys: readonly unknown[];
}

const version = 1;

/** FNV-1a over UTF-16 code units: a small, stable hash with no dependencies. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function withoutSpans(key: string, value: unknown): unknown {
  return key === 'span' ? undefined : value;
}

/** What must not change between the pages of one walk: the rows and their order. */
export function queryFingerprint(query: QueryNode): number {
  const identity = [
    query.collection.name, query.asOf?.value ?? null, query.validAsOf?.value ?? null, query.where ?? null,
    query.search?.value ?? null, query.orderBy,
  ];
  return fnv1a(JSON.stringify(identity, withoutSpans));
}

export function encodeCursor(cursor: Cursor): string {
  const body = [version, cursor.seq, cursor.fingerprint, cursor.id, cursor.keys.map((key) => key ?? null)];
  const text = JSON.stringify(body);
  // The whole array with the check appended, without stringifying the body twice (every LIMIT page pays it).
  return Buffer.from(`${text.slice(0, -1)},${fnv1a(text)}]`, 'utf8').toString('base64url');
}

const base64url = /^[A-Za-z0-9_-]+$/;

/** The cursor, or undefined for anything that is not a whole, unedited cursor of this version. */
export function decodeCursor(text: string): Cursor | undefined {
  if (text.length > cursorCharsMax || !base64url.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) return undefined;
  const [v, seq, fingerprint, id, keys, check] = parsed as unknown[];
  if (v !== version || !Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
  if (!Number.isSafeInteger(fingerprint) || typeof id !== 'string' || !Array.isArray(keys)) return undefined;
  if (check !== fnv1a(JSON.stringify(parsed.slice(0, 5)))) return undefined;
  return { seq: seq as number, fingerprint: fingerprint as number, id, keys };
}
