// The NQL syntax tree: what the user wrote, with positions, and nothing the engine decides. The planner
// (plan.ts) turns it into steps; the executor never sees syntax. Nodes are readonly and tagged by `kind`
// (STYLE.md §11). Names arrive as v1 read them: keywords used as names are already lowercased.
// docs/NQL.md is the grammar; v1's subset (UPSTREAM.md §4.2) parses to the same nodes.

import type { TextSpan } from './errors.js';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type AggregateName = 'count' | 'sum' | 'avg' | 'min' | 'max';

export type NameNode = Readonly<{ kind: 'Name'; name: string; span: TextSpan }>;

/**
 * A field: one name (v1) or a dotted path into nested objects (`a.b.c`). `name` is the path as written,
 * segments joined by `.` (a v1 name holds no `.`, so the join is unambiguous); `path` holds the segments.
 */
export type FieldNode = Readonly<{ kind: 'Field'; name: string; path: readonly string[]; span: TextSpan }>;

/** A literal value in WHERE; a bare word is that string (v1). */
export type ValueNode = Readonly<{ kind: 'Value'; value: string | number | boolean | null; span: TextSpan }>;

/** A number clause argument (AS OF, LIMIT, OFFSET); v1 applied Python int(), so `2.7` means 2. */
export type IntegerNode = Readonly<{ kind: 'Integer'; value: number; span: TextSpan }>;

export type StringNode = Readonly<{ kind: 'String'; value: string; span: TextSpan }>;

/** `field op value` (v1). */
export type ConditionNode = Readonly<{ kind: 'Condition'; field: FieldNode; op: CompareOp; value: ValueNode; span: TextSpan }>;

/** `field IN (v, …)`: `field = v` for some v. */
export type InNode = Readonly<{ kind: 'In'; field: FieldNode; values: readonly ValueNode[]; span: TextSpan }>;

/** `field BETWEEN low AND high`: `field >= low AND field <= high`. */
export type BetweenNode = Readonly<{ kind: 'Between'; field: FieldNode; low: ValueNode; high: ValueNode; span: TextSpan }>;

/** AND and OR hold two or more operands in order; a chain is one node, not a deep tree. */
export type LogicalNode = Readonly<{ kind: 'And' | 'Or'; operands: readonly ExprNode[]; span: TextSpan }>;

export type NotNode = Readonly<{ kind: 'Not'; operand: ExprNode; span: TextSpan }>;

export type ExprNode = ConditionNode | InNode | BetweenNode | LogicalNode | NotNode;

export type OrderByNode = Readonly<{ kind: 'OrderBy'; field: FieldNode; descending: boolean; span: TextSpan }>;

export type TraceNode = Readonly<{ kind: 'Trace'; field: NameNode; reverse: boolean; span: TextSpan }>;

export type AggregateNode = Readonly<{ kind: 'Aggregate'; name: AggregateName; field: FieldNode | undefined; span: TextSpan }>;

export type GroupByNode = Readonly<{ kind: 'GroupBy'; field: FieldNode; aggregate: AggregateNode | undefined; span: TextSpan }>;

/** The trailing projection: `SELECT a, b.c` or `SELECT COUNT(*)`. */
export type SelectNode =
  | Readonly<{ kind: 'SelectFields'; fields: readonly FieldNode[]; span: TextSpan }>
  | Readonly<{ kind: 'SelectCount'; span: TextSpan }>;

export type QueryNode = Readonly<{
  kind: 'Query';
  collection: NameNode;
  asOf: IntegerNode | undefined;
  validAsOf: StringNode | undefined;
  /** v1's `c1 AND c2` is an And node; a single condition stands alone. */
  where: ExprNode | undefined;
  search: StringNode | undefined;
  /** Empty without ORDER BY; v1 allowed one key. */
  orderBy: readonly OrderByNode[];
  traverse: NameNode | undefined;
  trace: TraceNode | undefined;
  limit: IntegerNode | undefined;
  offset: IntegerNode | undefined;
  /** The opaque keyset cursor of `AFTER '…'`, as written. */
  after: StringNode | undefined;
  groupBy: GroupByNode | undefined;
  select: SelectNode | undefined;
  span: TextSpan;
}>;
