// Index definitions as the MANIFEST keeps them (docs/FORMAT.md §3, `indexes`), parsed into one shape.
//
// The MANIFEST keeps v1's `[coll, field, kind]` triples as v1 wrote them (v1's database view lists them), and
// nedb's own additions in longer items v1 never wrote, so they stay out of that view unless meant for it:
//
//   [coll, field, kind]                          v1: one field; kind eq | ordered | sorted | search
//   [coll, name, kind, [field, ...]]             compound (name = the fields joined by ","), explicit
//   [coll, field, 'sorted', 'lazy']              created by the planner for a query (one field)
//   [coll, name, 'sorted', 'lazy', [field, ...]] created by the planner (compound)
//
// A field named "a,b" stays one field: only a list of fields makes a compound index, so every v1 definition
// keeps its meaning.
//
// What each kind is in memory (index-manager.ts): `sorted` (and v1's alias `ordered`) and `eq` are one MVCC
// B+tree over the fields' values (sorted-index.ts): `eq` answers equality and IN lookups and `sorted` also
// ranges and ORDER BY; both on the same fields share one tree. A hash table could answer `eq` in O(1), but
// not AS OF: the B+tree's [fromSeq, toSeq) entries give every kind history for free, at O(log n) per lookup
// (about 1 µs at 1M entries, docs/BENCHMARKS.md). `search` is one inverted index per collection over the
// tokens of every string in the document (search-index.ts), whichever field the definition names, because
// nedb's SEARCH matches tokens anywhere in the document (docs/COMPAT.md).

/** What the engine builds for a definition. */
export type IndexKind = 'sorted' | 'eq' | 'search';

export interface IndexSpec {
  readonly coll: string;
  readonly fields: readonly string[];
  /** The kind as written (`ordered` stays `ordered`), for listings. */
  readonly writtenKind: string;
  readonly kind: IndexKind;
  readonly lazy: boolean;
}

/** An index's name in routes and listings: its fields joined by "," (v1's database view of a compound index). */
export function indexName(fields: readonly string[]): string {
  return fields.join(',');
}

function kindOf(written: unknown): IndexKind | undefined {
  switch (written) {
    case 'ordered':
    case 'sorted':
      return 'sorted';
    case 'eq':
      return 'eq';
    case 'search':
      return 'search';
    default:
      return undefined;
  }
}

function fieldList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((field) => typeof field === 'string')) return undefined;
  return value as string[];
}

/** One MANIFEST item as a spec, or undefined for an item this version does not know (it is kept, unused). */
export function parseIndexDefinition(item: unknown): IndexSpec | undefined {
  if (!Array.isArray(item) || item.length < 3 || item.length > 5) return undefined;
  const [coll, name, written, fourth, fifth] = item as unknown[];
  const kind = kindOf(written);
  if (typeof coll !== 'string' || typeof name !== 'string' || typeof written !== 'string' || kind === undefined) return undefined;
  if (item.length === 3) return { coll, fields: [name], writtenKind: written, kind, lazy: false };
  if (fourth === 'lazy') {
    if (kind !== 'sorted') return undefined;
    const fields = item.length === 5 ? fieldList(fifth) : [name];
    return fields === undefined ? undefined : { coll, fields, writtenKind: written, kind, lazy: true };
  }
  if (item.length !== 4) return undefined;
  const fields = fieldList(fourth);
  return fields === undefined ? undefined : { coll, fields, writtenKind: written, kind, lazy: false };
}

export function parseIndexDefinitions(items: readonly unknown[]): IndexSpec[] {
  const specs: IndexSpec[] = [];
  for (const item of items) {
    const spec = parseIndexDefinition(item);
    if (spec !== undefined) specs.push(spec);
  }
  return specs;
}

/** The MANIFEST item of an explicit definition: v1's triple for one field, the compound form for several. */
export function definitionItem(coll: string, fields: readonly string[], writtenKind: string): unknown[] {
  return fields.length === 1 ? [coll, fields[0], writtenKind] : [coll, indexName(fields), writtenKind, [...fields]];
}

/** The MANIFEST item of a lazily created sorted index. */
export function lazyDefinitionItem(coll: string, fields: readonly string[]): unknown[] {
  return fields.length === 1 ? [coll, fields[0], 'sorted', 'lazy'] : [coll, indexName(fields), 'sorted', 'lazy', [...fields]];
}

export function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i]);
}

/**
 * The in-memory structure a spec needs, as a key: one B+tree per (coll, fields) for `sorted` and `eq`, one
 * inverted index per collection for `search`.
 */
export function structureKey(spec: Pick<IndexSpec, 'fields' | 'kind'>): string {
  return spec.kind === 'search' ? 'search' : JSON.stringify(spec.fields);
}
