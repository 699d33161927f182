// An inverted index over one collection for NQL SEARCH (docs/NQL.md), MVCC-aware like SortedIndex.
//
// SEARCH matches a document when every token of the search text is one of the document's tokens: the
// lowercase `[a-z0-9]+` runs of every string value in it, at any depth, never of keys, numbers, booleans or
// null (nql/search.ts states the rule and why). The tokenizer lives here because core/ may not import nql/;
// nql/search.ts is meant to re-use these two functions, so there is one definition of a token.
//
// Every document version feeds applyVersion, as for a sorted index. Keys are (term, id), encoded by
// index-key.ts as a one-field key (a string component, then the id's UTF-8), so the key prefix of one term
// selects exactly its postings, sorted by id in code point order (UTF-8 byte order: the collection scan's
// order). The B+tree maps each key to the seq range in which the document held the term, so a lookup AS OF
// s sees the postings of the versions visible at s. A version that keeps a token keeps its entry: only the
// tokens a write adds or removes cost a tree operation.
//
// A term is a token cut to indexValueBytesMax characters (tokens are ASCII, one byte a character), the
// length the key encoding would cut it to anyway. Cutting before encoding makes two long tokens that share
// their first indexValueBytesMax characters one term, with one key per document, instead of two equal keys
// the tree would refuse. A lookup cuts its tokens the same way, so its answer for a long token is a superset
// of the exact matches (every document holding a token with the same first indexValueBytesMax characters),
// never missing one. That is correct only because the executor rechecks every candidate document against
// the search rule (nql/search.ts matchesSearch); a caller that does not recheck must not use this index.
//
// Persistence: serialize() writes a sorted-index section (docs/FORMAT.md §11, magic NEDBSIDX, format
// version sortedIndexFormatVersion, CRC-32C over bytes 12..end) whose collection is this index's and whose
// one field is searchIndexField (''), by handing the tree to a SortedIndex: the key layout is exactly a
// one-field sorted index's, so its columnar writer and bulk loader apply unchanged. The section's per-class
// counts and HyperLogLog are a sorted index's statistics and mean nothing here (the counts say every live
// entry is a string; the sketch is all zeros). The empty field name marks the section as a search index's:
// no v1 index definition can name an empty field (INDEX_FIELDS_REQUIRED), so the two are told apart.
import { assert } from '../assert.js';
import { NedbError } from '../errors.js';
import { BPlusTree } from './b-plus-tree.js';
import { IndexKeyWriter, decodeId, encodeIndexValues, indexValueBytesMax } from './index-key.js';
import { SortedIndex } from './sorted-index.js';

/** The field name of a search index's persisted section: empty, which no sorted index's field can be. */
export const searchIndexField = '';

/** HEAD as an AS OF seq: every current entry (toSeq Infinity) and no closed one. */
const headSeq = Number.MAX_SAFE_INTEGER;

/** What one point probe (a descent to (term, id)) costs, in entries a posting-list scan would step over. A
 * descent is a few binary searches (height ~3-4) plus the generator's setup; a scan step is a visibility
 * check and an id decode. Rough on purpose: it only picks between two correct strategies. */
const probeCostInScanSteps = 16;

const tokenPattern = /[a-z0-9]+/g;
const termPattern = /^[a-z0-9]+$/;

/** The lowercase `[a-z0-9]+` runs of a text, in order, duplicates kept (as v1's re.findall). Lowercasing
 * comes first: some non-ASCII letters lowercase to ASCII ones (U+212A KELVIN SIGN to `k`). */
export function searchTokens(text: string): string[] {
  return text.toLowerCase().match(tokenPattern) ?? [];
}

/** Every token of every string value in the doc, at any depth; iterative, so deep docs cannot overflow. */
export function documentTokens(doc: unknown): Set<string> {
  const tokens = new Set<string>();
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      for (const token of searchTokens(value)) tokens.add(token);
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) stack.push(item);
    }
  }
  return tokens;
}

/** The term a token is indexed under: the token cut to what one key component holds (see the top). */
function termOf(token: string): string {
  return token.length > indexValueBytesMax ? token.slice(0, indexValueBytesMax) : token;
}

function documentTerms(doc: unknown): Set<string> {
  const terms = new Set<string>();
  if (doc === undefined) return terms;
  for (const token of documentTokens(doc)) terms.add(termOf(token));
  return terms;
}

export class SearchIndex {
  readonly collection: string;
  private tree: BPlusTree;
  private readonly writer = new IndexKeyWriter();

  constructor(collection: string, tree = new BPlusTree()) {
    this.collection = collection;
    this.tree = tree;
  }

  /**
   * Feeds one document version: `oldDoc` is the document's previous version (undefined when it did not exist
   * or was deleted), `newDoc` the version written at `seq` (undefined for a delete). Versions come in seq order.
   */
  applyVersion(id: string, seq: number, oldDoc: unknown, newDoc: unknown): void {
    const oldTerms = documentTerms(oldDoc);
    const newTerms = documentTerms(newDoc);
    for (const term of oldTerms) {
      if (newTerms.has(term)) continue;
      const closed = this.tree.closeEntry(this.key(term, id), seq);
      assert(closed, 'a term of the previous version of a document has a current entry');
    }
    for (const term of newTerms) {
      if (oldTerms.has(term)) continue;
      this.tree.insert(this.key(term, id), seq, Infinity, this.writer.kinds);
    }
  }

  /** The key (term, id) in the reused writer: valid until the next call. */
  private key(term: string, id: string): Uint8Array {
    const writer = this.writer;
    writer.reset();
    writer.value(term);
    assert(writer.kinds === 0, 'a term fits a key component uncut');
    writer.id(id);
    return writer.bytes.subarray(0, writer.length);
  }

  /**
   * Ids, ascending in code point order, of the documents whose version visible at `asOfSeq` holds every token
   * (HEAD: Number.MAX_SAFE_INTEGER or Infinity). A token longer than indexValueBytesMax matches every document
   * holding a token with the same first indexValueBytesMax characters: the caller rechecks (see the top).
   * `tokens` must not be empty: no tokens match every live document, which a collection scan answers, not
   * this index, so an empty list is a caller's bug.
   */
  lookup(tokens: readonly string[], asOfSeq: number): string[] {
    assert(tokens.length > 0, 'a search index lookup has at least one token');
    const seq = asOfSeq === Infinity ? headSeq : asOfSeq;
    // A string that is not a lowercase [a-z0-9] run is no document's token: nothing holds it.
    if (!tokens.every((token) => termPattern.test(token))) return [];
    const terms = [...new Set(tokens.map(termOf))].map((term) => ({ term, count: this.countTerm(term) }));
    // The rarest first: the candidates never outnumber its postings, so the work follows the shortest list.
    terms.sort((a, b) => a.count - b.count);
    let ids = this.postings(terms[0]!.term, seq);
    for (let i = 1; i < terms.length && ids.length > 0; i++) {
      const { term, count } = terms[i]!;
      if (ids.length * probeCostInScanSteps < count) {
        ids = ids.filter((id) => this.holds(term, id, seq));
      } else {
        const held = new Set(this.postings(term, seq));
        ids = ids.filter((id) => held.has(id));
      }
    }
    return ids;
  }

  /** The ids holding a term at `seq`, in key order (by id bytes = code point order), each once: the ranges of
   * one (term, id) never overlap, since a term's entry opens only while the document lacks it. */
  private postings(term: string, seq: number): string[] {
    const bound = { key: encodeIndexValues([term]), inclusive: true };
    const ids: string[] = [];
    for (const cursor of this.tree.scan({ lower: bound, upper: bound, direction: 'asc', asOfSeq: seq })) ids.push(decodeId(cursor.key(), 1));
    return ids;
  }

  /** Whether the document's version at `seq` holds the term: one descent to the key (term, id). */
  private holds(term: string, id: string, seq: number): boolean {
    const key = this.key(term, id);
    const bound = { key, inclusive: true };
    // The exact key's entries come first (a prefix sorts first), then keys of longer ids that start with
    // this one: stop at the first of those.
    for (const cursor of this.tree.scan({ lower: bound, upper: bound, direction: 'asc' })) {
      if (cursor.key().length !== key.length) return false;
      if (cursor.fromSeq <= seq && seq < cursor.toSeq) return true;
    }
    return false;
  }

  private countTerm(term: string): number {
    const bound = { key: encodeIndexValues([term]), inclusive: true };
    return this.tree.countRange(bound, bound);
  }

  /** Entries of the token's term, every retained version counted: the planner's cost of reading its postings
   * (an upper bound on the documents holding it at any one seq). 0 for a string that is no token. */
  countToken(token: string): number {
    return termPattern.test(token) ? this.countTerm(termOf(token)) : 0;
  }

  /** Entries in the tree, every retained version range counted. */
  get entries(): number {
    return this.tree.size;
  }

  /** Bytes held by the tree's arrays (an estimate). */
  bytesEstimate(): number {
    return this.tree.bytesEstimate();
  }

  /** The tree (tests check its invariants through it). */
  get btree(): BPlusTree {
    return this.tree;
  }

  /** History retention: drops entries no read at or above `horizonSeq` can see; returns how many. */
  collectGarbage(horizonSeq: number): number {
    return this.tree.removeClosedAtOrBefore(horizonSeq);
  }

  /**
   * The index as of `asOfSeq` (a checkpoint's seq; HEAD when absent) as a sorted-index section (see the top):
   * entries opened later are left out, entries closed later are written as current.
   */
  serialize(asOfSeq = headSeq): Uint8Array {
    return new SortedIndex({ collection: this.collection, fields: [searchIndexField] }, this.tree).serialize(asOfSeq);
  }

  /** Reads a section written by serialize(); damage throws SNAPSHOT_CORRUPT (FORMAT_UNSUPPORTED for another
   * format version). `source` names it in errors (a snapshot file and section). */
  static deserialize(bytes: Uint8Array, source = 'search index section'): SearchIndex {
    const loaded = SortedIndex.deserialize(bytes, source);
    const { collection, fields } = loaded.definition;
    if (fields.length !== 1 || fields[0] !== searchIndexField)
      throw new NedbError('SNAPSHOT_CORRUPT', { file: source, offset: 14, reason: 'section is a sorted index, not a search index (its field is not empty)' });
    return new SearchIndex(collection, loaded.btree);
  }
}
