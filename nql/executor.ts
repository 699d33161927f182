// Runs NQL against a QuerySource in NEDB v1's order (UPSTREAM.md §4.3) with the extensions slotted in
// (docs/NQL.md): read seq, candidates (WHERE, SEARCH), ORDER BY, AFTER, TRAVERSE, TRACE, LIMIT/OFFSET,
// VALID AS OF, GROUP BY, SELECT. The order is part of v1's behaviour (VALID AS OF after LIMIT can return
// fewer rows than the LIMIT), so it is kept even where another would be faster.
// Without ORDER BY v1's row order was arbitrary; ours is the source's scan order (id order), deterministic.
// With one ORDER BY key the planner may read the candidates from a sorted index (QuerySource.orderedScan,
// plan.ts OrderedAccess) in exactly the sorted order, skip the Sort, and let LIMIT stop the index scan early.
// `EXPLAIN <query>` runs the query measured and answers with its plan (explain.ts).
//
// Rows flow as pages (AsyncIterable<Row[]>) from the source's scan through each step. Steps that need every
// row hold them (ORDER BY, bounded by limits.sortRowsMax; TRAVERSE and TRACE; a negative LIMIT, which v1
// sliced from the end; GROUP BY's table, bounded by limits.groupsMax); the rest stream, and LIMIT stops the
// scan as soon as its page is full.

import { assert, assertNever } from '../core/index.js';
import { conditionHolds, readField, readPath, sortByKeys } from './compare.js';
import { encodeCursor } from './cursor.js';
import { explainParsed, parseExplain } from './explain.js';
import { NqlError, formatNqlMessage, type NqlErrorCode, type TextSpan } from './errors.js';
import { traceCauses, traceDependents, traverse } from './graph.js';
import { GroupTable, setOwn } from './group.js';
import { sortRowsMax } from './limits.js';
import { prepareQuery } from './parse-cache.js';
import { type CandidatesPlan, type FieldRef, type OutputPlan, type Plan, type Predicate, type RowStep } from './plan.js';
import { compareCodePoints } from './python.js';
import { QueryContext, toRow, type Doc, type Row } from './rows.js';
import { matchesSearch } from './search.js';
import { type AccessPath, type IndexRead, chooseAccessPath } from './access.js';
import type { OrderedScanRequest, QuerySource, SourceRow } from './source.js';

export interface QueryResult {
  rows: Doc[];
  /** rows.length; for GROUP BY the number of groups, for SELECT COUNT(*) 1. */
  count: number;
  /**
   * The keyset cursor for the next page: `AFTER '<cursor>'` added to the same query reads on from the last
   * row, at the same seq. Present when a LIMIT n > 0 filled this page and more rows may follow.
   */
  cursor?: string;
}

/** Parses and runs one NQL query. Bad text or an NQL execution error throws NqlError; source errors pass. */
export async function runQuery(text: string, source: QuerySource): Promise<QueryResult> {
  const { plan, diagnostics } = prepareQuery(text);
  const first = diagnostics[0];
  if (first !== undefined) {
    const explained = parseExplain(text);
    if (explained !== undefined) return explainParsed(explained, source);
    throw NqlError.fromDiagnostic(first);
  }
  assert(plan !== undefined, 'a parse without diagnostics yields a plan');
  return executePlan(plan, source);
}

export type Pages = AsyncIterable<Row[]>;

/** Where LIMIT leaves the walk: the last row it handed out, and whether more may follow. */
export interface Paging {
  last: Row | undefined;
  more: boolean;
}

function nqlError(code: NqlErrorCode, details: Readonly<Record<string, string>>, span?: TextSpan): NqlError {
  return new NqlError(code, formatNqlMessage(code, details), span?.line ?? 0, span?.col ?? 0);
}

export function readSeqOf(plan: Plan, source: QuerySource): number {
  if (plan.after !== undefined) {
    // Every page reads where the first did. A seq history no longer holds is the source's error to give.
    if (plan.after.seq > source.seq) {
      throw nqlError('NQL_CURSOR_AHEAD', { seq: String(plan.after.seq), committed: String(source.seq) }, plan.after.span);
    }
    return plan.after.seq;
  }
  // AS OF beyond the committed seq reads the committed seq: later versions are not durable yet.
  return plan.asOf === undefined ? source.seq : Math.min(plan.asOf, source.seq);
}

/** A row-wise query's output in pages, and its count and cursor once the last page was read. */
export interface QueryStream {
  pages: AsyncIterable<Doc[]>;
  /** Valid after `pages` is exhausted. */
  summary(): { count: number; cursor?: string };
}

/**
 * Runs a query whose output is row by row (no GROUP BY, no COUNT(*)) as a stream of pages, so a client can
 * read `FROM coll` over any number of documents without the server holding them all. Undefined for plans that
 * need their whole result first; bad text throws NqlError as runQuery does.
 */
export function streamQuery(text: string, source: QuerySource): QueryStream | undefined {
  const { plan, diagnostics } = prepareQuery(text);
  const first = diagnostics[0];
  if (first !== undefined) {
    if (parseExplain(text) !== undefined) return undefined; // EXPLAIN measures the whole run: runQuery answers
    throw NqlError.fromDiagnostic(first);
  }
  assert(plan !== undefined, 'a parse without diagnostics yields a plan');
  if (plan.group !== undefined || plan.output.kind === 'Count') return undefined;
  const context = new QueryContext(source, readSeqOf(plan, source));
  const paging: Paging = { last: undefined, more: false };
  const pages = pipeline(plan, context, paging);
  let count = 0;
  const output = plan.output;
  async function* shaped(): AsyncIterable<Doc[]> {
    for await (const page of pages) {
      count += page.length;
      yield shape(page.map((row) => row.doc), output);
    }
  }
  return {
    pages: shaped(),
    summary: () => {
      const cursor = cursorOf(plan, context, paging);
      return cursor === undefined ? { count } : { count, cursor };
    },
  };
}

function cursorOf(plan: Plan, context: QueryContext, paging: Paging): string | undefined {
  const limit = plan.steps.find((step) => step.kind === 'Limit');
  if (limit?.kind !== 'Limit' || limit.cursor === undefined || !paging.more || paging.last === undefined) return undefined;
  const last = paging.last;
  return encodeCursor({
    seq: context.readSeq, fingerprint: limit.cursor.fingerprint, id: last.id,
    keys: limit.cursor.keys.map((key) => readPath(last.doc, key.path) ?? null),
  });
}

export async function executePlan(plan: Plan, source: QuerySource): Promise<QueryResult> {
  const context = new QueryContext(source, readSeqOf(plan, source));
  const paging: Paging = { last: undefined, more: false };
  const pages = pipeline(plan, context, paging);
  let rows: Doc[];
  if (plan.group !== undefined) {
    const table = new GroupTable(plan.group);
    for await (const page of pages) for (const row of page) table.add(row.doc);
    rows = table.rows();
  } else {
    rows = [];
    for await (const page of pages) for (const row of page) rows.push(row.doc);
  }
  rows = shape(rows, plan.output);
  const result: QueryResult = { rows, count: rows.length };
  const cursor = cursorOf(plan, context, paging);
  if (cursor !== undefined) result.cursor = cursor;
  return result;
}

/** WHERE: v1's comparisons (compare.ts), combined two-valued. */
export function predicateHolds(doc: Doc, found: Predicate): boolean {
  switch (found.kind) {
    case 'Compare':
      return conditionHolds(readPath(doc, found.field.path), found.op, found.value);
    case 'In': {
      const value = readPath(doc, found.field.path);
      return found.values.some((literal) => conditionHolds(value, '=', literal));
    }
    case 'Between': {
      const value = readPath(doc, found.field.path);
      return conditionHolds(value, '>=', found.low) && conditionHolds(value, '<=', found.high);
    }
    case 'And':
      return found.operands.every((operand) => predicateHolds(doc, operand));
    case 'Or':
      return found.operands.some((operand) => predicateHolds(doc, operand));
    case 'Not':
      return !predicateHolds(doc, found.operand);
    default:
      return assertNever(found);
  }
}

/** What a pipeline stage is, for EXPLAIN: the candidates' access path, the filter, or a plan step. */
export type Stage =
  | Readonly<{ kind: 'FullScan'; collection: string; path: AccessPath }>
  | Readonly<{ kind: 'IndexOrderedScan'; collection: string; request: OrderedScanRequest; path: AccessPath }>
  | Readonly<{ kind: 'IndexLookup'; collection: string; reads: readonly IndexRead[]; path: AccessPath }>
  | Readonly<{ kind: 'Filter'; filter: Predicate | undefined; searchTokens: readonly string[] | undefined }>
  | Readonly<{ kind: 'Step'; step: RowStep }>;

/** Wraps a stage's output (EXPLAIN counts rows and time there); the identity when running a query. */
export type Tap = (stage: Stage, pages: Pages) => Pages;

const noTap: Tap = (_stage, pages) => pages;

/**
 * The rows of a row-wise plan in pages: candidates (by the access path access.ts chose: index order, an
 * index lookup in id order, or a scan in id order), filter, then the steps. The Sort step is skipped when a
 * sorted index gave the rows in its order already.
 */
export function pipeline(plan: Plan, context: QueryContext, paging: Paging, tap: Tap = noTap): Pages {
  const candidates = plan.candidates;
  const { pages: found, ordered } = candidatePages(plan, context, tap);
  let pages = found;
  if (candidates.filter !== undefined || candidates.searchTokens !== undefined) {
    pages = tap({ kind: 'Filter', filter: candidates.filter, searchTokens: candidates.searchTokens }, filterCandidates(pages, candidates));
  }
  for (const step of plan.steps) {
    if (step.kind === 'Sort' && ordered) continue;
    pages = tap({ kind: 'Step', step }, runStep(step, pages, context, paging));
  }
  return pages;
}

/** The candidates through the chosen access path; a path the source can no longer serve falls back to the scan. */
function candidatePages(plan: Plan, context: QueryContext, tap: Tap): { pages: Pages; ordered: boolean } {
  const candidates = plan.candidates;
  const collection = candidates.collection;
  const { source, readSeq } = context;
  const path = readSeq < 0 ? undefined : chooseAccessPath(candidates, source, readSeq);
  if (path?.kind === 'IndexOrdered') {
    const request: OrderedScanRequest = {
      coll: collection, fields: path.fields, prefix: path.prefix, descending: path.descending, asOf: readSeq,
      lower: path.lower, upper: path.upper, firstPageRows: firstPageRowsOf(plan),
    };
    const indexed = source.orderedScan?.(request);
    if (indexed !== undefined) return { pages: tap({ kind: 'IndexOrderedScan', collection, request, path }, sourcePages(collection, indexed, context)), ordered: true };
  }
  if (path?.kind === 'IndexLookup') {
    const ids = lookupIds(path.reads, collection, context);
    if (ids !== undefined && source.rowsByIds !== undefined) {
      return { pages: tap({ kind: 'IndexLookup', collection, reads: path.reads, path }, sourcePages(collection, source.rowsByIds(collection, ids, readSeq), context)), ordered: false };
    }
  }
  // A path that fell back: the index it wanted could not answer (none, building, or not in v1's order).
  const wanted = path?.kind === 'IndexOrdered' ? path.fields : undefined;
  const scanPath: AccessPath = path?.kind === 'FullScan' ? path : { kind: 'FullScan', rows: undefined, cost: undefined, wanted };
  const scanned = readSeq < 0 ? emptyPages() : sourcePages(collection, source.scan(collection, readSeq), context);
  return { pages: tap({ kind: 'FullScan', collection, path: scanPath }, scanned), ordered: false };
}

/** The ids every read of a lookup holds, in code point order; undefined when a read is no longer served. */
function lookupIds(reads: readonly IndexRead[], coll: string, context: QueryContext): string[] | undefined {
  const { source, readSeq: asOf } = context;
  let result: string[] | undefined;
  for (const read of reads) {
    let ids: string[] | undefined;
    if (read.kind === 'Search') ids = source.searchIds?.(coll, read.tokens, asOf);
    else if (read.kind === 'Range') ids = source.indexIds?.({ coll, fields: read.fields, prefix: read.prefix, lower: read.lower, upper: read.upper, asOf });
    else ids = unionIds(read.values.map((value) => source.indexIds?.({ coll, fields: read.fields, prefix: [...read.prefix, value], asOf })));
    if (ids === undefined) return undefined;
    result = result === undefined ? ids : intersectIds(result, ids);
  }
  return result;
}

/** Sorted union of sorted id lists (IN); undefined when any list is. */
function unionIds(lists: readonly (string[] | undefined)[]): string[] | undefined {
  const all = new Set<string>();
  for (const list of lists) {
    if (list === undefined) return undefined;
    for (const id of list) all.add(id);
  }
  return [...all].sort(compareCodePoints);
}

/** Intersection of two lists sorted in code point order, by merge. */
function intersectIds(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const order = compareCodePoints(a[i]!, b[j]!);
    if (order === 0) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (order < 0) i++;
    else j++;
  }
  return out;
}

/**
 * The rows an index-ordered read hands to LIMIT when every row it reads is kept (no filter, no AFTER):
 * LIMIT + OFFSET, plus the one row that tells whether more follow (the cursor). Undefined when unknown.
 */
function firstPageRowsOf(plan: Plan): number | undefined {
  if (plan.candidates.filter !== undefined || plan.candidates.searchTokens !== undefined) return undefined;
  for (const step of plan.steps) {
    if (step.kind === 'Limit') return step.count === undefined || step.count < 0 ? undefined : step.count + step.offset + 1;
    if (step.kind !== 'Sort') return undefined;
  }
  return undefined;
}

async function* emptyPages(): Pages {
  // AS OF -1: before the first write, nothing existed.
}

/** The source's rows as executor rows (`_seq` set), one page per source page (empty pages too, see limitStep). */
async function* sourcePages(collection: string, found: AsyncIterable<SourceRow[]>, context: QueryContext): Pages {
  for await (const page of found) {
    const rows: Row[] = [];
    for (const row of page) {
      const check = context.countRow();
      if (check !== undefined) await check;
      rows.push(toRow(collection, row));
    }
    yield rows;
  }
}

/** WHERE and SEARCH on every candidate (also on an index's rows: its bounds only save reads). */
async function* filterCandidates(pages: Pages, plan: CandidatesPlan): Pages {
  const tokens = plan.searchTokens ?? [];
  const filter = plan.filter;
  for await (const page of pages) {
    yield page.filter((row) => (filter === undefined || predicateHolds(row.doc, filter)) && matchesSearch(row.doc, tokens));
  }
}

async function collect(pages: Pages): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const page of pages) for (const row of page) rows.push(row);
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

function runStep(step: RowStep, pages: Pages, context: QueryContext, paging: Paging): Pages {
  switch (step.kind) {
    case 'Sort':
      return sortStep(pages, step.keys);
    case 'After':
      return afterStep(pages, step);
    case 'Traverse':
      return whole(pages, (rows) => traverse(rows, step.relation, context));
    case 'Trace':
      return whole(pages, (rows) => traceCauses(rows, context));
    case 'TraceReverse':
      return whole(pages, (rows) => traceDependents(rows, step.collection, context));
    case 'Limit':
      return limitStep(pages, step, paging);
    case 'ValidAt':
      return filterStep(pages, (row) => validAt(row.doc, step.date));
    default:
      return assertNever(step);
  }
}

async function* whole(pages: Pages, apply: (rows: Row[]) => Promise<Row[]>): Pages {
  yield await apply(await collect(pages));
}

async function* filterStep(pages: Pages, keep: (row: Row) => boolean): Pages {
  for await (const page of pages) yield page.filter(keep);
}

async function* sortStep(pages: Pages, keys: ReadonlyArray<Readonly<{ field: FieldRef; descending: boolean }>>): Pages {
  const rows: Row[] = [];
  for await (const page of pages) {
    if (rows.length + page.length > sortRowsMax) throw nqlError('NQL_LIMIT_SORT_ROWS', { max: String(sortRowsMax) });
    for (const row of page) rows.push(row);
  }
  yield sortByKeys(rows, keys.map((key) => ({ valueOf: (row: Row) => readPath(row.doc, key.field.path), descending: key.descending })));
}

/** A key value as comparable text: equal values at one seq give equal text (bigints included). */
function keyText(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item));
}

/**
 * AFTER: the rows after the cursor's row. The cursor pins the seq, so the rows and their order are the
 * first page's; the cursor row is found by its id and must still hold the cursor's ORDER BY values.
 */
async function* afterStep(pages: Pages, step: Extract<RowStep, { kind: 'After' }>): Pages {
  const { cursor } = step;
  let found = false;
  for await (const page of pages) {
    if (found) {
      yield page;
      continue;
    }
    const at = page.findIndex((row) => row.id === cursor.id);
    if (at < 0) continue;
    const row = page[at];
    const same = row !== undefined && step.keys.every((key, i) => keyText(readPath(row.doc, key.path)) === keyText(cursor.keys[i]));
    if (!same) break;
    found = true;
    yield page.slice(at + 1);
  }
  if (!found) throw nqlError('NQL_CURSOR_ROW', { seq: String(cursor.seq) }, step.span);
}

/**
 * LIMIT n [OFFSET m] as Python slicing: rows[m:m+n] for n >= 0, rows[:n][m:] for a negative n (v1 dropped
 * the last -n rows). A non-negative LIMIT streams and stops its upstream once the page is full; it then
 * looks at most one source page further to tell whether more rows may follow (for the cursor).
 */
async function* limitStep(pages: Pages, step: Extract<RowStep, { kind: 'Limit' }>, paging: Paging): Pages {
  const { count, offset } = step;
  if (count !== undefined && count < 0) {
    yield (await collect(pages)).slice(0, count).slice(offset);
    return;
  }
  if (count === 0) return;
  let skip = offset;
  let left = count ?? Infinity;
  const iterator = pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      let page = next.value;
      if (skip > 0) {
        const skipped = Math.min(skip, page.length);
        skip -= skipped;
        page = page.slice(skipped);
      }
      if (page.length < left) {
        left -= page.length;
        yield page;
        continue;
      }
      const taken = page.slice(0, left);
      if (step.cursor !== undefined) {
        paging.last = taken.at(-1);
        paging.more = page.length > left || (await iterator.next()).done !== true;
      }
      yield taken;
      return;
    }
  } finally {
    await iterator.return?.();
  }
}

/** The reply's rows: stored docs, a projection (missing fields are null), or one `{count}` row. */
export function shape(rows: Doc[], output: OutputPlan): Doc[] {
  switch (output.kind) {
    case 'Docs':
      return rows;
    case 'Count':
      return [{ count: rows.length }];
    case 'Select':
      return rows.map((doc) => {
        const out: Doc = {};
        for (const field of output.fields) {
          // GROUP BY rows are flat: their keys are the names as written (`a.b`, `sum_a.b`).
          const value = output.grouped ? readField(doc, field.name) : readPath(doc, field.path);
          setOwn(out, field.name, value ?? null);
        }
        return out;
      });
    default:
      return assertNever(output);
  }
}
