// NEDB v1's on-disk shapes (UPSTREAM.md §3.4, §7.1, §8) and its op hash. The hash is recomputed from the raw
// text of each log line, not from parsed values: JavaScript numbers lose v1's int/float distinction (`1.0`)
// and big integers, but the number tokens in a line are already Python's repr, so keeping them verbatim and
// re-serialising everything else as Python's `json.dumps(sort_keys=True, separators=(",", ":"))` reproduces
// v1's canonical bytes exactly.
import { blake2b } from '@noble/hashes/blake2.js';
import { compareCodePoints } from '../../keys.js';
import type { V1OpRecord } from '../v1-log.js';

/**
 * One v1 op as it appears in log.aof: the OpRecord the log route serves (UPSTREAM.md §3.4 "log"), read from a
 * file, so its hashes may be absent and its provenance fields hold whatever was written.
 */
export type V1Record = Omit<V1OpRecord, 'prev_hash' | 'hash' | 'caused_by' | 'evidence' | 'confidence' | 'valid_from' | 'valid_to'> & {
  prev_hash?: string;
  hash?: string;
  caused_by?: unknown;
  evidence?: unknown;
  confidence?: unknown;
  valid_from?: unknown;
  valid_to?: unknown;
};

export const v1GenesisHash = '0'.repeat(64);

/** Body fields sealed into the hash only when non-null (UPSTREAM.md §7.1). */
const optionalBodyFields = new Set(['caused_by', 'evidence', 'confidence', 'valid_from', 'valid_to']);

/** Python's `json.dumps` string with ensure_ascii: `\uXXXX` (lowercase hex) for everything outside space..~. */
export function pythonJsonString(text: string): string {
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += text[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Thrown by the canonicaliser on text that is not JSON; the reader turns it into a located error. */
export class RawJsonError extends Error {}

/** Re-serialises JSON text canonically, keeping every number token as written. */
class RawCanonicaliser {
  private pos = 0;
  constructor(private readonly text: string) {}

  /** The top-level object's members, canonical values by key. */
  members(): Map<string, string> {
    this.space();
    const members = this.object();
    this.space();
    if (this.pos !== this.text.length) this.fail('trailing characters');
    return members;
  }

  private fail(reason: string): never {
    throw new RawJsonError(`${reason} at character ${this.pos}`);
  }

  private space(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  private object(): Map<string, string> {
    if (this.text[this.pos] !== '{') this.fail('expected an object');
    this.pos++;
    const members = new Map<string, string>();
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return members;
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.space();
      members.set(key, this.value());
      this.space();
      const next = this.text[this.pos++];
      if (next === '}') return members;
      if (next !== ',') this.fail("expected ',' or '}'");
    }
  }

  private value(): string {
    const c = this.text[this.pos];
    if (c === '{') {
      const members = [...this.object()].sort((a, b) => compareCodePoints(a[0], b[0]));
      return `{${members.map(([key, value]) => `${pythonJsonString(key)}:${value}`).join(',')}}`;
    }
    if (c === '[') {
      this.pos++;
      const items: string[] = [];
      this.space();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return '[]';
      }
      for (;;) {
        this.space();
        items.push(this.value());
        this.space();
        const next = this.text[this.pos++];
        if (next === ']') return `[${items.join(',')}]`;
        if (next !== ',') this.fail("expected ',' or ']'");
      }
    }
    if (c === '"') return pythonJsonString(this.string());
    const start = this.pos;
    const text = this.text;
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      if (text.startsWith('-Infinity', start)) {
        this.pos += 9;
        return '-Infinity';
      }
      for (this.pos++; this.pos < text.length; this.pos++) {
        const d = text.charCodeAt(this.pos);
        // digits . e E + -
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
      }
      return text.slice(start, this.pos);
    }
    for (const word of ['true', 'false', 'null', 'NaN', 'Infinity'])
      if (text.startsWith(word, start)) {
        this.pos += word.length;
        return word;
      }
    return this.fail('expected a value');
  }

  private string(): string {
    if (this.text[this.pos] !== '"') this.fail('expected a string');
    const start = this.pos;
    let escaped = false;
    this.pos++;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated string');
      this.pos++;
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        this.pos++;
      }
    }
    if (!escaped) return this.text.slice(start + 1, this.pos - 1);
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      return this.fail('bad string escape');
    }
  }
}

/** v1's canonical op body of a raw log line: every member but prev_hash and hash, optional nulls dropped. */
export function canonicalOpBody(line: string): string {
  const members = new RawCanonicaliser(line).members();
  const kept = [...members].filter(([key, value]) => key !== 'prev_hash' && key !== 'hash' && !(optionalBodyFields.has(key) && value === 'null'));
  kept.sort((a, b) => compareCodePoints(a[0], b[0]));
  return `{${kept.map(([key, value]) => `${pythonJsonString(key)}:${value}`).join(',')}}`;
}

const textEncoder = new TextEncoder();

/** hash = hex(BLAKE2b-256(prev_hash hex as ASCII ‖ canon(body))) (UPSTREAM.md §7.1). */
export function v1OpHash(previousHex: string, canonicalBody: string): string {
  return Buffer.from(blake2b(textEncoder.encode(previousHex + canonicalBody), { dkLen: 32 })).toString('hex');
}
