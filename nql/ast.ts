// The NQL syntax tree: what the user wrote, with positions, and nothing the engine decides. The planner
// (plan.ts) turns it into steps; the executor never sees syntax. Nodes are readonly and tagged by `kind`
// (STYLE.md §11). Names arrive as v1 read them: keywords used as names are already lowercased.

import type { TextSpan } from './errors.js';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type AggregateName = 'count' | 'sum' | 'avg' | 'min' | 'max';

export type NameNode = Readonly<{ kind: 'Name'; name: string; span: TextSpan }>;

/** A literal value in WHERE; a bare word is that string (v1). */
export type ValueNode = Readonly<{ kind: 'Value'; value: string | number | boolean | null; span: TextSpan }>;

/** A number clause argument (AS OF, LIMIT); v1 applied Python int(), so `2.7` means 2. */
export type IntegerNode = Readonly<{ kind: 'Integer'; value: number; span: TextSpan }>;

export type StringNode = Readonly<{ kind: 'String'; value: string; span: TextSpan }>;

export type ConditionNode = Readonly<{ kind: 'Condition'; field: NameNode; op: CompareOp; value: ValueNode; span: TextSpan }>;

export type OrderByNode = Readonly<{ kind: 'OrderBy'; field: NameNode; descending: boolean; span: TextSpan }>;

export type TraceNode = Readonly<{ kind: 'Trace'; field: NameNode; reverse: boolean; span: TextSpan }>;

export type AggregateNode = Readonly<{ kind: 'Aggregate'; name: AggregateName; field: NameNode | undefined; span: TextSpan }>;

export type GroupByNode = Readonly<{ kind: 'GroupBy'; field: NameNode; aggregate: AggregateNode | undefined; span: TextSpan }>;

export type QueryNode = Readonly<{
  kind: 'Query';
  collection: NameNode;
  asOf: IntegerNode | undefined;
  validAsOf: StringNode | undefined;
  where: readonly ConditionNode[];
  search: StringNode | undefined;
  orderBy: OrderByNode | undefined;
  traverse: NameNode | undefined;
  trace: TraceNode | undefined;
  limit: IntegerNode | undefined;
  groupBy: GroupByNode | undefined;
  span: TextSpan;
}>;
