// The query plan: what the executor will do, in v1's execution order (UPSTREAM.md §4.3) with the extensions
// slotted in (docs/NQL.md), apart from the syntax tree it came from (STYLE.md §11). Planning is a pure
// function of the tree. v1 used no index but SEARCH's, and SEARCH now reads documents in both paths (see
// search.ts), so the only candidates are a scan; the cost-based planner replaces this file's Candidates.

import { assert, assertNever } from '../core/index.js';
import type { CompareOp, ExprNode, FieldNode, QueryNode } from './ast.js';
import type { Literal } from './compare.js';
import { decodeCursor, queryFingerprint, type Cursor } from './cursor.js';
import type { TextSpan } from './errors.js';
import type { GroupSpec } from './group.js';
import { pyRepr } from './python.js';
import { searchTokens } from './search.js';

/** A field read: `name` as written (`a.b`), `path` its segments. */
export type FieldRef = Readonly<{ name: string; path: readonly string[] }>;

/** WHERE, two-valued as in v1: a comparison v1 calls false is false, so NOT of it is true. */
export type Predicate =
  | Readonly<{ kind: 'Compare'; field: FieldRef; op: CompareOp; value: Literal }>
  | Readonly<{ kind: 'In'; field: FieldRef; values: readonly Literal[] }>
  | Readonly<{ kind: 'Between'; field: FieldRef; low: Literal; high: Literal }>
  | Readonly<{ kind: 'And' | 'Or'; operands: readonly Predicate[] }>
  | Readonly<{ kind: 'Not'; operand: Predicate }>;

/** Candidate keys (every live key at the read seq), loaded and filtered. */
export type CandidatesPlan = Readonly<{
  kind: 'Candidates';
  collection: string;
  filter: Predicate | undefined;
  /** SEARCH tokens; undefined without SEARCH. */
  searchTokens: readonly string[] | undefined;
}>;

export type SortKey = Readonly<{ field: FieldRef; descending: boolean }>;

/** What the LIMIT step needs to hand out a cursor for the next page. */
export type CursorSpec = Readonly<{ fingerprint: number; keys: readonly FieldRef[] }>;

/** Steps that turn rows into rows, in order. */
export type RowStep =
  | Readonly<{ kind: 'Sort'; keys: readonly SortKey[] }>
  | Readonly<{ kind: 'After'; cursor: Cursor; keys: readonly FieldRef[]; span: TextSpan }>
  | Readonly<{ kind: 'Traverse'; relation: string }>
  | Readonly<{ kind: 'Trace' }>
  | Readonly<{ kind: 'TraceReverse'; collection: string }>
  /** `count` undefined: OFFSET alone. `cursor` set when the page may hand out a cursor. */
  | Readonly<{ kind: 'Limit'; count: number | undefined; offset: number; cursor: CursorSpec | undefined }>
  | Readonly<{ kind: 'ValidAt'; date: string }>;

/** What a row of the reply is: the stored doc (v1), a projection, or one `{count}` row. */
export type OutputPlan =
  | Readonly<{ kind: 'Docs' }>
  | Readonly<{ kind: 'Select'; fields: readonly FieldRef[]; grouped: boolean }>
  | Readonly<{ kind: 'Count' }>;

export type Plan = Readonly<{
  kind: 'Plan';
  /** AS OF seq, or undefined to read at the committed seq. */
  asOf: number | undefined;
  /** AFTER: read at the cursor's seq instead. */
  after: Readonly<{ seq: number; span: TextSpan }> | undefined;
  candidates: CandidatesPlan;
  steps: readonly RowStep[];
  group: GroupSpec | undefined;
  output: OutputPlan;
}>;

function fieldRef(field: FieldNode): FieldRef {
  return { name: field.name, path: field.path };
}

function predicate(expr: ExprNode): Predicate {
  switch (expr.kind) {
    case 'Condition':
      return { kind: 'Compare', field: fieldRef(expr.field), op: expr.op, value: expr.value.value };
    case 'In':
      return { kind: 'In', field: fieldRef(expr.field), values: expr.values.map((value) => value.value) };
    case 'Between':
      return { kind: 'Between', field: fieldRef(expr.field), low: expr.low.value, high: expr.high.value };
    case 'And':
    case 'Or':
      return { kind: expr.kind, operands: expr.operands.map(predicate) };
    case 'Not':
      return { kind: 'Not', operand: predicate(expr.operand) };
    default:
      return assertNever(expr);
  }
}

export function planQuery(query: QueryNode): Plan {
  const collection = query.collection.name;
  const candidates: CandidatesPlan = {
    kind: 'Candidates',
    collection,
    filter: query.where === undefined ? undefined : predicate(query.where),
    searchTokens: query.search === undefined ? undefined : searchTokens(query.search.value),
  };
  const orderKeys = query.orderBy.map((key) => fieldRef(key.field));
  const steps: RowStep[] = [];
  if (query.orderBy.length > 0) {
    steps.push({ kind: 'Sort', keys: query.orderBy.map((key) => ({ field: fieldRef(key.field), descending: key.descending })) });
  }
  let after: Plan['after'];
  if (query.after !== undefined) {
    // The parser checked the cursor against this query; a tree that skipped it is a programming error.
    const cursor = decodeCursor(query.after.value);
    assert(cursor !== undefined && cursor.fingerprint === queryFingerprint(query), 'AFTER holds a cursor of this query');
    after = { seq: cursor.seq, span: query.after.span };
    steps.push({ kind: 'After', cursor, keys: orderKeys, span: query.after.span });
  }
  if (query.traverse !== undefined) steps.push({ kind: 'Traverse', relation: query.traverse.name });
  // TRACE's field word is ignored by v1; only REVERSE changes what it does.
  if (query.trace !== undefined) steps.push(query.trace.reverse ? { kind: 'TraceReverse', collection } : { kind: 'Trace' });
  const counting = query.select?.kind === 'SelectCount';
  if (query.limit !== undefined || query.offset !== undefined) {
    // A cursor names a row of the FROM collection in a stable order: not after TRAVERSE, TRACE or GROUP BY.
    const pageable = query.limit !== undefined && query.traverse === undefined && query.trace === undefined &&
      query.groupBy === undefined && !counting;
    steps.push({
      kind: 'Limit', count: query.limit?.value, offset: query.offset?.value ?? 0,
      cursor: pageable ? { fingerprint: queryFingerprint(query), keys: orderKeys } : undefined,
    });
  }
  if (query.validAsOf !== undefined) steps.push({ kind: 'ValidAt', date: query.validAsOf.value });
  const select = query.select;
  const output: OutputPlan =
    select === undefined ? { kind: 'Docs' }
    : select.kind === 'SelectCount' ? { kind: 'Count' }
    : { kind: 'Select', fields: select.fields.map(fieldRef), grouped: query.groupBy !== undefined };
  return { kind: 'Plan', asOf: query.asOf?.value, after, candidates, steps, group: groupSpec(query), output };
}

function groupSpec(query: QueryNode): GroupSpec | undefined {
  if (query.groupBy === undefined) return undefined;
  const aggregate = query.groupBy.aggregate;
  const field = aggregate?.field;
  if (aggregate === undefined || aggregate.name === 'count' || field === undefined) {
    return { field: query.groupBy.field.name, aggregate: undefined };
  }
  return { field: query.groupBy.field.name, aggregate: { name: aggregate.name, field: field.name } };
}

/** A filter as text: v1's `a = 1 and b = 'x'`, with parentheses where precedence needs them. */
export function explainPredicate(found: Predicate): string {
  switch (found.kind) {
    case 'Compare':
      return `${found.field.name} ${found.op} ${pyRepr(found.value)}`;
    case 'In':
      return `${found.field.name} in (${found.values.map(pyRepr).join(', ')})`;
    case 'Between':
      return `${found.field.name} between ${pyRepr(found.low)} and ${pyRepr(found.high)}`;
    case 'And':
      return found.operands.map((operand) => (operand.kind === 'Or' ? `(${explainPredicate(operand)})` : explainPredicate(operand))).join(' and ');
    case 'Or':
      return found.operands.map(explainPredicate).join(' or ');
    case 'Not': {
      const inner = explainPredicate(found.operand);
      return found.operand.kind === 'And' || found.operand.kind === 'Or' ? `not (${inner})` : `not ${inner}`;
    }
    default:
      return assertNever(found);
  }
}

/** EXPLAIN: one deterministic line per step, for review and for tests that pin plan and answer together. */
export function explainPlan(plan: Plan): string[] {
  const { candidates } = plan;
  const where = candidates.filter === undefined ? '' : ` where ${explainPredicate(candidates.filter)}`;
  const search = candidates.searchTokens === undefined ? '' : ` search [${candidates.searchTokens.map(pyRepr).join(', ')}]`;
  const at = plan.after !== undefined ? `cursor seq ${plan.after.seq}` : (plan.asOf ?? 'committed seq');
  const lines = [`Candidates ${candidates.collection} at ${at}${where}${search}`];
  for (const step of plan.steps) lines.push(explainStep(step));
  if (plan.group !== undefined) {
    const aggregate = plan.group.aggregate;
    lines.push(`Group ${plan.group.field}${aggregate === undefined ? '' : ` ${aggregate.name} ${aggregate.field}`}`);
  }
  if (plan.output.kind === 'Select') lines.push(`Select ${plan.output.fields.map((field) => field.name).join(', ')}`);
  if (plan.output.kind === 'Count') lines.push('Count');
  return lines;
}

function explainStep(step: RowStep): string {
  switch (step.kind) {
    case 'Sort':
      return `Sort ${step.keys.map((key) => `${key.field.name} ${key.descending ? 'desc' : 'asc'}`).join(', ')}`;
    case 'After':
      return `After ${pyRepr(step.cursor.id)}`;
    case 'Traverse':
      return `Traverse ${step.relation}`;
    case 'Trace':
      return 'Trace causes';
    case 'TraceReverse':
      return `Trace dependents of ${step.collection}`;
    case 'Limit':
      if (step.count === undefined) return `Offset ${step.offset}`;
      return `Limit ${step.count}${step.offset === 0 ? '' : ` offset ${step.offset}`}`;
    case 'ValidAt':
      return `ValidAt ${pyRepr(step.date)}`;
    default:
      return assertNever(step);
  }
}
