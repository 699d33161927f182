// Property tests: whatever the text, parse() never throws and runQuery() throws nothing but NqlError, and
// every diagnostic points inside the text with 1-based line and column. Seeded and replayable:
// NEDB_SEED=<n> npx vitest run test/nql/fuzz.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNqlError, type Diagnostic } from '../../nql/errors.js';
import { runQuery } from '../../nql/executor.js';
import { keywords } from '../../nql/lexer.js';
import { parse, parseGrammar } from '../../nql/parser.js';
import { MemorySource } from './memory-source.js';

const seed = Number(process.env['NEDB_SEED'] ?? 20261126);
const numRuns = 10_000;

const vocabulary = [
  ...[...keywords].flatMap((word) => [word, word.toUpperCase()]),
  'users', 'orders', 'g', 'status', 'age', 'v', 'tags', 'meta', '_id', '_seq', '_caused_by', 'buys', 'Count',
  '0', '1', '-1', '2.5', '-0.5', '1e3', '007', '99999999999999999999', '"active"', "'x y'", '""', '"2024-06-01"',
  '=', '!=', '<', '<=', '>', '>=', '==', '!', '+1', '.', '*', ',', '(', ')', ';', '"open', "'", 'ü', '😀', '\n',
  // The extensions' words and shapes (docs/NQL.md).
  'OR', 'or', 'NOT', 'not', 'IN', 'in', 'BETWEEN', 'OFFSET', 'offset', 'AFTER', 'after', 'SELECT', 'select',
  'COUNT(*)', 'a.b', 'meta.k', 'status,', "'eyJ4Ijo'", '((', '))',
];

const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...vocabulary), fc.constantFrom(' ', '  ', '\n', '\t', '')), { maxLength: 24 })
  .map((parts) => parts.map(([word, space]) => word + space).join(''));

const queryLike = fc
  .tuple(fc.constantFrom('FROM users ', 'FROM g ', 'from orders ', 'FROM users WHERE '), tokenSoup)
  .map(([head, tail]) => head + tail);

// Queries built from the v1 grammar (UPSTREAM.md §4.2), so execution paths get exercised too.
const field = fc.constantFrom('status', 'age', 'v', 'tags', 'meta', '_id', '_seq', 'Count', 'missing', 'total', 'ORDER');
const optional = (...choices: string[]): fc.Arbitrary<string> => fc.constantFrom('', ...choices);
const grammarQuery = fc
  .tuple(
    fc.constantFrom('FROM users', 'from g', 'FROM orders', 'FROM Count', 'FROM nothing'),
    optional('AS OF 3', 'AS OF -1', 'AS OF 2.7', 'AS OF 0'),
    optional('VALID "2024-06-01"', 'VALID AS OF "2023"'),
    fc.array(
      fc.tuple(field, fc.constantFrom('=', '!=', '<', '<=', '>', '>='), fc.constantFrom('1', '-1', '2.5', '"active"', 'active', 'TRUE', 'false', 'null', '"31"')),
      { maxLength: 3 },
    ),
    optional('SEARCH "active"', 'SEARCH "a 1"', 'SEARCH ""'),
    fc.tuple(fc.boolean(), field, optional('ASC', 'DESC')),
    optional('TRAVERSE buys', 'TRAVERSE nothing'),
    optional('TRACE x', 'TRACE why REVERSE'),
    optional('LIMIT 1', 'LIMIT -1', 'LIMIT 0', 'LIMIT 2.5'),
    fc.tuple(fc.boolean(), field, optional('COUNT', 'SUM age', 'AVG total', 'MIN v', 'MAX status')),
  )
  .map(([from, asOf, valid, conditions, search, [ordered, orderField, direction], traverse, trace, limit, [grouped, groupField, aggregate]]) => {
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.map((condition) => condition.join(' ')).join(' AND ')}`;
    const order = ordered ? `ORDER BY ${orderField} ${direction}` : '';
    const group = grouped ? `GROUP BY ${groupField} ${aggregate}` : '';
    return [from, asOf, valid, where, search, order, traverse, trace, limit, group].join(' ');
  });

/** A grammar query with one token dropped or one vocabulary word inserted: near misses. */
const nearMiss = fc.tuple(grammarQuery, fc.nat(), fc.constantFrom(...vocabulary), fc.boolean()).map(([text, at, word, drop]) => {
  const words = text.split(' ').filter((part) => part !== '');
  const index = at % (words.length + 1);
  if (drop) words.splice(index, 1);
  else words.splice(index, 0, word);
  return words.join(' ');
});

// Queries built from the extended grammar (docs/NQL.md).
const extendedField = fc.constantFrom('status', 'age', 'v', 'meta.k', 'meta.k.z', 'or', 'not', 'offset', 'select', 'after', 'Count');
const extendedValue = fc.constantFrom('1', '-1', '2.5', '"active"', 'active', 'TRUE', 'null', 'or', 'not');
const leafCondition = fc.oneof(
  fc.tuple(extendedField, fc.constantFrom('=', '!=', '<', '>='), extendedValue).map((parts) => parts.join(' ')),
  fc.tuple(extendedField, fc.array(extendedValue, { minLength: 1, maxLength: 3 })).map(([name, values]) => `${name} IN (${values.join(', ')})`),
  fc.tuple(extendedField, extendedValue, extendedValue).map(([name, low, high]) => `${name} BETWEEN ${low} AND ${high}`),
);
const condition: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafCondition,
    fc.tuple(tie('expr'), fc.constantFrom(' AND ', ' OR ', ' and ', ' or '), tie('expr')).map(([a, op, b]) => `${a}${op}${b}`),
    tie('expr').map((inner) => `NOT ${inner}`),
    tie('expr').map((inner) => `(${inner})`),
  ),
})).expr;
const extendedQuery = fc
  .tuple(
    fc.constantFrom('FROM users', 'FROM g', 'FROM orders', 'FROM offset', 'FROM nothing'),
    optional('AS OF 3', 'AS OF -1'),
    fc.option(condition, { nil: undefined }),
    optional('SEARCH "active"', 'SEARCH "a 1"'),
    fc.array(fc.tuple(extendedField, optional('ASC', 'DESC')), { maxLength: 3 }),
    optional('LIMIT 1', 'LIMIT -1', 'LIMIT 0', 'LIMIT 2'),
    optional('OFFSET 1', 'OFFSET 0', "AFTER 'x'", 'OFFSET 1 AFTER "eyJ4Ijo"'),
    optional('GROUP BY status', 'GROUP BY meta.k SUM age', 'GROUP BY v COUNT'),
    optional('SELECT COUNT(*)', 'SELECT status, meta.k', 'SELECT count'),
  )
  .map(([from, asOf, where, search, order, limit, page, group, select]) => {
    const orderBy = order.length === 0 ? '' : `ORDER BY ${order.map((key) => key.join(' ')).join(', ')}`;
    return [from, asOf, where === undefined ? '' : `WHERE ${where}`, search, orderBy, limit, page, group, select].join(' ');
  });

const anyText = fc.oneof(tokenSoup, queryLike, grammarQuery, nearMiss, extendedQuery, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 40 }));

function source(): MemorySource {
  const memory = new MemorySource();
  memory.put('users', 'u1', { status: 'active', age: 30 });
  memory.put('users', 'u2', { status: 'inactive', age: '31', tags: ['a'] }, { causedBy: [0, 99] });
  memory.put('g', 'x', { v: [1], meta: { k: 1 }, status: null });
  memory.put('orders', 'o1', { total: 5 }, { causedBy: [1], validFrom: '2024-01-01' });
  memory.link('users:u1', 'buys', 'orders:o1');
  memory.delete('users', 'u3');
  memory.addSearchIndex('orders', 'status');
  return memory;
}

function insideText(text: string, found: Diagnostic): boolean {
  const lines = text.split('\n');
  const line = lines[found.line - 1];
  return (
    Number.isInteger(found.line) && Number.isInteger(found.col) && found.line >= 1 && found.col >= 1 &&
    line !== undefined && found.col <= line.length + 1 && found.offset >= 0 && found.offset <= found.end &&
    found.end <= text.length && found.message.startsWith('NQL: ')
  );
}

describe('nql fuzz', () => {
  it(`parse never throws and places every diagnostic inside the text (seed ${seed})`, () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = parse(text);
        expect(result.ast === undefined).toBe(result.diagnostics.length > 0);
        for (const found of result.diagnostics) expect(insideText(text, found), JSON.stringify(found)).toBe(true);
      }),
      { seed, numRuns },
    );
  });

  it(`runQuery throws only NqlError, with the first diagnostic (seed ${seed})`, async () => {
    const memory = source();
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        try {
          const result = await runQuery(text, memory);
          expect(result.count).toBe(result.rows.length);
        } catch (error) {
          if (!isNqlError(error)) throw error;
          const first = parse(text).diagnostics[0];
          if (first !== undefined) expect([error.message, error.line, error.col]).toEqual([first.message, first.line, first.col]);
          else expect(['NQL_UNHASHABLE', 'NQL_CURSOR_AHEAD', 'NQL_CURSOR_ROW', 'NQL_LIMIT_SORT_ROWS', 'NQL_LIMIT_GROUPS']).toContain(error.code);
        }
      }),
      { seed, numRuns },
    );
  });

  it(`accepts every query built from the grammar (seed ${seed})`, () => {
    fc.assert(fc.property(grammarQuery, (text) => {
      expect(parse(text).diagnostics).toEqual([]);
    }), { seed, numRuns: 2000 });
  });

  it(`accepts every query built from the extended grammar, v1 texts with v1's reading (seed ${seed})`, () => {
    fc.assert(fc.property(extendedQuery, (text) => {
      const result = parse(text);
      // `AFTER 'x'` is well formed but not a cursor: that is the only error these texts may get.
      const allowed = text.includes('AFTER') ? ['NQL_CURSOR_INVALID', 'NQL_AFTER_UNSUPPORTED'] : [];
      for (const found of result.diagnostics) expect(allowed, text).toContain(found.code);
    }), { seed, numRuns: 2000 });
    fc.assert(fc.property(grammarQuery, (text) => {
      expect(parseGrammar(text, true).ast).toEqual(parseGrammar(text, false).ast);
    }), { seed, numRuns: 2000 });
  });

  it('reports a false property with its seed (canary)', () => {
    const details = fc.check(fc.property(tokenSoup, (text) => parse(text).diagnostics.length === 0), { seed, numRuns: 200 });
    expect(details.failed).toBe(true);
    expect(details.seed).toBe(seed);
    expect(details.counterexample).not.toBeNull();
  });
});
