// SEARCH (docs/NQL.md). A doc matches when every token of the search text is one of the doc's tokens.
// Tokens are the lowercase `[a-z0-9]+` runs of a text (the text lowercased first), as v1 tokenized both
// the search text and its `search` index. A doc's tokens are those of every string value in it, at any
// depth (inside lists and objects too), never of keys, numbers, booleans or null.
//
// v1 had two rules: without a `search` index, every token had to be a *substring* of the lowercased Python
// str() of all the doc's values (so `wood` matched `Redwood`, and `1` matched `_seq: 10`); with one, the
// HEAD index's indexed fields answered, unrechecked (so AS OF saw HEAD's matches, and other fields were
// not searched). Those two answers differ, so neither can be kept for both: token equality over every
// string is the rule that an inverted index over a whole document can answer exactly. A per-field v1 index
// cannot (a doc may match on another field), so the executor reads every candidate and applies this rule
// whether or not the collection has a search index: one answer, both ways (docs/COMPAT.md). The search index
// (one per collection, over every string in the document) gives the candidates; this rule still checks each.

// The tokenizer is the engine's (core/index/search-index.ts), so the search index and this rule cannot drift.
export { documentTokens, searchTokens } from '../core/index.js';
import { documentTokens } from '../core/index.js';

export function matchesSearch(doc: Readonly<Record<string, unknown>>, tokens: readonly string[]): boolean {
  if (tokens.length === 0) return true;
  const held = documentTokens(doc);
  return tokens.every((token) => held.has(token));
}
