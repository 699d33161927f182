// One mapping from engine error kinds to HTTP statuses, and the v1 error body (`{"error": "<text>"}`, plus
// nedb's `code` beside it; NQL errors add `line` and `col`). Handlers throw; only this file builds error replies.
// No stack traces ever leave the server (v1 sent a Python traceback; UPSTREAM.md recommends omitting it).
import { type ErrorKind, NedbError, V1PreconditionFailed } from '../core/index.js';
import { NqlError } from '../nql/index.js';

export const httpStatus = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  not_implemented: 501,
  not_ready: 503,
  busy: 503,
  read_only: 503,
  failed: 503,
  corrupt: 500,
  internal: 500,
} as const satisfies Record<ErrorKind, number>;

export interface ErrorReply {
  status: number;
  body: Record<string, unknown>;
  /** Seconds for Retry-After, on 503s a client should retry. */
  retryAfterSeconds?: number;
}

export function errorReply(error: unknown, retryAfterSeconds: number): ErrorReply {
  if (error instanceof V1PreconditionFailed)
    return { status: 409, body: { error: 'precondition_failed', code: 'PRECONDITION_FAILED', failures: error.failures, seq: error.seq } };
  if (error instanceof NqlError) {
    const body: Record<string, unknown> = { error: `NQL error: ${error.message}`, code: error.code };
    if (error.line > 0) Object.assign(body, { line: error.line, col: error.col });
    return { status: 400, body };
  }
  if (error instanceof NedbError) {
    const status = httpStatus[error.kind];
    const body: Record<string, unknown> = { error: error.message, code: error.code };
    if (error.code === 'INVALID_BODY' && error.details.path !== undefined) body.path = error.details.path;
    return status === 503 ? { status, body, retryAfterSeconds } : { status, body };
  }
  return { status: 500, body: { error: error instanceof Error ? error.message : String(error), code: 'INTERNAL' } };
}
