// Every error the engine can raise, with a stable code. Codes are never renamed or reused; a retired code
// stays listed with `retired: true`. Messages say what to fix; `{name}` placeholders are filled from
// `details`. Where NEDB v1 defines the wire text of an error, the message is that exact text.
// Protocol layers map `kind` to their own status (http/errors.ts): one table per protocol.

export type ErrorKind =
  | 'invalid_input'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'not_implemented'
  | 'not_ready'
  | 'busy'
  | 'read_only'
  | 'failed'
  | 'corrupt'
  | 'internal';

export interface ErrorSpec {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly retired?: boolean;
}

export const errorCodes = {
  DB_NAME_INVALID: { kind: 'invalid_input', message: "invalid database name: '{name}'" },
  DB_NOT_FOUND: { kind: 'not_found', message: 'database not found: {name}' },
  DB_EXISTS: { kind: 'conflict', message: 'database already exists: {name}' },
  DB_CLOSED: { kind: 'not_ready', message: 'database {name} is closed; open it again' },
  DB_LOADING: { kind: 'not_ready', message: 'database {name} is still loading ({percent}%); retry shortly' },
  COLL_NAME_INVALID: {
    kind: 'invalid_input',
    message: 'collection name must be a non-empty, well-formed Unicode string of at most {max} UTF-8 bytes',
  },
  DOC_ID_INVALID: {
    kind: 'invalid_input',
    message: 'document id must be a non-empty, well-formed Unicode string of at most {max} UTF-8 bytes',
  },
  DOC_INVALID: { kind: 'invalid_input', message: 'document must be a JSON object: {reason}' },
  DOC_TOO_LARGE: { kind: 'too_large', message: 'document {coll}/{id} is {bytes} bytes; the limit is {max}' },
  BATCH_EMPTY: { kind: 'invalid_input', message: 'a batch needs at least one operation' },
  BATCH_TOO_LARGE: { kind: 'too_large', message: 'a batch holds at most {max} operations; split it (got {count})' },
  RECORD_TOO_LARGE: { kind: 'too_large', message: 'the write encodes to {bytes} bytes; one write holds at most {max}' },
  PRECONDITION_FAILED: { kind: 'conflict', message: 'precondition_failed' },
  DURABILITY_INVALID: { kind: 'invalid_input', message: "durability must be 'sync', 'batch' or 'async' (got '{value}')" },
  OPTION_INVALID: { kind: 'invalid_input', message: 'option {name} is invalid: {reason}' },
  AS_OF_INVALID: { kind: 'invalid_input', message: 'AS OF seq must be an integer >= -1 (got {value})' },
  HISTORY_RETAINED_NOT: {
    kind: 'not_found',
    message: 'seq {seq} is older than the retained history (oldest retained seq is {oldest})',
  },
  LOCKED: {
    kind: 'busy',
    message: 'data directory {dir} is in use by process {pid}{address}; stop it or use --url to talk to it',
  },
  FSYNC_FAILED: {
    kind: 'failed',
    message: 'database {name} stopped accepting writes after an fsync error ({reason}); restart the server to recover from the log',
  },
  DISK_FULL: {
    kind: 'read_only',
    message: 'database {name} is read-only: the disk is full ({reason}); free space and writes resume on their own',
  },
  READ_ONLY: { kind: 'read_only', message: 'database {name} was opened read-only' },
  LOG_CORRUPT: {
    kind: 'corrupt',
    message: 'log file {file} is damaged at byte {offset}: {reason}; run `nedb repair` to keep the intact prefix',
  },
  SNAPSHOT_CORRUPT: {
    kind: 'corrupt',
    message: 'snapshot {file} is damaged at byte {offset}: {reason}; restore this database from a backup',
  },
  MANIFEST_CORRUPT: { kind: 'corrupt', message: 'MANIFEST {file} is damaged: {reason}' },
  FORMAT_UNSUPPORTED: {
    kind: 'corrupt',
    message: '{file} has format version {version}; this nedb reads version {supported}',
  },
  CHECKPOINT_RUNNING: { kind: 'busy', message: 'a checkpoint of {name} is already running' },
  IMPORT_LINE_INVALID: { kind: 'invalid_input', message: 'line {line}: {reason}' },
  INTERNAL: { kind: 'internal', message: 'internal error: {reason}' },
  // NEDB v1 wire texts (UPSTREAM.md §2–§7): the exact `error` strings v1 clients may match on.
  BODY_JSON_INVALID: { kind: 'invalid_input', message: 'invalid JSON body' },
  BODY_NOT_OBJECT: { kind: 'invalid_input', message: 'request body must be a JSON object' },
  BODY_TOO_LARGE: { kind: 'too_large', message: 'request body is {bytes} bytes; the limit is {max}' },
  INVALID_BODY: { kind: 'invalid_input', message: 'invalid request body at {path}: {reason}' },
  NAME_REQUIRED: { kind: 'invalid_input', message: 'name is required' },
  PUT_FIELDS_REQUIRED: { kind: 'invalid_input', message: 'coll, id, and doc are required' },
  OPS_REQUIRED: { kind: 'invalid_input', message: 'ops array is required' },
  BATCH_OP_INVALID: { kind: 'invalid_input', message: 'bad op: {detail}' },
  INDEX_FIELDS_REQUIRED: { kind: 'invalid_input', message: 'coll and field are required' },
  INDEX_KIND_UNKNOWN: { kind: 'invalid_input', message: 'unknown index kind: {kind}' },
  INDEX_FIELDS_INVALID: { kind: 'invalid_input', message: 'an index takes "field" or "fields": a list of 1 to {max} non-empty field names (a search index: one field)' },
  LINK_FIELDS_REQUIRED: { kind: 'invalid_input', message: 'frm, rel, and to are required' },
  NEIGHBORS_FIELDS_REQUIRED: { kind: 'invalid_input', message: 'node and rel are required' },
  NONCE_STALE: { kind: 'conflict', message: "replay/stale nonce for client '{client}': {nonce} <= {last}" },
  NQL_REQUIRED: { kind: 'invalid_input', message: 'nql is required' },
  NQL_ERROR: { kind: 'invalid_input', message: 'NQL error: {message}' },
  QUERY_TIMEOUT: { kind: 'busy', message: 'query ran past its {ms} ms limit; narrow it (WHERE, LIMIT) or raise --query-timeout-ms' },
  // v1 answers a non-integer ?limit= with 500 (not marked Recommend in UPSTREAM.md, so kept).
  LOG_LIMIT_INVALID: { kind: 'internal', message: "invalid literal for int() with base 10: '{value}'" },
  HASH_REQUIRED: { kind: 'invalid_input', message: 'hash (64-char hex) is required' },
  HASH_NOT_HEX: { kind: 'invalid_input', message: 'hash must be 64-char hexadecimal' },
  PROOF_NOT_FOUND: { kind: 'not_found', message: 'no op with hash={prefix}…' },
  UNAUTHORIZED: { kind: 'unauthorized', message: 'missing or invalid bearer token' },
  ROUTE_NOT_FOUND: { kind: 'not_found', message: 'no such route' },
  BACKUP_INVALID: { kind: 'invalid_input', message: 'backup file {file}: {reason}' },
  V1_MIGRATION_FAILED: { kind: 'invalid_input', message: '{reason}' },
  DOC_NOT_FOUND: { kind: 'not_found', message: 'document not found: {coll}/{id}' },
  FEATURE_NOT_IMPLEMENTED: { kind: 'not_implemented', message: '{feature} is not implemented in nedb yet; {hint}' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCodes;

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class NedbError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(formatMessage(errorCodes[code].message, details), options);
    this.name = 'NedbError';
    this.code = code;
    this.kind = errorCodes[code].kind;
    this.details = details;
  }
}

function formatMessage(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(details, name) ? String(details[name]) : whole,
  );
}

export function isNedbError(error: unknown, code?: ErrorCode): error is NedbError {
  return error instanceof NedbError && (code === undefined || error.code === code);
}

/** The text of an error from the operating system or a library, for messages that name a cause. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
