// NQL's public surface: HTTP and RESP call runQuery; tests and tools may parse, plan and explain.
export { runQuery, executePlan, streamQuery, type QueryResult, type QueryStream } from './executor.js';
export { explainQuery, type ExplainIndex, type ExplainRow } from './explain.js';
export { parse, type ParseResult } from './parser.js';
export { planQuery, explainPlan, type Plan } from './plan.js';
export { NqlError, isNqlError, nqlErrorCodes, type Diagnostic, type NqlErrorCode } from './errors.js';
export type { QueryNode } from './ast.js';
export type { IndexCatalogEntry, IndexRangeRequest, OrderedScanRequest, QuerySource, SourceOp, SourceRow } from './source.js';
