// NQL's errors: one registry of stable codes, each holding NEDB v1's exact wire text (UPSTREAM.md §4.7).
// Parser and lexer texts carry v1's `NQL: ` prefix; execution errors do not (v1 raised them from Python).
// The HTTP layer adds its own `NQL error: ` prefix and puts `code`, `line` and `col` beside the message.

export const nqlErrorCodes = {
  NQL_TOKENIZE: 'NQL: cannot tokenize near: {near}',
  NQL_EXPECTED_TOKEN: 'NQL: expected {expected}, got {got}',
  NQL_EXPECTED_COLLECTION: 'NQL: expected collection after FROM',
  NQL_AS_OF_SEQ: 'NQL: AS OF expects an integer seq',
  NQL_VALID_DATE: 'NQL: VALID AS OF expects a quoted date string',
  NQL_WHERE_FIELD: 'NQL: expected field in WHERE',
  NQL_WHERE_OPERATOR: 'NQL: expected operator in WHERE',
  NQL_EXPECTED_VALUE: 'NQL: expected value, got {got}',
  NQL_SEARCH_STRING: 'NQL: SEARCH expects a quoted string',
  NQL_ORDER_FIELD: 'NQL: expected field after ORDER BY',
  NQL_TRAVERSE_RELATION: 'NQL: expected relation after TRAVERSE',
  NQL_TRACE_FIELD: 'NQL: expected field name after TRACE',
  NQL_LIMIT_INTEGER: 'NQL: LIMIT expects an integer',
  NQL_GROUP_FIELD: 'NQL: expected field after GROUP BY',
  NQL_AGGREGATE_FIELD: 'NQL: {aggregate} expects a field name',
  NQL_TRAILING_TOKENS: 'NQL: unexpected trailing tokens: {tokens}',
  NQL_UNHASHABLE: "unhashable type: '{type}'",
  // NQL extensions (docs/NQL.md). Syntax errors in the extended grammar are never the primary message of a
  // text v1 rejected (v1's own text is); they ride along as a hint. The codes below them are primary.
  NQL_SYNTAX: 'NQL: {message}',
  NQL_LIMIT_DEPTH: 'NQL: WHERE nests deeper than {max} levels of parentheses and NOT',
  NQL_LIMIT_IN_LIST: 'NQL: IN list holds more than {max} values',
  NQL_LIMIT_LIST: 'NQL: {clause} lists more than {max} fields',
  NQL_LIMIT_SORT_ROWS: 'NQL: ORDER BY would sort more than {max} rows; narrow the query with WHERE',
  NQL_LIMIT_GROUPS: 'NQL: GROUP BY would hold more than {max} groups',
  NQL_OFFSET_NEGATIVE: 'NQL: OFFSET expects a non-negative integer',
  NQL_AFTER_UNSUPPORTED: 'NQL: AFTER cannot be used with {clause}',
  NQL_CURSOR_INVALID: 'NQL: AFTER expects a cursor returned with a previous page of this query',
  NQL_CURSOR_MISMATCH: 'NQL: the cursor belongs to a different query (only LIMIT, OFFSET and SELECT may change between pages)',
  NQL_CURSOR_AHEAD: "NQL: the cursor was read at seq {seq}, after this database's committed seq {committed}",
  NQL_CURSOR_ROW: "NQL: the cursor row is not in this query's result at seq {seq}",
} as const satisfies Record<string, string>;

export type NqlErrorCode = keyof typeof nqlErrorCodes;

/**
 * Parse-time codes that win over v1's message for a text v1 rejected: the text is a well-formed extended
 * query that breaks a limit or a rule of the extensions, and v1's message would only mislead.
 */
export const extensionErrorCodes: ReadonlySet<NqlErrorCode> = new Set<NqlErrorCode>([
  'NQL_LIMIT_DEPTH', 'NQL_LIMIT_IN_LIST', 'NQL_LIMIT_LIST', 'NQL_OFFSET_NEGATIVE', 'NQL_AFTER_UNSUPPORTED',
  'NQL_CURSOR_INVALID', 'NQL_CURSOR_MISMATCH',
]);

/** Where a problem is: 0-based UTF-16 offsets into the query text, 1-based line and column. */
export interface TextSpan {
  readonly offset: number;
  readonly end: number;
  readonly line: number;
  readonly col: number;
}

export interface Diagnostic extends TextSpan {
  readonly code: NqlErrorCode;
  /** The full v1 text, e.g. `NQL: expected 'FROM', got 'SELECT'`. */
  readonly message: string;
}

export function formatNqlMessage(code: NqlErrorCode, details: Readonly<Record<string, string>> = {}): string {
  return nqlErrorCodes[code].replace(/\{(\w+)\}/g, (whole, name: string) => details[name] ?? whole);
}

export function diagnostic(code: NqlErrorCode, span: TextSpan, details?: Readonly<Record<string, string>>): Diagnostic {
  return { code, message: formatNqlMessage(code, details), offset: span.offset, end: span.end, line: span.line, col: span.col };
}

/** What runQuery throws for bad query text or a v1 execution error. `line`/`col` are 0 when not positional. */
export class NqlError extends Error {
  readonly code: NqlErrorCode;
  readonly line: number;
  readonly col: number;

  constructor(code: NqlErrorCode, message: string, line = 0, col = 0) {
    super(message);
    this.name = 'NqlError';
    this.code = code;
    this.line = line;
    this.col = col;
  }

  static fromDiagnostic(found: Diagnostic): NqlError {
    return new NqlError(found.code, found.message, found.line, found.col);
  }
}

export function isNqlError(value: unknown): value is NqlError {
  return value instanceof NqlError;
}
