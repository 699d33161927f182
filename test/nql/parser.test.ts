// The parser against UPSTREAM.md §4.2 and §4.7: v1's fixed clause order, what each clause accepts, and every
// parser message, exactly, with its code and position.
import { describe, expect, it } from 'vitest';
import type { ConditionNode, ExprNode, QueryNode } from '../../nql/ast.js';
import { parse } from '../../nql/parser.js';
import { explainPlan, planQuery } from '../../nql/plan.js';

function tree(text: string): QueryNode {
  const { ast, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  if (ast === undefined) throw new Error(`no tree for ${text}`);
  return ast;
}

/** v1's WHERE as its list of conditions: one alone, or the operands of one And. */
function conditions(where: ExprNode | undefined): ConditionNode[] {
  const list = where === undefined ? [] : where.kind === 'And' ? where.operands : [where];
  return list.map((node) => {
    if (node.kind !== 'Condition') throw new Error(`not a v1 condition: ${node.kind}`);
    return node;
  });
}

function failure(text: string): [string, string, number, number] {
  const { ast, diagnostics } = parse(text);
  expect(ast).toBeUndefined();
  expect(diagnostics).toHaveLength(1);
  const [first] = diagnostics;
  if (first === undefined) throw new Error('no diagnostic');
  return [first.message, first.code, first.line, first.col];
}

describe('parser: accepted queries', () => {
  it('reads every clause in v1 order', () => {
    const query = tree(
      'FROM users AS OF 7 VALID AS OF "2024-06-01" WHERE age >= 30 AND name = Alice AND ok = TRUE AND gone = null ' +
        'SEARCH "red car" ORDER BY age DESC TRAVERSE knows TRACE why REVERSE LIMIT 5 GROUP BY status AVG age',
    );
    expect(query.collection.name).toBe('users');
    expect(query.asOf?.value).toBe(7);
    expect(query.validAsOf?.value).toBe('2024-06-01');
    expect(conditions(query.where).map((c) => [c.field.name, c.op, c.value.value])).toEqual([
      ['age', '>=', 30], ['name', '=', 'Alice'], ['ok', '=', true], ['gone', '=', null],
    ]);
    expect(query.search?.value).toBe('red car');
    expect([query.orderBy[0]?.field.name, query.orderBy[0]?.descending]).toEqual(['age', true]);
    expect(query.traverse?.name).toBe('knows');
    expect([query.trace?.field.name, query.trace?.reverse]).toEqual(['why', true]);
    expect(query.limit?.value).toBe(5);
    expect([query.groupBy?.field.name, query.groupBy?.aggregate?.name, query.groupBy?.aggregate?.field?.name]).toEqual(['status', 'avg', 'age']);
    expect(explainPlan(planQuery(query))).toEqual([
      "Candidates users at 7 where age >= 30 and name = 'Alice' and ok = True and gone = None search ['red', 'car']",
      'Sort age desc', 'Traverse knows', 'Trace dependents of users', 'Limit 5', "ValidAt '2024-06-01'", 'Group status avg age',
    ]);
  });

  it('lowercases keywords used as names and keeps other names as written', () => {
    expect(tree('FROM Count').collection.name).toBe('count');
    expect(tree('FROM Users').collection.name).toBe('Users');
    expect(conditions(tree('from users where Limit = 1').where)[0]?.field.name).toBe('limit');
    expect(tree('FROM u ORDER BY DESC').orderBy[0]).toMatchObject({ field: { name: 'desc' }, descending: false });
    expect(tree('FROM u ORDER BY asc desc').orderBy[0]).toMatchObject({ field: { name: 'asc' }, descending: true });
    expect(tree('FROM u TRAVERSE Limit').traverse?.name).toBe('limit');
    expect(tree('FROM u GROUP BY Count SUM Max').groupBy).toMatchObject({ field: { name: 'count' }, aggregate: { name: 'sum', field: { name: 'max' } } });
  });

  it('truncates AS OF and LIMIT numbers like Python int()', () => {
    expect(tree('FROM u AS OF 2.7').asOf?.value).toBe(2);
    expect(tree('FROM u LIMIT 2.5').limit?.value).toBe(2);
    expect(tree('FROM u LIMIT -1').limit?.value).toBe(-1);
    expect(tree('FROM u LIMIT -1.5').limit?.value).toBe(-1);
    expect(Object.is(tree('FROM u AS OF -0.5').asOf?.value, 0)).toBe(true);
  });

  it('takes VALID with optional AS and OF, before or after WHERE', () => {
    for (const text of ['FROM u VALID "d"', 'FROM u VALID AS "d"', 'FROM u VALID OF "d"', "FROM u valid as of 'd'", 'FROM u WHERE a = 1 VALID "d"']) {
      expect(tree(text).validAsOf?.value, text).toBe('d');
    }
  });

  it('takes COUNT as an aggregate that adds nothing, and plain GROUP BY', () => {
    expect(tree('FROM u GROUP BY s COUNT').groupBy?.aggregate?.name).toBe('count');
    expect(tree('FROM u GROUP BY s').groupBy?.aggregate).toBeUndefined();
    expect(planQuery(tree('FROM u GROUP BY s COUNT')).group).toEqual({ field: 's', aggregate: undefined });
  });

  it('reads numbers, strings and bare words as values', () => {
    expect(conditions(tree(`FROM u WHERE a = 1.5 AND b = 'x y' AND c = word AND d = FALSE AND e = -3`).where).map((c) => c.value.value)).toEqual([
      1.5, 'x y', 'word', false, -3,
    ]);
  });

  it('gives nodes their positions', () => {
    const query = tree('FROM u\nWHERE a = 1\n  LIMIT 3');
    expect(conditions(query.where)[0]?.span).toEqual({ offset: 13, end: 18, line: 2, col: 7 });
    expect(query.limit?.span).toEqual({ offset: 27, end: 28, line: 3, col: 9 });
    expect(query.span).toMatchObject({ offset: 0, end: 28 });
  });
});

describe('parser: v1 messages', () => {
  it.each([
    ['SELECT * FROM users', "NQL: cannot tokenize near: '* FROM users'", 'NQL_TOKENIZE', 1, 8],
    ['SELECT name', "NQL: expected 'FROM', got 'SELECT'", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['', "NQL: expected 'FROM', got None", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['   ', "NQL: expected 'FROM', got None", 'NQL_EXPECTED_TOKEN', 1, 4],
    ['WHERE x = 1', "NQL: expected 'FROM', got 'where'", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['5', "NQL: expected 'FROM', got 5", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['007', "NQL: expected 'FROM', got 7", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['2.50', "NQL: expected 'FROM', got 2.5", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['1.0', "NQL: expected 'FROM', got 1.0", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['"users"', "NQL: expected 'FROM', got 'users'", 'NQL_EXPECTED_TOKEN', 1, 1],
    [`"it's"`, `NQL: expected 'FROM', got "it's"`, 'NQL_EXPECTED_TOKEN', 1, 1],
    ['>=', "NQL: expected 'FROM', got '>='", 'NQL_EXPECTED_TOKEN', 1, 1],
    ['FROM', 'NQL: expected collection after FROM', 'NQL_EXPECTED_COLLECTION', 1, 5],
    ['FROM "users"', 'NQL: expected collection after FROM', 'NQL_EXPECTED_COLLECTION', 1, 6],
    ['FROM u AS 5', "NQL: expected 'OF', got 5", 'NQL_EXPECTED_TOKEN', 1, 11],
    ['FROM u AS', "NQL: expected 'OF', got None", 'NQL_EXPECTED_TOKEN', 1, 10],
    ['FROM u AS OF', 'NQL: AS OF expects an integer seq', 'NQL_AS_OF_SEQ', 1, 13],
    ['FROM u AS OF "3"', 'NQL: AS OF expects an integer seq', 'NQL_AS_OF_SEQ', 1, 14],
    ['FROM u VALID AS OF 2024', 'NQL: VALID AS OF expects a quoted date string', 'NQL_VALID_DATE', 1, 20],
    ['FROM u VALID AS AS "d"', 'NQL: VALID AS OF expects a quoted date string', 'NQL_VALID_DATE', 1, 17],
    ['FROM u WHERE', 'NQL: expected field in WHERE', 'NQL_WHERE_FIELD', 1, 13],
    ['FROM u WHERE "a" = 1', 'NQL: expected field in WHERE', 'NQL_WHERE_FIELD', 1, 14],
    ['FROM u WHERE a = 1 AND', 'NQL: expected field in WHERE', 'NQL_WHERE_FIELD', 1, 23],
    ['FROM u WHERE a', 'NQL: expected operator in WHERE', 'NQL_WHERE_OPERATOR', 1, 15],
    ['FROM u WHERE a b', 'NQL: expected operator in WHERE', 'NQL_WHERE_OPERATOR', 1, 16],
    ['FROM u WHERE a =', 'NQL: expected value, got None', 'NQL_EXPECTED_VALUE', 1, 17],
    ['FROM u WHERE a = count', "NQL: expected value, got 'count'", 'NQL_EXPECTED_VALUE', 1, 18],
    ['FROM u WHERE a = <', "NQL: expected value, got '<'", 'NQL_EXPECTED_VALUE', 1, 18],
    ['FROM u SEARCH red', 'NQL: SEARCH expects a quoted string', 'NQL_SEARCH_STRING', 1, 15],
    ['FROM u ORDER age', "NQL: expected 'BY', got 'age'", 'NQL_EXPECTED_TOKEN', 1, 14],
    ['FROM u ORDER BY', 'NQL: expected field after ORDER BY', 'NQL_ORDER_FIELD', 1, 16],
    ['FROM u ORDER BY 1', 'NQL: expected field after ORDER BY', 'NQL_ORDER_FIELD', 1, 17],
    ['FROM u TRAVERSE "r"', 'NQL: expected relation after TRAVERSE', 'NQL_TRAVERSE_RELATION', 1, 17],
    ['FROM u TRACE', 'NQL: expected field name after TRACE', 'NQL_TRACE_FIELD', 1, 13],
    ['FROM u LIMIT ten', 'NQL: LIMIT expects an integer', 'NQL_LIMIT_INTEGER', 1, 14],
    ['FROM u GROUP status', "NQL: expected 'BY', got 'status'", 'NQL_EXPECTED_TOKEN', 1, 14],
    ['FROM u GROUP BY', 'NQL: expected field after GROUP BY', 'NQL_GROUP_FIELD', 1, 16],
    ['FROM u GROUP BY s SUM', 'NQL: SUM expects a field name', 'NQL_AGGREGATE_FIELD', 1, 22],
    ['FROM u GROUP BY s avg 1', 'NQL: AVG expects a field name', 'NQL_AGGREGATE_FIELD', 1, 23],
    ['FROM u GROUP BY s Min "x"', 'NQL: MIN expects a field name', 'NQL_AGGREGATE_FIELD', 1, 23],
    ['FROM u GROUP BY s MAX =', 'NQL: MAX expects a field name', 'NQL_AGGREGATE_FIELD', 1, 23],
    ['FROM users ORDER BY name ASC ASC', "NQL: unexpected trailing tokens: [('kw', 'asc')]", 'NQL_TRAILING_TOKENS', 1, 30],
    ['FROM u GROUP BY x LIMIT 1', "NQL: unexpected trailing tokens: [('kw', 'limit'), ('num', 1)]", 'NQL_TRAILING_TOKENS', 1, 19],
    ['FROM u WHERE a = 1 AS OF 3', "NQL: unexpected trailing tokens: [('kw', 'as'), ('kw', 'of'), ('num', 3)]", 'NQL_TRAILING_TOKENS', 1, 20],
    ['FROM u TRAVERSE r REVERSE', "NQL: unexpected trailing tokens: [('kw', 'reverse')]", 'NQL_TRAILING_TOKENS', 1, 19],
    ['FROM u LIMIT 1 x "s" 2.50 <= 1.0', "NQL: unexpected trailing tokens: [('word', 'x'), ('str', 's'), ('num', 2.5), ('op', '<='), ('num', 1.0)]", 'NQL_TRAILING_TOKENS', 1, 16],
    ['FROM u VALID "a" WHERE x = 1 VALID "b"', "NQL: unexpected trailing tokens: [('kw', 'valid'), ('str', 'b')]", 'NQL_TRAILING_TOKENS', 1, 30],
    ['FROM u WHERE a = 1 WHERE b = 2', "NQL: unexpected trailing tokens: [('kw', 'where'), ('word', 'b'), ('op', '='), ('num', 2)]", 'NQL_TRAILING_TOKENS', 1, 20],
    ['FROM u LIMIT 1 ORDER BY a', "NQL: unexpected trailing tokens: [('kw', 'order'), ('kw', 'by'), ('word', 'a')]", 'NQL_TRAILING_TOKENS', 1, 16],
    // `OR` is an extension now (extensions.test.ts pins that the v1 grammar alone still says this).
    ['FROM u WHERE a = 1 XOR b = 2', "NQL: unexpected trailing tokens: [('word', 'XOR'), ('word', 'b'), ('op', '='), ('num', 2)]", 'NQL_TRAILING_TOKENS', 1, 20],
    ['FROM u SEARCH "x" AS OF 1', "NQL: unexpected trailing tokens: [('kw', 'as'), ('kw', 'of'), ('num', 1)]", 'NQL_TRAILING_TOKENS', 1, 19],
    [`FROM u LIMIT 1 "it's"`, `NQL: unexpected trailing tokens: [('str', "it's")]`, 'NQL_TRAILING_TOKENS', 1, 16],
  ])('%s', (text, message, code, line, col) => {
    expect(failure(text)).toEqual([message, code, line, col]);
  });

  it('places errors on later lines', () => {
    expect(failure('FROM u\nWHERE a = 1\nAND\n')).toEqual(['NQL: expected field in WHERE', 'NQL_WHERE_FIELD', 4, 1]);
    expect(failure('FROM u\n  LIMIT 1 x')).toEqual(["NQL: unexpected trailing tokens: [('word', 'x')]", 'NQL_TRAILING_TOKENS', 2, 11]);
  });

  it('reports a bad character before any grammar error, as v1 tokenized first', () => {
    expect(failure('SELECT * FROM users')[0]).toBe("NQL: cannot tokenize near: '* FROM users'");
    expect(parse('WHERE ; FROM ;').diagnostics.map((d) => d.message)).toEqual([
      "NQL: cannot tokenize near: '; FROM ;'", "NQL: cannot tokenize near: ';'",
    ]);
  });
});
