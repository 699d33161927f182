// The query plan: what the executor will do, in v1's execution order (UPSTREAM.md §4.3) with the extensions
// slotted in (docs/NQL.md), apart from the syntax tree it came from (STYLE.md §11). Planning is a pure
// function of the tree. v1 used no index but SEARCH's, and SEARCH now reads documents in both paths (see
// search.ts). The candidates are a scan in id order, or (see orderedAccess) rows in ORDER BY order from a
// sorted index when the source has a ready one: cost.ts decides whether to ask for it.

import { assert, assertNever } from '../core/index.js';
import type { CompareOp, ExprNode, FieldNode, QueryNode } from './ast.js';
import type { Literal } from './compare.js';
import { chooseAccess, type AccessShape } from './cost.js';
import { decodeCursor, queryFingerprint, type Cursor } from './cursor.js';
import type { TextSpan } from './errors.js';
import type { GroupSpec } from './group.js';
import { compareCodePoints, pyRepr } from './python.js';
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

/** One end of an index range: the value and whether rows equal to it are in. */
export type ScanBound = Readonly<{ value: number | string; inclusive: boolean }>;

/**
 * IndexOrderedScan: read the candidates through QuerySource.orderedScan in the order of the single ORDER BY
 * key, inside bounds the WHERE implies, and skip the Sort step. The filter still runs on every row, so the
 * bounds only save reads. When the source has no ready index (orderedScan absent or undefined) the executor
 * scans and sorts as without it.
 */
export type OrderedAccess = Readonly<{
  field: FieldRef;
  descending: boolean;
  lower: ScanBound | undefined;
  upper: ScanBound | undefined;
}>;

/**
 * What WHERE says of one field in its top-level AND: one value (`f = x`), a list (`f IN (...)`), or a range
 * (`f > x`, `f <= y`, BETWEEN; the tightest of each end, of one type). Only numbers and strings: the values
 * an index key orders the way v1 compares them.
 */
export type FieldConstraint = Readonly<{
  field: FieldRef;
  equal?: number | string;
  values?: readonly (number | string)[];
  lower?: ScanBound;
  upper?: ScanBound;
}>;

/** What access.ts needs to choose how to read the candidates (with the source's indexes and statistics). */
export type AccessInput = Readonly<{
  /** ORDER BY keys an index order can give: one direction, stored fields, no TRAVERSE/TRACE/GROUP BY. */
  order: Readonly<{ keys: readonly FieldRef[]; descending: boolean }> | undefined;
  /** Rows the query needs in ORDER BY order (OFFSET + LIMIT), undefined when all. */
  rowsNeeded: number | undefined;
  constraints: readonly FieldConstraint[];
  /** WHERE or SEARCH holds conditions the constraints do not express. */
  residual: boolean;
}>;

/** Candidate keys (every live key at the read seq), loaded and filtered. */
export type CandidatesPlan = Readonly<{
  kind: 'Candidates';
  collection: string;
  filter: Predicate | undefined;
  /** SEARCH tokens; undefined without SEARCH. */
  searchTokens: readonly string[] | undefined;
  /** Read in index order when a ready index allows; undefined: scan in id order. (The shape-only rule, for
   * sources without statistics; access.ts decides with them.) */
  ordered: OrderedAccess | undefined;
  access: AccessInput;
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
    ordered: orderedAccess(query),
    access: accessInput(query),
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

/**
 * The index access path, when the query's shape allows it and cost.ts prefers it: one collection read as
 * candidates (no SEARCH, TRAVERSE, TRACE or GROUP BY), one ORDER BY key on a stored field (`_seq` is the
 * executor's, not the document's). Queries without ORDER BY keep the scan: their rows stay in id order.
 * AFTER needs nothing special: the index gives the scan-and-sort order exactly, and the After step finds
 * the cursor row in it as it would in the sorted rows.
 */
function orderedAccess(query: QueryNode): OrderedAccess | undefined {
  const [key, ...more] = query.orderBy;
  if (key === undefined || more.length > 0) return undefined;
  if (query.search !== undefined || query.traverse !== undefined || query.trace !== undefined || query.groupBy !== undefined) return undefined;
  if (key.field.path[0] === '_seq') return undefined;
  const field = fieldRef(key.field);
  const { lower, upper, residual } = boundsOf(query.where, field);
  const limit = query.limit?.value;
  const shape: AccessShape = {
    rowsNeeded: limit === undefined || limit < 0 ? undefined : limit + (query.offset?.value ?? 0),
    bounds: lower === undefined
      ? (upper === undefined ? 'none' : 'upper')
      : upper === undefined ? 'lower'
      : lower.inclusive && upper.inclusive && lower.value === upper.value ? 'equality' : 'range',
    residualFilter: residual,
  };
  if (chooseAccess(shape) !== 'IndexOrderedScan') return undefined;
  return { field, descending: key.descending, lower, upper };
}

/** A literal an index can look up or bound: a number or a string (others never compare like a key). */
function keyable(value: Literal): value is number | string {
  return (typeof value === 'number' && !Number.isNaN(value)) || typeof value === 'string';
}

function accessInput(query: QueryNode): AccessInput {
  const keys = query.orderBy;
  const orderable = keys.length > 0 && query.traverse === undefined && query.trace === undefined && query.groupBy === undefined &&
    keys.every((key) => key.field.path[0] !== '_seq' && key.descending === keys[0]!.descending);
  const limit = query.limit?.value;
  const { constraints, residual } = constraintsOf(query.where);
  return {
    order: orderable ? { keys: keys.map((key) => fieldRef(key.field)), descending: keys[0]!.descending } : undefined,
    rowsNeeded: limit === undefined || limit < 0 ? undefined : limit + (query.offset?.value ?? 0),
    constraints,
    residual: residual || query.search !== undefined,
  };
}

/**
 * The per-field constraints of WHERE's top-level AND, and whether anything else is left to filter. `residual`
 * only steers the cost estimate: the whole WHERE still runs on every row an index hands out.
 */
function constraintsOf(where: ExprNode | undefined): { constraints: FieldConstraint[]; residual: boolean } {
  const byField = new Map<string, { field: FieldRef; equal?: number | string; values?: (number | string)[]; ranged: boolean }>();
  let residual = false;
  for (const operand of where === undefined ? [] : where.kind === 'And' ? where.operands : [where]) {
    if (operand.kind !== 'Condition' && operand.kind !== 'In' && operand.kind !== 'Between') {
      residual = true;
      continue;
    }
    const name = operand.field.name;
    const found = byField.get(name) ?? { field: fieldRef(operand.field), ranged: false };
    byField.set(name, found);
    const literals = operand.kind === 'Condition' ? [operand.value.value] : operand.kind === 'In' ? operand.values.map((value) => value.value) : [operand.low.value, operand.high.value];
    if (name === '_seq' || name.startsWith('_seq.') || !literals.every(keyable) || (operand.kind === 'Condition' && operand.op === '!=')) residual = true;
    else if (operand.kind === 'Condition' && operand.op === '=' && found.equal === undefined && found.values === undefined) found.equal = literals[0] as number | string;
    else if (operand.kind === 'In' && literals.length > 0 && found.equal === undefined && found.values === undefined) found.values = literals as (number | string)[];
    else if (operand.kind === 'Between' || (operand.kind === 'Condition' && operand.op !== '=')) found.ranged = true;
    else residual = true;
  }
  const constraints: FieldConstraint[] = [];
  for (const found of byField.values()) {
    if (found.field.path[0] === '_seq') continue;
    if (found.equal !== undefined) constraints.push({ field: found.field, equal: found.equal });
    else if (found.values !== undefined) constraints.push({ field: found.field, values: found.values });
    if (!found.ranged) continue;
    const { lower, upper } = boundsOf(where, found.field);
    if (found.equal !== undefined || found.values !== undefined || (lower === undefined && upper === undefined)) residual = true;
    else constraints.push({ field: found.field, ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) });
  }
  return { constraints, residual };
}

type Bounds = { lower: ScanBound | undefined; upper: ScanBound | undefined; residual: boolean };

function compareBound(left: number | string, right: number | string): number {
  if (typeof left === 'number' && typeof right === 'number') return left < right ? -1 : left > right ? 1 : 0;
  return compareCodePoints(String(left), String(right));
}

/** The tighter of two lower (`sign` 1) or upper (`sign` -1) bounds; on equal values, exclusive wins. */
function tighter(found: ScanBound | undefined, next: ScanBound, sign: number): ScanBound {
  if (found === undefined) return next;
  const order = compareBound(next.value, found.value) * sign;
  if (order > 0) return next;
  if (order < 0) return found;
  return { value: found.value, inclusive: found.inclusive && next.inclusive };
}

/**
 * Bounds on `field` that the WHERE implies: its top-level AND conditions `f > x`, `f >= x`, `f < x`,
 * `f <= x`, `f = x` and `f BETWEEN a AND b` with a number or string x, the tightest of each end. Only bounds
 * of one type (the first seen) are used: each is implied by WHERE on its own, so any subset is correct.
 */
function boundsOf(where: ExprNode | undefined, field: FieldRef): Bounds {
  const found: Bounds = { lower: undefined, upper: undefined, residual: false };
  if (where === undefined) return found;
  let type: 'number' | 'string' | undefined;
  const add = (end: 'lower' | 'upper', value: Literal, inclusive: boolean): boolean => {
    if (typeof value !== 'number' && typeof value !== 'string') return false;
    if (type !== undefined && typeof value !== type) return false;
    type = typeof value === 'number' ? 'number' : 'string';
    found[end] = tighter(found[end], { value, inclusive }, end === 'lower' ? 1 : -1);
    return true;
  };
  for (const operand of where.kind === 'And' ? where.operands : [where]) {
    let used = false;
    if (operand.kind === 'Condition' && operand.field.name === field.name) {
      const value = operand.value.value;
      switch (operand.op) {
        case '>': used = add('lower', value, false); break;
        case '>=': used = add('lower', value, true); break;
        case '<': used = add('upper', value, false); break;
        case '<=': used = add('upper', value, true); break;
        case '=': used = add('lower', value, true) && add('upper', value, true); break;
        case '!=': break;
        default: assertNever(operand.op);
      }
    } else if (operand.kind === 'Between' && operand.field.name === field.name) {
      const low = add('lower', operand.low.value, true);
      const high = add('upper', operand.high.value, true);
      used = low && high;
    }
    if (!used) found.residual = true;
  }
  return found;
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
  if (candidates.ordered !== undefined) lines.push(`IndexOrder ${describeOrdered(candidates.collection, candidates.ordered)} (else Sort)`);
  for (const step of plan.steps) lines.push(explainStep(step));
  if (plan.group !== undefined) {
    const aggregate = plan.group.aggregate;
    lines.push(`Group ${plan.group.field}${aggregate === undefined ? '' : ` ${aggregate.name} ${aggregate.field}`}`);
  }
  if (plan.output.kind === 'Select') lines.push(`Select ${plan.output.fields.map((field) => field.name).join(', ')}`);
  if (plan.output.kind === 'Count') lines.push('Count');
  return lines;
}

/** `c.height desc >= 5 < 9`: the index, direction and bounds of an IndexOrderedScan. */
export function describeOrdered(collection: string, ordered: OrderedAccess): string {
  const lower = ordered.lower === undefined ? '' : ` ${ordered.lower.inclusive ? '>=' : '>'} ${pyRepr(ordered.lower.value)}`;
  const upper = ordered.upper === undefined ? '' : ` ${ordered.upper.inclusive ? '<=' : '<'} ${pyRepr(ordered.upper.value)}`;
  return `${collection}.${ordered.field.name} ${ordered.descending ? 'desc' : 'asc'}${lower}${upper}`;
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
