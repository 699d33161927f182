// Prepared queries by text (nql/parse-cache.ts): one frozen parse and plan serves every run of a text, the
// cache stays within its bound, and running a cached plan (EXPLAIN included) answers as a fresh parse does.
import { beforeEach, describe, expect, it } from 'vitest';
import { NqlError, runQuery } from '../../nql/index.js';
import { clearPreparedQueries, prepareQuery, preparedQueriesMax, preparedQueryCount, preparedTextMax } from '../../nql/parse-cache.js';
import { parse } from '../../nql/parser.js';
import { planQuery } from '../../nql/plan.js';
import { MemorySource } from './memory-source.js';

function blocks(count: number): MemorySource {
  const source = new MemorySource();
  source.pageSize = 16;
  for (let i = 0; i < count; i += 1) source.put('b', `k${String(i).padStart(4, '0')}`, { h: (i * 7919) % count, m: i % 3 === 0 ? 'x' : 'y' });
  return source.enableOrderedScan();
}

function deeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(deeplyFrozen);
}

describe('prepared queries', () => {
  beforeEach(() => clearPreparedQueries());

  it('prepares a text once and shares the frozen parse and plan', () => {
    const text = 'FROM b WHERE h > 5 AND m = "x" ORDER BY h DESC LIMIT 10 OFFSET 2';
    const first = prepareQuery(text);
    expect(prepareQuery(text)).toBe(first);
    expect(deeplyFrozen(first)).toBe(true);
    const fresh = parse(text);
    expect(first.ast).toEqual(fresh.ast);
    expect(first.plan).toEqual(planQuery(fresh.ast!));
    const bad = prepareQuery('FROM b WHERE');
    expect(bad.plan).toBeUndefined();
    expect(bad.diagnostics.length).toBeGreaterThan(0);
  });

  it('holds at most preparedQueriesMax texts, dropping the least recently used, and never a long one', () => {
    const kept = 'FROM b LIMIT 0';
    const original = prepareQuery(kept);
    const early = prepareQuery('FROM b LIMIT 1');
    for (let i = 2; i < preparedQueriesMax + 50; i += 1) {
      prepareQuery(`FROM b LIMIT ${i}`);
      if (i % 100 === 0) prepareQuery(kept); // recently used: stays
    }
    expect(preparedQueryCount()).toBe(preparedQueriesMax);
    expect(prepareQuery(kept)).toBe(original);
    expect(prepareQuery('FROM b LIMIT 1')).not.toBe(early); // the least recently used: dropped, prepared again
    const before = preparedQueryCount();
    const long = `FROM b WHERE m = "${'x'.repeat(preparedTextMax)}"`;
    expect(prepareQuery(long)).not.toBe(prepareQuery(long));
    expect(preparedQueryCount()).toBe(before);
  });

  it('answers from a cached plan exactly as from a fresh one, run after run, EXPLAIN and errors included', async () => {
    const source = blocks(300);
    for (const text of ['FROM b ORDER BY h DESC LIMIT 10', 'FROM b WHERE m = "x" ORDER BY h LIMIT 5 OFFSET 3', 'FROM b WHERE h < 20 GROUP BY m', 'FROM b SELECT COUNT(*)']) {
      const answers = [];
      for (let run = 0; run < 3; run += 1) answers.push(await runQuery(text, source));
      clearPreparedQueries();
      answers.push(await runQuery(text, source));
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      const explained = async () => (await runQuery(`EXPLAIN ${text}`, source)).rows.map(({ timeMs: _time, ...rest }) => rest);
      const explainFirst = await explained();
      expect(await explained()).toEqual(explainFirst);
    }
    for (let run = 0; run < 2; run += 1) await expect(runQuery('FROM b WHERE', source)).rejects.toBeInstanceOf(NqlError);
  });
});
