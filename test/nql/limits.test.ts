// The memory bounds of nql/limits.ts, shrunk here so a test can reach them: ORDER BY's sort buffer and
// GROUP BY's table fail with their own NqlError, and a query that needs neither streams and stops early.
import { describe, expect, it, vi } from 'vitest';
import { NqlError } from '../../nql/errors.js';
import { runQuery } from '../../nql/executor.js';
import { MemorySource } from './memory-source.js';

vi.mock('../../nql/limits.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../nql/limits.js')>()),
  sortRowsMax: 3,
  groupsMax: 2,
}));

function rows(n: number): MemorySource {
  const source = new MemorySource();
  for (let i = 0; i < n; i += 1) source.put('c', `k${i}`, { v: i % 5 });
  return source;
}

async function failure(source: MemorySource, text: string): Promise<[string, string]> {
  const error: unknown = await runQuery(text, source).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(NqlError);
  return [(error as NqlError).code, (error as NqlError).message];
}

describe('query memory limits', () => {
  it('bounds the rows ORDER BY holds, not the rows a query returns', async () => {
    expect((await runQuery('FROM c ORDER BY v DESC', rows(3))).count).toBe(3);
    expect(await failure(rows(4), 'FROM c ORDER BY v')).toEqual([
      'NQL_LIMIT_SORT_ROWS', 'NQL: ORDER BY would sort more than 3 rows; narrow the query with WHERE',
    ]);
    expect((await runQuery('FROM c WHERE v < 3 ORDER BY v', rows(5))).count).toBe(3);
    expect((await runQuery('FROM c', rows(50))).count).toBe(50);
  });

  it('bounds the groups GROUP BY holds, not the rows it folds', async () => {
    expect((await runQuery('FROM c WHERE v < 2 GROUP BY v', rows(40))).rows).toEqual([{ v: 0, count: 8 }, { v: 1, count: 8 }]);
    expect(await failure(rows(3), 'FROM c GROUP BY v')).toEqual(['NQL_LIMIT_GROUPS', 'NQL: GROUP BY would hold more than 2 groups']);
  });

  it('stops scanning once a LIMIT page is full (one source page of lookahead for the cursor)', async () => {
    const source = rows(5000);
    source.pageSize = 100;
    const result = await runQuery('FROM c LIMIT 150', source);
    expect(result.count).toBe(150);
    expect(result.cursor).toBeDefined();
    expect(source.deadlineChecks).toBe(0); // under 1024 rows were read
    await runQuery('FROM c WHERE v = 4 LIMIT 3', source);
    expect(source.deadlineChecks).toBe(0);
  });
});
