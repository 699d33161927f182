// GROUP BY as v1 ran it (UPSTREAM.md §4.5): groups keyed like a Python dict, so `1`, `1.0` and `true` are one
// group shown with the first value seen, a missing field is the None group, and a list or object value is
// v1's `unhashable type` error. Groups come out in first-seen order as {<field>: value, count: n}, plus one
// aggregate key over the group's numeric values (bools count, as Python ints).

import { assertNever } from '../core/index.js';
import { NqlError, formatNqlMessage } from './errors.js';
import { readField } from './compare.js';

export type FieldAggregate = 'sum' | 'avg' | 'min' | 'max';

export interface GroupSpec {
  readonly field: string;
  readonly aggregate: Readonly<{ name: FieldAggregate; field: string }> | undefined;
}

type Doc = Record<string, unknown>;

/** A string that is equal for values Python's dict treats as the same key. */
function groupKey(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'boolean') return value ? 'n1' : 'n0';
  if (typeof value === 'number') return `n${String(value)}`; // String(-0) is '0', as 0 == -0.0 in Python
  if (typeof value === 'string') return `s${value}`;
  const type = Array.isArray(value) ? 'list' : 'dict';
  throw new NqlError('NQL_UNHASHABLE', formatNqlMessage('NQL_UNHASHABLE', { type }));
}

/** Sets an own property, so a field named `__proto__` is data, not the prototype. */
export function setOwn(target: Doc, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function numericValues(docs: readonly Doc[], field: string): Array<number | boolean> {
  const values: Array<number | boolean> = [];
  for (const doc of docs) {
    const value = readField(doc, field);
    if (typeof value === 'number' || typeof value === 'boolean') values.push(value);
  }
  return values;
}

/** Python min()/max(): the first extreme element wins ties, and the raw value (a bool stays a bool). */
function extreme(values: ReadonlyArray<number | boolean>, wantMax: boolean): number | boolean | null {
  let best: number | boolean | null = null;
  for (const value of values) {
    if (best === null || (wantMax ? Number(value) > Number(best) : Number(value) < Number(best))) best = value;
  }
  return best;
}

function aggregateValue(name: FieldAggregate, values: ReadonlyArray<number | boolean>): number | boolean | null {
  const sum = (): number => values.reduce<number>((total, value) => total + Number(value), 0);
  switch (name) {
    case 'sum':
      return sum();
    case 'avg':
      return values.length === 0 ? null : sum() / values.length;
    case 'min':
      return extreme(values, false);
    case 'max':
      return extreme(values, true);
    default:
      return assertNever(name);
  }
}

export function groupRows(docs: readonly Doc[], spec: GroupSpec): Doc[] {
  const groups = new Map<string, { value: unknown; docs: Doc[] }>();
  for (const doc of docs) {
    const value = readField(doc, spec.field);
    const key = groupKey(value);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { value: value ?? null, docs: [doc] });
    else group.docs.push(doc);
  }
  const out: Doc[] = [];
  for (const group of groups.values()) {
    // Assigned in v1's order, so `GROUP BY count` shows the count (the later key wins, as in a Python dict).
    const row: Doc = {};
    setOwn(row, spec.field, group.value);
    setOwn(row, 'count', group.docs.length);
    const aggregate = spec.aggregate;
    if (aggregate !== undefined) {
      const values = numericValues(group.docs, aggregate.field);
      setOwn(row, `${aggregate.name}_${aggregate.field}`, aggregateValue(aggregate.name, values));
    }
    out.push(row);
  }
  return out;
}
