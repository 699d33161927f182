// EXPLAIN: `EXPLAIN <query>` (and explainQuery for the HTTP route's `"explain": true`) runs the query and
// returns its plan as a tree of rows instead of its answer: each node's kind, the index it read, estimated
// rows where the query says them, actual rows and time measured while it ran, and "an index on c.f would
// help" where the planner wanted a sorted index the source could not give (docs/NQL.md#explain).
//
// EXPLAIN is not a keyword: it is recognized only as the first word of a text v1 rejects (v1 required FROM
// first), and only when the rest is a valid query; otherwise the error is v1's, as for any other text.

import { assert, assertNever } from '../core/index.js';
import { NqlError } from './errors.js';
import { pipeline, readSeqOf, shape, type Pages, type Paging, type QueryResult, type Stage } from './executor.js';
import { GroupTable } from './group.js';
import { parse } from './parser.js';
import { explainPredicate, planQuery, type Plan, type ScanBound } from './plan.js';
import { pyRepr } from './python.js';
import { QueryContext, type Doc } from './rows.js';
import type { QuerySource } from './source.js';
import type { AccessPath, IndexRead } from './access.js';
import type { QueryNode } from './ast.js';

export type ExplainIndex = {
  coll: string;
  /** The index's fields joined by "," (its name). */
  field: string;
  fields: string[];
  /** Values of the leading fields the read is pinned to (WHERE equalities). */
  prefix: (number | string)[];
  /** The read's order: `asc`/`desc` for an ordered read, `ids` for a lookup (ids then sorted into id order). */
  direction: 'asc' | 'desc' | 'ids';
  lower: { value: number | string; inclusive: boolean } | null;
  upper: { value: number | string; inclusive: boolean } | null;
  /** An IN lookup's values, else null. */
  values: (number | string)[] | null;
  /** A SEARCH lookup's tokens, else null. */
  tokens: string[] | null;
};

/**
 * One plan node. Rows come in pre-order from the root (the node that produces the answer); `parent` is the
 * `node` number of the node it feeds, null for the root; `depth` is 0 at the root.
 */
export type ExplainRow = {
  node: number;
  parent: number | null;
  depth: number;
  /** FullScan, IndexOrderedScan, IndexLookup, Filter, Sort, After, Traverse, Trace, TraceReverse, Limit, ValidAt, Group, Project, Count. */
  kind: string;
  /** The node's arguments as text (`c`, `n > 5 and s = 'x'`, `n desc`, `10 offset 2`, …). */
  detail: string;
  /** The index an IndexOrderedScan read, or the first an IndexLookup read; null for every other node. */
  index: ExplainIndex | null;
  /** Every index an IndexLookup read (intersected); null for every other node. */
  indexes: ExplainIndex[] | null;
  /** The planner's cost of the access path (cost.ts units), where it priced one; else null. */
  cost: number | null;
  /** What the query itself says of the node's output (LIMIT n, COUNT's one row); null where unknown. */
  estimatedRows: number | null;
  /** Rows the node handed on while the query ran (for a scan: rows the source handed out). */
  actualRows: number;
  /** Milliseconds spent in the node and the nodes below it, as measured. */
  timeMs: number;
  /** `an index on <coll>.<field> would help` where the planner wanted an index that no source index answered. */
  hint: string | null;
};

/** The query text after a leading EXPLAIN, with EXPLAIN blanked (positions stay), or undefined. */
function explainTarget(text: string): QueryNode | undefined {
  const match = /^(\s*)explain(?=\s)/i.exec(text);
  if (match === null) return undefined;
  const lead = match[1] ?? '';
  const { ast, diagnostics } = parse(`${lead}${' '.repeat(7)}${text.slice(lead.length + 7)}`);
  return diagnostics.length === 0 ? ast : undefined;
}

/** The tree of an `EXPLAIN …` text, or undefined when the text is not one (its error is then v1's). */
export function parseExplain(text: string): QueryNode | undefined {
  if (!/^\s*explain\s/i.test(text)) return undefined;
  if (parse(text).diagnostics.length === 0) return undefined; // never: v1 needs FROM first, but stay exact
  return explainTarget(text);
}

/**
 * EXPLAIN for the HTTP layer: `text` is a query, with or without a leading EXPLAIN. Runs it and returns the
 * plan rows. Bad text throws NqlError as runQuery does.
 */
export async function explainQuery(text: string, source: QuerySource): Promise<QueryResult> {
  const explained = parseExplain(text);
  if (explained !== undefined) return explainTree(explained, source);
  const { ast, diagnostics } = parse(text);
  const first = diagnostics[0];
  if (first !== undefined) throw NqlError.fromDiagnostic(first);
  assert(ast !== undefined, 'a parse without diagnostics yields a tree');
  return explainTree(ast, source);
}

type Measured = {
  kind: string; detail: string; index: ExplainIndex | null; indexes: ExplainIndex[] | null; cost: number | null; estimatedRows: number | null;
  rows: number; ms: number; hint: string | null;
};

async function* measure(node: Measured, pages: Pages): Pages {
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const started = performance.now();
      const next = await iterator.next();
      node.ms += performance.now() - started;
      if (next.done === true) return;
      node.rows += next.value.length;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

function bound(found: ScanBound | undefined): ExplainIndex['lower'] {
  return found === undefined ? null : { value: found.value, inclusive: found.inclusive };
}

function boundText(request: { lower?: ScanBound | undefined; upper?: ScanBound | undefined }): string {
  const lower = request.lower === undefined ? '' : ` ${request.lower.inclusive ? '>=' : '>'} ${pyRepr(request.lower.value)}`;
  const upper = request.upper === undefined ? '' : ` ${request.upper.inclusive ? '<=' : '<'} ${pyRepr(request.upper.value)}`;
  return `${lower}${upper}`;
}

function explainIndex(coll: string, fields: readonly string[], prefix: readonly (number | string)[], direction: ExplainIndex['direction'], read: Partial<IndexRead>): ExplainIndex {
  return {
    coll, field: fields.join(','), fields: [...fields], prefix: [...prefix], direction,
    lower: bound('lower' in read ? read.lower : undefined), upper: bound('upper' in read ? read.upper : undefined),
    values: 'values' in read && read.values !== undefined ? [...read.values] : null,
    tokens: 'tokens' in read && read.tokens !== undefined ? [...read.tokens] : null,
  };
}

/** `c.miner,height = 'm7' desc < 9`: an index read's fields, pinned values, order and bounds. */
function readText(coll: string, read: IndexRead): string {
  if (read.kind === 'Search') return `${coll} search [${read.tokens.map(pyRepr).join(', ')}]`;
  const pinned = read.prefix.length === 0 ? '' : ` = ${read.prefix.map(pyRepr).join(', ')}`;
  if (read.kind === 'In') return `${coll}.${read.fields.join(',')}${pinned} in (${read.values.map(pyRepr).join(', ')})`;
  return `${coll}.${read.fields.join(',')}${pinned}${boundText(read)}`;
}

function costOf(path: AccessPath): number | null {
  return path.cost === undefined ? null : Math.round(path.cost * 100) / 100;
}

function nodeOf(stage: Stage): Measured {
  const base = { index: null, indexes: null, cost: null, estimatedRows: null, rows: 0, ms: 0, hint: null };
  switch (stage.kind) {
    case 'FullScan': {
      const wanted = stage.path.kind === 'FullScan' ? stage.path.wanted : undefined;
      const hint = wanted === undefined ? null : `an index on ${stage.collection}.${wanted.join(',')} would help`;
      return { ...base, kind: 'FullScan', detail: stage.collection, hint, cost: costOf(stage.path), estimatedRows: stage.path.kind === 'FullScan' ? (stage.path.rows ?? null) : null };
    }
    case 'IndexOrderedScan': {
      const { request } = stage;
      const direction = request.descending ? 'desc' : 'asc';
      const pinned = request.prefix.length === 0 ? '' : ` = ${request.prefix.map(pyRepr).join(', ')}`;
      return {
        ...base, kind: 'IndexOrderedScan', detail: `${request.coll}.${request.fields.join(',')}${pinned} ${direction}${boundText(request)}`,
        index: explainIndex(request.coll, request.fields, request.prefix, direction, request),
        cost: costOf(stage.path), estimatedRows: stage.path.kind === 'IndexOrdered' ? (stage.path.estimate ?? null) : null,
      };
    }
    case 'IndexLookup': {
      const indexes = stage.reads.map((read) => explainIndex(stage.collection, read.kind === 'Search' ? ['*'] : read.fields, read.kind === 'Search' ? [] : read.prefix, 'ids', read));
      return {
        ...base, kind: 'IndexLookup', detail: stage.reads.map((read) => readText(stage.collection, read)).join(' and '),
        index: indexes[0] ?? null, indexes, cost: costOf(stage.path), estimatedRows: stage.path.kind === 'IndexLookup' ? stage.path.estimate : null,
      };
    }
    case 'Filter': {
      const parts: string[] = [];
      if (stage.filter !== undefined) parts.push(explainPredicate(stage.filter));
      if (stage.searchTokens !== undefined) parts.push(`search [${stage.searchTokens.map(pyRepr).join(', ')}]`);
      return { ...base, kind: 'Filter', detail: parts.join(' ') };
    }
    case 'Step':
      return { ...base, ...stepNode(stage.step) };
    default:
      return assertNever(stage);
  }
}

function stepNode(step: Plan['steps'][number]): Pick<Measured, 'kind' | 'detail' | 'estimatedRows'> {
  switch (step.kind) {
    case 'Sort':
      return { kind: 'Sort', detail: step.keys.map((key) => `${key.field.name} ${key.descending ? 'desc' : 'asc'}`).join(', '), estimatedRows: null };
    case 'After':
      return { kind: 'After', detail: pyRepr(step.cursor.id), estimatedRows: null };
    case 'Traverse':
      return { kind: 'Traverse', detail: step.relation, estimatedRows: null };
    case 'Trace':
      return { kind: 'Trace', detail: 'causes', estimatedRows: null };
    case 'TraceReverse':
      return { kind: 'TraceReverse', detail: step.collection, estimatedRows: null };
    case 'Limit': {
      const detail = step.count === undefined ? `offset ${step.offset}` : `${step.count}${step.offset === 0 ? '' : ` offset ${step.offset}`}`;
      return { kind: 'Limit', detail, estimatedRows: step.count !== undefined && step.count >= 0 ? step.count : null };
    }
    case 'ValidAt':
      return { kind: 'ValidAt', detail: pyRepr(step.date), estimatedRows: null };
    default:
      return assertNever(step);
  }
}

function milliseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Runs the plan of `query` with every stage measured and returns the stages as rows, root first. */
async function explainTree(query: QueryNode, source: QuerySource): Promise<QueryResult> {
  const plan = planQuery(query);
  const context = new QueryContext(source, readSeqOf(plan, source));
  const paging: Paging = { last: undefined, more: false };
  const chain: Measured[] = [];
  const pages = pipeline(plan, context, paging, (stage, stagePages) => {
    const node = nodeOf(stage);
    chain.push(node);
    return measure(node, stagePages);
  });
  const started = performance.now();
  let rows: Doc[];
  if (plan.group !== undefined) {
    const aggregate = plan.group.aggregate;
    const node: Measured = {
      kind: 'Group', detail: `${plan.group.field}${aggregate === undefined ? '' : ` ${aggregate.name} ${aggregate.field}`}`,
      index: null, indexes: null, cost: null, estimatedRows: null, rows: 0, ms: 0, hint: null,
    };
    const table = new GroupTable(plan.group);
    for await (const page of pages) for (const row of page) table.add(row.doc);
    rows = table.rows();
    node.rows = rows.length;
    node.ms = performance.now() - started;
    chain.push(node);
  } else {
    rows = [];
    for await (const page of pages) for (const row of page) rows.push(row.doc);
  }
  rows = shape(rows, plan.output);
  const output = plan.output;
  if (output.kind !== 'Docs') {
    chain.push({
      kind: output.kind === 'Count' ? 'Count' : 'Project',
      detail: output.kind === 'Count' ? 'count(*)' : output.fields.map((field) => field.name).join(', '),
      index: null, indexes: null, cost: null, estimatedRows: output.kind === 'Count' ? 1 : null, rows: rows.length, ms: performance.now() - started, hint: null,
    });
  }
  const explained: ExplainRow[] = chain.reverse().map((node, depth) => ({
    node: depth + 1, parent: depth === 0 ? null : depth, depth, kind: node.kind, detail: node.detail, index: node.index,
    indexes: node.indexes, cost: node.cost, estimatedRows: node.estimatedRows, actualRows: node.rows, timeMs: milliseconds(node.ms), hint: node.hint,
  }));
  return { rows: explained, count: explained.length };
}

/** runQuery's EXPLAIN path: the rows of the plan tree for an `EXPLAIN …` text (parseExplain gave the tree). */
export function explainParsed(query: QueryNode, source: QuerySource): Promise<QueryResult> {
  return explainTree(query, source);
}
