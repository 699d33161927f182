// The in-memory B+tree under a sorted index: byte-string keys (unsigned byte order, core/index/index-key.ts
// makes that the v1 sort order) mapped to MVCC entries.
//
// An entry is (key, fromSeq, toSeq, flags): the key is valid for reads AS OF s with fromSeq <= s < toSeq, and
// toSeq is Infinity while it is current. An update of an indexed value closes the old entry (toSeq = the
// update's seq) and inserts a new one; a delete only closes. The same key can therefore occur once per version
// range, so the tree orders entries by (key, fromSeq), and that pair is unique. Old entries leave only through
// `removeClosedAtOrBefore(horizon)`, history retention's garbage collection.
//
// Reads are range scans in either direction from a prefix bound, yielding one reused cursor per step so that
// a LIMIT stops the walk after a handful of entries; branches keep subtree sizes, so a range's entry count is
// exact in O(height). Deletes are lazy: a leaf may run underfull, and only an empty one leaves the tree; a
// garbage collection rebuilds the tree compactly. Node layout and byte comparisons: b-plus-tree-node.ts.
import { assert } from '../assert.js';
import {
  type BranchNode, type LeafNode, type TreeNode, branchChildFor, branchChildForPrefix, branchChildrenMax, branchSplit,
  compareBytes, comparePrefix, keyEnd, keyStart, leafAppend, leafEntriesMax, leafInsertAt, leafLowerBound,
  leafRemoveAt, leafSeekPrefix, leafSplit, newBranch, newLeaf, nodeBytes, subtreeSize,
} from './b-plus-tree-node.js';

/** A bound on keys by prefix: a key "equals" the bound when it starts with it (a compound key's leading fields). */
export interface KeyBound {
  readonly key: Uint8Array;
  readonly inclusive: boolean;
}

export interface TreeScanOptions {
  readonly lower?: KeyBound | undefined;
  readonly upper?: KeyBound | undefined;
  readonly direction: 'asc' | 'desc';
  /** Only entries with fromSeq <= asOfSeq < toSeq; every entry when absent. */
  readonly asOfSeq?: number | undefined;
}

/** A position in the tree. Scans yield one cursor that moves: read it before the next step. */
export class TreeCursor {
  constructor(
    public leaf: LeafNode,
    public slot: number,
  ) {}

  get fromSeq(): number {
    return this.leaf.fromSeqs[this.slot]!;
  }

  get toSeq(): number {
    return this.leaf.toSeqs[this.slot]!;
  }

  get flags(): number {
    return this.leaf.flags[this.slot]!;
  }

  /** The key's bytes, a view into the leaf: copy it to keep it past the next change of the tree. */
  key(): Uint8Array {
    return this.leaf.bytes.subarray(keyStart(this.leaf, this.slot), keyEnd(this.leaf, this.slot));
  }
}

/** Builds a tree from entries given in tree order, filling each leaf (no per-entry descent). */
export class BPlusTreeBuilder {
  private readonly leaves: LeafNode[] = [];
  private leaf: LeafNode | null = null;
  private lastKey: Uint8Array = new Uint8Array(0);
  private lastSeq = -Infinity;
  private count = 0;

  append(source: Uint8Array, start: number, end: number, fromSeq: number, toSeq: number, flags: number): void {
    let order = compareBytes(source, start, end, this.lastKey, 0, this.lastKey.length);
    if (order === 0) order = fromSeq - this.lastSeq;
    assert(this.count === 0 || order > 0, 'bulk-loaded entries come in strictly ascending (key, fromSeq) order');
    assert(fromSeq < toSeq, 'an entry covers at least one seq');
    if (this.leaf === null || this.leaf.count === leafEntriesMax) {
      const next = newLeaf();
      if (this.leaf !== null) {
        this.leaf.next = next;
        next.previous = this.leaf;
      }
      this.leaf = next;
      this.leaves.push(next);
    }
    leafAppend(this.leaf, source, start, end, fromSeq, toSeq, flags);
    this.lastKey = this.leaf.bytes.subarray(keyStart(this.leaf, this.leaf.count - 1), keyEnd(this.leaf, this.leaf.count - 1));
    this.lastSeq = fromSeq;
    this.count++;
  }

  /** Adds a leaf the caller filled (a load from columns); its entries must follow the ones before, in order. */
  appendLeaf(leaf: LeafNode): void {
    assert(leaf.count > 0 && leaf.count <= leafEntriesMax && leaf.next === null && leaf.previous === null, 'an appended leaf is filled and unlinked');
    for (let slot = 0; slot < leaf.count; slot++) {
      const start = keyStart(leaf, slot);
      const end = keyEnd(leaf, slot);
      let order = compareBytes(leaf.bytes, start, end, this.lastKey, 0, this.lastKey.length);
      if (order === 0) order = leaf.fromSeqs[slot]! - this.lastSeq;
      assert(this.count === 0 || order > 0, 'bulk-loaded entries come in strictly ascending (key, fromSeq) order');
      assert(leaf.fromSeqs[slot]! < leaf.toSeqs[slot]!, 'an entry covers at least one seq');
      this.lastKey = leaf.bytes.subarray(start, end);
      this.lastSeq = leaf.fromSeqs[slot]!;
      this.count++;
    }
    if (this.leaf !== null) {
      this.leaf.next = leaf;
      leaf.previous = this.leaf;
    }
    this.leaf = leaf;
    this.leaves.push(leaf);
  }

  finish(): BPlusTree {
    let level: TreeNode[] = this.leaves.length === 0 ? [newLeaf()] : this.leaves;
    while (level.length > 1) {
      const parents: BranchNode[] = [];
      for (let i = 0; i < level.length; i += branchChildrenMax) {
        const branch = newBranch();
        for (const child of level.slice(i, i + branchChildrenMax)) {
          if (branch.children.length > 0) {
            const first = firstLeaf(child);
            branch.separatorKeys.push(first.bytes.slice(0, keyEnd(first, 0)));
            branch.separatorSeqs.push(first.fromSeqs[0]!);
          }
          branch.children.push(child);
          branch.sizes.push(subtreeSize(child));
        }
        parents.push(branch);
      }
      level = parents;
    }
    return new BPlusTree(level[0]!, this.count);
  }
}

function firstLeaf(node: TreeNode): LeafNode {
  let current = node;
  while (current.kind === 'branch') current = current.children[0]!;
  return current;
}

function lastLeaf(node: TreeNode): LeafNode {
  let current = node;
  while (current.kind === 'branch') current = current.children[current.children.length - 1]!;
  return current;
}

function isVisible(leaf: LeafNode, slot: number, asOfSeq: number | undefined): boolean {
  return asOfSeq === undefined || (leaf.fromSeqs[slot]! <= asOfSeq && asOfSeq < leaf.toSeqs[slot]!);
}

export class BPlusTree {
  /** The descent path of the last insert or delete, reused (no allocation per write). */
  private readonly pathNodes: BranchNode[] = [];
  private readonly pathSlots: number[] = [];

  constructor(
    private root: TreeNode = newLeaf(),
    private entries = 0,
  ) {}

  /** Entries in the tree, every version range counted. */
  get size(): number {
    return this.entries;
  }

  /** Levels from the root to the leaves (1 for a lone leaf). */
  get height(): number {
    let levels = 1;
    for (let node = this.root; node.kind === 'branch'; node = node.children[0]!) levels++;
    return levels;
  }

  /** Bytes held by the tree's arrays (an estimate: object headers are not counted). */
  bytesEstimate(): number {
    let total = 0;
    const stack: TreeNode[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      total += nodeBytes(node);
      if (node.kind === 'branch') stack.push(...node.children);
    }
    return total;
  }

  /** Descends to the leaf that holds (key, seq), recording the path. */
  private descend(key: Uint8Array, seq: number): LeafNode {
    this.pathNodes.length = 0;
    this.pathSlots.length = 0;
    let node = this.root;
    while (node.kind === 'branch') {
      const slot = branchChildFor(node, key, seq);
      this.pathNodes.push(node);
      this.pathSlots.push(slot);
      node = node.children[slot]!;
    }
    return node;
  }

  /** Adds an entry; (key, fromSeq) must not be in the tree yet. */
  insert(key: Uint8Array, fromSeq: number, toSeq: number, flags: number): void {
    assert(fromSeq < toSeq, 'an entry covers at least one seq');
    let leaf = this.descend(key, fromSeq);
    // A full leaf splits first and the descent starts over: splits are rare (one per ~64 inserts), and the
    // fresh path then holds exactly the branches whose sizes grow.
    while (leaf.count === leafEntriesMax) {
      const appending = leaf.next === null && leafLowerBound(leaf, key, fromSeq) === leaf.count;
      const prepending = leaf.previous === null && leafLowerBound(leaf, key, fromSeq) === 0;
      const keep = appending ? leaf.count - 1 : prepending ? 1 : leaf.count >>> 1;
      this.addChild(this.pathNodes.length - 1, leaf, leafSplit(leaf, keep));
      leaf = this.descend(key, fromSeq);
    }
    const slot = leafLowerBound(leaf, key, fromSeq);
    assert(slot === leaf.count || compareBytes(key, 0, key.length, leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot)) !== 0 ||
      leaf.fromSeqs[slot] !== fromSeq, 'an entry (key, fromSeq) is inserted once');
    leafInsertAt(leaf, slot, key, fromSeq, toSeq, flags);
    for (let level = 0; level < this.pathNodes.length; level++) this.pathNodes[level]!.sizes[this.pathSlots[level]!]! += 1;
    this.entries++;
  }

  /** Links `right`, split off `left`, into the parent at path level `level` (-1: a new root), splitting upward. */
  private addChild(level: number, left: TreeNode, right: TreeNode): void {
    const first = firstLeaf(right);
    this.addChildWithSeparator(level, left, right, first.bytes.slice(0, keyEnd(first, 0)), first.fromSeqs[0]!);
  }

  private addChildWithSeparator(level: number, left: TreeNode, right: TreeNode, separatorKey: Uint8Array, separatorSeq: number): void {
    if (level < 0) {
      const root = newBranch();
      root.children.push(left, right);
      root.sizes.push(subtreeSize(left), subtreeSize(right));
      root.separatorKeys.push(separatorKey);
      root.separatorSeqs.push(separatorSeq);
      this.root = root;
      return;
    }
    const parent = this.pathNodes[level]!;
    const slot = this.pathSlots[level]!;
    parent.children.splice(slot + 1, 0, right);
    parent.separatorKeys.splice(slot, 0, separatorKey);
    parent.separatorSeqs.splice(slot, 0, separatorSeq);
    parent.sizes[slot] = subtreeSize(left);
    parent.sizes.splice(slot + 1, 0, subtreeSize(right));
    if (parent.children.length <= branchChildrenMax) return;
    const split = branchSplit(parent);
    // The path above still points at `parent`; the entry being inserted may be in either half, and the sizes
    // one level up are recomputed from both halves, so the count stays exact.
    this.addChildWithSeparator(level - 1, parent, split.right, split.separatorKey, split.separatorSeq);
  }

  /** Finds the entry (key, fromSeq) exactly; the path is left in pathNodes/pathSlots. */
  private findExact(key: Uint8Array, fromSeq: number): { leaf: LeafNode; slot: number } | undefined {
    const leaf = this.descend(key, fromSeq);
    const slot = leafLowerBound(leaf, key, fromSeq);
    if (slot === leaf.count) return undefined;
    if (compareBytes(key, 0, key.length, leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot)) !== 0) return undefined;
    return leaf.fromSeqs[slot] === fromSeq ? { leaf, slot } : undefined;
  }

  /** The current entry (toSeq Infinity) of this key, if any: the key's entry with the highest fromSeq. */
  findCurrent(key: Uint8Array): TreeCursor | undefined {
    const leaf = this.descend(key, Infinity);
    const cursor = new TreeCursor(leaf, leafLowerBound(leaf, key, Infinity));
    if (!stepBack(cursor)) return undefined;
    const order = compareBytes(key, 0, key.length, cursor.leaf.bytes, keyStart(cursor.leaf, cursor.slot), keyEnd(cursor.leaf, cursor.slot));
    return order === 0 && cursor.toSeq === Infinity ? cursor : undefined;
  }

  /**
   * Ends the current entry of `key` at `toSeq` (exclusive). Returns false when the key has no current entry.
   * An entry closed at its own fromSeq was never visible and is removed.
   */
  closeEntry(key: Uint8Array, toSeq: number): boolean {
    const cursor = this.findCurrent(key);
    if (cursor === undefined) return false;
    assert(toSeq >= cursor.fromSeq, 'an entry closes at or after the seq it was opened');
    if (toSeq === cursor.fromSeq) return this.delete(key, toSeq);
    cursor.leaf.toSeqs[cursor.slot] = toSeq;
    return true;
  }

  /** Removes the entry (key, fromSeq). Returns false when it is not in the tree. */
  delete(key: Uint8Array, fromSeq: number): boolean {
    const found = this.findExact(key, fromSeq);
    if (found === undefined) return false;
    leafRemoveAt(found.leaf, found.slot);
    this.entries--;
    for (let level = 0; level < this.pathNodes.length; level++) this.pathNodes[level]!.sizes[this.pathSlots[level]!]! -= 1;
    if (found.leaf.count === 0 && this.pathNodes.length > 0) this.unlinkEmpty(found.leaf);
    return true;
  }

  /** Takes an empty leaf out of the tree and out of the leaf chain, and any branch left without children. */
  private unlinkEmpty(leaf: LeafNode): void {
    if (leaf.previous !== null) leaf.previous.next = leaf.next;
    if (leaf.next !== null) leaf.next.previous = leaf.previous;
    for (let level = this.pathNodes.length - 1; level >= 0; level--) {
      const parent = this.pathNodes[level]!;
      const slot = this.pathSlots[level]!;
      parent.children.splice(slot, 1);
      parent.sizes.splice(slot, 1);
      // Dropping the separator below the removed child keeps every remaining separator a valid bound.
      const separator = slot === 0 ? 0 : slot - 1;
      parent.separatorKeys.splice(separator, 1);
      parent.separatorSeqs.splice(separator, 1);
      if (parent.children.length > 0) break;
    }
    while (this.root.kind === 'branch' && this.root.children.length === 1) this.root = this.root.children[0]!;
    if (this.root.kind === 'branch' && this.root.children.length === 0) this.root = newLeaf();
  }

  /**
   * History retention's garbage collection: drops every entry with toSeq <= horizonSeq (no read at or above the
   * horizon can see it) and rebuilds the tree compactly. Returns the number of entries dropped.
   */
  removeClosedAtOrBefore(horizonSeq: number): number {
    const builder = new BPlusTreeBuilder();
    for (let leaf: LeafNode | null = firstLeaf(this.root); leaf !== null; leaf = leaf.next)
      for (let slot = 0; slot < leaf.count; slot++)
        if (leaf.toSeqs[slot]! > horizonSeq)
          builder.append(leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot), leaf.fromSeqs[slot]!, leaf.toSeqs[slot]!, leaf.flags[slot]!);
    const rebuilt = builder.finish();
    const dropped = this.entries - rebuilt.entries;
    this.root = rebuilt.root;
    this.entries = rebuilt.entries;
    return dropped;
  }

  /** The first entry in tree order, or undefined when the tree is empty. */
  first(): TreeCursor | undefined {
    const leaf = firstLeaf(this.root);
    return leaf.count === 0 ? undefined : new TreeCursor(leaf, 0);
  }

  /** The last entry in tree order, or undefined when the tree is empty. */
  last(): TreeCursor | undefined {
    const leaf = lastLeaf(this.root);
    return leaf.count === 0 ? undefined : new TreeCursor(leaf, leaf.count - 1);
  }

  /**
   * The position of the first entry whose key passes a prefix bound (comparePrefix > 0 when strict, >= 0 when
   * not), with its rank (entries before it). The slot may equal the leaf's count: the position after it.
   */
  seek(bound: Uint8Array, strict: boolean): { cursor: TreeCursor; rank: number } {
    let rank = 0;
    let node = this.root;
    while (node.kind === 'branch') {
      const child = branchChildForPrefix(node, bound, strict);
      for (let i = 0; i < child; i++) rank += node.sizes[i]!;
      node = node.children[child]!;
    }
    const slot = leafSeekPrefix(node, bound, strict);
    return { cursor: new TreeCursor(node, slot), rank: rank + slot };
  }

  /** Entries (every version range) with keys within the bounds; exact, in O(height). */
  countRange(lower?: KeyBound, upper?: KeyBound): number {
    const start = lower === undefined ? 0 : this.seek(lower.key, !lower.inclusive).rank;
    const end = upper === undefined ? this.entries : this.seek(upper.key, upper.inclusive).rank;
    return Math.max(0, end - start);
  }

  /** Entries within the bounds visible at asOfSeq, in key order or its reverse. Stop early by leaving the loop. */
  *scan(options: TreeScanOptions): Generator<TreeCursor, void, undefined> {
    if (options.direction === 'asc') yield* this.scanAscending(options);
    else yield* this.scanDescending(options);
  }

  private *scanAscending(options: TreeScanOptions): Generator<TreeCursor, void, undefined> {
    const { lower, upper, asOfSeq } = options;
    const cursor = lower === undefined ? new TreeCursor(firstLeaf(this.root), 0) : this.seek(lower.key, !lower.inclusive).cursor;
    if (cursor.slot === cursor.leaf.count && !stepForward(cursor)) return;
    do {
      const leaf = cursor.leaf;
      const slot = cursor.slot;
      if (upper !== undefined) {
        const order = comparePrefix(leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot), upper.key);
        if (order > 0 || (order === 0 && !upper.inclusive)) return;
      }
      if (isVisible(leaf, slot, asOfSeq)) yield cursor;
    } while (stepForward(cursor));
  }

  private *scanDescending(options: TreeScanOptions): Generator<TreeCursor, void, undefined> {
    const { lower, upper, asOfSeq } = options;
    let cursor: TreeCursor;
    if (upper === undefined) {
      const leaf = lastLeaf(this.root);
      cursor = new TreeCursor(leaf, leaf.count);
    } else {
      cursor = this.seek(upper.key, upper.inclusive).cursor;
    }
    while (stepBack(cursor)) {
      const leaf = cursor.leaf;
      const slot = cursor.slot;
      if (lower !== undefined) {
        const order = comparePrefix(leaf.bytes, keyStart(leaf, slot), keyEnd(leaf, slot), lower.key);
        if (order < 0 || (order === 0 && !lower.inclusive)) return;
      }
      if (isVisible(leaf, slot, asOfSeq)) yield cursor;
    }
  }

  /** Every entry in tree order, leaf by leaf (serialization walks this). */
  leaves(): Generator<LeafNode, void, undefined> {
    return walkLeaves(firstLeaf(this.root));
  }

  /** Checks every structural invariant; throws an AssertionError naming the first broken one (tests). */
  verify(): void {
    verifyNode(this.root, undefined, undefined);
    let count = 0;
    let previous: LeafNode | null = null;
    for (let leaf: LeafNode | null = firstLeaf(this.root); leaf !== null; leaf = leaf.next) {
      assert(leaf.previous === previous, 'leaf chain links back');
      assert(leaf.count > 0 || leaf === this.root, 'only an empty root leaf is empty');
      for (let slot = 0; slot < leaf.count; slot++) assert(leaf.fromSeqs[slot]! < leaf.toSeqs[slot]!, 'entries cover a seq');
      count += leaf.count;
      previous = leaf;
    }
    assert(previous === lastLeaf(this.root), 'the leaf chain ends at the last leaf');
    assert(count === this.entries, 'the entry count matches the leaves');
    assert(subtreeSize(this.root) === this.entries, 'the root size matches the entry count');
  }
}

function* walkLeaves(first: LeafNode): Generator<LeafNode, void, undefined> {
  for (let leaf: LeafNode | null = first; leaf !== null; leaf = leaf.next) if (leaf.count > 0) yield leaf;
}

interface Bound {
  key: Uint8Array;
  seq: number;
}

function verifyNode(node: TreeNode, low: Bound | undefined, high: Bound | undefined): void {
  if (node.kind === 'leaf') {
    for (let slot = 0; slot < node.count; slot++) {
      const key = node.bytes.subarray(keyStart(node, slot), keyEnd(node, slot));
      if (slot > 0) {
        let order = compareBytes(node.bytes, keyStart(node, slot - 1), keyEnd(node, slot - 1), key, 0, key.length);
        if (order === 0) order = node.fromSeqs[slot - 1]! - node.fromSeqs[slot]!;
        assert(order < 0, 'leaf entries ascend');
      }
      if (low !== undefined) assert(compareEntry(key, node.fromSeqs[slot]!, low) >= 0, 'an entry is at or above its separator');
      if (high !== undefined) assert(compareEntry(key, node.fromSeqs[slot]!, high) < 0, 'an entry is below the next separator');
    }
    return;
  }
  assert(node.children.length >= 1 && node.children.length <= branchChildrenMax, 'a branch has 1..max children');
  assert(node.separatorKeys.length === node.children.length - 1, 'a branch has one separator fewer than children');
  node.children.forEach((child, i) => {
    assert(node.sizes[i] === subtreeSize(child), 'a branch knows its children sizes');
    const childLow = i === 0 ? low : { key: node.separatorKeys[i - 1]!, seq: node.separatorSeqs[i - 1]! };
    const childHigh = i === node.children.length - 1 ? high : { key: node.separatorKeys[i]!, seq: node.separatorSeqs[i]! };
    verifyNode(child, childLow, childHigh);
  });
}

function compareEntry(key: Uint8Array, seq: number, bound: Bound): number {
  const order = compareBytes(key, 0, key.length, bound.key, 0, bound.key.length);
  return order !== 0 ? order : seq - bound.seq;
}

/** Moves the cursor to the next entry (across empty positions at a leaf's end); false at the end of the tree. */
function stepForward(cursor: TreeCursor): boolean {
  cursor.slot++;
  while (cursor.slot >= cursor.leaf.count) {
    const next = cursor.leaf.next;
    if (next === null) return false;
    cursor.leaf = next;
    cursor.slot = 0;
  }
  return true;
}

/** Moves the cursor to the previous entry; false before the start of the tree. */
function stepBack(cursor: TreeCursor): boolean {
  cursor.slot--;
  while (cursor.slot < 0) {
    const previous = cursor.leaf.previous;
    if (previous === null) return false;
    cursor.leaf = previous;
    cursor.slot = previous.count - 1;
  }
  return true;
}
