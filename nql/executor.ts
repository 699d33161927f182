// Runs NQL against a QuerySource in NEDB v1's order (UPSTREAM.md §4.3): read seq, candidates, filter,
// ORDER BY, TRAVERSE, TRACE, LIMIT, VALID AS OF, GROUP BY. The order is part of v1's behaviour (VALID AS OF
// after LIMIT can return fewer rows than the LIMIT), so it is kept even where another would be faster.
// Without ORDER BY v1's row order was arbitrary; ours is the source's scan order (id order), deterministic.

import { assert, assertNever } from '../core/index.js';
import { conditionHolds, readField, sortByField } from './compare.js';
import { NqlError } from './errors.js';
import { traceCauses, traceDependents, traverse } from './graph.js';
import { groupRows } from './group.js';
import { parse } from './parser.js';
import { planQuery, type CandidatesPlan, type Plan, type RowStep } from './plan.js';
import { compareCodePoints } from './python.js';
import { QueryContext, toRow, type Doc, type Row } from './rows.js';
import { matchesSearch } from './search.js';
import type { QuerySource } from './source.js';

export interface QueryResult {
  rows: Doc[];
  /** rows.length; for GROUP BY the number of groups. */
  count: number;
}

/** Parses and runs one NQL query. Bad text or a v1 execution error throws NqlError; source errors pass. */
export async function runQuery(text: string, source: QuerySource): Promise<QueryResult> {
  const { ast, diagnostics } = parse(text);
  const first = diagnostics[0];
  if (first !== undefined) throw NqlError.fromDiagnostic(first);
  assert(ast !== undefined, 'a parse without diagnostics yields a tree');
  return executePlan(planQuery(ast), source);
}

export async function executePlan(plan: Plan, source: QuerySource): Promise<QueryResult> {
  // AS OF beyond the committed seq reads the committed seq: later versions are not durable yet.
  const readSeq = plan.asOf === undefined ? source.seq : Math.min(plan.asOf, source.seq);
  const context = new QueryContext(source, readSeq);
  let rows = await loadCandidates(plan.candidates, context);
  for (const step of plan.steps) rows = await runStep(step, rows, context);
  const docs = rows.map((row) => row.doc);
  if (plan.group === undefined) return { rows: docs, count: docs.length };
  const groups = groupRows(docs, plan.group);
  return { rows: groups, count: groups.length };
}

function keepsRow(doc: Doc, plan: CandidatesPlan): boolean {
  return plan.conditions.every((condition) => conditionHolds(readField(doc, condition.field), condition.op, condition.value));
}

async function loadCandidates(plan: CandidatesPlan, context: QueryContext): Promise<Row[]> {
  if (context.readSeq < 0) return []; // AS OF -1: before the first write, nothing existed
  if (plan.searchTokens !== undefined) {
    const keys = await context.source.searchIndex(plan.collection, [...plan.searchTokens]);
    if (keys !== undefined) return loadIndexed(plan, keys, context);
  }
  const rows: Row[] = [];
  const tokens = plan.searchTokens ?? [];
  for await (const page of context.source.scan(plan.collection, context.readSeq)) {
    for (const found of page) {
      const check = context.countRow();
      if (check !== undefined) await check;
      const row = toRow(plan.collection, found);
      if (keepsRow(row.doc, plan) && matchesSearch(row.doc, tokens)) rows.push(row);
    }
  }
  return rows;
}

/** Search-index candidates: v1 trusted the HEAD index and did not recheck the tokens against the doc. */
async function loadIndexed(plan: CandidatesPlan, keys: readonly string[], context: QueryContext): Promise<Row[]> {
  const prefix = `${plan.collection}:`;
  const rows: Row[] = [];
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const check = context.countRow();
    if (check !== undefined) await check;
    const found = await context.source.get(plan.collection, key.slice(prefix.length), context.readSeq);
    if (found === undefined) continue;
    const row = toRow(plan.collection, found);
    if (keepsRow(row.doc, plan)) rows.push(row);
  }
  return rows;
}

/** VALID AS OF: no bounds, or from <= date <= to as strings (inclusive end). A non-string bound fails. */
function validAt(doc: Doc, date: string): boolean {
  const from = readField(doc, '_valid_from') ?? undefined;
  const to = readField(doc, '_valid_to') ?? undefined;
  if (from === undefined && to === undefined) return true;
  const fromHolds = from === undefined || (typeof from === 'string' && compareCodePoints(from, date) <= 0);
  const toHolds = to === undefined || (typeof to === 'string' && compareCodePoints(to, date) >= 0);
  return fromHolds && toHolds;
}

async function runStep(step: RowStep, rows: Row[], context: QueryContext): Promise<Row[]> {
  switch (step.kind) {
    case 'Sort':
      return sortByField(rows, (row) => readField(row.doc, step.field), step.descending);
    case 'Traverse':
      return traverse(rows, step.relation, context);
    case 'Trace':
      return traceCauses(rows, context);
    case 'TraceReverse':
      return traceDependents(rows, step.collection, context);
    case 'Limit':
      // Python slicing: rows[:n], so a negative n drops the last -n rows.
      return rows.slice(0, step.count);
    case 'ValidAt':
      return rows.filter((row) => validAt(row.doc, step.date));
    default:
      return assertNever(step);
  }
}
