// The sort key of a sorted index: field values and a document id encoded so that comparing the bytes (unsigned,
// a prefix first; b-plus-tree-node.ts compareBytes) gives NEDB v1's ORDER BY ASC order (UPSTREAM.md §4.4), and
// the reverse gives its DESC order. Byte strings make the B+tree's comparisons one tight loop with no type
// dispatch, and a compound key is just the concatenation of its components. docs/FORMAT.md §11.1 is the spec.
//
// One component is a tag byte and a payload, self-delimiting, so that a compound key's components and the id
// after them can be told apart and a bound on the leading fields is a byte prefix:
//   0x10 number   8 bytes: IEEE-754 big-endian, sign bit flipped for >= 0, every bit flipped for < 0; -0 as 0
//   0x20 string   UTF-8 with 0x00 written as 0x00 0xFF, then the terminator 0x00 0x00 (a prefix sorts first)
//   0x30 array    its JSON text, as a string
//   0x40 object   its JSON text, as a string
//   0xF0 null or missing, no payload
// Booleans are numbers: v1 compares them numerically with numbers (true = 1, false = 0, `true = 1` holds), so a
// boolean key sorts exactly as its numeric value and ties with it (the id breaks the tie). Null and missing sort
// last in ASC (and so first in DESC), tied with each other. Numbers and strings are ordered by tag, which is not
// v1's order for a field that holds both (v1 then sorts by Python str()); nor is JSON text v1's order for arrays
// and objects: the index records these classes in its statistics (`mixedTypes`) so the planner can fall back.
//
// What the bytes do not say (boolean or number, null or missing, whether a long string was cut) is kept in the
// entry's 16-bit `kinds`: 2 bits per component, so a key decodes back to the values that were indexed.
import { assert } from '../assert.js';

export const keyTag = { number: 0x10, string: 0x20, array: 0x30, object: 0x40, nullish: 0xf0 } as const;

/** Per-component kind bits (2 per component in an entry's flags). */
export const componentKind = { plain: 0, boolean: 1, missing: 2, truncated: 3 } as const;

/** Fields of a compound index: 2 kind bits each fit the entry's u16 flags. */
export const indexFieldsMax = 8;
/** A string (or array/object JSON text) contributes at most this many UTF-8 bytes to a key; longer ones are cut
 * at a code point boundary and marked truncated (their order among equal prefixes is then by id only). */
export const indexValueBytesMax = 1024;
/** Longest key: every component a cut string with every byte escaped, plus a 4096-byte id. Fits a u16. */
export const indexKeyBytesMax = indexFieldsMax * (1 + 2 * indexValueBytesMax + 2) + 4096;

assert(indexFieldsMax * 2 <= 16, 'two kind bits per field fit the u16 entry flags');
assert(indexKeyBytesMax <= 0xffff, 'a key length fits the u16 of the index section');

/** The value classes counted by the statistics. */
export const valueClasses = ['number', 'boolean', 'string', 'longString', 'array', 'object', 'null', 'missing'] as const;
export type ValueClass = (typeof valueClasses)[number];
export const valueClassIndex = {
  number: 0, boolean: 1, string: 2, longString: 3, array: 4, object: 5, null: 6, missing: 7,
} as const satisfies Record<ValueClass, number>;

const numberView = new DataView(new ArrayBuffer(8));
const numberBytes = new Uint8Array(numberView.buffer);
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** Builds keys in a reused buffer: values first, then optionally the id. Call reset() before each key. */
export class IndexKeyWriter {
  bytes = new Uint8Array(256);
  length = 0;
  /** 2 bits per component written so far (componentKind). */
  kinds = 0;
  private components = 0;

  reset(): void {
    this.length = 0;
    this.kinds = 0;
    this.components = 0;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Appends one field value (undefined = missing) and returns its class (valueClassIndex). */
  value(value: unknown): number {
    assert(this.components < indexFieldsMax, 'a key has at most indexFieldsMax components');
    const shift = 2 * this.components++;
    this.reserve(1 + 2 * indexValueBytesMax + 2 + 8);
    if (value === undefined || value === null) {
      this.bytes[this.length++] = keyTag.nullish;
      if (value === undefined) this.kinds |= componentKind.missing << shift;
      return value === undefined ? valueClassIndex.missing : valueClassIndex.null;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      this.number(Number(value));
      return valueClassIndex.number;
    }
    if (typeof value === 'boolean') {
      this.number(value ? 1 : 0);
      this.kinds |= componentKind.boolean << shift;
      return valueClassIndex.boolean;
    }
    const isString = typeof value === 'string';
    const text = isString ? value : JSON.stringify(value) ?? 'null';
    this.bytes[this.length++] = isString ? keyTag.string : Array.isArray(value) ? keyTag.array : keyTag.object;
    const complete = this.string(text);
    if (!complete) this.kinds |= componentKind.truncated << shift;
    if (isString) return complete ? valueClassIndex.string : valueClassIndex.longString;
    return Array.isArray(value) ? valueClassIndex.array : valueClassIndex.object;
  }

  private number(value: number): void {
    numberView.setFloat64(0, value === 0 ? 0 : value); // big-endian; -0 becomes 0
    const negative = (numberBytes[0]! & 0x80) !== 0;
    const bytes = this.bytes;
    bytes[this.length++] = keyTag.number;
    for (let i = 0; i < 8; i++) bytes[this.length++] = negative ? ~numberBytes[i]! & 0xff : i === 0 ? numberBytes[0]! ^ 0x80 : numberBytes[i]!;
  }

  /** UTF-8 with 0x00 escaped, cut at indexValueBytesMax, then the terminator. False when cut. */
  private string(text: string): boolean {
    const bytes = this.bytes;
    const limit = this.length + indexValueBytesMax;
    let at = this.length;
    let complete = true;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdfff) {
        const low = text.charCodeAt(i + 1);
        if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i++;
        } else {
          code = 0xfffd; // a lone surrogate, as TextEncoder writes it
        }
      }
      const width = code === 0 ? 2 : code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (at + width > limit) {
        complete = false;
        break;
      }
      at = writeCodePoint(bytes, at, code);
    }
    bytes[at++] = 0x00;
    bytes[at++] = 0x00;
    this.length = at;
    return complete;
  }

  /** Appends the document id, raw UTF-8 to the end of the key (it is always last, so it needs no terminator). */
  id(id: string): void {
    this.reserve(id.length * 3);
    this.length += textEncoder.encodeInto(id, this.bytes.subarray(this.length)).written;
  }

  /** A copy of the key built so far. */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function writeCodePoint(bytes: Uint8Array, at: number, code: number): number {
  if (code === 0) {
    bytes[at] = 0x00;
    bytes[at + 1] = 0xff;
    return at + 2;
  }
  if (code < 0x80) {
    bytes[at] = code;
    return at + 1;
  }
  if (code < 0x800) {
    bytes[at] = 0xc0 | (code >> 6);
    bytes[at + 1] = 0x80 | (code & 0x3f);
    return at + 2;
  }
  if (code < 0x10000) {
    bytes[at] = 0xe0 | (code >> 12);
    bytes[at + 1] = 0x80 | ((code >> 6) & 0x3f);
    bytes[at + 2] = 0x80 | (code & 0x3f);
    return at + 3;
  }
  bytes[at] = 0xf0 | (code >> 18);
  bytes[at + 1] = 0x80 | ((code >> 12) & 0x3f);
  bytes[at + 2] = 0x80 | ((code >> 6) & 0x3f);
  bytes[at + 3] = 0x80 | (code & 0x3f);
  return at + 4;
}

/**
 * Bytes a string takes in a key before any cut: UTF-8 with each NUL escaped to two bytes and a lone surrogate
 * written as U+FFFD (three), exactly as IndexKeyWriter writes it; stops counting once past `stopAbove`.
 */
export function stringKeyBytes(text: string, stopAbove = indexValueBytesMax): number {
  let total = 0;
  for (let i = 0; i < text.length && total <= stopAbove; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        total += 4;
        i++;
        continue;
      }
    }
    total += code === 0 ? 2 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
  }
  return total;
}

const boundWriter = new IndexKeyWriter();

/** The key prefix of some leading field values (a scan bound): no id, so every id's key starts with it. */
export function encodeIndexValues(values: readonly unknown[]): Uint8Array {
  boundWriter.reset();
  for (const value of values) boundWriter.value(value);
  return boundWriter.copy();
}

/** The kind bits of component `index` in an entry's flags. */
export function kindOf(kinds: number, index: number): number {
  return (kinds >>> (2 * index)) & 3;
}

/** Where the payload of the string-like component starting at `start` (its tag) ends, terminator included. */
function stringEnd(key: Uint8Array, start: number): number {
  let at = start + 1;
  while (!(key[at] === 0x00 && key[at + 1] === 0x00)) {
    assert(at < key.length, 'a string component ends with its terminator');
    at += key[at] === 0x00 ? 2 : 1;
  }
  return at + 2;
}

/** The end of the component that starts at `start`. */
export function componentEnd(key: Uint8Array, start: number): number {
  const tag = key[start];
  if (tag === keyTag.number) return start + 9;
  if (tag === keyTag.nullish) return start + 1;
  assert(tag === keyTag.string || tag === keyTag.array || tag === keyTag.object, 'a key component starts with a known tag');
  return stringEnd(key, start);
}

/** The value class (valueClassIndex) of the component starting at `start`, from its tag and kind bits. */
export function componentClass(key: Uint8Array, start: number, kind: number): number {
  switch (key[start]) {
    case keyTag.number:
      return kind === componentKind.boolean ? valueClassIndex.boolean : valueClassIndex.number;
    case keyTag.nullish:
      return kind === componentKind.missing ? valueClassIndex.missing : valueClassIndex.null;
    case keyTag.string:
      return kind === componentKind.truncated ? valueClassIndex.longString : valueClassIndex.string;
    case keyTag.array:
      return valueClassIndex.array;
    default:
      return valueClassIndex.object;
  }
}

function decodeNumber(key: Uint8Array, start: number): number {
  const negative = (key[start + 1]! & 0x80) === 0;
  for (let i = 0; i < 8; i++) {
    const byte = key[start + 1 + i]!;
    numberBytes[i] = negative ? ~byte & 0xff : i === 0 ? byte ^ 0x80 : byte;
  }
  return numberView.getFloat64(0);
}

function decodeText(key: Uint8Array, start: number, end: number): string {
  const raw = new Uint8Array(end - start);
  let length = 0;
  for (let at = start; at < end; at++) {
    raw[length++] = key[at]!;
    if (key[at] === 0x00) at++; // 0x00 0xFF is an escaped NUL
  }
  return textDecoder.decode(raw.subarray(0, length));
}

/** The value of the component starting at `start`: a truncated string-like component gives its cut text. */
export function decodeComponent(key: Uint8Array, start: number, kind: number): unknown {
  const tag = key[start];
  if (tag === keyTag.number) {
    const value = decodeNumber(key, start);
    return kind === componentKind.boolean ? value !== 0 : value;
  }
  if (tag === keyTag.nullish) return kind === componentKind.missing ? undefined : null;
  const text = decodeText(key, start + 1, componentEnd(key, start) - 2);
  if (tag === keyTag.string || kind === componentKind.truncated) return text;
  return JSON.parse(text) as unknown;
}

/** Offset where the id starts, after `fieldCount` components. */
export function idStart(key: Uint8Array, fieldCount: number): number {
  let at = 0;
  for (let field = 0; field < fieldCount; field++) at = componentEnd(key, at);
  return at;
}

export function decodeId(key: Uint8Array, fieldCount: number): string {
  return decodeUtf8(key, idStart(key, fieldCount), key.length);
}

/** UTF-8 to a string. Short ASCII (most ids) is built in a loop: TextDecoder's call costs more than the work. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 48) return textDecoder.decode(bytes.subarray(start, end));
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return textDecoder.decode(bytes.subarray(start, end));
    text += String.fromCharCode(byte);
  }
  return text;
}

/** Every field value and the id of a key. */
export function decodeIndexKey(key: Uint8Array, fieldCount: number, kinds: number): { values: unknown[]; id: string } {
  const values: unknown[] = [];
  let at = 0;
  for (let field = 0; field < fieldCount; field++) {
    values.push(decodeComponent(key, at, kindOf(kinds, field)));
    at = componentEnd(key, at);
  }
  return { values, id: decodeUtf8(key, at, key.length) };
}
