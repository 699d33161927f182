// One imported document becomes one put. Everything the engine would reject about a single document is
// checked here first, so the error names the line instead of failing a whole batch of 500 anonymously.
import { limits, type BatchOp, type JsonDocument } from '../../core/index.js';
import { type SplitItem, itemError } from './splitter.js';

export function documentOp(item: SplitItem, coll: string, idField: string): BatchOp {
  const fail = (reason: string) => itemError(item.line, item.element, reason);
  let value: unknown;
  try {
    value = JSON.parse(item.text);
  } catch (error) {
    throw fail(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(`expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  const doc = value as JsonDocument;
  const raw = Object.hasOwn(doc, idField) ? doc[idField] : undefined;
  if (raw === undefined) throw fail(`the document has no "${idField}" field (name the id field with --id-field)`);
  if (typeof raw !== 'string' && typeof raw !== 'number')
    throw fail(`"${idField}" must be a string or a number, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  const id = typeof raw === 'number' ? String(raw) : raw;
  if (id === '') throw fail(`"${idField}" is empty`);
  if (id.length * 3 > limits.docIdBytesMax && Buffer.byteLength(id) > limits.docIdBytesMax)
    throw fail(`"${idField}" is longer than ${limits.docIdBytesMax} bytes`);
  return { op: 'put', coll, id, doc };
}
