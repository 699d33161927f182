// A sorted index over one collection and one or more fields (compound), in NEDB v1 sort order, MVCC-aware.
//
// Every document version of the collection feeds it through applyVersion, also versions that lack the fields:
// a missing field is a key like null (sorting last in ASC), so an index-ordered scan returns the same rows in
// the same order as a full scan and sort. Keys are (field values, id) encoded by index-key.ts; the B+tree
// (b-plus-tree.ts) maps each to the seq range in which the document had those values, so a scan AS OF s sees
// exactly the documents whose version at s had them. Ties (equal values, `true` and `1` included) are broken
// by id in code point order, ascending in ASC; DESC is the exact reverse of ASC, ids descending.
//
// Statistics for the planner are kept as writes come: live entries and per-field value classes at HEAD (from
// which `mixedTypes` says the index order is not v1's order for the field), a HyperLogLog distinct estimate,
// min/max from the tree's ends. serialize()/deserialize() are the snapshot's sorted-index section (section
// type 17; docs/FORMAT.md §11), columnar so that a load is a bulk build of full leaves, not an insert per entry.
import { assert } from '../assert.js';
import { crc32c } from '../crc32c.js';
import { NedbError } from '../errors.js';
import { leafBytesInitial, leafEntriesMax, newLeaf } from './b-plus-tree-node.js';
import { BPlusTree, BPlusTreeBuilder, type KeyBound, type TreeCursor, type TreeScanOptions } from './b-plus-tree.js';
import {
  IndexKeyWriter, componentClass, componentEnd, decodeIndexKey, encodeIndexValues, indexFieldsMax, keyTag, kindOf,
  valueClassIndex, valueClasses, type ValueClass,
} from './index-key.js';

export interface SortedIndexDefinition {
  readonly collection: string;
  /** Field names; a dotted name 'a.b' reads doc.a.b unless the document has an own field named 'a.b'. */
  readonly fields: readonly string[];
}

/** A bound on the leading fields of the key (1..fields.length values; undefined or null = missing/null). */
export interface SortedIndexBound {
  readonly values: readonly unknown[];
  readonly inclusive: boolean;
}

export interface SortedIndexScanOptions {
  readonly lower?: SortedIndexBound | undefined;
  readonly upper?: SortedIndexBound | undefined;
  readonly direction: 'asc' | 'desc';
  /** Read the index as of this seq (AS OF); HEAD when absent. */
  readonly asOfSeq?: number | undefined;
}

export interface SortedIndexRow {
  readonly id: string;
  /** The indexed values: a boolean comes back as a boolean, a missing field as undefined, a string cut at
   * indexValueBytesMax as its cut text (the document holds the rest). */
  readonly values: unknown[];
}

export interface SortedIndexStatistics {
  /** Entries in the tree, every retained version range counted. */
  readonly entries: number;
  /** Entries current at HEAD: the collection's live documents. */
  readonly liveEntries: number;
  /** Distinct value tuples ever indexed (HyperLogLog, ~2% error; deletes do not lower it until a GC). */
  readonly distinctEstimate: number;
  /** The smallest and largest live keys whose first field is not null or missing. */
  readonly min: unknown[] | undefined;
  readonly max: unknown[] | undefined;
  /** Per field: live documents whose value is neither null nor missing. */
  readonly presentCounts: number[];
  /** Per field: live documents per value class. */
  readonly classCounts: Record<ValueClass, number>[];
  /** At HEAD some field holds values v1 cannot order like the index does (number and string both present, or
   * arrays/objects): the planner must sort by v1's rule (Python str()) instead of using the index order. */
  readonly mixedTypes: boolean;
  /** Some version ever indexed had mixed types (conservative, for AS OF reads). */
  readonly mixedTypesInHistory: boolean;
  /** Live strings longer than indexValueBytesMax: their order among equal prefixes is by id only. */
  readonly truncatedValues: number;
  readonly depth: number;
  readonly bytesEstimate: number;
}

/** HEAD as an AS OF seq: every current entry (toSeq Infinity) and no closed one. */
const headSeq = Number.MAX_SAFE_INTEGER;
const classCount = valueClasses.length;

/** HyperLogLog registers: 2^11 one-byte registers, ~2.3% standard error in 2 KiB. */
const hllBits = 11;
const hllRegisters = 1 << hllBits;

export class SortedIndex {
  readonly definition: SortedIndexDefinition;
  private tree: BPlusTree;
  private readonly paths: (readonly string[])[];
  private readonly oldWriter = new IndexKeyWriter();
  private readonly newWriter = new IndexKeyWriter();
  private readonly oldClasses = new Uint8Array(indexFieldsMax);
  private readonly newClasses = new Uint8Array(indexFieldsMax);
  /** Live entries per field and class: classCounts[field * classCount + class]. */
  private readonly classCounts: Float64Array;
  private liveEntries = 0;
  private mixedEver = false;
  private readonly hll = new Uint8Array(hllRegisters);
  /** hllEstimate(hll) until a register changes (-1: to compute): the planner asks per query. */
  private distinctCached = -1;

  constructor(definition: SortedIndexDefinition, tree = new BPlusTree()) {
    assert(definition.fields.length >= 1 && definition.fields.length <= indexFieldsMax, 'an index has 1..indexFieldsMax fields');
    this.definition = { collection: definition.collection, fields: [...definition.fields] };
    this.paths = definition.fields.map((field) => field.split('.'));
    this.tree = tree;
    this.classCounts = new Float64Array(definition.fields.length * classCount);
  }

  /**
   * Feeds one document version: `oldDoc` is the document's previous version (undefined when it did not exist
   * or was deleted), `newDoc` the version written at `seq` (undefined for a delete). Versions come in seq order.
   */
  applyVersion(id: string, seq: number, oldDoc: unknown, newDoc: unknown): void {
    const hasOld = oldDoc !== undefined;
    const hasNew = newDoc !== undefined;
    if (hasOld) this.encode(this.oldWriter, this.oldClasses, oldDoc, id);
    if (hasNew) this.encode(this.newWriter, this.newClasses, newDoc, id);
    // An unchanged key needs no new entry: the open one already covers the new version.
    if (hasOld && hasNew && sameKey(this.oldWriter, this.newWriter)) return;
    if (hasOld) {
      const closed = this.tree.closeEntry(this.oldWriter.bytes.subarray(0, this.oldWriter.length), seq);
      assert(closed, 'the previous version of a document has a current index entry');
      this.count(this.oldClasses, -1);
    }
    if (hasNew) {
      this.tree.insert(this.newWriter.bytes.subarray(0, this.newWriter.length), seq, Infinity, this.newWriter.kinds);
      this.count(this.newClasses, 1);
      this.addToSketch(this.newWriter);
      if (this.mixedAtHead()) this.mixedEver = true;
    }
  }

  private encode(writer: IndexKeyWriter, classes: Uint8Array, doc: unknown, id: string): void {
    writer.reset();
    for (let field = 0; field < this.paths.length; field++)
      classes[field] = writer.value(readField(doc, this.definition.fields[field]!, this.paths[field]!));
    writer.id(id);
  }

  private count(classes: Uint8Array, delta: number): void {
    this.liveEntries += delta;
    for (let field = 0; field < this.paths.length; field++) this.classCounts[field * classCount + classes[field]!]! += delta;
  }

  private addToSketch(writer: IndexKeyWriter): void {
    const valuesEnd = componentsEnd(writer.bytes, this.paths.length);
    if (hllAdd(this.hll, writer.bytes, 0, valuesEnd)) this.distinctCached = -1;
  }

  private mixedAtHead(): boolean {
    for (let field = 0; field < this.paths.length; field++) if (fieldMixed(this.classCounts, field)) return true;
    return false;
  }

  /** Rows within the bounds in index order (or its reverse), as of a seq. Stop early by leaving the loop. */
  *scan(options: SortedIndexScanOptions): Generator<SortedIndexRow, void, undefined> {
    const fieldCount = this.paths.length;
    for (const cursor of this.tree.scan(this.treeOptions(options))) {
      const { values, id } = decodeIndexKey(cursor.key(), fieldCount, cursor.flags);
      yield { id, values };
    }
  }

  /** Entries (every version range) within the bounds: exact for the tree, an upper bound for one AS OF seq. */
  countRange(lower?: SortedIndexBound, upper?: SortedIndexBound): number {
    return this.tree.countRange(this.keyBound(lower), this.keyBound(upper));
  }

  private treeOptions(options: SortedIndexScanOptions): TreeScanOptions {
    return {
      lower: this.keyBound(options.lower),
      upper: this.keyBound(options.upper),
      direction: options.direction,
      asOfSeq: options.asOfSeq ?? headSeq,
    };
  }

  private keyBound(bound: SortedIndexBound | undefined): KeyBound | undefined {
    if (bound === undefined) return undefined;
    if (bound.values.length < 1 || bound.values.length > this.paths.length)
      throw new RangeError(`a bound gives 1 to ${this.paths.length} leading field values, not ${bound.values.length}`);
    return { key: encodeIndexValues(bound.values), inclusive: bound.inclusive };
  }

  /** History retention: drops entries no read at or above `horizonSeq` can see; returns how many. */
  collectGarbage(horizonSeq: number): number {
    return this.tree.removeClosedAtOrBefore(horizonSeq);
  }

  statistics(): SortedIndexStatistics {
    const fieldCount = this.paths.length;
    const classCounts: Record<ValueClass, number>[] = [];
    const presentCounts: number[] = [];
    let truncatedValues = 0;
    for (let field = 0; field < fieldCount; field++) {
      const counts = Object.fromEntries(valueClasses.map((name, index) => [name, this.classCounts[field * classCount + index]!]));
      const typed = counts as Record<ValueClass, number>;
      classCounts.push(typed);
      presentCounts.push(this.liveEntries - typed.null - typed.missing);
      truncatedValues += typed.longString;
    }
    const notNull: KeyBound = { key: Uint8Array.of(keyTag.nullish), inclusive: false };
    return {
      entries: this.tree.size,
      liveEntries: this.liveEntries,
      distinctEstimate: hllEstimate(this.hll),
      min: this.firstValues(this.tree.scan({ upper: notNull, direction: 'asc', asOfSeq: headSeq })),
      max: this.firstValues(this.tree.scan({ upper: notNull, direction: 'desc', asOfSeq: headSeq })),
      presentCounts,
      classCounts,
      mixedTypes: this.mixedAtHead(),
      mixedTypesInHistory: this.mixedEver,
      truncatedValues,
      depth: this.tree.height,
      bytesEstimate: this.tree.bytesEstimate() + this.hll.length,
    };
  }

  /** The planner's statistics, in O(1): live entries and the distinct estimate (statistics() walks the tree). */
  liveStatistics(): { liveEntries: number; distinctEstimate: number } {
    if (this.distinctCached < 0) this.distinctCached = hllEstimate(this.hll);
    return { liveEntries: this.liveEntries, distinctEstimate: this.distinctCached };
  }

  /** The statistics that say whether the index order is v1's order, in O(fields) (statistics() walks the tree). */
  orderFlags(): { mixedTypes: boolean; mixedTypesInHistory: boolean; truncatedValues: number } {
    let truncatedValues = 0;
    for (let field = 0; field < this.paths.length; field++) truncatedValues += this.classCounts[field * classCount + valueClassIndex.longString]!;
    return { mixedTypes: this.mixedAtHead(), mixedTypesInHistory: this.mixedEver, truncatedValues };
  }

  private firstValues(scan: Generator<TreeCursor, void, undefined>): unknown[] | undefined {
    for (const cursor of scan) return decodeIndexKey(cursor.key(), this.paths.length, cursor.flags).values;
    return undefined;
  }

  /** The tree (tests check its invariants through it). */
  get btree(): BPlusTree {
    return this.tree;
  }

  /**
   * The sorted-index section (docs/FORMAT.md §11) holding the index as of `asOfSeq` (a checkpoint's seq; HEAD
   * when absent): entries opened later are left out, entries closed later are written as current.
   */
  serialize(asOfSeq = headSeq): Uint8Array {
    return serializeIndex(this, this.tree, asOfSeq);
  }

  /** Reads a section written by serialize(). `source` names it in errors (a snapshot file and section). */
  static deserialize(bytes: Uint8Array, source = 'sorted index section'): SortedIndex {
    return deserializeIndex(bytes, source);
  }

  /** @internal serialization's view of the statistics state. */
  exportState(): { hll: Uint8Array; mixedEver: boolean } {
    return { hll: this.hll, mixedEver: this.mixedEver };
  }

  /** @internal restores the statistics state after a load. */
  importState(classCounts: Float64Array, liveEntries: number, hll: Uint8Array, mixedEver: boolean): void {
    this.classCounts.set(classCounts);
    this.liveEntries = liveEntries;
    this.hll.set(hll);
    this.distinctCached = -1;
    this.mixedEver = mixedEver;
  }
}

function sameKey(a: IndexKeyWriter, b: IndexKeyWriter): boolean {
  if (a.length !== b.length || a.kinds !== b.kinds) return false;
  for (let i = 0; i < a.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

function fieldMixed(counts: Float64Array, field: number): boolean {
  const at = field * classCount;
  const numeric = counts[at + valueClassIndex.number]! + counts[at + valueClassIndex.boolean]! > 0;
  const text = counts[at + valueClassIndex.string]! + counts[at + valueClassIndex.longString]! > 0;
  const structured = counts[at + valueClassIndex.array]! + counts[at + valueClassIndex.object]! > 0;
  return structured || (numeric && text);
}

/**
 * The value of a field as NQL reads it (nql/compare.ts readPath): `a.b` is the path doc.a.b, each segment an
 * own field of an object; a top-level key literally named "a.b" is not it (an index that read it would give
 * another answer than the scan). `field` is the name the path was split from.
 */
export function readField(doc: unknown, field: string, path: readonly string[]): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  if (path.length === 1) return Object.hasOwn(doc, field) ? (doc as Record<string, unknown>)[field] : undefined;
  let value: unknown = doc;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

function componentsEnd(key: Uint8Array, fieldCount: number): number {
  let at = 0;
  for (let field = 0; field < fieldCount; field++) at = componentEnd(key, at);
  return at;
}

/** FNV-1a over the bytes, then murmur3's finalizer so that every bit of the 32-bit hash is mixed. */
function hash32(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Adds a value to the sketch; true when a register changed (the estimate may have). */
function hllAdd(registers: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  const hash = hash32(bytes, start, end);
  const register = hash >>> (32 - hllBits);
  const rest = (hash << hllBits) >>> 0;
  const rank = rest === 0 ? 32 - hllBits + 1 : Math.clz32(rest) + 1;
  if (rank <= registers[register]!) return false;
  registers[register] = rank;
  return true;
}

function hllEstimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (const rank of registers) {
    sum += 2 ** -rank;
    if (rank === 0) zeros++;
  }
  const m = registers.length;
  const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
  // Small ranges: linear counting is exact-ish where many registers are still empty.
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}

// ---- FORMAT.md §11: the sorted-index section ----

const magic = [0x4e, 0x45, 0x44, 0x42, 0x53, 0x49, 0x44, 0x58]; // NEDBSIDX
export const sortedIndexFormatVersion = 1;
const headerBytes = 48;
const seqOpen = 0xffffffff; // u64 all ones (both u32 halves) = toSeq Infinity
const twoTo32 = 2 ** 32;

interface Included {
  entries: number;
  keyBytes: number;
  liveEntries: number;
  classCounts: Float64Array;
}

/** First pass: what goes into the section as of `asOfSeq`, and the statistics at that seq. */
function measure(tree: BPlusTree, fieldCount: number, asOfSeq: number): Included {
  const included: Included = { entries: 0, keyBytes: 0, liveEntries: 0, classCounts: new Float64Array(fieldCount * classCount) };
  for (const leaf of tree.leaves()) {
    let start = 0;
    for (let slot = 0; slot < leaf.count; slot++) {
      const end = leaf.ends[slot]!;
      if (leaf.fromSeqs[slot]! <= asOfSeq) {
        included.entries++;
        included.keyBytes += end - start;
        if (leaf.toSeqs[slot]! > asOfSeq) {
          included.liveEntries++;
          let at = start;
          for (let field = 0; field < fieldCount; field++) {
            included.classCounts[field * classCount + componentClass(leaf.bytes, at, kindOf(leaf.flags[slot]!, field))]! += 1;
            at = componentEnd(leaf.bytes, at);
          }
        }
      }
      start = end;
    }
  }
  return included;
}

function serializeIndex(index: SortedIndex, tree: BPlusTree, asOfSeq: number): Uint8Array {
  const { collection, fields } = index.definition;
  const encoder = new TextEncoder();
  const names = [collection, ...fields].map((name) => encoder.encode(name));
  const included = measure(tree, fields.length, asOfSeq);
  const n = included.entries;
  const namesBytes = names.reduce((total, name) => total + 2 + name.length, 0);
  const statsBytes = fields.length * classCount * 8 + hllRegisters;
  const total = headerBytes + namesBytes + statsBytes + n * 2 + included.keyBytes + n * 16 + n * 2;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const { hll, mixedEver } = index.exportState();
  bytes.set(magic, 0);
  view.setUint16(12, sortedIndexFormatVersion, true);
  view.setUint8(14, fields.length);
  view.setUint8(15, mixedEver ? 1 : 0);
  view.setBigInt64(16, BigInt(asOfSeq === headSeq ? -1 : asOfSeq), true);
  view.setBigUint64(24, BigInt(n), true);
  view.setBigUint64(32, BigInt(included.keyBytes), true);
  view.setBigUint64(40, BigInt(included.liveEntries), true);
  let at = headerBytes;
  for (const name of names) {
    assert(name.length <= 0xffff, 'a collection or field name fits a u16 length');
    view.setUint16(at, name.length, true);
    bytes.set(name, at + 2);
    at += 2 + name.length;
  }
  for (const count of included.classCounts) {
    view.setBigUint64(at, BigInt(count), true);
    at += 8;
  }
  bytes.set(hll, at);
  at += hllRegisters;
  at = writeColumns(tree, asOfSeq, n, bytes, view, at);
  assert(at === total, 'the sorted-index section is exactly as long as measured');
  view.setUint32(8, crc32c(bytes, 12, total), true);
  return bytes;
}

/** The five columns: key lengths, key bytes, fromSeqs, toSeqs, flags (FORMAT.md §11.2). */
function writeColumns(tree: BPlusTree, asOfSeq: number, n: number, bytes: Uint8Array, view: DataView, start: number): number {
  let lengthAt = start;
  let keyAt = start + n * 2;
  let fromAt = keyAt + Number(view.getBigUint64(32, true));
  let toAt = fromAt + n * 8;
  let flagsAt = toAt + n * 8;
  for (const leaf of tree.leaves()) {
    let keyStart = 0;
    for (let slot = 0; slot < leaf.count; slot++) {
      const keyEnd = leaf.ends[slot]!;
      const fromSeq = leaf.fromSeqs[slot]!;
      if (fromSeq <= asOfSeq) {
        view.setUint16(lengthAt, keyEnd - keyStart, true);
        lengthAt += 2;
        const leafBytes = leaf.bytes;
        for (let i = keyStart; i < keyEnd; i++) bytes[keyAt++] = leafBytes[i]!;
        writeSeq(view, fromAt, fromSeq);
        fromAt += 8;
        const toSeq = leaf.toSeqs[slot]!;
        writeSeq(view, toAt, toSeq > asOfSeq ? Infinity : toSeq);
        toAt += 8;
        view.setUint16(flagsAt, leaf.flags[slot]!, true);
        flagsAt += 2;
      }
      keyStart = keyEnd;
    }
  }
  return flagsAt;
}

function writeSeq(view: DataView, at: number, seq: number): void {
  if (seq === Infinity) {
    view.setUint32(at, seqOpen, true);
    view.setUint32(at + 4, seqOpen, true);
    return;
  }
  view.setUint32(at, seq >>> 0, true);
  view.setUint32(at + 4, Math.floor(seq / twoTo32), true);
}

function readSeq(view: DataView, at: number): number {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if (low === seqOpen && high === seqOpen) return Infinity;
  return high * twoTo32 + low;
}

function corrupt(source: string, offset: number, reason: string): NedbError {
  return new NedbError('SNAPSHOT_CORRUPT', { file: source, offset, reason });
}

/** Checks the fixed header and the CRC; returns the entry count and key bytes. */
function checkHeader(bytes: Uint8Array, view: DataView, source: string): { n: number; keyBytes: number } {
  if (bytes.length < headerBytes) throw corrupt(source, 0, `sorted index section is ${bytes.length} bytes, shorter than its ${headerBytes}-byte header`);
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) throw corrupt(source, 0, 'sorted index section magic NEDBSIDX missing');
  const stored = view.getUint32(8, true);
  const computed = crc32c(bytes, 12, bytes.length);
  if (stored !== computed) throw corrupt(source, 8, `sorted index section CRC-32C mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
  const version = view.getUint16(12, true);
  if (version !== sortedIndexFormatVersion) throw new NedbError('FORMAT_UNSUPPORTED', { file: source, version, supported: sortedIndexFormatVersion });
  const fieldCount = bytes[14]!;
  if (fieldCount < 1 || fieldCount > indexFieldsMax) throw corrupt(source, 14, `field count ${fieldCount} is outside 1..${indexFieldsMax}`);
  const n = view.getBigUint64(24, true);
  const keyBytes = view.getBigUint64(32, true);
  if (n > BigInt(bytes.length) || keyBytes > BigInt(bytes.length)) throw corrupt(source, 24, 'entry count or key bytes exceed the section');
  return { n: Number(n), keyBytes: Number(keyBytes) };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function deserializeIndex(bytes: Uint8Array, source: string): SortedIndex {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { n, keyBytes } = checkHeader(bytes, view, source);
  const fieldCount = bytes[14]!;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const names: string[] = [];
  let at = headerBytes;
  for (let i = 0; i <= fieldCount; i++) {
    if (at + 2 > bytes.length) throw corrupt(source, at, 'names run past the end of the section');
    const length = view.getUint16(at, true);
    if (at + 2 + length > bytes.length) throw corrupt(source, at, 'a name runs past the end of the section');
    names.push(decoder.decode(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  const statsBytes = fieldCount * classCount * 8 + hllRegisters;
  const expected = at + statsBytes + n * 2 + keyBytes + n * 16 + n * 2;
  if (expected !== bytes.length) throw corrupt(source, at, `section is ${bytes.length} bytes; its counts need ${expected}`);
  const classCounts = new Float64Array(fieldCount * classCount);
  for (let i = 0; i < classCounts.length; i++, at += 8) classCounts[i] = Number(view.getBigUint64(at, true));
  const hll = bytes.slice(at, at + hllRegisters);
  at += hllRegisters;
  const tree = buildTree(bytes, view, at, n, keyBytes, source);
  const index = new SortedIndex({ collection: names[0]!, fields: names.slice(1) }, tree);
  index.importState(classCounts, Number(view.getBigUint64(40, true)), hll, (bytes[15]! & 1) !== 0);
  return index;
}

/** Bulk-loads the tree from the columns (FORMAT.md §11.2): each leaf is filled with one copy of its key bytes
 * and a loop over its seqs, then linked; no per-entry descent. */
function buildTree(bytes: Uint8Array, view: DataView, start: number, n: number, keyBytes: number, source: string): BPlusTree {
  const builder = new BPlusTreeBuilder();
  const keysStart = start + n * 2;
  const keysEnd = keysStart + keyBytes;
  let keyAt = keysStart;
  for (let first = 0; first < n; first += leafEntriesMax) {
    const count = Math.min(leafEntriesMax, n - first);
    let chunkBytes = 0;
    for (let i = 0; i < count; i++) chunkBytes += view.getUint16(start + 2 * (first + i), true);
    if (keyAt + chunkBytes > keysEnd) throw corrupt(source, start + 2 * first, `keys ${first}..${first + count - 1} run past the key bytes`);
    const leaf = newLeaf(Math.max(leafBytesInitial, chunkBytes + (chunkBytes >>> 3)));
    leaf.bytes.set(bytes.subarray(keyAt, keyAt + chunkBytes));
    let end = 0;
    for (let i = 0; i < count; i++) {
      const entry = first + i;
      end += view.getUint16(start + 2 * entry, true);
      leaf.ends[i] = end;
      const fromSeq = readSeq(view, keysEnd + 8 * entry);
      const toSeq = readSeq(view, keysEnd + 8 * n + 8 * entry);
      if (!(fromSeq < toSeq)) throw corrupt(source, keysEnd + 8 * entry, `entry ${entry} has fromSeq ${fromSeq} not below toSeq ${toSeq}`);
      leaf.fromSeqs[i] = fromSeq;
      leaf.toSeqs[i] = toSeq;
      leaf.flags[i] = view.getUint16(keysEnd + 16 * n + 2 * entry, true);
    }
    leaf.count = count;
    keyAt += chunkBytes;
    builder.appendLeaf(leaf);
  }
  if (keyAt !== keysEnd) throw corrupt(source, start, 'key lengths do not add up to the key bytes');
  return builder.finish();
}
