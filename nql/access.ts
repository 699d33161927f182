// Access paths: how the executor reads a query's candidates, chosen per run from the source's indexes and
// statistics (the plan itself, plan.ts, is a pure function of the text and is cached). Candidates are:
//
//   FullScan         every live row in id order
//   IndexOrdered     rows in ORDER BY order from a sorted index on [equality fields..., ORDER BY fields...],
//                    inside the WHERE's range on the first ORDER BY field, stopping once LIMIT has its rows
//   IndexLookup      ids from one or more index reads (equality, IN, ranges on an index's leading fields,
//                    SEARCH tokens), intersected, sorted into id order, then fetched: the rows come in the
//                    order a full scan gives, so the answer is the same row for row
//
// Every path still runs the whole WHERE and SEARCH on every row: indexes only save reads. cost.ts prices
// them with the source's statistics (document counts, exact entry counts of index ranges from the B+tree's
// subtree sizes); a source without statistics (indexCatalog absent) gets the shape-only rule of plan.ts.

import {
  type LookupEstimate, fullScanCost, indexOrderedCost, lookupCost, lookupIdsMax, residualSelectivity, worthIntersecting,
} from './cost.js';
import type { AccessInput, CandidatesPlan, FieldConstraint, ScanBound } from './plan.js';
import type { IndexCatalogEntry, IndexRangeRequest, QuerySource } from './source.js';

/** One index read of an IndexLookup. */
export type IndexRead =
  | Readonly<{ kind: 'Range'; fields: readonly string[]; prefix: readonly (number | string)[]; lower: ScanBound | undefined; upper: ScanBound | undefined; estimate: number }>
  | Readonly<{ kind: 'In'; fields: readonly string[]; prefix: readonly (number | string)[]; values: readonly (number | string)[]; estimate: number }>
  | Readonly<{ kind: 'Search'; tokens: readonly string[]; estimate: number }>;

export type AccessPath =
  | Readonly<{ kind: 'FullScan'; rows: number | undefined; cost: number | undefined; wanted: readonly string[] | undefined }>
  | Readonly<{
    kind: 'IndexOrdered'; fields: readonly string[]; prefix: readonly (number | string)[]; lower: ScanBound | undefined;
    upper: ScanBound | undefined; descending: boolean; estimate: number | undefined; cost: number | undefined;
  }>
  | Readonly<{ kind: 'IndexLookup'; reads: readonly IndexRead[]; estimate: number; cost: number }>;

/** The access path for a run at `readSeq`. Asks the source for missing indexes a cheaper plan would use. */
export function chooseAccessPath(candidates: CandidatesPlan, source: QuerySource, readSeq: number): AccessPath {
  const access = candidates.access;
  const catalog = source.indexCatalog?.(candidates.collection);
  if (catalog === undefined || source.collectionRows === undefined) return shapeOnlyPath(candidates);
  const trees = catalog.filter((entry) => entry.structure === 'tree');
  const ready = trees.filter((entry) => entry.ready);
  // A ready tree holds every live document (those lacking its fields too): its count is the collection's.
  const rows = ready[0]?.liveEntries ?? source.collectionRows(candidates.collection);
  const scan: AccessPath = { kind: 'FullScan', rows, cost: fullScanCost(rows, access.order !== undefined), wanted: undefined };
  let best: AccessPath = scan;
  const consider = (path: AccessPath): void => {
    if (path.cost !== undefined && best.cost !== undefined && path.cost < best.cost) best = path;
  };
  const counter: Counter = (request) => source.indexCount?.({ ...request, coll: candidates.collection });
  for (const entry of ready) {
    const ordered = orderedPath(entry, access, rows, counter);
    if (ordered !== undefined) consider(ordered);
  }
  const reads = lookupReads(ready, access, counter);
  const search = searchRead(catalog, candidates, source);
  if (search !== undefined) reads.push(search);
  const lookup = lookupPath(reads, rows, access.order !== undefined);
  if (lookup !== undefined) consider(lookup);
  const wanted = wantedIndex(access, trees);
  if (wanted !== undefined && readSeq >= 0) {
    source.requestIndex?.(candidates.collection, wanted);
    if (best.kind === 'FullScan') best = { ...scan, wanted };
  }
  return best;
}

/** Without statistics: plan.ts's shape rule on one ORDER BY key, as before the source knew its indexes. */
function shapeOnlyPath(candidates: CandidatesPlan): AccessPath {
  const ordered = candidates.ordered;
  if (ordered === undefined) return { kind: 'FullScan', rows: undefined, cost: undefined, wanted: undefined };
  return {
    kind: 'IndexOrdered', fields: [ordered.field.name], prefix: [], lower: ordered.lower, upper: ordered.upper,
    descending: ordered.descending, estimate: undefined, cost: undefined,
  };
}

function constraintOf(access: AccessInput, field: string): FieldConstraint | undefined {
  return access.constraints.find((constraint) => constraint.field.name === field);
}

/** The leading fields of `fields` that WHERE pins to one value, and those values. */
function equalityPrefix(fields: readonly string[], access: AccessInput): (number | string)[] {
  const prefix: (number | string)[] = [];
  for (const field of fields) {
    const equal = constraintOf(access, field)?.equal;
    if (equal === undefined) break;
    prefix.push(equal);
  }
  return prefix;
}

/** Fraction of rows the conditions an index read does not answer keep, from the statistics where they exist. */
function residualKept(access: AccessInput, answered: ReadonlySet<string>, rows: number, counter: Counter): number {
  let kept = access.residual ? residualSelectivity : 1;
  for (const constraint of access.constraints) {
    if (answered.has(constraint.field.name)) continue;
    const count = rangeCount([constraint.field.name], [], constraint, counter);
    kept *= count === undefined || rows === 0 ? residualSelectivity : Math.min(1, count / rows);
  }
  return kept;
}

/** Index entries in a range of the tree on `fields` (source.indexCount with the collection filled in). */
type Counter = (request: Omit<IndexRangeRequest, 'asOf' | 'coll'>) => number | undefined;

function rangeCount(fields: readonly string[], prefix: readonly (number | string)[], constraint: FieldConstraint | undefined, counter: Counter): number | undefined {
  if (constraint?.equal !== undefined) return counter({ fields, prefix: [...prefix, constraint.equal] });
  if (constraint?.values !== undefined) {
    let total = 0;
    for (const value of constraint.values) {
      const count = counter({ fields, prefix: [...prefix, value] });
      if (count === undefined) return undefined;
      total += count;
    }
    return total;
  }
  return counter({ fields, prefix, lower: constraint?.lower, upper: constraint?.upper });
}

/** An index-ordered read on `entry` when its fields are [equality fields..., ORDER BY fields...]. */
function orderedPath(entry: IndexCatalogEntry, access: AccessInput, rows: number, counter: Counter): AccessPath | undefined {
  const order = access.order;
  if (order === undefined) return undefined;
  const prefix = equalityPrefix(entry.fields, access);
  const rest = entry.fields.slice(prefix.length);
  if (rest.length !== order.keys.length || !rest.every((field, i) => field === order.keys[i]!.name)) return undefined;
  const range = constraintOf(access, rest[0]!);
  const lower = range?.equal === undefined ? range?.lower : undefined;
  const upper = range?.equal === undefined ? range?.upper : undefined;
  // The whole index needs no count (a top-k's common case): its live entries are the collection's documents.
  const whole = prefix.length === 0 && lower === undefined && upper === undefined;
  const inBounds = whole ? entry.liveEntries : counter({ fields: entry.fields, prefix, lower, upper });
  if (inBounds === undefined) return undefined;
  const answered = new Set(entry.fields.slice(0, prefix.length));
  if (lower !== undefined || upper !== undefined) answered.add(rest[0]!);
  const kept = residualKept(access, answered, rows, counter);
  const cost = indexOrderedCost(inBounds, access.rowsNeeded, kept);
  return { kind: 'IndexOrdered', fields: entry.fields, prefix, lower, upper, descending: order.descending, estimate: Math.round(inBounds * kept), cost };
}

/** Every index read WHERE allows: per ready tree, its equality prefix then IN or a range on the next field. */
function lookupReads(ready: readonly IndexCatalogEntry[], access: AccessInput, counter: Counter): IndexRead[] {
  const reads: IndexRead[] = [];
  for (const entry of ready) {
    const prefix = equalityPrefix(entry.fields, access);
    const next = entry.fields[prefix.length];
    const constraint = next === undefined ? undefined : constraintOf(access, next);
    if (constraint?.values !== undefined) {
      const estimate = rangeCount(entry.fields, prefix, constraint, counter);
      if (estimate !== undefined) reads.push({ kind: 'In', fields: entry.fields, prefix, values: constraint.values, estimate });
    } else if (constraint !== undefined && (constraint.lower !== undefined || constraint.upper !== undefined) && constraint.equal === undefined) {
      const estimate = counter({ fields: entry.fields, prefix, lower: constraint.lower, upper: constraint.upper });
      if (estimate !== undefined) reads.push({ kind: 'Range', fields: entry.fields, prefix, lower: constraint.lower, upper: constraint.upper, estimate });
    } else if (prefix.length > 0) {
      const estimate = counter({ fields: entry.fields, prefix });
      if (estimate !== undefined) reads.push({ kind: 'Range', fields: entry.fields, prefix, lower: undefined, upper: undefined, estimate });
    }
  }
  return reads;
}

function searchRead(catalog: readonly IndexCatalogEntry[], candidates: CandidatesPlan, source: QuerySource): IndexRead | undefined {
  const tokens = candidates.searchTokens;
  if (tokens === undefined || tokens.length === 0) return undefined;
  if (!catalog.some((entry) => entry.structure === 'search' && entry.ready)) return undefined;
  const estimate = source.searchCount?.(candidates.collection, tokens);
  return estimate === undefined ? undefined : { kind: 'Search', tokens, estimate };
}

/** The fields an index read answers (so two reads over one field are not intersected as if independent). */
function readFields(read: IndexRead): string[] {
  if (read.kind === 'Search') return ['\u0000search'];
  return read.fields.slice(0, read.prefix.length + (read.kind === 'In' || read.lower !== undefined || read.upper !== undefined ? 1 : 0));
}

/** The cheapest single read, then more reads while each saves more fetches than reading its ids costs. */
function lookupPath(reads: IndexRead[], rows: number, sorted: boolean): AccessPath | undefined {
  const usable = reads.filter((read) => read.estimate <= lookupIdsMax).sort((a, b) => a.estimate - b.estimate);
  const first = usable[0];
  if (first === undefined) return undefined;
  const chosen: IndexRead[] = [first];
  const covered = new Set(readFields(first));
  let estimate: LookupEstimate = { idsRead: first.estimate, rows: first.estimate };
  for (const read of usable.slice(1)) {
    const fields = readFields(read);
    if (fields.some((field) => covered.has(field))) continue;
    const next = worthIntersecting(estimate, read.estimate, rows);
    if (next === undefined) continue;
    estimate = next;
    chosen.push(read);
    for (const field of fields) covered.add(field);
  }
  return { kind: 'IndexLookup', reads: chosen, estimate: Math.round(estimate.rows), cost: lookupCost(estimate, sorted) };
}

/**
 * The sorted index this query would want when no tree on those fields exists yet (ready or building): for an
 * ORDER BY, [equality fields..., ORDER BY fields...]; else the first equality field, else a field with a
 * two-sided range. Undefined when the query is not worth one at the shape rule's selectivities.
 */
function wantedIndex(access: AccessInput, trees: readonly IndexCatalogEntry[]): string[] | undefined {
  const exists = (fields: readonly string[]): boolean => trees.some((entry) => entry.fields.length === fields.length && entry.fields.every((field, i) => field === fields[i]));
  const equalities = access.constraints.filter((constraint) => constraint.equal !== undefined).map((constraint) => constraint.field.name);
  if (access.order !== undefined) {
    const orderNames = access.order.keys.map((key) => key.name);
    const fields = [...equalities.filter((field) => !orderNames.includes(field)), ...orderNames];
    if (fields.length > 8 || exists(fields)) return undefined;
    return access.rowsNeeded !== undefined || access.constraints.length > 0 ? fields : undefined;
  }
  const first = equalities[0] ?? access.constraints.find((constraint) => constraint.lower !== undefined && constraint.upper !== undefined)?.field.name;
  if (first === undefined || exists([first]) || trees.some((entry) => entry.fields[0] === first)) return undefined;
  return [first];
}
