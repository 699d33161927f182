// The cost rule's choices, pinned: index-ordered top-k beats scan and sort with a LIMIT or selective bounds;
// with neither the full scan and sort is kept.
import { describe, expect, it } from 'vitest';
import {
  assumedCollectionRows, chooseAccess, fullScanSortCost, indexOrderedShapeCost as indexOrderedCost, indexOrderedRows, indexRowCost, scanRowCost,
  sortRowCostFactor, type AccessShape,
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
