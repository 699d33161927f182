// Every bound NQL puts on one query, each with the reason for its size. They bound the memory and stack a
// query can hold (parse depth, IN lists, sort buffers, group tables), never the rows it returns: a query
// without ORDER BY, TRAVERSE, TRACE or a negative LIMIT streams its rows and stops early at LIMIT.
// Exceeding one is an NqlError with its own code (NQL_LIMIT_*), never a crash or a silent truncation.

/**
 * Nesting of parentheses and NOT in WHERE. The parser and the evaluator recurse once per level, so this
 * bounds their stack; 32 levels is far beyond any hand-written or generated filter (AND/OR chains are flat
 * lists and do not count).
 */
export const queryDepthMax = 32;

/**
 * Values in one IN list. Each is compared per row, so a long list multiplies the filter's cost; past a few
 * thousand values a client should split the query (or, once the planner has one, use an `eq` index).
 */
export const inListValuesMax = 4096;

/**
 * Rows ORDER BY may hold in its sort buffer. v1 sorted everything in memory with no bound; 4 Mi rows covers
 * the largest collection of the workload (1M blocks) four times over while keeping one runaway sort from
 * exhausting the heap. A sorted index (the planner's) streams instead and is not bounded by this.
 */
export const sortRowsMax = 1 << 22;

/**
 * Groups one GROUP BY may hold. A group costs its key and a few numbers (aggregates are folded as rows
 * stream by, documents are not kept), so 1 Mi groups is about 100 MiB at worst.
 */
export const groupsMax = 1 << 20;

/** Fields in one SELECT list or ORDER BY list: enough for any real projection, small enough to print. */
export const listItemsMax = 256;

/** Characters in an AFTER cursor: a cursor holds the seq, the id and the ORDER BY values of one row. */
export const cursorCharsMax = 1 << 16;
