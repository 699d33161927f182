// Request bodies as v1 reads them: `Content-Length` bytes, Content-Type ignored, empty → {}, bad JSON → 400
// `invalid JSON body`, a non-object → 400 (v1 answers 500; UPSTREAM.md recommends 400). zod checks shapes at
// this boundary only; a failure becomes a NedbError with the path of the bad field.
import type { z } from 'zod';
import { NedbError } from '../core/index.js';

export function parseJsonBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new NedbError('BODY_JSON_INVALID');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NedbError('BODY_NOT_OBJECT');
  return value as Record<string, unknown>;
}

/** Parses with a schema; `required` names the v1 error for a missing or falsy required field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, onFail?: () => NedbError): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  if (onFail !== undefined) throw onFail();
  const issue = result.error.issues[0];
  throw new NedbError('INVALID_BODY', { path: issue?.path.join('.') || '(body)', reason: issue?.message ?? 'invalid' });
}
