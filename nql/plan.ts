// The query plan: what the executor will do, in v1's execution order (UPSTREAM.md §4.3), apart from the
// syntax tree it came from (STYLE.md §11). Planning is a pure function of the tree. v1 used no index but
// SEARCH's, so the only choice here is candidates from the search index or a scan; which one runs depends on
// whether the collection has a search index, which the executor learns from the source at run time.

import { assertNever } from '../core/index.js';
import type { CompareOp, QueryNode } from './ast.js';
import type { Literal } from './compare.js';
import type { GroupSpec } from './group.js';
import { pyRepr } from './python.js';
import { searchTokens } from './search.js';

export type Condition = Readonly<{ field: string; op: CompareOp; value: Literal }>;

/** Candidate keys (search index, else every live key), loaded at the read seq and filtered. */
export type CandidatesPlan = Readonly<{
  kind: 'Candidates';
  collection: string;
  conditions: readonly Condition[];
  /** SEARCH tokens; undefined without SEARCH. */
  searchTokens: readonly string[] | undefined;
}>;

/** Steps that turn rows into rows, in order. */
export type RowStep =
  | Readonly<{ kind: 'Sort'; field: string; descending: boolean }>
  | Readonly<{ kind: 'Traverse'; relation: string }>
  | Readonly<{ kind: 'Trace' }>
  | Readonly<{ kind: 'TraceReverse'; collection: string }>
  | Readonly<{ kind: 'Limit'; count: number }>
  | Readonly<{ kind: 'ValidAt'; date: string }>;

export type Plan = Readonly<{
  kind: 'Plan';
  /** AS OF seq, or undefined to read at the committed seq. */
  asOf: number | undefined;
  candidates: CandidatesPlan;
  steps: readonly RowStep[];
  group: GroupSpec | undefined;
}>;

export function planQuery(query: QueryNode): Plan {
  const collection = query.collection.name;
  const candidates: CandidatesPlan = {
    kind: 'Candidates',
    collection,
    conditions: query.where.map((condition) => ({ field: condition.field.name, op: condition.op, value: condition.value.value })),
    searchTokens: query.search === undefined ? undefined : searchTokens(query.search.value),
  };
  const steps: RowStep[] = [];
  if (query.orderBy !== undefined) {
    steps.push({ kind: 'Sort', field: query.orderBy.field.name, descending: query.orderBy.descending });
  }
  if (query.traverse !== undefined) steps.push({ kind: 'Traverse', relation: query.traverse.name });
  // TRACE's field word is ignored by v1; only REVERSE changes what it does.
  if (query.trace !== undefined) steps.push(query.trace.reverse ? { kind: 'TraceReverse', collection } : { kind: 'Trace' });
  if (query.limit !== undefined) steps.push({ kind: 'Limit', count: query.limit.value });
  if (query.validAsOf !== undefined) steps.push({ kind: 'ValidAt', date: query.validAsOf.value });
  return { kind: 'Plan', asOf: query.asOf?.value, candidates, steps, group: groupSpec(query) };
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

/** EXPLAIN: one deterministic line per step, for review and for tests that pin plan and answer together. */
export function explainPlan(plan: Plan): string[] {
  const { candidates } = plan;
  const where = candidates.conditions.map((c) => `${c.field} ${c.op} ${pyRepr(c.value)}`).join(' and ');
  const search = candidates.searchTokens === undefined ? '' : ` search [${candidates.searchTokens.map(pyRepr).join(', ')}]`;
  const lines = [
    `Candidates ${candidates.collection} at ${plan.asOf ?? 'committed seq'}${where === '' ? '' : ` where ${where}`}${search}`,
  ];
  for (const step of plan.steps) lines.push(explainStep(step));
  if (plan.group !== undefined) {
    const aggregate = plan.group.aggregate;
    lines.push(`Group ${plan.group.field}${aggregate === undefined ? '' : ` ${aggregate.name} ${aggregate.field}`}`);
  }
  return lines;
}

function explainStep(step: RowStep): string {
  switch (step.kind) {
    case 'Sort':
      return `Sort ${step.field} ${step.descending ? 'desc' : 'asc'}`;
    case 'Traverse':
      return `Traverse ${step.relation}`;
    case 'Trace':
      return 'Trace causes';
    case 'TraceReverse':
      return `Trace dependents of ${step.collection}`;
    case 'Limit':
      return `Limit ${step.count}`;
    case 'ValidAt':
      return `ValidAt ${pyRepr(step.date)}`;
    default:
      return assertNever(step);
  }
}
