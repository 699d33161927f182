// SEARCH without a search index (UPSTREAM.md §4.3): v1 lowercased the text, took its `[a-z0-9]+` runs as
// tokens, and kept a doc when every token is a substring of the lowercased, space-joined Python str() of
// the doc's values (not its keys), so `"true"` matches a boolean and `"1"` matches `_seq: 10`.

import { pyStr } from './python.js';

/** The lowercase `[a-z0-9]+` runs of a search text, in order, duplicates kept (as v1's re.findall). */
export function searchTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** The text v1 searched: ' '.join(str(v) for v in doc.values()).lower(). */
export function searchHaystack(doc: Readonly<Record<string, unknown>>): string {
  return Object.values(doc).map(pyStr).join(' ').toLowerCase();
}

export function matchesSearch(doc: Readonly<Record<string, unknown>>, tokens: readonly string[]): boolean {
  if (tokens.length === 0) return true;
  const haystack = searchHaystack(doc);
  return tokens.every((token) => haystack.includes(token));
}
