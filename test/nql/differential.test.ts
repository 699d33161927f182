// The differential test: random documents with random version histories, random queries generated as
// syntax trees and printed to NQL text, and runQuery's answer compared with the reference evaluator's
// (reference-evaluator.ts, written apart from nql/). Both give rows in the same order: ORDER BY ties and
// queries without ORDER BY fall back to id order on both sides. Also: walking every page with AFTER, with
// writes arriving between pages, gives the rows of the one unpaged query. Every query runs twice: on a source
// without sorted indexes (scan and sort) and on one whose orderedScan answers (the index access path), and
// both must give the reference's answer. Queries without ORDER BY never use the index (plan.ts), so their
// id order is compared as it is.
// Seeded and replayable: NEDB_SEED=<n> npx vitest run test/nql/differential.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AggregateName, CompareOp, ExprNode, FieldNode, OrderByNode, QueryNode, SelectNode, ValueNode,
} from '../../nql/ast.js';
import type { TextSpan } from '../../nql/errors.js';
import { isNqlError } from '../../nql/errors.js';
import { runQuery } from '../../nql/executor.js';
import { MemorySource } from './memory-source.js';
import { evaluate, ReferenceEvaluationError, type Doc, type History, type HistoryOp } from './reference-evaluator.js';

const seed = Number(process.env['NEDB_SEED'] ?? 20261126);
const span: TextSpan = { offset: 0, end: 0, line: 1, col: 1 };

// ---- documents and histories -----------------------------------------------------------------------------

const words = ['red', 'car', 'Oslo', 'rome', 'blue', 'a', 'b', 'x1', 'or', 'not', 'in'];
const scalarString = fc.constantFrom(
  '', 'red', 'Red Car', 'car', 'Oslo', 'rome', 'blue sky', 'a', 'b', 'B', 'x1', '10', '9', 'or', 'NOT', 'in',
  'Ünïcödé', 'smile 😀', 'ß', '\uff5e', 'tab\there', "it's", 'say "hi"', 'line\nbreak',
);
const number = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -12, max: 12 }).map((k) => k / 4 + 0.125));
const scalar = fc.oneof(fc.constant(null), fc.boolean(), number, number, scalarString, scalarString);
const plainWord = fc.constantFrom(...words);
const nested = fc.record(
  { x: scalar, y: fc.oneof(fc.record({ z: scalar }, { requiredKeys: [] }), scalar), w: plainWord },
  { requiredKeys: [] },
);
const tags = fc.oneof(fc.array(plainWord, { maxLength: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }));
const date = fc.constantFrom('2024-01', '2024-06', '2025-01');

const doc: fc.Arbitrary<Doc> = fc.record(
  {
    a: scalar, b: scalar, n: number, s: scalarString, or: scalar, not: scalar, in: scalar, offset: scalar, count: scalar,
    obj: fc.oneof(nested, nested, nested, scalar), tags, _valid_from: date, _valid_to: date,
  },
  { requiredKeys: [] },
);

const ids = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'D6', '_7'];
const op: fc.Arbitrary<HistoryOp> = fc.record({
  coll: fc.constantFrom('c', 'c', 'c', 'k'),
  id: fc.constantFrom(...ids),
  doc: fc.oneof({ weight: 4, arbitrary: doc }, { weight: 1, arbitrary: fc.constant(undefined) }),
});
const history: fc.Arbitrary<History> = fc.array(op, { minLength: 0, maxLength: 24 }).map((ops) => ({ ops }));

function sourceOf(found: History, ordered = false): MemorySource {
  const source = new MemorySource();
  if (ordered) source.enableOrderedScan();
  for (const { coll, id, doc: body } of found.ops) {
    if (body === undefined) source.delete(coll, id);
    else source.put(coll, id, body);
  }
  return source;
}

// ---- queries, as trees -----------------------------------------------------------------------------------

function field(name: string): FieldNode {
  return { kind: 'Field', name, path: name.split('.'), span };
}
const anyField = fc.constantFrom('a', 'b', 'n', 's', 'or', 'not', 'in', 'offset', 'count', 'obj', 'obj.x', 'obj.y.z', 'obj.y', 'a.x', 'tags', 'tags.length', 'nope', '_id', '_seq').map(field);
const sortField = anyField;
const groupField = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'n', 's', 'obj.x', 'obj.y.z', 'nope', 'offset').map(field) },
  { weight: 1, arbitrary: fc.constantFrom('obj', 'tags').map(field) },
);

const literal = fc.oneof(fc.constant(null), fc.boolean(), number, scalarString, plainWord);
const value: fc.Arbitrary<ValueNode> = literal
  .filter((found) => typeof found !== 'string' || !(found.includes('"') && found.includes("'")))
  .map((found) => ({ kind: 'Value', value: found, span }));
// BETWEEN's ends come from a small pool that the docs' values hit often, so inclusive ends get tested.
const bound: fc.Arbitrary<ValueNode> = fc
  .oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', 'b', 'car', 'red', 'Oslo', '10'))
  .map((found) => ({ kind: 'Value', value: found, span }));
const compareOp = fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>=');

const leaf: fc.Arbitrary<ExprNode> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ field: anyField, op: compareOp, value }).map((c) => ({ kind: 'Condition' as const, ...c, span })) },
  { weight: 1, arbitrary: fc.record({ field: anyField, values: fc.array(value, { minLength: 1, maxLength: 4 }) }).map((c) => ({ kind: 'In' as const, ...c, span })) },
  { weight: 1, arbitrary: fc.record({ field: anyField, low: fc.oneof(bound, value), high: fc.oneof(bound, value) }).map((c) => ({ kind: 'Between' as const, ...c, span })) },
);

function expr(depth: number): fc.Arbitrary<ExprNode> {
  if (depth === 0) return leaf;
  const inner = expr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom<'And' | 'Or'>('And', 'Or'), fc.array(inner, { minLength: 2, maxLength: 3 })).map(([kind, operands]) => ({ kind, operands, span })) },
    { weight: 1, arbitrary: inner.map((operand): ExprNode => ({ kind: 'Not', operand, span })) },
  );
}

const orderBy: fc.Arbitrary<OrderByNode[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<OrderByNode[]>([]) },
  { weight: 3, arbitrary: fc.array(fc.record({ field: sortField, descending: fc.boolean() }).map((key) => ({ kind: 'OrderBy' as const, ...key, span })), { minLength: 1, maxLength: 3 }) },
);

const integer = (min: number, max: number) => fc.integer({ min, max }).map((found) => ({ kind: 'Integer' as const, value: found, span }));
const optional = <T>(arbitrary: fc.Arbitrary<T>, weight = 1): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight, arbitrary });

const select: fc.Arbitrary<SelectNode | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.array(anyField, { minLength: 1, maxLength: 3 }).map((fields): SelectNode => ({ kind: 'SelectFields', fields, span })) },
  { weight: 1, arbitrary: fc.constant<SelectNode>({ kind: 'SelectCount', span }) },
);

const aggregate = fc.record({
  name: fc.constantFrom<AggregateName>('count', 'sum', 'avg', 'min', 'max'),
  field: fc.constantFrom('n', 'a', 'b', 'obj.x', 'count').map(field),
}).map(({ name, field: over }) => ({ kind: 'Aggregate' as const, name, field: name === 'count' ? undefined : over, span }));

const query: fc.Arbitrary<QueryNode> = fc
  .record({
    collection: fc.constantFrom('c', 'c', 'c', 'k', 'zz').map((name) => ({ kind: 'Name' as const, name, span })),
    asOf: optional(integer(-1, 26)),
    validAsOf: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: date.map((d) => ({ kind: 'String' as const, value: d, span })) }),
    where: optional(expr(3), 4),
    search: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(plainWord, { minLength: 1, maxLength: 2 }).map((list) => ({ kind: 'String' as const, value: list.join(' '), span })) }),
    orderBy,
    limit: optional(integer(-3, 6), 2),
    offset: optional(integer(0, 4)),
    groupBy: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.record({ field: groupField, aggregate: optional(aggregate, 3) }).map((g) => ({ kind: 'GroupBy' as const, ...g, span })) }),
    select,
  })
  .map((parts): QueryNode => ({ kind: 'Query', traverse: undefined, trace: undefined, after: undefined, ...parts, span }));

// ---- printing a tree as NQL text -------------------------------------------------------------------------

const v1Keywords = new Set(['from', 'as', 'of', 'where', 'and', 'search', 'order', 'by', 'asc', 'desc', 'traverse', 'trace', 'reverse', 'limit', 'valid', 'true', 'false', 'null', 'group', 'count', 'sum', 'avg', 'min', 'max']);

function printString(text: string): string {
  return text.includes('"') ? `'${text}'` : `"${text}"`;
}

function printValue(node: ValueNode): string {
  const found = node.value;
  if (found === null) return 'NULL';
  if (typeof found === 'boolean') return found ? 'TRUE' : 'false';
  if (typeof found === 'number') return String(found);
  // A bare word is that string (v1), unless it is a keyword.
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(found) && !v1Keywords.has(found.toLowerCase()) && found.length % 2 === 0) return found;
  return printString(found);
}

const precedence = { Or: 1, And: 2, Not: 3, Condition: 4, In: 4, Between: 4 } as const;

function printExpr(node: ExprNode, least: number): string {
  let text: string;
  switch (node.kind) {
    case 'Condition':
      text = `${node.field.name} ${node.op} ${printValue(node.value)}`;
      break;
    case 'In':
      text = `${node.field.name} IN (${node.values.map(printValue).join(', ')})`;
      break;
    case 'Between':
      text = `${node.field.name} between ${printValue(node.low)} AND ${printValue(node.high)}`;
      break;
    case 'And':
      text = node.operands.map((operand) => printExpr(operand, 3)).join(' AND ');
      break;
    case 'Or':
      text = node.operands.map((operand) => printExpr(operand, 2)).join(' or ');
      break;
    case 'Not': {
      // `NOT in …` and `NOT between …` read as a field named not: keep the operand in parentheses there.
      const operand = node.operand;
      const head = operand.kind === 'Condition' || operand.kind === 'In' || operand.kind === 'Between' ? operand.field.path[0] : undefined;
      text = `NOT ${head === 'in' || head === 'between' ? `(${printExpr(operand, 0)})` : printExpr(operand, 3)}`;
      break;
    }
  }
  return precedence[node.kind] < least ? `(${text})` : text;
}

export function printQuery(node: QueryNode): string {
  const parts = [`FROM ${node.collection.name}`];
  if (node.asOf !== undefined) parts.push(`AS OF ${node.asOf.value}`);
  if (node.validAsOf !== undefined) parts.push(`VALID AS OF ${printString(node.validAsOf.value)}`);
  if (node.where !== undefined) parts.push(`WHERE ${printExpr(node.where, 0)}`);
  if (node.search !== undefined) parts.push(`SEARCH ${printString(node.search.value)}`);
  if (node.orderBy.length > 0) parts.push(`ORDER BY ${node.orderBy.map((key) => `${key.field.name}${key.descending ? ' DESC' : ''}`).join(', ')}`);
  if (node.limit !== undefined) parts.push(`LIMIT ${node.limit.value}`);
  if (node.offset !== undefined) parts.push(`OFFSET ${node.offset.value}`);
  if (node.after !== undefined) parts.push(`AFTER '${node.after.value}'`);
  const by = node.groupBy;
  if (by !== undefined) {
    const aggregate = by.aggregate;
    const suffix = aggregate === undefined ? '' : ` ${aggregate.name.toUpperCase()}${aggregate.field === undefined ? '' : ` ${aggregate.field.name}`}`;
    parts.push(`GROUP BY ${by.field.name}${suffix}`);
  }
  if (node.select?.kind === 'SelectCount') parts.push('SELECT COUNT(*)');
  if (node.select?.kind === 'SelectFields') parts.push(`SELECT ${node.select.fields.map((f) => f.name).join(', ')}`);
  return parts.join(' ');
}

// ---- the properties --------------------------------------------------------------------------------------

type Outcome = { rows: Doc[] } | { error: string };

async function actual(text: string, source: MemorySource): Promise<Outcome> {
  try {
    const result = await runQuery(text, source);
    expect(result.count).toBe(result.rows.length);
    return { rows: result.rows };
  } catch (error) {
    if (!isNqlError(error)) throw error;
    return { error: error.message };
  }
}

function expected(node: QueryNode, found: History): Outcome {
  try {
    return { rows: evaluate(node, found) };
  } catch (error) {
    if (!(error instanceof ReferenceEvaluationError)) throw error;
    return { error: error.message };
  }
}

describe('nql differential: runQuery against the reference evaluator', () => {
  it(`gives the same rows in the same order (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(history, query, async (found, node) => {
        const text = printQuery(node);
        const reference = expected(node, found);
        expect(await actual(text, sourceOf(found)), text).toEqual(reference);
        expect(await actual(text, sourceOf(found, true)), `${text} (ordered scan)`).toEqual(reference);
      }),
      { seed, numRuns: 1500 },
    );
  });

  it(`gives the same rows through the index path for index-shaped queries (seed ${seed})`, async () => {
    // One ORDER BY key, a LIMIT (so the cost rule picks the index) and WHERE ranges on the same field.
    const sortedOn = fc.constantFrom('a', 'n', 's', 'obj.x', 'obj.y.z', '_id', 'nope', 'tags').map(field);
    const rangeOp = fc.constantFrom<CompareOp>('<', '<=', '>', '>=', '=', '!=');
    const shaped = fc
      .tuple(query, sortedOn, fc.boolean(), fc.array(fc.tuple(rangeOp, fc.oneof(bound, value)), { maxLength: 3 }), fc.option(leaf), integer(0, 6))
      .map(([node, over, descending, ranges, other, limit]): QueryNode => {
        const conditions: ExprNode[] = ranges.map(([op, found]) => ({ kind: 'Condition', field: over, op, value: found, span }));
        if (ranges.length === 1 && ranges[0] !== undefined && ranges[0][0] === '=') {
          conditions.push({ kind: 'Between', field: over, low: ranges[0][1], high: ranges[0][1], span });
        }
        if (other !== null) conditions.push(other);
        const where: ExprNode | undefined = conditions.length === 0 ? undefined
          : conditions.length === 1 ? conditions[0] : { kind: 'And', operands: conditions, span };
        return {
          ...node, where, search: undefined, groupBy: undefined, limit,
          orderBy: [{ kind: 'OrderBy', field: over, descending, span }],
        };
      });
    let answered = 0;
    let bounded = 0;
    await fc.assert(
      fc.asyncProperty(history, shaped, async (found, node) => {
        const text = printQuery(node);
        const reference = expected(node, found);
        expect(await actual(text, sourceOf(found)), text).toEqual(reference);
        const indexed = sourceOf(found, true);
        expect(await actual(text, indexed), `${text} (ordered scan)`).toEqual(reference);
        answered += indexed.orderedAnswers;
        bounded += indexed.orderedRequests.filter((request) => request.lower !== undefined || request.upper !== undefined).length;
      }),
      { seed, numRuns: 1500 },
    );
    // The index path really ran, with and without bounds.
    expect(answered).toBeGreaterThan(300);
    expect(bounded).toBeGreaterThan(300);
  });

  it(`gives the same answer with and without a search index (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(history, query, async (found, node) => {
        const text = printQuery(node);
        const indexed = sourceOf(found);
        indexed.addSearchIndex('c', 's');
        indexed.addSearchIndex('c', 'obj');
        expect(await actual(text, indexed), text).toEqual(await actual(text, sourceOf(found)));
      }),
      { seed, numRuns: 300 },
    );
  });

  it(`walks every page with AFTER to the unpaged rows, while writes arrive (seed ${seed})`, async () => {
    const pageable = query.map((node): QueryNode => ({ ...node, groupBy: undefined, offset: undefined, select: node.select?.kind === 'SelectCount' ? undefined : node.select }));
    await fc.assert(
      fc.asyncProperty(history, pageable, fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 12 }), fc.boolean(), async (found, node, size, writes, ordered) => {
        const source = sourceOf(found, ordered);
        const whole = printQuery({ ...node, limit: undefined });
        const unpaged = await runQuery(whole, source);
        expect(unpaged.rows, whole).toEqual(evaluate({ ...node, limit: undefined }, found));
        const paged = { ...node, limit: { kind: 'Integer' as const, value: size, span } };
        const rows: Doc[] = [];
        let result = await runQuery(printQuery(paged), source);
        rows.push(...result.rows);
        const pending = [...writes];
        while (result.cursor !== undefined) {
          // A page is full unless VALID AS OF, which runs after LIMIT (v1), dropped some of it.
          if (node.validAsOf === undefined) expect(result.rows).toHaveLength(size);
          for (const write of pending.splice(0, 3)) {
            if (write.doc === undefined) source.delete(write.coll, write.id);
            else source.put(write.coll, write.id, write.doc);
          }
          const text = printQuery({ ...paged, after: { kind: 'String', value: result.cursor, span } });
          result = await runQuery(text, source);
          rows.push(...result.rows);
        }
        expect(rows, whole).toEqual(unpaged.rows);
      }),
      { seed, numRuns: 500 },
    );
  });
});
