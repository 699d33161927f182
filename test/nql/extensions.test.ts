// The NQL extensions of docs/NQL.md, one block each, and the v1-compatibility corners: every text the v1
// grammar accepts reads as v1 read it (the new words are names wherever v1 allowed a name), and every
// text both grammars reject keeps v1's exact error.
import { describe, expect, it } from 'vitest';
import type { QueryNode } from '../../nql/ast.js';
import { decodeCursor, encodeCursor } from '../../nql/cursor.js';
import { NqlError } from '../../nql/errors.js';
import { runQuery, type QueryResult } from '../../nql/executor.js';
import { inListValuesMax, listItemsMax, queryDepthMax } from '../../nql/limits.js';
import { parse, parseGrammar } from '../../nql/parser.js';
import { explainPlan, planQuery } from '../../nql/plan.js';
import { MemorySource } from './memory-source.js';

type Doc = Record<string, unknown>;

function tree(text: string): QueryNode {
  const { ast, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  if (ast === undefined) throw new Error(`no tree for ${text}`);
  return ast;
}

function explain(text: string): string[] {
  return explainPlan(planQuery(tree(text)));
}

/** [message, code, line, col] of the first diagnostic. */
function failure(text: string): [string, string, number, number] {
  const { ast, diagnostics } = parse(text);
  expect(ast).toBeUndefined();
  const first = diagnostics[0];
  if (first === undefined) throw new Error('no diagnostic');
  return [first.message, first.code, first.line, first.col];
}

async function ids(source: MemorySource, text: string): Promise<unknown[]> {
  return (await runQuery(text, source)).rows.map((row) => row['_id']);
}

async function nqlError(source: MemorySource, text: string): Promise<NqlError> {
  const error: unknown = await runQuery(text, source).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(NqlError);
  return error as NqlError;
}

function people(): MemorySource {
  const source = new MemorySource();
  source.put('p', 'a', { name: 'Ann', age: 30, city: 'Oslo', addr: { zip: '0150', geo: { lat: 59 } } }); // 0
  source.put('p', 'b', { name: 'Bob', age: 25, city: 'Rome', addr: { zip: '00100' } }); // 1
  source.put('p', 'c', { name: 'Cy', age: 35, city: 'Oslo', addr: 'none' }); // 2
  source.put('p', 'd', { name: 'Di', city: null, addr: { geo: null } }); // 3
  source.put('p', 'e', { name: 'Ed', age: 30, city: 'Rome', addr: [{ zip: '1' }] }); // 4
  return source;
}

describe('v1 readings stay: the new words are names where v1 allowed a name', () => {
  it.each([
    'FROM offset', 'FROM Offset', 'FROM select', 'FROM or', 'FROM after LIMIT 1', 'FROM users WHERE x = or',
    'FROM users WHERE x = OR', 'FROM users WHERE or = 1', 'FROM users WHERE not = 1', 'FROM users WHERE NOT != x',
    'FROM users WHERE in = 1', 'FROM users WHERE between = 1 AND x = in', 'FROM users WHERE x = not AND y = between',
    'FROM users WHERE a = select', 'FROM users WHERE a = 1 AND not = 2', 'FROM users ORDER BY offset DESC',
    'FROM users ORDER BY select', 'FROM users TRAVERSE after', 'FROM users TRACE offset REVERSE', 'FROM users GROUP BY select',
    'FROM users GROUP BY x SUM offset', 'FROM users WHERE after = after',
  ])('%s', (text) => {
    const v1 = parseGrammar(text, false);
    expect(v1.diagnostics).toEqual([]);
    expect(parse(text).ast).toEqual(v1.ast);
    // The extended grammar alone reads it the same way: it is a conservative extension.
    expect(parseGrammar(text, true).ast).toEqual(v1.ast);
  });

  it('keeps the case of a new word used as a collection name, as v1 did for non-keywords', () => {
    expect(tree('FROM Offset').collection.name).toBe('Offset');
    expect(tree('FROM offset WHERE a = 1 OR b = 2').collection.name).toBe('offset');
  });

  it('runs FROM offset and WHERE x = or with v1 answers', async () => {
    const source = new MemorySource();
    source.put('offset', 'k', { x: 'or', not: 1 });
    source.put('offset', 'j', { x: 'nor' });
    expect(await ids(source, 'FROM offset')).toEqual(['j', 'k']);
    expect(await ids(source, 'FROM offset WHERE x = or')).toEqual(['k']);
    expect(await ids(source, 'FROM offset WHERE not = 1')).toEqual(['k']);
    expect(await ids(source, 'FROM offset WHERE x = or OR x = nor')).toEqual(['j', 'k']);
    expect(await ids(source, 'FROM offset WHERE NOT not = 1')).toEqual(['j']);
  });
});

describe('v1 errors stay', () => {
  it.each([
    ['SELECT * FROM users', "NQL: cannot tokenize near: '* FROM users'", 'NQL_TOKENIZE', 1, 8],
    ['SELECT name, age FROM users', "NQL: cannot tokenize near: ', age FROM users'", 'NQL_TOKENIZE', 1, 12],
    ['SELECT name FROM users', "NQL: expected 'FROM', got 'SELECT'", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['FROM users SELECT *', "NQL: cannot tokenize near: '*'", 'NQL_TOKENIZE', 1, 19],
    ['FROM u WHERE a IN (1, 2', "NQL: cannot tokenize near: '(1, 2'", 'NQL_TOKENIZE', 1, 19],
    ['FROM u WHERE a.b = 1 foo', "NQL: cannot tokenize near: '.b = 1 foo'", 'NQL_TOKENIZE', 1, 15],
    ['FROM u WHERE a = 1 OR', "NQL: unexpected trailing tokens: [('word', 'OR')]", 'NQL_TRAILING_TOKENS', 1, 20],
    ['FROM u WHERE NOT a', 'NQL: expected operator in WHERE', 'NQL_WHERE_OPERATOR', 1, 18],
    ['FROM u WHERE a BETWEEN 1 OR 2', 'NQL: expected operator in WHERE', 'NQL_WHERE_OPERATOR', 1, 16],
    ['FROM u LIMIT 5 OFFSET x', "NQL: unexpected trailing tokens: [('word', 'OFFSET'), ('word', 'x')]", 'NQL_TRAILING_TOKENS', 1, 16],
    ['FROM u ORDER BY a, ', "NQL: cannot tokenize near: ', '", 'NQL_TOKENIZE', 1, 18],
    ['FROM u LIMIT 1 AFTER', "NQL: unexpected trailing tokens: [('word', 'AFTER')]", 'NQL_TRAILING_TOKENS', 1, 16],
    ['FROM u WHERE a = 1 OR b = 2 LIMIT x', "NQL: unexpected trailing tokens: [('word', 'OR'), ('word', 'b'), ('op', '='), ('num', 2), ('kw', 'limit'), ('word', 'x')]", 'NQL_TRAILING_TOKENS', 1, 20],
  ])('%s', (text, message, code, line, col) => {
    expect(failure(text)).toEqual([message, code, line, col]);
  });

  it('gives the v1 grammar alone its own message for a text that is now an extension', () => {
    expect(parseGrammar('FROM u WHERE a = 1 OR b = 2', false).diagnostics[0]?.message).toBe(
      "NQL: unexpected trailing tokens: [('word', 'OR'), ('word', 'b'), ('op', '='), ('num', 2)]",
    );
  });

  it("hands the extended grammar's error beside v1's as a hint", () => {
    const result = parse('FROM u WHERE a IN (1, 2');
    expect(result.diagnostics[0]?.message).toBe("NQL: cannot tokenize near: '(1, 2'");
    expect(result.hint?.message).toBe("NQL: expected ')' to close the IN list, got None");
    expect(parse('FROM u WHERE a = 1 OR b = 2 LIMIT x').hint?.message).toBe('NQL: LIMIT expects an integer');
    expect(parse('FROM u WHERE (a = 1').hint?.message).toBe("NQL: expected ')' to close the group, got None");
    expect(parse('FROM u WHERE a. b = 1').hint?.message).toBe("NQL: expected a field name right after '.'");
  });
});

describe('OR, NOT and parentheses', () => {
  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    expect(explain('FROM p WHERE a = 1 OR b = 2 AND NOT c = 3')).toEqual(["Candidates p at committed seq where a = 1 or b = 2 and not c = 3"]);
    const where = tree('FROM p WHERE a = 1 OR b = 2 AND NOT c = 3').where;
    expect(where?.kind).toBe('Or');
    if (where?.kind !== 'Or') return;
    expect(where.operands.map((operand) => operand.kind)).toEqual(['Condition', 'And']);
    expect(explain('FROM p WHERE (a = 1 OR b = 2) AND NOT (c = 3 OR d = 4)')).toEqual([
      'Candidates p at committed seq where (a = 1 or b = 2) and not (c = 3 or d = 4)',
    ]);
  });

  it('takes OR and NOT in any case, and NOT NOT', () => {
    expect(explain('FROM p WHERE not not a = 1 or B = 2')).toEqual(['Candidates p at committed seq where not not a = 1 or B = 2']);
  });

  it('evaluates two-valued, as v1 did: NOT of a false comparison on a missing field is true', async () => {
    const source = people();
    expect(await ids(source, 'FROM p WHERE city = Rome OR age > 32')).toEqual(['b', 'c', 'e']);
    expect(await ids(source, 'FROM p WHERE NOT age > 29')).toEqual(['b', 'd']);
    expect(await ids(source, 'FROM p WHERE (city = Rome OR city = Oslo) AND NOT age = 30')).toEqual(['b', 'c']);
    expect(await ids(source, 'FROM p WHERE city = Rome OR city = Oslo AND age = 35')).toEqual(['b', 'c', 'e']);
    expect(await ids(source, 'FROM p WHERE ((((age = 25))))')).toEqual(['b']);
  });
});

describe('IN and BETWEEN', () => {
  it('IN is = against any listed value, with v1 equality (null matches missing, true = 1)', async () => {
    const source = people();
    expect(await ids(source, "FROM p WHERE city IN ('Rome', Oslo)")).toEqual(['a', 'b', 'c', 'e']);
    expect(await ids(source, 'FROM p WHERE age IN (25, 35.0)')).toEqual(['b', 'c']);
    expect(await ids(source, 'FROM p WHERE age IN (null)')).toEqual(['d']);
    expect(await ids(source, 'FROM p WHERE NOT city IN (Rome, null)')).toEqual(['a', 'c']);
  });

  it('BETWEEN is inclusive on both ends, and false across types and for missing values', async () => {
    const source = people();
    expect(await ids(source, 'FROM p WHERE age BETWEEN 25 AND 30')).toEqual(['a', 'b', 'e']);
    expect(await ids(source, 'FROM p WHERE name BETWEEN "B" AND "D"')).toEqual(['b', 'c']);
    expect(await ids(source, 'FROM p WHERE age BETWEEN "1" AND "9"')).toEqual([]);
    expect(await ids(source, 'FROM p WHERE NOT age BETWEEN 26 AND 99')).toEqual(['b', 'd']);
  });

  it("reads BETWEEN's AND before the conjunction's", () => {
    expect(explain('FROM p WHERE age BETWEEN 1 AND 2 AND b = 3 OR c BETWEEN a AND z')).toEqual([
      "Candidates p at committed seq where age between 1 and 2 and b = 3 or c between 'a' and 'z'",
    ]);
  });
});

describe('dotted paths', () => {
  it('reads nested objects; a list, scalar, null or missing on the way is a missing field', async () => {
    const source = people();
    expect(await ids(source, 'FROM p WHERE addr.zip = "0150"')).toEqual(['a']);
    expect(await ids(source, 'FROM p WHERE addr.geo.lat > 1')).toEqual(['a']);
    expect(await ids(source, 'FROM p WHERE addr.zip = null')).toEqual(['c', 'd', 'e']);
    expect(await ids(source, 'FROM p WHERE addr.geo = null')).toEqual(['b', 'c', 'd', 'e']);
    expect(await ids(source, 'FROM p WHERE addr.zip.x = null')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('work in ORDER BY, GROUP BY, SUM and SELECT; the name as written is the output key', async () => {
    const source = people();
    expect(await ids(source, 'FROM p ORDER BY addr.zip DESC')).toEqual(['c', 'd', 'e', 'a', 'b']);
    expect((await runQuery('FROM p GROUP BY addr.geo.lat', source)).rows).toEqual([{ 'addr.geo.lat': 59, count: 1 }, { 'addr.geo.lat': null, count: 4 }]);
    expect((await runQuery('FROM p GROUP BY city SUM addr.geo.lat SELECT city, sum_addr.geo.lat', source)).rows).toEqual([
      { city: 'Oslo', 'sum_addr.geo.lat': 59 }, { city: 'Rome', 'sum_addr.geo.lat': 0 }, { city: null, 'sum_addr.geo.lat': 0 },
    ]);
    expect((await runQuery('FROM p WHERE name = Ann SELECT addr.geo.lat, addr.zip', source)).rows).toEqual([{ 'addr.geo.lat': 59, 'addr.zip': '0150' }]);
  });

  it('lowercase keyword segments as v1 names do, and need the dots written without spaces', () => {
    expect(tree('FROM p WHERE a.Count.b = 1').where).toMatchObject({ field: { name: 'a.count.b', path: ['a', 'count', 'b'] } });
    expect(parse('FROM p WHERE a .b = 1').diagnostics[0]?.code).toBe('NQL_TOKENIZE');
  });
});

describe('ORDER BY several keys', () => {
  it('breaks ties of the first key by the next, each with its own direction and null placement', async () => {
    const source = people();
    expect(await ids(source, 'FROM p ORDER BY city, age DESC')).toEqual(['c', 'a', 'e', 'b', 'd']);
    expect(await ids(source, 'FROM p ORDER BY city DESC, name DESC')).toEqual(['d', 'e', 'b', 'c', 'a']);
    expect(await ids(source, 'FROM p ORDER BY age, name DESC')).toEqual(['b', 'e', 'a', 'c', 'd']);
    expect(explain('FROM p ORDER BY city, age DESC')).toEqual(['Candidates p at committed seq', 'Sort city asc, age desc']);
  });
});

describe('OFFSET', () => {
  it('skips rows after LIMIT counts them from the offset: rows[m:m+n]', async () => {
    const source = people();
    expect(await ids(source, 'FROM p LIMIT 2 OFFSET 1')).toEqual(['b', 'c']);
    expect(await ids(source, 'FROM p ORDER BY name DESC LIMIT 2 OFFSET 3')).toEqual(['b', 'a']);
    expect(await ids(source, 'FROM p LIMIT 2 OFFSET 9')).toEqual([]);
    expect(await ids(source, 'FROM p OFFSET 3')).toEqual(['d', 'e']);
    expect(await ids(source, 'FROM p LIMIT 0 OFFSET 1')).toEqual([]);
  });

  it('keeps v1 slicing for a negative LIMIT: rows[:n][m:]', async () => {
    expect(await ids(people(), 'FROM p LIMIT -1 OFFSET 1')).toEqual(['b', 'c', 'd']);
    expect(await ids(people(), 'FROM p LIMIT -4 OFFSET 1')).toEqual([]);
  });

  it('truncates like LIMIT and refuses a negative offset', () => {
    expect(tree('FROM p LIMIT 1 OFFSET 2.9').offset?.value).toBe(2);
    expect(failure('FROM p LIMIT 1 OFFSET -1')).toEqual(['NQL: OFFSET expects a non-negative integer', 'NQL_OFFSET_NEGATIVE', 1, 23]);
    expect(explain('FROM p LIMIT 1 OFFSET 2')).toEqual(['Candidates p at committed seq', 'Limit 1 offset 2']);
    expect(explain('FROM p OFFSET 2')).toEqual(['Candidates p at committed seq', 'Offset 2']);
  });
});

describe('SELECT and COUNT(*)', () => {
  it('projects the listed fields in order, a missing one as null', async () => {
    const source = people();
    expect((await runQuery('FROM p WHERE age >= 30 ORDER BY age DESC SELECT name, age, nope', source)).rows).toEqual([
      { name: 'Cy', age: 35, nope: null }, { name: 'Ann', age: 30, nope: null }, { name: 'Ed', age: 30, nope: null },
    ]);
    const [row] = (await runQuery('FROM p LIMIT 1 SELECT city, name, _seq', source)).rows;
    expect(Object.keys(row ?? {})).toEqual(['city', 'name', '_seq']);
  });

  it('COUNT(*) answers one row {count: n} over the rows the rest of the query returns', async () => {
    const source = people();
    expect(await runQuery('FROM p SELECT COUNT(*)', source)).toEqual({ rows: [{ count: 5 }], count: 1 });
    expect(await runQuery('FROM p WHERE city = Oslo SELECT count(*)', source)).toEqual({ rows: [{ count: 2 }], count: 1 });
    expect(await runQuery('FROM nothing SELECT COUNT(*)', source)).toEqual({ rows: [{ count: 0 }], count: 1 });
    expect((await runQuery('FROM p LIMIT 2 SELECT COUNT(*)', source)).rows).toEqual([{ count: 2 }]);
    expect((await runQuery('FROM p GROUP BY city SELECT COUNT(*)', source)).rows).toEqual([{ count: 3 }]);
    expect(explain('FROM p SELECT COUNT ( * )')).toEqual(['Candidates p at committed seq', 'Count']);
  });

  it('selects a field named count, and projects GROUP BY rows', async () => {
    expect((await runQuery('FROM p GROUP BY city SELECT count, city', people())).rows).toEqual([
      { count: 2, city: 'Oslo' }, { count: 2, city: 'Rome' }, { count: 1, city: null },
    ]);
  });
});

describe('AFTER: keyset pages', () => {
  async function walk(source: MemorySource, text: string, between?: () => void): Promise<{ pages: Doc[][]; last: QueryResult }> {
    const pages: Doc[][] = [];
    let result = await runQuery(text, source);
    pages.push(result.rows);
    while (result.cursor !== undefined) {
      between?.();
      result = await runQuery(`${text} AFTER '${result.cursor}'`, source);
      pages.push(result.rows);
    }
    return { pages, last: result };
  }

  it('returns a cursor while a full page may have more after it, and none on the last page', async () => {
    const source = people();
    const first = await runQuery('FROM p ORDER BY age DESC LIMIT 2', source);
    expect(first.rows.map((row) => row['_id'])).toEqual(['d', 'c']);
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const { pages } = await walk(source, 'FROM p ORDER BY age DESC LIMIT 2');
    expect(pages.map((page) => page.map((row) => row['_id']))).toEqual([['d', 'c'], ['a', 'e'], ['b']]);
    expect((await runQuery('FROM p LIMIT 9', source)).cursor).toBeUndefined();
    expect((await runQuery('FROM p', source)).cursor).toBeUndefined();
    expect((await runQuery('FROM p LIMIT 0', source)).cursor).toBeUndefined();
    expect((await runQuery('FROM p LIMIT -1', source)).cursor).toBeUndefined();
    expect((await runQuery('FROM p LIMIT 2 SELECT COUNT(*)', source)).cursor).toBeUndefined();
  });

  it("pins every page to the first page's seq, so writes between pages do not move rows", async () => {
    const source = people();
    const before = (await runQuery('FROM p ORDER BY age, name', source)).rows;
    let n = 0;
    const { pages } = await walk(source, 'FROM p ORDER BY age, name LIMIT 2', () => {
      source.put('p', `z${n}`, { name: 'Al', age: 1 });
      source.delete('p', 'c');
      n += 1;
    });
    expect(pages.flat()).toEqual(before);
    expect((await runQuery('FROM p ORDER BY age, name LIMIT 2', source)).rows.map((row) => row['_id'])).toEqual(['z0', 'z1']);
  });

  it('pages without ORDER BY in id order, and with WHERE, SEARCH, VALID, SELECT and a changing LIMIT', async () => {
    const source = people();
    expect((await walk(source, 'FROM p LIMIT 2')).pages.flat().map((row) => row['_id'])).toEqual(['a', 'b', 'c', 'd', 'e']);
    const text = 'FROM p WHERE age > 0 ORDER BY city LIMIT 1';
    const first = await runQuery(`${text} SELECT name`, source);
    expect(first.rows).toEqual([{ name: 'Ann' }]);
    const second = await runQuery(`FROM p WHERE age > 0 ORDER BY city LIMIT 5 AFTER '${first.cursor ?? ''}' SELECT name`, source);
    expect(second.rows).toEqual([{ name: 'Cy' }, { name: 'Bob' }, { name: 'Ed' }]);
    expect(second.cursor).toBeUndefined();
  });

  it('applies OFFSET after the cursor', async () => {
    const source = people();
    const first = await runQuery('FROM p LIMIT 1', source);
    expect(await ids(source, `FROM p LIMIT 1 OFFSET 2 AFTER '${first.cursor ?? ''}'`)).toEqual(['d']);
  });

  it('encodes the seq, the ORDER BY values and the id of the last row', async () => {
    const source = people();
    const { cursor } = await runQuery('FROM p ORDER BY city DESC, age LIMIT 1', source);
    expect(decodeCursor(cursor ?? '')).toMatchObject({ seq: 4, id: 'd', keys: [null, null] });
  });

  it('refuses an edited, cut or foreign cursor with a clear error at its position', async () => {
    const source = people();
    const { cursor = '' } = await runQuery('FROM p ORDER BY age LIMIT 2', source);
    const edited = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
    for (const bad of [edited, cursor.slice(0, -3), 'x', '', 'a b', `${cursor}.`]) {
      const error = await nqlError(source, `FROM p ORDER BY age LIMIT 2 AFTER '${bad}'`);
      expect([error.code, error.message, error.line, error.col]).toEqual([
        'NQL_CURSOR_INVALID', 'NQL: AFTER expects a cursor returned with a previous page of this query', 1, 35,
      ]);
    }
    const foreign = await nqlError(source, `FROM p ORDER BY age DESC LIMIT 2 AFTER '${cursor}'`);
    expect([foreign.code, foreign.message]).toEqual([
      'NQL_CURSOR_MISMATCH', 'NQL: the cursor belongs to a different query (only LIMIT, OFFSET and SELECT may change between pages)',
    ]);
    expect((await nqlError(source, `FROM p WHERE age > 1 ORDER BY age LIMIT 2 AFTER '${cursor}'`)).code).toBe('NQL_CURSOR_MISMATCH');
  });

  it('refuses AFTER with TRAVERSE, TRACE and GROUP BY, whose rows have no stable keys', () => {
    expect(failure("FROM p LIMIT 1 AFTER 'x' GROUP BY city")).toEqual(['NQL: AFTER cannot be used with GROUP BY', 'NQL_AFTER_UNSUPPORTED', 1, 22]);
    expect(failure("FROM p TRAVERSE r LIMIT 1 AFTER 'x'")[0]).toBe('NQL: AFTER cannot be used with TRAVERSE');
    expect(failure("FROM p TRACE r LIMIT 1 AFTER 'x'")[0]).toBe('NQL: AFTER cannot be used with TRACE');
  });

  it('refuses a cursor from a later seq than the database has, and one whose row is not there', async () => {
    const source = people();
    const { cursor } = await runQuery('FROM p LIMIT 1', source);
    const fresh = new MemorySource();
    fresh.put('p', 'a', {});
    const ahead = await nqlError(fresh, `FROM p LIMIT 1 AFTER '${cursor ?? ''}'`);
    expect([ahead.code, ahead.message]).toEqual(['NQL_CURSOR_AHEAD', "NQL: the cursor was read at seq 4, after this database's committed seq 0"]);
    const fingerprint = decodeCursor(cursor ?? '')?.fingerprint ?? 0;
    const ghost = encodeCursor({ seq: 4, fingerprint, id: 'nobody', keys: [] });
    expect((await nqlError(source, `FROM p LIMIT 1 AFTER '${ghost}'`)).message).toBe("NQL: the cursor row is not in this query's result at seq 4");
  });

  it("lets the source's error through for a seq its history no longer holds", async () => {
    const source = people();
    const { cursor } = await runQuery('FROM p LIMIT 1', source);
    source.put('p', 'f', {});
    source.historyFrom = 5;
    await expect(runQuery(`FROM p LIMIT 1 AFTER '${cursor ?? ''}'`, source)).rejects.toThrow('history before seq 5 is gone');
  });
});

describe('limits', () => {
  it('bounds the nesting of parentheses and NOT', () => {
    const deep = `FROM p WHERE ${'('.repeat(queryDepthMax)}a = 1${')'.repeat(queryDepthMax)}`;
    expect(parse(deep).diagnostics).toEqual([]);
    const deeper = `FROM p WHERE ${'('.repeat(queryDepthMax + 1)}a = 1${')'.repeat(queryDepthMax + 1)}`;
    expect(failure(deeper)).toEqual([`NQL: WHERE nests deeper than ${queryDepthMax} levels of parentheses and NOT`, 'NQL_LIMIT_DEPTH', 1, 14 + queryDepthMax]);
    expect(failure(`FROM p WHERE ${'NOT '.repeat(queryDepthMax + 1)}a = 1`)[1]).toBe('NQL_LIMIT_DEPTH');
    // A runaway nesting stops at the limit instead of exhausting the stack.
    expect(failure(`FROM p WHERE ${'('.repeat(100_000)}`)[1]).toBe('NQL_LIMIT_DEPTH');
  });

  it('keeps long AND and OR chains flat: they are not depth', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `a = ${i}`).join(' OR ');
    expect(parse(`FROM p WHERE ${chain}`).diagnostics).toEqual([]);
  });

  it('bounds IN lists and SELECT lists', () => {
    const values = (n: number): string => Array.from({ length: n }, (_, i) => String(i)).join(', ');
    expect(parse(`FROM p WHERE a IN (${values(inListValuesMax)})`).diagnostics).toEqual([]);
    expect(failure(`FROM p WHERE a IN (${values(inListValuesMax + 1)})`).slice(0, 2)).toEqual([
      `NQL: IN list holds more than ${inListValuesMax} values`, 'NQL_LIMIT_IN_LIST',
    ]);
    const fields = Array.from({ length: listItemsMax + 1 }, (_, i) => `f${i}`).join(', ');
    expect(failure(`FROM p SELECT ${fields}`)[0]).toBe(`NQL: SELECT lists more than ${listItemsMax} fields`);
  });
});
