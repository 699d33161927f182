// Node layout and key search of the sorted index's B+tree (core/index/b-plus-tree.ts).
//
// A leaf packs its entries into typed arrays instead of holding one object per entry: the key bytes of all its
// entries lie back to back in one Uint8Array (`ends[i]` is where entry i's key stops), and the entry's MVCC
// range and flags sit in parallel arrays. A million entries are then ~8k leaves, not a million Uint8Array
// objects (each ~100 bytes of V8 overhead before its bytes), a split copies a few typed-array ranges, and a
// bulk load fills leaves with `set()` calls. Branches are few (1/128 of the leaves), so they keep plain arrays.
//
// Entries are ordered by (key bytes in unsigned byte order with a prefix first, fromSeq): the same key can
// appear once per version range of a document (MVCC), and fromSeq tells those apart. All comparisons here are
// plain functions over byte ranges that allocate nothing (STYLE.md §4).
import { assert } from '../assert.js';

/** Entries per leaf: big enough that 1M entries are ~8k leaves (height 3), small enough that an insert's
 * shift of the packed arrays stays within a few KiB. */
export const leafEntriesMax = 128;
/** Children per branch: 128 keeps the tree at height 3 up to ~2M entries and 4 up to ~260M. */
export const branchChildrenMax = 128;
/** A leaf's key buffer starts this large and doubles when full (a leaf of 20-byte keys needs 2.5 KiB). */
export const leafBytesInitial = 1024;

assert(leafEntriesMax >= 4 && leafEntriesMax % 2 === 0, 'a leaf splits into two halves of at least 2 entries');
assert(branchChildrenMax >= 4 && branchChildrenMax % 2 === 0, 'a branch splits into two halves of at least 2 children');

export interface LeafNode {
  readonly kind: 'leaf';
  count: number;
  /** Key bytes of entries 0..count-1, back to back; entry i is [i === 0 ? 0 : ends[i-1], ends[i]). */
  bytes: Uint8Array;
  readonly ends: Uint32Array;
  readonly fromSeqs: Float64Array;
  /** Exclusive end of the entry's seq range; Infinity while the entry is current. */
  readonly toSeqs: Float64Array;
  readonly flags: Uint16Array;
  next: LeafNode | null;
  previous: LeafNode | null;
}

export interface BranchNode {
  readonly kind: 'branch';
  /** separatorKeys[i] (with separatorSeqs[i]) is at most every entry of children[i+1] and above every entry
   * of children[i]; it starts as the first entry of children[i+1] and stays a valid bound after deletes. */
  readonly separatorKeys: Uint8Array[];
  readonly separatorSeqs: number[];
  readonly children: TreeNode[];
  /** Entries in each child's subtree, for exact range counts in O(height). */
  readonly sizes: number[];
}

export type TreeNode = LeafNode | BranchNode;

/** Bytes of a leaf's fixed arrays, which share one ArrayBuffer (one allocation instead of four; V8 tracks each
 * ArrayBuffer, and a million entries are ~8k leaves). Float64 columns first, so every view is aligned. */
const leafArraysBytes = leafEntriesMax * (8 + 8 + 4 + 2);

export function newLeaf(bytesCapacity = leafBytesInitial): LeafNode {
  const arrays = new ArrayBuffer(leafArraysBytes);
  return {
    kind: 'leaf',
    count: 0,
    bytes: new Uint8Array(bytesCapacity),
    fromSeqs: new Float64Array(arrays, 0, leafEntriesMax),
    toSeqs: new Float64Array(arrays, leafEntriesMax * 8, leafEntriesMax),
    ends: new Uint32Array(arrays, leafEntriesMax * 16, leafEntriesMax),
    flags: new Uint16Array(arrays, leafEntriesMax * 20, leafEntriesMax),
    next: null,
    previous: null,
  };
}

export function newBranch(): BranchNode {
  return { kind: 'branch', separatorKeys: [], separatorSeqs: [], children: [], sizes: [] };
}

export function keyStart(leaf: LeafNode, slot: number): number {
  return slot === 0 ? 0 : leaf.ends[slot - 1]!;
}

export function keyEnd(leaf: LeafNode, slot: number): number {
  return leaf.ends[slot]!;
}

export function leafBytesUsed(leaf: LeafNode): number {
  return leaf.count === 0 ? 0 : leaf.ends[leaf.count - 1]!;
}

/** Unsigned byte order of a[aStart, aEnd) and b[bStart, bEnd), a prefix before its extensions. */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/**
 * Compares key a[aStart, aEnd) with a bound that is a key prefix: 0 when the key starts with the bound, else
 * the byte order. Keys that start with the bound form one contiguous run, so this is monotone over the tree.
 */
export function comparePrefix(a: Uint8Array, aStart: number, aEnd: number, bound: Uint8Array): number {
  const aLength = aEnd - aStart;
  const length = aLength < bound.length ? aLength : bound.length;
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - bound[i]!;
    if (difference !== 0) return difference;
  }
  return aLength >= bound.length ? 0 : -1;
}

/** (key, seq) against entry `slot` of a leaf, in tree order. */
export function compareToSlot(key: Uint8Array, seq: number, leaf: LeafNode, slot: number): number {
  const byBytes = compareBytes(key, 0, key.length, leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot));
  if (byBytes !== 0) return byBytes;
  return seq - leaf.fromSeqs[slot]!;
}

/** First slot of the leaf whose entry is at or above (key, seq); count when none is. */
export function leafLowerBound(leaf: LeafNode, key: Uint8Array, seq: number): number {
  let low = 0;
  let high = leaf.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareToSlot(key, seq, leaf, middle) > 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First slot whose key passes the bound: comparePrefix(key, bound) > 0 when strict, >= 0 when not. */
export function leafSeekPrefix(leaf: LeafNode, bound: Uint8Array, strict: boolean): number {
  let low = 0;
  let high = leaf.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = comparePrefix(leaf.bytes, keyStart(leaf, middle), keyEnd(leaf, middle), bound);
    if (order < 0 || (strict && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The child of a branch that holds (key, seq): the count of separators at or below it. */
export function branchChildFor(branch: BranchNode, key: Uint8Array, seq: number): number {
  const keys = branch.separatorKeys;
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const separator = keys[middle]!;
    let order = compareBytes(key, 0, key.length, separator, 0, separator.length);
    if (order === 0) order = seq - branch.separatorSeqs[middle]!;
    if (order >= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The child of a branch where the first key passing a prefix bound lies (or just before it). */
export function branchChildForPrefix(branch: BranchNode, bound: Uint8Array, strict: boolean): number {
  const keys = branch.separatorKeys;
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const separator = keys[middle]!;
    const order = comparePrefix(separator, 0, separator.length, bound);
    if (order < 0 || (strict && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function ensureBytes(leaf: LeafNode, needed: number): void {
  if (needed <= leaf.bytes.length) return;
  let capacity = leaf.bytes.length * 2;
  while (capacity < needed) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(leaf.bytes.subarray(0, leafBytesUsed(leaf)));
  leaf.bytes = grown;
}

/** Inserts an entry at `slot`, shifting the ones after it. The leaf must have room (count < leafEntriesMax). */
export function leafInsertAt(
  leaf: LeafNode, slot: number, key: Uint8Array, fromSeq: number, toSeq: number, flags: number,
): void {
  assert(leaf.count < leafEntriesMax, 'a leaf has room before an insert');
  const used = leafBytesUsed(leaf);
  ensureBytes(leaf, used + key.length);
  const start = keyStart(leaf, slot);
  leaf.bytes.copyWithin(start + key.length, start, used);
  leaf.bytes.set(key, start);
  for (let i = leaf.count; i > slot; i--) leaf.ends[i] = leaf.ends[i - 1]! + key.length;
  leaf.ends[slot] = start + key.length;
  leaf.fromSeqs.copyWithin(slot + 1, slot, leaf.count);
  leaf.toSeqs.copyWithin(slot + 1, slot, leaf.count);
  leaf.flags.copyWithin(slot + 1, slot, leaf.count);
  leaf.fromSeqs[slot] = fromSeq;
  leaf.toSeqs[slot] = toSeq;
  leaf.flags[slot] = flags;
  leaf.count++;
}

/** Appends an entry from a byte range (bulk loads and compaction); the caller keeps the order. */
export function leafAppend(
  leaf: LeafNode, source: Uint8Array, start: number, end: number, fromSeq: number, toSeq: number, flags: number,
): void {
  assert(leaf.count < leafEntriesMax, 'a leaf has room before an append');
  const used = leafBytesUsed(leaf);
  ensureBytes(leaf, used + end - start);
  const bytes = leaf.bytes;
  for (let i = start, at = used; i < end; i++, at++) bytes[at] = source[i]!; // no subarray view per entry
  leaf.ends[leaf.count] = used + end - start;
  leaf.fromSeqs[leaf.count] = fromSeq;
  leaf.toSeqs[leaf.count] = toSeq;
  leaf.flags[leaf.count] = flags;
  leaf.count++;
}

export function leafRemoveAt(leaf: LeafNode, slot: number): void {
  assert(slot < leaf.count, 'the removed slot exists');
  const start = keyStart(leaf, slot);
  const end = keyEnd(leaf, slot);
  const length = end - start;
  leaf.bytes.copyWithin(start, end, leafBytesUsed(leaf));
  for (let i = slot; i < leaf.count - 1; i++) leaf.ends[i] = leaf.ends[i + 1]! - length;
  leaf.fromSeqs.copyWithin(slot, slot + 1, leaf.count);
  leaf.toSeqs.copyWithin(slot, slot + 1, leaf.count);
  leaf.flags.copyWithin(slot, slot + 1, leaf.count);
  leaf.count--;
}

/**
 * Moves the entries from `keep` on into a new right sibling, linked after it; returns the sibling. Half and half
 * by default; an insert past the end of the last leaf keeps all but one entry on the left, so keys that only
 * grow (heights, timestamps) fill leaves instead of leaving them half empty.
 */
export function leafSplit(leaf: LeafNode, keep = leaf.count >>> 1): LeafNode {
  assert(keep >= 1 && keep < leaf.count, 'a split leaves entries on both sides');
  const moved = leaf.count - keep;
  const bytesFrom = keyStart(leaf, keep);
  const bytesTo = leafBytesUsed(leaf);
  const right = newLeaf(Math.max(leafBytesInitial, (bytesTo - bytesFrom) * 2));
  right.bytes.set(leaf.bytes.subarray(bytesFrom, bytesTo));
  for (let i = 0; i < moved; i++) right.ends[i] = leaf.ends[keep + i]! - bytesFrom;
  right.fromSeqs.set(leaf.fromSeqs.subarray(keep, leaf.count));
  right.toSeqs.set(leaf.toSeqs.subarray(keep, leaf.count));
  right.flags.set(leaf.flags.subarray(keep, leaf.count));
  right.count = moved;
  leaf.count = keep;
  right.next = leaf.next;
  right.previous = leaf;
  if (leaf.next !== null) leaf.next.previous = right;
  leaf.next = right;
  return right;
}

/** Moves the upper half of a full branch into a new branch; returns it with the separator between the two. */
export function branchSplit(branch: BranchNode): { right: BranchNode; separatorKey: Uint8Array; separatorSeq: number } {
  const keep = branch.children.length >>> 1;
  const right = newBranch();
  right.children.push(...branch.children.splice(keep));
  right.sizes.push(...branch.sizes.splice(keep));
  // Separators keep-1 stays between the halves: it goes up; the ones after it move right.
  right.separatorKeys.push(...branch.separatorKeys.splice(keep));
  right.separatorSeqs.push(...branch.separatorSeqs.splice(keep));
  const separatorKey = branch.separatorKeys.pop()!;
  const separatorSeq = branch.separatorSeqs.pop()!;
  return { right, separatorKey, separatorSeq };
}

export function subtreeSize(node: TreeNode): number {
  if (node.kind === 'leaf') return node.count;
  let total = 0;
  for (const size of node.sizes) total += size;
  return total;
}

/** Bytes held by a node's arrays (the statistics' estimate; object headers are not counted). */
export function nodeBytes(node: TreeNode): number {
  if (node.kind === 'leaf') return node.bytes.length + leafEntriesMax * (4 + 8 + 8 + 2);
  let total = node.children.length * 16;
  for (const key of node.separatorKeys) total += key.length + 8;
  return total;
}
