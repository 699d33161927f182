// The planner's cost model, in one place (issue 6). Today it chooses between two ways to read the candidates
// of a query with a single-key ORDER BY:
//
//   FullScan + Sort      read every live row in id order, filter, sort what is left:
//                          n·scanRowCost + n·log2(n)·sortRowCostFactor
//   IndexOrderedScan     read rows already in ORDER BY order from a sorted index (QuerySource.orderedScan),
//                          inside the WHERE's bounds on the field, and stop once LIMIT/OFFSET has its rows:
//                          rowsRead·indexRowCost, rowsRead = min(n·boundSelectivity, needed / residualSelectivity)
//
// There are no statistics yet, so n is assumedCollectionRows and the selectivities are constants: the choice
// depends only on the query's shape. The outcome the constants are tuned for (pinned in cost.test.ts): the
// index wins when a LIMIT is present or the bounds are selective; with neither, a full scan and sort is as
// good (an index read costs more per row than a scan in id order) and is chosen. A source that can give
// statistics later replaces the assumptions with its counts; the formulas stay.
//
// Costs are in "scan rows": the work of reading and decoding one document in id order.

/** Documents a collection is assumed to hold when the source gives no count. */
export const assumedCollectionRows = 10_000;
/** Reading one document in id order (a sequential scan): the unit. */
export const scanRowCost = 1;
/** Reading one index entry and fetching its document by key: more than a sequential read. */
export const indexRowCost = 3;
/** Per row and per log2(rows) comparison of the sort that a full scan needs. */
export const sortRowCostFactor = 0.1;
/** Fraction of rows in range kept by WHERE conditions the index does not answer (applied once if any). */
export const residualSelectivity = 0.25;
/** Fraction of rows one range bound (`f > x`, `f <= x`) keeps. */
export const rangeBoundSelectivity = 0.3;
/** Fraction of rows an equality (`f = x`, lower and upper bound on one value) keeps. */
export const equalitySelectivity = 0.01;

/** What the planner knows of a query when it picks an access path. */
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
  return rows * scanRowCost + rows * Math.log2(Math.max(rows, 2)) * sortRowCostFactor;
}

/** Rows an index-ordered scan is expected to read before the query has what it needs. */
export function indexOrderedRows(shape: AccessShape, rows: number = assumedCollectionRows): number {
  const inBounds = rows * boundSelectivity(shape.bounds);
  if (shape.rowsNeeded === undefined) return inBounds;
  const perRowKept = shape.residualFilter ? residualSelectivity : 1;
  return Math.min(inBounds, Math.ceil(shape.rowsNeeded / perRowKept));
}

export function indexOrderedCost(shape: AccessShape, rows: number = assumedCollectionRows): number {
  return indexOrderedRows(shape, rows) * indexRowCost;
}

/** The cheaper access path; a tie keeps the full scan (it needs no index). */
export function chooseAccess(shape: AccessShape, rows: number = assumedCollectionRows): AccessChoice {
  return indexOrderedCost(shape, rows) < fullScanSortCost(rows) ? 'IndexOrderedScan' : 'FullScan';
}
