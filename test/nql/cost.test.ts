// The cost rule's choices, pinned: index-ordered top-k beats scan and sort with a LIMIT or selective bounds;
// with neither the full scan and sort is kept. With statistics: the formulas access.ts prices paths with.
import { describe, expect, it } from 'vitest';
import {
  type AccessShape, type LookupEstimate, assumedCollectionRows, chooseAccess, fullScanCost, fullScanSortCost, idRowCost,
  indexOrderedCost as indexOrderedCostOf, indexOrderedRows, indexOrderedRowsRead, indexOrderedShapeCost as indexOrderedCost,
  indexRowCost, lookupCost, lookupIdsMax, scanRowCost, sortRowCostFactor, worthIntersecting,
} from '../../nql/cost.js';

const shape = (rowsNeeded: number | undefined, bounds: AccessShape['bounds'] = 'none', residualFilter = false): AccessShape =>
  ({ rowsNeeded, bounds, residualFilter });

describe('nql cost model', () => {
  it('keeps the constants in the order the model needs', () => {
    expect(indexRowCost).toBeGreaterThan(scanRowCost);
    // A full ordered index read costs more than a scan and sort of the assumed collection.
    expect(assumedCollectionRows * indexRowCost).toBeGreaterThan(fullScanSortCost());
    expect(fullScanSortCost(1024)).toBeCloseTo(1024 * scanRowCost + 1024 * 10 * sortRowCostFactor);
  });

  it('uses the index for ORDER BY … LIMIT (top-k), with or without other WHERE conditions', () => {
    expect(chooseAccess(shape(10))).toBe('IndexOrderedScan');
    expect(indexOrderedRows(shape(10))).toBe(10);
    expect(chooseAccess(shape(10, 'none', true))).toBe('IndexOrderedScan');
    expect(indexOrderedRows(shape(10, 'none', true))).toBe(40);
    expect(chooseAccess(shape(0))).toBe('IndexOrderedScan');
  });

  it('scans and sorts when a LIMIT needs most of the collection', () => {
    expect(chooseAccess(shape(assumedCollectionRows))).toBe('FullScan');
    expect(chooseAccess(shape(5_000, 'none', true))).toBe('FullScan');
  });

  it('uses the index for selective bounds without a LIMIT', () => {
    expect(chooseAccess(shape(undefined, 'equality'))).toBe('IndexOrderedScan');
    expect(chooseAccess(shape(undefined, 'range'))).toBe('IndexOrderedScan');
    expect(chooseAccess(shape(undefined, 'lower'))).toBe('IndexOrderedScan');
    expect(chooseAccess(shape(undefined, 'upper', true))).toBe('IndexOrderedScan');
  });

  it('scans and sorts with no LIMIT and no bounds', () => {
    expect(chooseAccess(shape(undefined))).toBe('FullScan');
    expect(chooseAccess(shape(undefined, 'none', true))).toBe('FullScan');
    expect(indexOrderedCost(shape(undefined))).toBe(assumedCollectionRows * indexRowCost);
  });

  it('reads no more than the bounds hold', () => {
    expect(indexOrderedRows(shape(1_000_000, 'equality'))).toBe(assumedCollectionRows * 0.01);
  });
});

describe('nql cost model with statistics', () => {
  it('prices a full scan, with the sort only when ORDER BY needs one', () => {
    expect(fullScanCost(1_000, false)).toBe(1_000 * scanRowCost);
    expect(fullScanCost(1_000, true)).toBeCloseTo(1_000 * scanRowCost + 1_000 * Math.log2(1_000) * sortRowCostFactor);
  });

  it('stops an index-ordered read at LIMIT, reading more when other conditions drop rows', () => {
    expect(indexOrderedRowsRead(1_000_000, 10, 1)).toBe(10);
    expect(indexOrderedRowsRead(1_000_000, 10, 0.1)).toBe(100);
    expect(indexOrderedRowsRead(50, 10, 0.01)).toBe(50); // never more than the range holds
    expect(indexOrderedRowsRead(5_000, undefined, 1)).toBe(5_000);
    expect(indexOrderedCostOf(1_000_000, 10, 1)).toBe(10 * indexRowCost);
  });

  it('intersects a second index read only when the fetches it saves cost more than its ids', () => {
    const rows = 1_000_000;
    const first: LookupEstimate = { idsRead: 1_000, rows: 1_000 };
    // miner = x (1 in 10) after a 1,000-row range: 900 fetches saved for 100,000 ids read.
    expect(worthIntersecting(first, 100_000, rows)).toBeUndefined();
    // a 5,000-id read keeping 0.5 %: 995 fetches saved for 5,000 ids
    expect(worthIntersecting(first, 5_000, rows)).toEqual({ idsRead: 6_000, rows: 5 });
    expect(lookupCost({ idsRead: 6_000, rows: 5 }, false)).toBeLessThan(lookupCost(first, false));
    expect(lookupCost(first, true)).toBeGreaterThan(lookupCost(first, false)); // ORDER BY sorts what was fetched
  });

  it('keeps the lookup memory bound and the constants in the order the model needs', () => {
    expect(idRowCost).toBeLessThan(scanRowCost);
    expect(scanRowCost).toBeLessThan(indexRowCost);
    expect(lookupIdsMax).toBeGreaterThan(0);
  });
});
