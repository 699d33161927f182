// zod schemas for every v1 request body, with v1's own error texts where v1 defines one (UPSTREAM.md §3).
// Shapes only: semantics (idempotency, nonces, preconditions) live in core/v1.
import * as z from 'zod';
import { NedbError, pythonRepr, pythonStr } from '../core/index.js';

const durability = z.enum(['sync', 'batch', 'async']).optional();
/** v1 applies an optional field only when it is non-null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);
const truthy = (value: unknown) => value !== undefined && value !== null && value !== false && value !== 0 && value !== '';

export const putBody = z.object({
  coll: z.unknown().refine(truthy),
  id: z.unknown().refine((value) => value !== undefined && value !== null),
  doc: z.record(z.string(), z.unknown()),
  client: optional(z.string()),
  nonce: optional(z.number().int()),
  idem: optional(z.string()),
  ttl_s: optional(z.number()),
  caused_by: z.unknown().optional(),
  evidence: optional(z.string()),
  confidence: optional(z.number()),
  valid_from: optional(z.string()),
  valid_to: optional(z.string()),
  durability,
});

export const createBody = z.object({
  name: z.unknown().optional(),
  init: optional(
    z.object({
      indexes: optional(z.array(z.array(z.unknown()).min(2).max(3))),
      seed: optional(z.record(z.string(), z.array(z.record(z.string(), z.unknown())))),
      links: optional(z.array(z.array(z.unknown()).length(3))),
    }),
  ),
  partitions: optional(z.number().int().min(1).max(256)),
  durability,
  lazy_indexes: optional(z.boolean()),
});

export const queryBody = z.object({ nql: z.unknown().optional(), count: optional(z.boolean()), explain: optional(z.boolean()) });
export const indexBody = z.object({ coll: z.unknown().optional(), field: z.unknown().optional(), fields: z.unknown().optional(), kind: z.unknown().optional() });
export const linkBody = z.object({ frm: z.unknown().optional(), rel: z.unknown().optional(), to: z.unknown().optional(), client: optional(z.string()) });
export const neighborsBody = z.object({ node: z.unknown().optional(), rel: z.unknown().optional() });
export const proofBody = z.object({ hash: z.unknown().optional() });
export const batchBody = z.object({ ops: z.unknown().optional(), client: z.unknown().optional() });

/** `caused_by` as v1 reads it: a truthy top-level list of seqs wins over `doc.caused_by`. */
export function causedByOf(topLevel: unknown, doc: Record<string, unknown>): number[] | undefined {
  const value = truthy(topLevel) && !(Array.isArray(topLevel) && topLevel.length === 0) ? topLevel : doc.caused_by;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isInteger(item)))
    throw new NedbError('INVALID_BODY', { path: 'caused_by', reason: 'must be a list of integer seqs' });
  return value as number[];
}

/** Python's int() of an if_seq value, with v1's error text for what int() refuses. */
export function pythonInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  const text = typeof value === 'string' ? `invalid literal for int() with base 10: ${pythonRepr(value)}` : `int() argument must be a string, a bytes-like object or a real number, not '${pythonTypeName(value)}'`;
  throw new NedbError('BATCH_OP_INVALID', { detail: text });
}

function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'dict' : typeof value;
}

/** v1 reads op fields as `op[name]`: a missing one is a KeyError, reported as `bad op: 'name'`. */
export function requiredField(op: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(op, name)) throw new NedbError('BATCH_OP_INVALID', { detail: pythonRepr(name) });
  return op[name];
}

export { pythonStr };
