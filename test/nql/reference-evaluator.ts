// A reference evaluator for NQL queries without TRAVERSE and TRACE, written from docs/NQL.md and
// UPSTREAM.md §4 as plainly as possible, for the differential test. It imports nothing from nql/ or core/
// but the AST types: it replays a history to find the live documents, and it defines every rule (Python
// comparisons, the sort and its str() fallback, grouping) by itself, favouring the obvious over the fast
// (the sort's fallback is decided by looking at every pair of values).

import type { ExprNode, FieldNode, QueryNode, ValueNode } from '../../nql/ast.js';

export type Doc = Record<string, unknown>;

/** One op of a history: a put (doc) or a delete (doc undefined), at seq = its index. */
export interface HistoryOp {
  readonly coll: string;
  readonly id: string;
  readonly doc: Doc | undefined;
}

export interface History {
  readonly ops: readonly HistoryOp[];
}

/** Thrown where v1 raised an execution error; `message` is v1's text. */
export class ReferenceEvaluationError extends Error {}

// ---- values ----------------------------------------------------------------------------------------------

function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

function isNumberLike(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codePoints(text: string): number[] {
  return Array.from(text, (char) => char.codePointAt(0) ?? 0);
}

function compareStrings(a: string, b: string): number {
  const x = codePoints(a);
  const y = codePoints(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  }
  return Math.sign(x.length - y.length);
}

/** Python ==, with a missing field equal to None. */
function equals(a: unknown, b: unknown): boolean {
  if (isMissing(a) || isMissing(b)) return isMissing(a) && isMissing(b);
  if (isNumberLike(a) && isNumberLike(b)) return Number(a) === Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equals(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equals(a[key], b[key]));
  }
  return false;
}

/** Python's order for two values, or undefined where Python raises TypeError. */
function order(a: unknown, b: unknown): number | undefined {
  if (isNumberLike(a) && isNumberLike(b)) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      if (!equals(a[i], b[i])) return order(a[i], b[i]);
    }
    return Math.sign(a.length - b.length);
  }
  return equals(a, b) ? 0 : undefined;
}

/** Python repr(): strings quoted the way Python picks (double quotes when the text holds ' but no "). */
function pyRepr(value: unknown): string {
  if (typeof value !== 'string') return pyStr(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value.replace(/\\/g, '\\\\').replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

/** Python str() of a JSON value. */
function pyStr(value: unknown): string {
  if (isMissing(value)) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value); // the test's numbers print alike in JS and Python
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Doc).map(([key, item]) => `${pyRepr(key)}: ${pyRepr(item)}`).join(', ')}}`;
}

function read(doc: Doc, field: FieldNode): unknown {
  let value: unknown = doc;
  for (const segment of field.path) {
    if (!isObject(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

// ---- WHERE and SEARCH ------------------------------------------------------------------------------------

function compare(value: unknown, op: string, literal: ValueNode['value']): boolean {
  if (op === '=') return equals(value, literal);
  if (op === '!=') return !equals(value, literal);
  if (isMissing(value) || literal === null) return false;
  const sign = isNumberLike(value) && isNumberLike(literal) ? order(value, literal)
    : typeof value === 'string' && typeof literal === 'string' ? order(value, literal) : undefined;
  if (sign === undefined) return false;
  return op === '<' ? sign < 0 : op === '<=' ? sign <= 0 : op === '>' ? sign > 0 : sign >= 0;
}

function holds(doc: Doc, expr: ExprNode): boolean {
  switch (expr.kind) {
    case 'Condition':
      return compare(read(doc, expr.field), expr.op, expr.value.value);
    case 'In':
      return expr.values.some((value) => equals(read(doc, expr.field), value.value));
    case 'Between':
      return compare(read(doc, expr.field), '>=', expr.low.value) && compare(read(doc, expr.field), '<=', expr.high.value);
    case 'And':
      return expr.operands.every((operand) => holds(doc, operand));
    case 'Or':
      return expr.operands.some((operand) => holds(doc, operand));
    case 'Not':
      return !holds(doc, expr.operand);
  }
}

function tokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (isObject(value)) return Object.values(value).flatMap(stringsIn);
  return [];
}

function searchHolds(doc: Doc, text: string): boolean {
  const held = new Set(stringsIn(doc).flatMap(tokens));
  return tokens(text).every((token) => held.has(token));
}

// ---- ORDER BY --------------------------------------------------------------------------------------------

/** One key, v1's way: by (is None, value), unless two present values cannot be compared: then by str(). */
function sortOneKey(rows: Doc[], field: FieldNode, descending: boolean): Doc[] {
  const sign = descending ? -1 : 1;
  const present = rows.map((row) => read(row, field)).filter((value) => !isMissing(value));
  const comparable = present.every((a) => present.every((b) => order(a, b) !== undefined));
  // Array.prototype.sort is stable: equal keys keep their order, as Python's sort (reverse too) does.
  if (!comparable) return [...rows].sort((x, y) => sign * compareStrings(pyStr(read(x, field)), pyStr(read(y, field))));
  return [...rows].sort((x, y) => {
    const a = read(x, field);
    const b = read(y, field);
    if (isMissing(a) || isMissing(b)) return sign * (Number(isMissing(a)) - Number(isMissing(b)));
    return sign * (order(a, b) ?? 0);
  });
}

// ---- GROUP BY and output ---------------------------------------------------------------------------------

function groupKey(value: unknown): string {
  if (isMissing(value)) return 'None';
  if (isNumberLike(value)) return `number ${Number(value)}`;
  if (typeof value === 'string') return `string ${value}`;
  throw new ReferenceEvaluationError(`unhashable type: '${Array.isArray(value) ? 'list' : 'dict'}'`);
}

function group(rows: Doc[], query: QueryNode): Doc[] {
  const by = query.groupBy;
  if (by === undefined) return rows;
  const groups = new Map<string, Doc[]>();
  const shown = new Map<string, unknown>();
  for (const row of rows) {
    const value = read(row, by.field);
    const key = groupKey(value);
    if (!groups.has(key)) {
      groups.set(key, []);
      shown.set(key, value ?? null);
    }
    groups.get(key)?.push(row);
  }
  return [...groups.entries()].map(([key, members]) => {
    const out: Doc = {};
    out[by.field.name] = shown.get(key);
    out['count'] = members.length;
    const aggregate = by.aggregate;
    if (aggregate !== undefined && aggregate.name !== 'count' && aggregate.field !== undefined) {
      const field = aggregate.field;
      const numbers = members.map((row) => read(row, field)).filter(isNumberLike);
      const sum = numbers.reduce<number>((total, value) => total + Number(value), 0);
      let result: unknown = null;
      if (aggregate.name === 'sum') result = sum;
      if (aggregate.name === 'avg') result = numbers.length === 0 ? null : sum / numbers.length;
      if (aggregate.name === 'min' || aggregate.name === 'max') {
        for (const value of numbers) {
          const better = aggregate.name === 'min' ? Number(value) < Number(result) : Number(value) > Number(result);
          if (result === null || better) result = value;
        }
      }
      out[`${aggregate.name}_${field.name}`] = result;
    }
    return out;
  });
}

function validAt(doc: Doc, date: string): boolean {
  const from = doc['_valid_from'];
  const to = doc['_valid_to'];
  if (isMissing(from) && isMissing(to)) return true;
  const fromOk = isMissing(from) || (typeof from === 'string' && compareStrings(from, date) <= 0);
  const toOk = isMissing(to) || (typeof to === 'string' && compareStrings(to, date) >= 0);
  return fromOk && toOk;
}

// ---- the query -------------------------------------------------------------------------------------------

/** The live docs of a collection at a seq, as stored rows (`_id` if absent, `_seq` of the put), by id. */
export function liveRows(history: History, coll: string, seq: number): Doc[] {
  const latest = new Map<string, { seq: number; doc: Doc | undefined }>();
  history.ops.forEach((op, opSeq) => {
    if (op.coll === coll && opSeq <= seq) latest.set(op.id, { seq: opSeq, doc: op.doc });
  });
  const rows: Doc[] = [];
  // Id order is code point order (UTF-8 byte order), which UTF-16's differs from past U+FFFF.
  for (const id of [...latest.keys()].sort(compareStrings)) {
    const found = latest.get(id);
    if (found?.doc === undefined) continue;
    const stored: Doc = { ...found.doc };
    if (!Object.hasOwn(stored, '_id')) stored['_id'] = id;
    rows.push({ ...stored, _seq: found.seq });
  }
  return rows;
}

/** The rows of a query over a history whose committed seq is its last op. */
export function evaluate(query: QueryNode, history: History): Doc[] {
  const committed = history.ops.length - 1;
  const seq = query.asOf === undefined ? committed : Math.min(query.asOf.value, committed);
  let rows = seq < 0 ? [] : liveRows(history, query.collection.name, seq);
  const where = query.where;
  if (where !== undefined) rows = rows.filter((row) => holds(row, where));
  const search = query.search;
  if (search !== undefined) rows = rows.filter((row) => searchHolds(row, search.value));
  // Several keys: sort by the last, then the one before, …; each sort is stable.
  for (const key of [...query.orderBy].reverse()) rows = sortOneKey(rows, key.field, key.descending);
  const offset = query.offset?.value ?? 0;
  const limit = query.limit?.value;
  if (limit === undefined) rows = rows.slice(offset);
  else if (limit >= 0) rows = rows.slice(offset, offset + limit);
  else rows = rows.slice(0, limit).slice(offset);
  const valid = query.validAsOf;
  if (valid !== undefined) rows = rows.filter((row) => validAt(row, valid.value));
  rows = group(rows, query);
  const select = query.select;
  if (select === undefined) return rows;
  if (select.kind === 'SelectCount') return [{ count: rows.length }];
  return rows.map((row) => {
    const out: Doc = {};
    for (const field of select.fields) {
      const value = query.groupBy === undefined ? read(row, field) : row[field.name];
      out[field.name] = value ?? null;
    }
    return out;
  });
}
