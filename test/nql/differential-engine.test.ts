// The differential test of the planner's index paths over the real engine: a Database (2–3 partitions)
// with a random history of puts and deletes, sorted, compound, eq and search indexes built over it (and
// maintained by later writes, and loaded again after a checkpoint and a reopen), and random queries shaped to
// hit IndexOrderedScan and IndexLookup (one read, intersections, IN, ranges, SEARCH, AS OF). Every query's
// answer through DatabaseQuerySource must equal the reference evaluator's over the recorded history, and the
// answer of a second Database holding the same history with no indexes at all (full scans only). Both
// databases have lazyIndexes off, so the planner creates no index by itself. Also: writes in batches (some
// several versions of one document), writes during the index builds, queries while writes land (MVCC),
// keyset paging with AFTER while writes land, indexes dropped and built again, reopens with and without a
// checkpoint, and history retention (AS OF below the horizon refused, never answered wrongly). EXPLAIN of
// every query counts the index paths that ran; each must have run over the whole test.
// Seeded and replayable: NEDB_SEED=<n> [NEDB_RUNS=<histories>] npx vitest run test/nql/differential-engine.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataDirectory, V1Database, isNedbError, systemClock, type BatchOp, type Database, type JsonDocument } from '../../core/index.js';
import type { ProcessInfo } from '../../core/platform/process-info.js';
import { SimFileSystem } from '../../core/platform/sim-file-system.js';
import { DatabaseQuerySource } from '../../http/query-source.js';
import type { CompareOp, ExprNode, FieldNode, OrderByNode, QueryNode, SelectNode, ValueNode } from '../../nql/ast.js';
import type { TextSpan } from '../../nql/errors.js';
import { isNqlError } from '../../nql/errors.js';
import type { ExplainRow } from '../../nql/explain.js';
import { runQuery } from '../../nql/executor.js';
import { parse } from '../../nql/parser.js';
import { evaluate, ReferenceEvaluationError, type Doc, type History, type HistoryOp } from './reference-evaluator.js';

const seed = Number(process.env['NEDB_SEED'] ?? 20261203);
const span: TextSpan = { offset: 0, end: 0, line: 1, col: 1 };
const dead: ProcessInfo = { pid: () => 7, isAlive: () => false, startTime: () => null, bootId: () => null };
const coll = 'c';

// ---- documents -------------------------------------------------------------------------------------------

// Strings longer than an index key holds (1024 bytes): a cut key, a cut search term (two long tokens that
// share their first 1024 characters), multi-byte text.
const longStrings = [
  'lorem red ipsum car '.repeat(60),
  `${'a'.repeat(1030)}b`,
  `${'a'.repeat(1030)}c`,
  'é'.repeat(600),
  `${'m'.repeat(1023)} tail`,
];
const words = ['red', 'car', 'blue', 'sky', 'Oslo', 'rome', 'x1', 'lorem', 'g1', 'k1', 'İstanbul'];
const shortStrings = [
  '', 'a', 'b', 'B', 'm', 'z', 'red', 'Red Car', 'car', 'blue sky', 'Oslo', 'rome', 'x1', 'g1', '10', '9',
  'Ünïcödé', 'smile 😀', 'ß', 'é', '\uff5e', 'z\u0000', 'tab\there', "it's", 'say "hi"', 'K1 k10', 'İstanbul', '\u212Aelvin',
];
const groups = ['g0', 'g1', 'g2', 'g3'];
const number = fc.oneof(fc.integer({ min: -3, max: 6 }), fc.integer({ min: -12, max: 24 }).map((k) => k / 4 + 0.125));
/** Numbers at the ends of the key encoding, in documents only (their NQL text is not plain). */
const docNumber = fc.oneof({ weight: 20, arbitrary: number }, { weight: 1, arbitrary: fc.constantFrom(2 ** 53 + 2, -(2 ** 60), 1e300, -1e-300, 5e-324, 0.1 + 0.2, 1e21) });
const shortString = fc.constantFrom(...shortStrings);
const someString = fc.oneof({ weight: 12, arbitrary: shortString }, { weight: 1, arbitrary: fc.constantFrom(...longStrings) });
const word = fc.constantFrom(...words);

/** A history is tidy (no field of a sorted index mixes numbers and strings: index order is v1's) or messy. */
function docOf(messy: boolean): fc.Arbitrary<Doc> {
  const orNull = <T>(arbitrary: fc.Arbitrary<T>, weight = 8) => fc.oneof({ weight, arbitrary }, { weight: 1, arbitrary: fc.constant(null) });
  const messyToo = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    messy ? fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: fc.oneof(shortString, number, fc.array(word, { maxLength: 2 })) }) : arbitrary;
  const nested = fc.record(
    {
      x: messyToo(orNull(fc.oneof({ weight: 4, arbitrary: docNumber }, { weight: 1, arbitrary: fc.boolean() }))),
      y: fc.oneof(fc.record({ z: fc.oneof(number, shortString) }, { requiredKeys: [] }), number),
      w: someString,
    },
    { requiredKeys: [] },
  );
  const body = fc.record(
    {
      g: messyToo(orNull(fc.constantFrom(...groups), 10)),
      n: messyToo(orNull(fc.oneof({ weight: 6, arbitrary: docNumber }, { weight: 1, arbitrary: fc.boolean() }))),
      s: orNull(someString),
      t: fc.oneof(docNumber, shortString, fc.boolean(), fc.constant(null)),
      b: fc.boolean(),
      obj: fc.oneof({ weight: 6, arbitrary: nested }, { weight: 1, arbitrary: fc.oneof(number, shortString, fc.array(number, { maxLength: 2 })) }),
      tags: fc.array(word, { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  // Rarely: a flat field named like a dotted path (`{"obj.x": …}`), which NQL's `obj.x` does not read (it
  // follows the path), and a user `_id` that differs from the key (v1: the user's wins; rows keep key order).
  const extras = fc.record(
    {
      'obj.x': fc.oneof(number, shortString),
      _id: fc.constantFrom('user-id', 'k05'),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(body, fc.option(extras, { freq: 12 })).map(([found, extra]) => ({ ...found, ...(extra ?? {}) }));
}

// Ids, some prefixes of others, some where code point order (the engine's, and the reference's) and UTF-16
// order differ (U+FF5E sorts below U+1F600 by code point, above its surrogates by UTF-16).
const ids = [
  ...Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}`),
  'k1', 'k10', 'k100', 'K1', 'a', '_z', 'Z9', 'k', 'é', '\uff5e', '😀', 'k😀', 'k\uff5e', 'x'.repeat(300),
];

/** Writes go to the indexed collection `c`, some to `k` (never indexed: maintenance must leave it alone). */
type Write = { coll: string; id: string; doc: Doc | undefined; batch: number };
const write = (messy: boolean): fc.Arbitrary<Write> =>
  fc.record({
    coll: fc.constantFrom(coll, coll, coll, coll, coll, 'k'),
    id: fc.constantFrom(...ids),
    doc: fc.oneof({ weight: 5, arbitrary: docOf(messy) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    // How many writes from here on go in one Database.batch (one commit, several seqs).
    batch: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 5 }) }),
  });

/** Writes, some in bursts: several versions of one document in one batch (put, put, delete, put …). */
const writes = (messy: boolean, minLength: number, maxLength: number): fc.Arbitrary<Write[]> =>
  fc
    .array(
      fc.oneof(
        { weight: 10, arbitrary: write(messy).map((one) => [one]) },
        {
          weight: 1,
          arbitrary: fc.tuple(write(messy), fc.array(write(messy), { minLength: 1, maxLength: 3 })).map(([head, rest]) => {
            const burst = [head, ...rest.map((found) => ({ ...found, coll: head.coll, id: head.id }))];
            return burst.map((found, i) => ({ ...found, batch: i === 0 ? burst.length : 1 }));
          }),
        },
      ),
      { minLength, maxLength },
    )
    .map((groups) => groups.flat());

type Scenario = {
  partitions: number;
  messy: boolean;
  before: Write[];
  after: Write[];
  sortedOn: string[];
  sortedKind: 'sorted' | 'ordered';
  eqOn: string;
  /** Write `after` while the indexes build (else once they are ready). */
  duringBuild: boolean;
  reopenBefore: boolean;
  reopenAfter: boolean;
  /** Drop the compound index and every definition on `s` (the search index with them), query, add them back. */
  rebuild: boolean;
  /** historyRetentionSeqs: a checkpoint drops versions older than this many seqs (AS OF below: an error). */
  retention: number | null;
};

const scenario: fc.Arbitrary<Scenario> = fc.boolean().chain((messy) =>
  fc.record({
    partitions: fc.integer({ min: 2, max: 3 }),
    messy: fc.constant(messy),
    before: fc.oneof(writes(messy, 10, 60), writes(messy, 60, 160)),
    after: fc.oneof(fc.constant<Write[]>([]), writes(messy, 1, 30)),
    sortedOn: fc.subarray(['n', 's', 'obj.x', 'g'], { minLength: 1 }),
    sortedKind: fc.constantFrom<'sorted' | 'ordered'>('sorted', 'ordered'),
    eqOn: fc.constantFrom('t', 'b', 'g'),
    duringBuild: fc.boolean(),
    reopenBefore: fc.boolean(),
    reopenAfter: fc.boolean(),
    rebuild: fc.boolean(),
    retention: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(0, 10, 40) }),
  }),
);

// ---- queries ---------------------------------------------------------------------------------------------

function field(name: string): FieldNode {
  return { kind: 'Field', name, path: name.split('.'), span };
}
const value = (found: ValueNode['value']): ValueNode => ({ kind: 'Value', value: found, span });

const valuePools: Record<string, fc.Arbitrary<ValueNode['value']>> = {
  g: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...groups, 'g9') }, { weight: 1, arbitrary: fc.oneof(number, fc.constant(null)) }),
  n: fc.oneof({ weight: 5, arbitrary: number }, { weight: 1, arbitrary: fc.oneof(fc.boolean(), fc.constant(null), shortString) }),
  s: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...shortStrings.filter((text) => !(text.includes('"') && text.includes("'")))) }, { weight: 1, arbitrary: fc.oneof(number, fc.constant(null)) }),
  t: fc.oneof(number, fc.constantFrom('a', 'red', 'z', '10', 'car'), fc.boolean()),
  b: fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 1 })),
  'obj.x': fc.oneof({ weight: 5, arbitrary: number }, { weight: 1, arbitrary: fc.oneof(fc.boolean(), fc.constant(null), shortString) }),
};
const otherValue = fc.oneof(number, fc.constantFrom('red', 'a', 'car', 'm'), fc.constant(null), fc.boolean());
const indexedField = fc.constantFrom('g', 'n', 's', 't', 'b', 'obj.x');
const anyField = fc.constantFrom('g', 'n', 's', 't', 'b', 'obj.x', 'obj.y.z', 'obj', 'tags', 'nope', '_id', '_seq');
const poolOf = (name: string) => valuePools[name] ?? otherValue;

/** A condition on one field with values the field's documents often hold. */
const leafOn = (name: string): fc.Arbitrary<ExprNode> => {
  const pool = poolOf(name).map(value);
  const over = field(name);
  return fc.oneof(
    { weight: 4, arbitrary: pool.map((found): ExprNode => ({ kind: 'Condition', field: over, op: '=', value: found, span })) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom<CompareOp>('<', '<=', '>', '>=', '!='), pool).map(([op, found]): ExprNode => ({ kind: 'Condition', field: over, op, value: found, span })) },
    { weight: 2, arbitrary: fc.array(pool, { minLength: 1, maxLength: 3 }).map((values): ExprNode => ({ kind: 'In', field: over, values, span })) },
    { weight: 2, arbitrary: fc.tuple(pool, pool).map(([low, high]): ExprNode => ({ kind: 'Between', field: over, low, high, span })) },
  );
};
const indexedLeaf = indexedField.chain(leafOn);
const anyLeaf = anyField.chain(leafOn);

function expr(depth: number): fc.Arbitrary<ExprNode> {
  if (depth === 0) return anyLeaf;
  const inner = expr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: anyLeaf },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom<'And' | 'Or'>('And', 'Or'), fc.array(inner, { minLength: 2, maxLength: 3 })).map(([kind, operands]): ExprNode => ({ kind, operands, span })) },
    { weight: 1, arbitrary: inner.map((operand): ExprNode => ({ kind: 'Not', operand, span })) },
  );
}

/** WHERE: a top-level AND of conditions on indexed fields (what the planner reads indexes for), sometimes with
 * another condition of any shape, sometimes all under OR or NOT (no index then), sometimes none. */
const where: fc.Arbitrary<ExprNode | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 8,
    arbitrary: fc.tuple(fc.array(indexedLeaf, { minLength: 1, maxLength: 3 }), fc.option(expr(2), { freq: 3 })).map(([leaves, other]): ExprNode => {
      const operands = other === null ? leaves : [...leaves, other];
      return operands.length === 1 ? operands[0]! : { kind: 'And', operands, span };
    }),
  },
  { weight: 1, arbitrary: fc.array(indexedLeaf, { minLength: 2, maxLength: 3 }).map((operands): ExprNode => ({ kind: 'Or', operands, span })) },
  { weight: 1, arbitrary: indexedLeaf.map((operand): ExprNode => ({ kind: 'Not', operand, span })) },
);

const key = (name: string, descending: boolean): OrderByNode => ({ kind: 'OrderBy', field: field(name), descending, span });
const orderBy: fc.Arbitrary<OrderByNode[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<OrderByNode[]>([]) },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('n', 's', 'obj.x', 'g', 't', 'n', 'n'), fc.boolean()).map(([name, descending]) => [key(name, descending)]) },
  { weight: 1, arbitrary: fc.boolean().map((descending) => [key('g', descending), key('n', descending)]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('n', 's', 'g'), fc.constantFrom('n', 's', 'obj.x', '_id'), fc.boolean(), fc.boolean()).map(([a, b, x, y]) => [key(a, x), key(b, y)]) },
);

const integer = (min: number, max: number) => fc.integer({ min, max }).map((found) => ({ kind: 'Integer' as const, value: found, span }));
const searchWords = fc.constantFrom(...words, 'k00', 'ipsum', 'nope', `${'a'.repeat(1030)}b`, 'Ünïcödé', 'ß', 'user', 'kelvin', 'k', 'i');

type AsOf = { kind: 'head' } | { kind: 'recorded'; pick: number } | { kind: 'before' } | { kind: 'beyond' };
type QuerySpec = { node: QueryNode; asOf: AsOf };

const select: fc.Arbitrary<SelectNode | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant<SelectNode>({ kind: 'SelectCount', span }) },
  { weight: 1, arbitrary: fc.array(anyField.map(field), { minLength: 1, maxLength: 2 }).map((fields): SelectNode => ({ kind: 'SelectFields', fields, span })) },
);

const asOf: fc.Arbitrary<AsOf> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<AsOf>({ kind: 'head' }) },
  { weight: 4, arbitrary: fc.nat().map((pick): AsOf => ({ kind: 'recorded', pick })) },
  { weight: 1, arbitrary: fc.constantFrom<AsOf>({ kind: 'before' }, { kind: 'beyond' }) },
);

const generalQuery: fc.Arbitrary<QuerySpec> = fc
  .record({
    where,
    search: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(searchWords, { minLength: 1, maxLength: 2 }).map((list) => ({ kind: 'String' as const, value: list.join(' '), span })) }),
    orderBy,
    limit: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: integer(0, 8) }, { weight: 1, arbitrary: integer(-2, -1) }),
    offset: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: integer(0, 3) }),
    groupBy: fc.oneof({ weight: 15, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('g', 'n', 'b').map((name) => ({ kind: 'GroupBy' as const, field: field(name), aggregate: undefined, span })) }),
    select,
    asOf,
    into: fc.constantFrom(coll, coll, coll, coll, coll, coll, coll, 'k'),
  })
  .map(({ asOf: at, into, ...parts }): QuerySpec => ({
    asOf: at,
    node: { kind: 'Query', collection: { kind: 'Name', name: into, span }, asOf: undefined, validAsOf: undefined, traverse: undefined, trace: undefined, after: undefined, ...parts, span },
  }));

/** `g = x [AND other] ORDER BY n [DESC] LIMIT k`: the compound index's ordered read with an equality prefix. */
const compoundQuery: fc.Arbitrary<QuerySpec> = fc
  .record({
    group: fc.constantFrom(...groups),
    other: fc.option(fc.oneof(leafOn('n'), anyLeaf), { freq: 2 }),
    descending: fc.boolean(),
    limit: integer(1, 6),
    offset: fc.option(integer(0, 2), { nil: undefined }),
    asOf,
  })
  .map(({ group, other, descending, limit, offset, asOf: at }): QuerySpec => {
    const pin: ExprNode = { kind: 'Condition', field: field('g'), op: '=', value: value(group), span };
    return {
      asOf: at,
      node: {
        kind: 'Query', collection: { kind: 'Name', name: coll, span }, asOf: undefined, validAsOf: undefined, traverse: undefined, trace: undefined,
        after: undefined, where: other === null ? pin : { kind: 'And', operands: [pin, other], span }, search: undefined,
        orderBy: [key('n', descending)], limit, offset, groupBy: undefined, select: undefined, span,
      },
    };
  });

const query = fc.oneof({ weight: 5, arbitrary: generalQuery }, { weight: 1, arbitrary: compoundQuery });

// ---- printing a tree as NQL text -------------------------------------------------------------------------

function printString(text: string): string {
  return text.includes('"') ? `'${text}'` : `"${text}"`;
}

function printValue(node: ValueNode): string {
  const found = node.value;
  if (found === null) return 'NULL';
  if (typeof found === 'boolean') return found ? 'TRUE' : 'false';
  if (typeof found === 'number') return String(found);
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
      text = `${node.field.name} BETWEEN ${printValue(node.low)} AND ${printValue(node.high)}`;
      break;
    case 'And':
      text = node.operands.map((operand) => printExpr(operand, 3)).join(' AND ');
      break;
    case 'Or':
      text = node.operands.map((operand) => printExpr(operand, 2)).join(' OR ');
      break;
    case 'Not':
      text = `NOT ${printExpr(node.operand, 3)}`;
      break;
  }
  return precedence[node.kind] < least ? `(${text})` : text;
}

function printQuery(node: QueryNode): string {
  const parts = [`FROM ${node.collection.name}`];
  if (node.asOf !== undefined) parts.push(`AS OF ${node.asOf.value}`);
  if (node.where !== undefined) parts.push(`WHERE ${printExpr(node.where, 0)}`);
  if (node.search !== undefined) parts.push(`SEARCH ${printString(node.search.value)}`);
  if (node.orderBy.length > 0) parts.push(`ORDER BY ${node.orderBy.map((found) => `${found.field.name}${found.descending ? ' DESC' : ''}`).join(', ')}`);
  if (node.limit !== undefined) parts.push(`LIMIT ${node.limit.value}`);
  if (node.offset !== undefined) parts.push(`OFFSET ${node.offset.value}`);
  if (node.after !== undefined) parts.push(`AFTER '${node.after.value}'`);
  if (node.groupBy !== undefined) parts.push(`GROUP BY ${node.groupBy.field.name}`);
  if (node.select?.kind === 'SelectCount') parts.push('SELECT COUNT(*)');
  if (node.select?.kind === 'SelectFields') parts.push(`SELECT ${node.select.fields.map((f) => f.name).join(', ')}`);
  return parts.join(' ');
}

// ---- the engine side -------------------------------------------------------------------------------------

/** Two databases in one data directory, written in lockstep: `indexed` (with indexes) and `plain` (none). */
class Pair {
  /** The reference history: op i is the write that took seq i (a filler op where a seq held no user write). */
  readonly ops: HistoryOp[] = [];
  /** Seqs of the writes, for AS OF. */
  readonly seqs: number[] = [];
  private readonly live = new Set<string>(); // JSON [coll, id]
  private data!: DataDirectory;
  indexed!: Database;
  plain!: Database;
  v1Indexed!: V1Database;
  v1Plain!: V1Database;

  private constructor(private readonly fs: SimFileSystem) {}

  static async create(partitions: number, historyRetentionSeqs: number | null): Promise<Pair> {
    const pair = new Pair(new SimFileSystem());
    pair.data = await pair.openData();
    pair.indexed = await pair.data.create('indexed', { partitions, lazyIndexes: false, historyRetentionSeqs });
    pair.plain = await pair.data.create('plain', { partitions, lazyIndexes: false, historyRetentionSeqs });
    await pair.wrap();
    return pair;
  }

  private openData(): Promise<DataDirectory> {
    return DataDirectory.open('/data', { fs: this.fs, processes: dead, checkpointIntervalSeconds: 0, durability: 'async' });
  }

  private async wrap(): Promise<void> {
    this.v1Indexed = await V1Database.open(this.indexed, systemClock);
    this.v1Plain = await V1Database.open(this.plain, systemClock);
  }

  async apply(writes: readonly Write[]): Promise<void> {
    let at = 0;
    while (at < writes.length) {
      const group = writes.slice(at, at + writes[at]!.batch);
      at += group.length;
      const ops: BatchOp[] = [];
      const recorded: HistoryOp[] = [];
      for (const { coll: into, id, doc } of group) {
        const liveKey = JSON.stringify([into, id]);
        if (doc === undefined && !this.live.has(liveKey)) continue;
        // As V1Database.put stores it: `_id` set unless the user gave one.
        const stored = doc === undefined ? undefined : { _id: id, ...doc };
        ops.push(stored === undefined ? { op: 'delete', coll: into, id } : { op: 'put', coll: into, id, doc: stored as JsonDocument });
        recorded.push({ coll: into, id, doc: stored });
        if (stored === undefined) this.live.delete(liveKey);
        else this.live.add(liveKey);
      }
      if (ops.length === 0) continue;
      const seqs = (await this.indexed.batch(ops)).seqs;
      expect((await this.plain.batch(ops)).seqs).toEqual(seqs);
      seqs.forEach((seq, i) => this.record(seq, recorded[i]!));
      seen.writes += seqs.length;
      seen.maxLive = Math.max(seen.maxLive, this.live.size);
    }
  }

  private record(seq: number, op: HistoryOp): void {
    this.pad(seq - 1);
    expect(this.ops.length).toBe(seq);
    this.ops.push(op);
    this.seqs.push(seq);
  }

  /** Filler ops (a collection no query reads) up to `seq`, so that op i is seq i. */
  pad(seq: number): void {
    while (this.ops.length <= seq) this.ops.push({ coll: '\u0001filler', id: 'x', doc: undefined });
  }

  async reopen(checkpoint: boolean): Promise<void> {
    if (checkpoint) {
      await this.indexed.checkpoint();
      await this.plain.checkpoint();
    }
    await this.data.close();
    this.data = await this.openData();
    this.indexed = await this.data.open('indexed');
    this.plain = await this.data.open('plain');
    await this.wrap();
  }

  async close(): Promise<void> {
    await this.data.close();
  }

  /** The history as the reference sees it: every seq up to both databases' committed seq. */
  history(): History {
    expect(this.plain.seq).toBe(this.indexed.seq);
    this.pad(this.indexed.seq);
    expect(this.ops.length - 1).toBe(this.indexed.seq);
    return { ops: [...this.ops] };
  }
}

async function addIndexes(pair: Pair, spec: Scenario): Promise<(() => Promise<void> | undefined)[]> {
  const v1 = pair.v1Indexed;
  for (const name of spec.sortedOn) await v1.addIndex(coll, name, spec.sortedKind);
  await v1.addIndex(coll, ['g', 'n'], 'sorted');
  await v1.addIndex(coll, spec.eqOn, 'eq');
  await v1.addIndex(coll, 's', 'search');
  const trees = [...spec.sortedOn.map((name) => [name]), ['g', 'n'], [spec.eqOn]];
  return [...trees.map((fields) => () => pair.indexed.whenIndexReady(coll, fields)), () => pair.indexed.whenSearchIndexReady(coll)];
}

async function whenReady(pair: Pair, waits: (() => Promise<void> | undefined)[]): Promise<void> {
  for (const wait of waits) {
    const ready = wait();
    expect(ready, 'every index defined has a structure').toBeDefined();
    await ready;
  }
  for (const info of pair.indexed.indexList()) expect(info.state).toBe('ready');
}

// ---- comparing -------------------------------------------------------------------------------------------

type Outcome = { rows: Doc[]; count: number } | { error: string };
const retainedNot = { error: 'HISTORY_RETAINED_NOT' } as const;

async function actual(text: string, v1: V1Database): Promise<Outcome> {
  try {
    const result = await runQuery(text, new DatabaseQuerySource(v1, 60_000, () => 0));
    return { rows: result.rows, count: result.count };
  } catch (error) {
    if (isNedbError(error, 'HISTORY_RETAINED_NOT')) return retainedNot;
    if (!isNqlError(error)) throw error;
    return { error: error.message };
  }
}

/**
 * The indexed database's answer equals the reference's, and so does the plain one's. An AS OF below the
 * retention horizon (the same on both: same checkpoints) is refused, but a path may refuse only once it
 * reads (a full scan under LIMIT 0 reads nothing and answers): either answer is accepted there, never wrong rows.
 */
function compare(text: string, indexed: Outcome, plain: Outcome, reference: Outcome, note: string): void {
  const refused = (found: Outcome) => 'error' in found && found.error === retainedNot.error;
  if (refused(indexed) || refused(plain)) seen.retainedNot++;
  if (!refused(indexed)) expect(indexed, `${text} (indexed${note})`).toEqual(reference);
  if (!refused(plain)) expect(plain, `${text} (no indexes${note})`).toEqual(reference);
}

function expected(node: QueryNode, history: History): Outcome {
  try {
    const rows = evaluate(node, history);
    return { rows, count: rows.length };
  } catch (error) {
    if (!(error instanceof ReferenceEvaluationError)) throw error;
    return { error: error.message };
  }
}

const seen = { rebuilt: 0, pagesWalked: 0, writes: 0, maxLive: 0, retainedNot: 0, whileWriting: 0, loaded: 0, queries: 0, ordered: 0, orderedCompound: 0, orderedBounded: 0, lookup: 0, intersection: 0, search: 0, inRead: 0, rangeRead: 0, lookupAsOf: 0, histories: 0, reopened: 0, maintained: 0 };

async function explain(text: string, v1: V1Database, asOfSet: boolean): Promise<void> {
  let rows: ExplainRow[];
  try {
    rows = (await runQuery(`EXPLAIN ${text}`, new DatabaseQuerySource(v1, 60_000, () => 0))).rows as ExplainRow[];
  } catch (error) {
    if (!isNqlError(error) && !isNedbError(error, 'HISTORY_RETAINED_NOT')) throw error;
    return;
  }
  for (const row of rows) {
    if (row.kind === 'IndexOrderedScan') {
      seen.ordered++;
      if ((row.index?.fields.length ?? 0) > 1 && (row.index?.prefix.length ?? 0) > 0) seen.orderedCompound++;
      if (row.index?.lower !== null || row.index?.upper !== null) seen.orderedBounded++;
    }
    if (row.kind === 'IndexLookup') {
      const reads = row.indexes ?? [];
      seen.lookup++;
      if (reads.length >= 2) seen.intersection++;
      if (reads.some((read) => read.tokens !== null)) seen.search++;
      if (reads.some((read) => read.values !== null)) seen.inRead++;
      if (reads.some((read) => read.lower !== null || read.upper !== null)) seen.rangeRead++;
      if (asOfSet) seen.lookupAsOf++;
    }
  }
}

function settle(spec: QuerySpec, pair: Pair): QueryNode {
  const at = spec.asOf;
  const head = pair.indexed.seq;
  let seq: number | undefined;
  if (at.kind === 'recorded') seq = pair.seqs.length === 0 ? head : pair.seqs[at.pick % pair.seqs.length];
  if (at.kind === 'before') seq = -1;
  if (at.kind === 'beyond') seq = head + 3;
  return seq === undefined ? spec.node : { ...spec.node, asOf: { kind: 'Integer', value: seq, span } };
}

async function check(pair: Pair, specs: readonly QuerySpec[]): Promise<void> {
  const history = pair.history();
  for (const spec of specs) {
    const node = settle(spec, pair);
    const text = printQuery(node);
    const reference = expected(node, history);
    compare(text, await actual(text, pair.v1Indexed), await actual(text, pair.v1Plain), reference, '');
    await explain(text, pair.v1Indexed, node.asOf !== undefined);
    seen.queries++;
  }
}

/**
 * Queries that run while writes land: each reads at the seq its source was made at (MVCC), so its answer is
 * the reference's over the history up to that seq, however the writes interleave with its pages.
 */
async function checkWhileWriting(pair: Pair, specs: readonly QuerySpec[], writes: readonly Write[]): Promise<void> {
  const pending = [...writes];
  for (const spec of specs) {
    const history = pair.history();
    const node = settle(spec, pair);
    const text = printQuery(node);
    const reference = expected(node, history);
    const outcomes = Promise.all([actual(text, pair.v1Indexed), actual(text, pair.v1Plain)]);
    await pair.apply(pending.splice(0, 3));
    const [indexed, plain] = await outcomes;
    compare(text, indexed, plain, reference, ', writes arriving');
    seen.whileWriting++;
  }
}

/**
 * Keyset paging: LIMIT k pages walked with AFTER '<cursor>' on both databases in lockstep, writes landing
 * between pages; every page reads at the first page's seq, so the pages together are the reference's rows.
 */
async function checkPaging(pair: Pair, specs: readonly QuerySpec[], writes: readonly Write[]): Promise<void> {
  const pending = [...writes];
  for (const [i, spec] of specs.entries()) {
    const settled = settle(spec, pair);
    const whole: QueryNode = { ...settled, groupBy: undefined, offset: undefined, limit: undefined, select: settled.select?.kind === 'SelectCount' ? undefined : settled.select };
    const reference = expected(whole, pair.history());
    if ('error' in reference) continue;
    const paged: QueryNode = { ...whole, limit: { kind: 'Integer', value: 1 + (i % 4), span } };
    const walks = [pair.v1Indexed, pair.v1Plain].map(() => ({ rows: [] as Doc[], cursor: undefined as string | undefined, pages: 0, refused: false }));
    for (let first = true; first || walks.some((walk) => walk.cursor !== undefined); first = false) {
      for (const [w, v1] of [pair.v1Indexed, pair.v1Plain].entries()) {
        const walk = walks[w]!;
        if (!first && walk.cursor === undefined) continue;
        const text = printQuery(walk.cursor === undefined ? paged : { ...paged, after: { kind: 'String', value: walk.cursor, span } });
        try {
          const result = await runQuery(text, new DatabaseQuerySource(v1, 60_000, () => 0));
          walk.rows.push(...result.rows);
          walk.cursor = result.cursor;
          walk.pages++;
        } catch (error) {
          if (!isNedbError(error, 'HISTORY_RETAINED_NOT')) throw error;
          walk.refused = true;
          walk.cursor = undefined;
        }
      }
      await pair.apply(pending.splice(0, 2));
    }
    const text = printQuery(paged);
    for (const [w, walk] of walks.entries()) if (!walk.refused) expect(walk.rows, `${text} (${w === 0 ? 'indexed' : 'no indexes'}, paged)`).toEqual(reference.rows);
    seen.pagesWalked += walks[0]!.pages;
  }
}

describe('nql differential over the engine: index paths against the reference and against full scans', () => {
  it('reads a dotted path through an index as NQL does, not a flat field of that name', async () => {
    // docs/NQL.md: `a.b` reads doc.a.b (each step an own field); a flat key "a.b" is another field. Found by
    // the property below: the index on obj.x keyed {"obj.x": "", obj: {x: 1}} by "", so a lookup and an
    // ordered read disagreed with the scan.
    const pair = await Pair.create(2, null);
    try {
      const flat = { coll, batch: 1 };
      await pair.apply([
        { ...flat, id: 'a', doc: { 'obj.x': '', obj: { x: 1 } } },
        { ...flat, id: 'b', doc: { 'obj.x': 100, obj: { x: 2 } } },
        { ...flat, id: 'c', doc: { 'obj.x': 1 } },
        { ...flat, id: 'd', doc: { obj: { x: 3 } } },
      ]);
      await pair.v1Indexed.addIndex(coll, 'obj.x', 'sorted');
      await pair.indexed.whenIndexReady(coll, 'obj.x');
      const history = pair.history();
      for (const text of ['FROM c WHERE obj.x = 1', 'FROM c WHERE obj.x > 0.5', 'FROM c ORDER BY obj.x DESC LIMIT 2', 'FROM c WHERE obj.x IN (1, 2)']) {
        const { ast } = parse(text);
        const reference = expected(ast!, history);
        compare(text, await actual(text, pair.v1Indexed), await actual(text, pair.v1Plain), reference, '');
      }
    } finally {
      await pair.close();
    }
  });

  it(`gives the reference's rows and count through every access path (seed ${seed})`, { timeout: 300_000 }, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(scenario, fc.array(query, { minLength: 15, maxLength: 30 }), fc.array(query, { minLength: 5, maxLength: 15 }), async (spec, queries, early) => {
        const pair = await Pair.create(spec.partitions, spec.retention);
        try {
          seen.histories++;
          await pair.apply(spec.before);
          const waits = await addIndexes(pair, spec);
          if (spec.duringBuild) {
            await pair.apply(spec.after);
            await whenReady(pair, waits);
          } else {
            await whenReady(pair, waits);
            // Queries on the freshly built indexes, then writes that the indexes must follow.
            await check(pair, early);
            await pair.apply(spec.after);
          }
          if (spec.after.length > 0) seen.maintained++;
          if (spec.reopenBefore) {
            await check(pair, early);
            await pair.reopen(true);
            await whenReady(pair, waits);
            seen.reopened++;
            seen.loaded += pair.indexed.indexList().filter((info) => info.loaded).length;
          }
          await check(pair, queries);
          if (spec.rebuild) {
            expect(await pair.v1Indexed.dropIndex(coll, ['g', 'n'])).toBe(true);
            expect(await pair.v1Indexed.dropIndex(coll, 's')).toBe(true);
            await pair.apply(spec.after.slice(0, 5));
            await check(pair, early);
            await addIndexes(pair, spec);
            await whenReady(pair, waits);
            await check(pair, early);
            seen.rebuilt++;
          }
          if (spec.reopenAfter) {
            // More writes, a reopen without a checkpoint (the log replays over whatever was persisted), more writes.
            await pair.apply(spec.before.slice(0, 8));
            await pair.reopen(false);
            await whenReady(pair, waits);
            seen.reopened++;
            await pair.apply(spec.before.slice(8, 14));
            await check(pair, early);
          }
          await checkWhileWriting(pair, early, [...spec.after, ...spec.before].slice(-24));
          await checkPaging(pair, queries.slice(0, 6), spec.before.slice(-30));
        } finally {
          await pair.close();
        }
      }),
      { seed, numRuns: Number(process.env['NEDB_RUNS'] ?? 400) },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`differential-engine: ${seconds} s`, seen);
    // The index paths really ran.
    expect(seen.ordered).toBeGreaterThan(0);
    expect(seen.orderedCompound).toBeGreaterThan(0);
    expect(seen.orderedBounded).toBeGreaterThan(0);
    expect(seen.lookup).toBeGreaterThan(0);
    expect(seen.intersection).toBeGreaterThan(0);
    expect(seen.search).toBeGreaterThan(0);
    expect(seen.inRead).toBeGreaterThan(0);
    expect(seen.rangeRead).toBeGreaterThan(0);
    expect(seen.lookupAsOf).toBeGreaterThan(0);
    expect(seen.loaded).toBeGreaterThan(0);
  });
});
