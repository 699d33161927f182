// v1's comparison and sort rules, which are Python's (UPSTREAM.md §4.4). Kept exactly because clients rely
// on the quirks: `=` is Python `==` (`true = 1`, `x = null` also matches a missing x), `!=` is its negation
// (so it matches docs without the field), ranges are false across types and for null, and ORDER BY sorts
// by the key (is-null, value), falling back to sorting by str(value) when Python raised TypeError.

import type { CompareOp } from './ast.js';
import { compareCodePoints, pyStr } from './python.js';

export type Literal = string | number | boolean | null;

/** doc.get(name) with no prototype lookups: `constructor` is just a missing field. */
export function readField(doc: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(doc, name) ? doc[name] : undefined;
}

/**
 * A dotted path (`a.b.c` is ['a', 'b', 'c']): each segment an own field of an object. Anything else on the
 * way (a missing field, null, a list, a scalar) makes the path missing, as a missing v1 field is.
 */
export function readPath(doc: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = doc;
  for (const segment of path) {
    if (!isDict(value)) return undefined;
    value = readField(value, segment);
  }
  return value;
}

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python `==` over JSON values: bools are the ints 0 and 1, None equals only None (and a missing field). */
export function pyEquals(left: unknown, right: unknown): boolean {
  if (left === undefined || left === null) return right === undefined || right === null;
  if (isNumeric(left)) return isNumeric(right) && Number(left) === Number(right);
  if (typeof left === 'string') return left === right;
  if (Array.isArray(left)) {
    return Array.isArray(right) && left.length === right.length && left.every((item, i) => pyEquals(item, right[i]));
  }
  if (isDict(left) && isDict(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && pyEquals(left[key], right[key]));
  }
  return false;
}

/** Sign of Python `<` for two scalars, or undefined where Python raised TypeError (v1 then said false). */
function scalarOrder(left: unknown, right: unknown): number | undefined {
  if (isNumeric(left) && isNumeric(right)) {
    const a = Number(left);
    const b = Number(right);
    return a < b ? -1 : a > b ? 1 : 0; // not a - b: Infinity - Infinity is NaN
  }
  if (typeof left === 'string' && typeof right === 'string') return compareCodePoints(left, right);
  return undefined;
}

/** One WHERE condition: `doc value <op> literal`. */
export function conditionHolds(value: unknown, op: CompareOp, literal: Literal): boolean {
  switch (op) {
    case '=':
      return pyEquals(value, literal);
    case '!=':
      return !pyEquals(value, literal);
    default: {
      const order = scalarOrder(value, literal);
      if (order === undefined) return false;
      if (op === '<') return order < 0;
      if (op === '<=') return order <= 0;
      if (op === '>') return order > 0;
      return order >= 0;
    }
  }
}

/** Python raised TypeError comparing these: the sort must fall back to str(). */
class Incomparable {}
const incomparable = new Incomparable();

/** Python's rich comparison for sorting: lists lexicographically, equal values tie, else TypeError. */
function pySortCompare(left: unknown, right: unknown): number {
  const order = scalarOrder(left, right);
  if (order !== undefined) return order;
  if (Array.isArray(left) && Array.isArray(right)) {
    const length = Math.min(left.length, right.length);
    for (let i = 0; i < length; i += 1) {
      if (!pyEquals(left[i], right[i])) return pySortCompare(left[i], right[i]);
    }
    return Math.sign(left.length - right.length);
  }
  if (pyEquals(left, right)) return 0;
  throw incomparable;
}

/** The key v1 sorted by: (value is None, value); Python compares the flags first, and equal Nones tie. */
function compareSortKeys(left: unknown, right: unknown): number {
  const leftNull = left === undefined || left === null;
  const rightNull = right === undefined || right === null;
  if (leftNull || rightNull) return leftNull === rightNull ? 0 : leftNull ? 1 : -1;
  return pySortCompare(left, right);
}

/**
 * ORDER BY: stable, nulls last ascending and first descending (Python's reverse=True keeps ties in order).
 * When two present values cannot be compared (a number and a string, two different objects), v1 sorted the
 * whole list by str(value) instead, where None is the text `None` (so `1, 3, None, abc` ascending).
 */
export function sortByField<T>(items: readonly T[], valueOf: (item: T) => unknown, descending: boolean): T[] {
  const keyed = items.map((item) => ({ item, value: valueOf(item) }));
  const direction = descending ? -1 : 1;
  try {
    return [...keyed].sort((a, b) => direction * compareSortKeys(a.value, b.value)).map((entry) => entry.item);
  } catch (error) {
    if (error !== incomparable) throw error;
  }
  const texts = keyed.map((entry) => ({ item: entry.item, text: pyStr(entry.value) }));
  return texts.sort((a, b) => direction * compareCodePoints(a.text, b.text)).map((entry) => entry.item);
}

export type SortBy<T> = Readonly<{ valueOf: (item: T) => unknown; descending: boolean }>;

/**
 * Multi-key ORDER BY, defined as Python's idiom for mixed directions: a stable sort by the last key, then
 * by the one before, … , then by the first, each exactly v1's single-key sort (nulls, str() fallback).
 * With one key it is v1's ORDER BY; with more, later keys break ties of earlier ones.
 */
export function sortByKeys<T>(items: readonly T[], keys: ReadonlyArray<SortBy<T>>): T[] {
  let sorted = [...items];
  for (let i = keys.length - 1; i >= 0; i -= 1) {
    const key = keys[i];
    if (key !== undefined) sorted = sortByField(sorted, key.valueOf, key.descending);
  }
  return sorted;
}
