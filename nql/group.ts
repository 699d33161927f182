// GROUP BY as v1 ran it (UPSTREAM.md §4.5): groups keyed like a Python dict, so `1`, `1.0` and `true` are one
// group shown with the first value seen, a missing field is the None group, and a list or object value is
// v1's `unhashable type` error. Groups come out in first-seen order as {<field>: value, count: n}, plus one
// aggregate key over the group's numeric values (bools count, as Python ints).
// The table folds each row as it streams by (count, running sum, first extreme) instead of keeping the
// group's documents, so its memory is bounded by the number of groups (limits.groupsMax), not of rows.
// A dotted field (`a.b`) reads the path and names the output key `a.b` (and `sum_a.b`).

import { assertNever } from '../core/index.js';
import { NqlError, formatNqlMessage } from './errors.js';
import { readPath } from './compare.js';
import { groupsMax } from './limits.js';

export type FieldAggregate = 'sum' | 'avg' | 'min' | 'max';

export interface GroupSpec {
  /** As written; a dotted name is a path (`a.b` reads doc.a.b). */
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

interface Group {
  readonly value: unknown;
  count: number;
  /** Numeric values of the aggregate field seen (bools count), their running sum, and the first extreme. */
  numbers: number;
  sum: number;
  best: number | boolean | null;
}

export class GroupTable {
  private readonly groups = new Map<string, Group>();
  private readonly path: readonly string[];
  private readonly aggregatePath: readonly string[] | undefined;

  constructor(private readonly spec: GroupSpec) {
    this.path = spec.field.split('.');
    this.aggregatePath = spec.aggregate?.field.split('.');
  }

  add(doc: Doc): void {
    const value = readPath(doc, this.path);
    const key = groupKey(value);
    let group = this.groups.get(key);
    if (group === undefined) {
      if (this.groups.size === groupsMax) {
        throw new NqlError('NQL_LIMIT_GROUPS', formatNqlMessage('NQL_LIMIT_GROUPS', { max: String(groupsMax) }));
      }
      group = { value: value ?? null, count: 0, numbers: 0, sum: 0, best: null };
      this.groups.set(key, group);
    }
    group.count += 1;
    const aggregate = this.spec.aggregate;
    if (aggregate === undefined || this.aggregatePath === undefined) return;
    const found = readPath(doc, this.aggregatePath);
    if (typeof found !== 'number' && typeof found !== 'boolean') return;
    group.numbers += 1;
    group.sum += Number(found); // in row order, as v1's sum() added them
    // Python min()/max(): the first extreme element wins ties, and the raw value (a bool stays a bool).
    const best = group.best;
    const wantMax = aggregate.name === 'max';
    if (best === null || (wantMax ? Number(found) > Number(best) : Number(found) < Number(best))) group.best = found;
  }

  rows(): Doc[] {
    const out: Doc[] = [];
    for (const group of this.groups.values()) {
      // Assigned in v1's order, so `GROUP BY count` shows the count (the later key wins, as in a Python dict).
      const row: Doc = {};
      setOwn(row, this.spec.field, group.value);
      setOwn(row, 'count', group.count);
      const aggregate = this.spec.aggregate;
      if (aggregate !== undefined) setOwn(row, `${aggregate.name}_${aggregate.field}`, aggregateValue(aggregate.name, group));
      out.push(row);
    }
    return out;
  }
}

function aggregateValue(name: FieldAggregate, group: Group): number | boolean | null {
  switch (name) {
    case 'sum':
      return group.sum;
    case 'avg':
      return group.numbers === 0 ? null : group.sum / group.numbers;
    case 'min':
    case 'max':
      return group.best;
    default:
      return assertNever(name);
  }
}

export function groupRows(docs: readonly Doc[], spec: GroupSpec): Doc[] {
  const table = new GroupTable(spec);
  for (const doc of docs) table.add(doc);
  return table.rows();
}
