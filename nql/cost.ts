// The planner's cost model, in one place (issue 6). access.ts enumerates the ways to read a query's
// candidates and asks this file what each costs; the cheapest wins, a tie keeps the full scan (it needs no
// index). Costs are in "scan rows": the work of reading and decoding one document in id order.
//
//   FullScan            n·scanRowCost, plus n·log2(n)·sortRowCostFactor when ORDER BY must sort
//   IndexOrdered        rowsRead·indexRowCost, rowsRead = min(inBounds, needed / kept): the rows of the
//                         index range read in order until LIMIT/OFFSET has its rows, each fetched by key
//   IndexLookup         idsRead·idRowCost + rows·indexRowCost + rows·log2(rows)·sortRowCostFactor: ids read
//                         from each index (intersected), sorted into id order, and the survivors fetched;
//                         ORDER BY then sorts the rows fetched (the same term again)
//
// The statistics come from the source: n is the collection's live documents; inBounds, idsRead and a
// lookup's rows are exact entry counts of B+tree ranges (subtree sizes: O(log n), every retained version
// counted, so an upper bound for one seq). That is the "histogram": exact for any range on an indexed field,
// where a sampled histogram would only estimate. Conditions no index answers keep residualSelectivity of
// the rows each; two index reads are intersected as if independent (rows·k/n).
//
// Sources without statistics (no indexCatalog) get the shape-only rule at the bottom of this file, which
// plan.ts applies to one ORDER BY key with the constants below in place of counts.

/** Reading one document in id order (a sequential scan): the unit. */
export const scanRowCost = 1;
/** Reading one index entry and fetching its document by key: more than a sequential read. */
export const indexRowCost = 3;
/** Reading one id from an index range without its document (a lookup's or an intersection's input). */
export const idRowCost = 0.1;
/** Per row and per log2(rows) comparison of a sort (ORDER BY's, or a lookup's ids into id order). */
export const sortRowCostFactor = 0.1;
/** Fraction of rows kept by each WHERE condition no index counts (and once for OR/NOT/SEARCH parts). */
export const residualSelectivity = 0.25;
/** A lookup never holds more ids than this (memory): a larger range is read by scan or in index order. */
export const lookupIdsMax = 500_000;

function sortCost(rows: number): number {
  return rows * Math.log2(Math.max(rows, 2)) * sortRowCostFactor;
}

export function fullScanCost(rows: number, sorted: boolean): number {
  return rows * scanRowCost + (sorted ? sortCost(rows) : 0);
}

/** Rows an index-ordered read fetches: the range, or fewer when a LIMIT stops it (`kept`: residual filter). */
export function indexOrderedRowsRead(inBounds: number, rowsNeeded: number | undefined, kept: number): number {
  if (rowsNeeded === undefined) return inBounds;
  return Math.min(inBounds, Math.ceil(rowsNeeded / Math.max(kept, 1e-9)));
}

export function indexOrderedCost(inBounds: number, rowsNeeded: number | undefined, kept: number): number {
  return indexOrderedRowsRead(inBounds, rowsNeeded, kept) * indexRowCost;
}

/** A lookup so far: ids read from its indexes, and the rows expected to survive the intersection. */
export type LookupEstimate = Readonly<{ idsRead: number; rows: number }>;

export function lookupCost(estimate: LookupEstimate, sorted: boolean): number {
  return estimate.idsRead * idRowCost + estimate.rows * indexRowCost + sortCost(estimate.rows) * (sorted ? 2 : 1);
}

/**
 * Intersecting one more index read of `count` ids: worth it when the fetches it saves cost more than reading
 * its ids. Returns the new estimate, or undefined when not worth it.
 */
export function worthIntersecting(estimate: LookupEstimate, count: number, rows: number): LookupEstimate | undefined {
  const kept = rows <= 0 ? 0 : Math.min(1, count / rows);
  const next = estimate.rows * kept;
  if ((estimate.rows - next) * indexRowCost <= count * idRowCost) return undefined;
  return { idsRead: estimate.idsRead + count, rows: next };
}

// --- The shape-only rule (no statistics) ---

/** Documents a collection is assumed to hold when the source gives no count. */
export const assumedCollectionRows = 10_000;
/** Fraction of rows one range bound (`f > x`, `f <= x`) keeps. */
export const rangeBoundSelectivity = 0.3;
/** Fraction of rows an equality (`f = x`, lower and upper bound on one value) keeps. */
export const equalitySelectivity = 0.01;

/** What the planner knows of a query when it picks an access path without statistics. */
export type AccessShape = Readonly<{
  /** Rows the query needs from the ordered stream (OFFSET + LIMIT), or undefined when it needs all of them. */
  rowsNeeded: number | undefined;
  /** Bounds the index can apply on the ORDER BY field. */
  bounds: 'none' | 'lower' | 'upper' | 'range' | 'equality';
  /** WHERE has conditions the bounds do not express (they still run on every row). */
  residualFilter: boolean;
}>;

export type AccessChoice = 'IndexOrderedScan' | 'FullScan';

export function boundSelectivity(bounds: AccessShape['bounds']): number {
  switch (bounds) {
    case 'none':
      return 1;
    case 'lower':
    case 'upper':
      return rangeBoundSelectivity;
    case 'range':
      return rangeBoundSelectivity * rangeBoundSelectivity;
    case 'equality':
      return equalitySelectivity;
  }
}

/** Full scan in id order, then sort (the sort sees every row: the filter's selectivity is unknown). */
export function fullScanSortCost(rows: number = assumedCollectionRows): number {
  return fullScanCost(rows, true);
}

/** Rows an index-ordered scan is expected to read before the query has what it needs. */
export function indexOrderedRows(shape: AccessShape, rows: number = assumedCollectionRows): number {
  return indexOrderedRowsRead(rows * boundSelectivity(shape.bounds), shape.rowsNeeded, shape.residualFilter ? residualSelectivity : 1);
}

export function indexOrderedShapeCost(shape: AccessShape, rows: number = assumedCollectionRows): number {
  return indexOrderedRows(shape, rows) * indexRowCost;
}

/** The cheaper access path by shape alone; a tie keeps the full scan (it needs no index). */
export function chooseAccess(shape: AccessShape, rows: number = assumedCollectionRows): AccessChoice {
  return indexOrderedShapeCost(shape, rows) < fullScanSortCost(rows) ? 'IndexOrderedScan' : 'FullScan';
}
