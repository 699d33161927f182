// The index access path (plan.ts OrderedAccess, QuerySource.orderedScan) and EXPLAIN: which queries read
// through a sorted index, that the answer is the scan's, that LIMIT stops the index early, and the EXPLAIN
// tree with and without an index.
import { describe, expect, it } from 'vitest';
import { explainQuery, runQuery } from '../../nql/index.js';
import { parse } from '../../nql/parser.js';
import { explainPlan, planQuery } from '../../nql/plan.js';
import { MemorySource } from './memory-source.js';

function docs(count: number): MemorySource {
  const source = new MemorySource();
  source.pageSize = 16;
  for (let i = 0; i < count; i += 1) source.put('b', `k${String(i).padStart(4, '0')}`, { h: (i * 7919) % count, m: i % 3 === 0 ? 'x' : 'y' });
  return source;
}

function plan(text: string): string[] {
  const { ast } = parse(text);
  if (ast === undefined) throw new Error(text);
  return explainPlan(planQuery(ast));
}

/** EXPLAIN rows without the measured time. */
async function explained(text: string, source: MemorySource): Promise<unknown[]> {
  const { rows } = await runQuery(text, source);
  return rows.map((row) => {
    expect(typeof row['timeMs']).toBe('number');
    const { timeMs: _time, ...rest } = row;
    return rest;
  });
}

describe('nql index access path', () => {
  it('plans an index read for one ORDER BY key with LIMIT or bounds, not otherwise', () => {
    expect(plan('FROM b ORDER BY h DESC LIMIT 10')).toEqual(['Candidates b at committed seq', 'IndexOrder b.h desc (else Sort)', 'Sort h desc', 'Limit 10']);
    expect(plan('FROM b WHERE h > 5 AND h <= 9 AND h >= 6 AND m = x ORDER BY h')).toEqual([
      "Candidates b at committed seq where h > 5 and h <= 9 and h >= 6 and m = 'x'", 'IndexOrder b.h asc >= 6 <= 9 (else Sort)', 'Sort h asc',
    ]);
    expect(plan('FROM b WHERE h BETWEEN a AND q AND h < 5 ORDER BY h')[1]).toBe("IndexOrder b.h asc >= 'a' <= 'q' (else Sort)");
    expect(plan('FROM b WHERE h = 5 ORDER BY h')[1]).toBe('IndexOrder b.h asc >= 5 <= 5 (else Sort)');
    expect(plan('FROM b WHERE h > 5 AND h > 5.5 AND h >= 5.5 ORDER BY a.b LIMIT 1')[1]).toBe('IndexOrder b.a.b asc (else Sort)');
    expect(plan('FROM b WHERE h > 5 AND h >= 5 ORDER BY h')[1]).toBe('IndexOrder b.h asc > 5 (else Sort)');
    // No LIMIT, no bounds: scan and sort. No ORDER BY, several keys, SEARCH, GROUP BY, TRAVERSE, `_seq`: scan.
    for (const text of [
      'FROM b ORDER BY h', 'FROM b WHERE h > 5 OR h < 2 ORDER BY h', 'FROM b WHERE h > 5 LIMIT 3', 'FROM b ORDER BY h, m LIMIT 3',
      "FROM b SEARCH 'x' ORDER BY h LIMIT 3", 'FROM b ORDER BY h LIMIT 3 GROUP BY m', 'FROM b ORDER BY h TRAVERSE r LIMIT 3',
      'FROM b ORDER BY _seq LIMIT 3', 'FROM b ORDER BY h LIMIT -1', 'FROM b WHERE h != 3 ORDER BY h',
    ]) {
      expect(plan(text).some((line) => line.startsWith('IndexOrder')), text).toBe(false);
    }
  });

  it('reads fewer rows through the index for ORDER BY h DESC LIMIT 10 on 1,000 docs, with the same answer', async () => {
    const text = 'FROM b ORDER BY h DESC LIMIT 10';
    const scanned = docs(1000);
    const byScan = await runQuery(text, scanned);
    expect(scanned.rowsRead).toBe(1000);
    const indexed = docs(1000).enableOrderedScan();
    const byIndex = await runQuery(text, indexed);
    expect(byIndex).toEqual(byScan);
    expect(byIndex.rows.map((row) => row['h'])).toEqual([999, 998, 997, 996, 995, 994, 993, 992, 991, 990]);
    expect(indexed.orderedAnswers).toBe(1);
    expect(indexed.rowsRead).toBeLessThanOrEqual(32); // one page of 16, and one more to know more rows follow
    // The next page through the cursor: the same rows either way.
    const next = `${text} AFTER '${byIndex.cursor ?? ''}'`;
    expect(await runQuery(next, indexed)).toEqual(await runQuery(next, scanned));
  });

  it('passes the bounds and still filters every row', async () => {
    const source = docs(100).enableOrderedScan();
    const result = await runQuery('FROM b WHERE h >= 10 AND h < 20 AND m = x ORDER BY h', source);
    expect(source.orderedRequests).toEqual([{ coll: 'b', fields: ['h'], prefix: [], descending: false, asOf: 99, lower: { value: 10, inclusive: true }, upper: { value: 20, inclusive: false }, firstPageRows: undefined }]);
    expect(source.rowsRead).toBe(10);
    expect(result).toEqual(await runQuery('FROM b WHERE h >= 10 AND h < 20 AND m = x ORDER BY h', docs(100)));
  });

  it('falls back to scan and sort when the index is not ready or not there', async () => {
    const building = docs(50).enableOrderedScan({ ready: false });
    const other = docs(50).enableOrderedScan({ fields: ['m'] });
    const plain = docs(50);
    const text = 'FROM b AS OF 40 ORDER BY h DESC LIMIT 5';
    const expected = await runQuery(text, plain);
    expect(await runQuery(text, building)).toEqual(expected);
    expect(await runQuery(text, other)).toEqual(expected);
    expect(building.orderedRequests).toHaveLength(1);
    expect(building.rowsRead).toBe(41);
  });
});

describe('nql EXPLAIN', () => {
  it('answers with the plan tree, measured, using the index', async () => {
    const source = docs(100).enableOrderedScan();
    expect(await explained('EXPLAIN FROM b WHERE h >= 50 AND m = y ORDER BY h DESC LIMIT 3 SELECT h', source)).toEqual([
      { node: 1, parent: null, depth: 0, kind: 'Project', detail: 'h', index: null, indexes: null, cost: null, estimatedRows: null, actualRows: 3, hint: null },
      { node: 2, parent: 1, depth: 1, kind: 'Limit', detail: '3', index: null, indexes: null, cost: null, estimatedRows: 3, actualRows: 3, hint: null },
      { node: 3, parent: 2, depth: 2, kind: 'Filter', detail: "h >= 50 and m = 'y'", index: null, indexes: null, cost: null, estimatedRows: null, actualRows: 10, hint: null },
      {
        node: 4, parent: 3, depth: 3, kind: 'IndexOrderedScan', detail: 'b.h desc >= 50', estimatedRows: null, actualRows: 16, hint: null,
        index: { coll: 'b', field: 'h', fields: ['h'], prefix: [], direction: 'desc', lower: { value: 50, inclusive: true }, upper: null, values: null, tokens: null },
        indexes: null, cost: null,
      },
    ]);
  });

  it('says which index would help when none answered', async () => {
    const source = docs(100);
    expect(await explained('explain FROM b ORDER BY h DESC LIMIT 3', source)).toEqual([
      { node: 1, parent: null, depth: 0, kind: 'Limit', detail: '3', index: null, indexes: null, cost: null, estimatedRows: 3, actualRows: 3, hint: null },
      { node: 2, parent: 1, depth: 1, kind: 'Sort', detail: 'h desc', index: null, indexes: null, cost: null, estimatedRows: null, actualRows: 100, hint: null },
      { node: 3, parent: 2, depth: 2, kind: 'FullScan', detail: 'b', index: null, indexes: null, cost: null, estimatedRows: null, actualRows: 100, hint: 'an index on b.h would help' },
    ]);
    // The same through explainQuery (the HTTP route's "explain": true), with or without the word.
    const viaApi = await explainQuery('FROM b ORDER BY h DESC LIMIT 3', source);
    expect(viaApi.rows.map((row) => row['kind'])).toEqual(['Limit', 'Sort', 'FullScan']);
    expect((await explainQuery('EXPLAIN FROM b ORDER BY h DESC LIMIT 3', source)).rows).toHaveLength(3);
  });

  it('covers grouping and counting, and gives no hint where a scan is the plan', async () => {
    const source = docs(30);
    expect((await explained('EXPLAIN FROM b WHERE h < 10 GROUP BY m', source)).map((row) => [(row as { kind: string }).kind, (row as { actualRows: number }).actualRows])).toEqual([
      ['Group', 2], ['Filter', 10], ['FullScan', 30],
    ]);
    const counted = await explained('EXPLAIN FROM b SELECT COUNT(*)', source);
    expect(counted[0]).toMatchObject({ kind: 'Count', estimatedRows: 1, actualRows: 1 });
    expect(counted[1]).toMatchObject({ kind: 'FullScan', hint: null });
  });

  it('is EXPLAIN only as the first word of an otherwise valid query; else the error is v1\'s', async () => {
    const source = docs(3);
    const failure = async (text: string): Promise<string> => String(await runQuery(text, source).catch((error: unknown) => (error as Error).message));
    expect(await failure('EXPLAIN FROM b WHERE')).toBe(await failure('EXPLAINX FROM b WHERE'.replace('EXPLAINX', 'EXPLAIN')));
    expect(await failure('EXPLAIN FROM b WHERE')).toMatch(/expected 'FROM'/i);
    expect(await failure('EXPLAIN EXPLAIN FROM b')).toMatch(/expected 'FROM'/i);
    expect(await failure('FROM b EXPLAIN')).not.toMatch(/Limit/);
    expect((await runQuery('FROM explain', source)).rows).toEqual([]);
  });
});
