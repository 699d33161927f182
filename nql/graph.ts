// TRAVERSE, TRACE and TRACE REVERSE (UPSTREAM.md §4.6). Each replaces the rows: TRAVERSE with the one-hop
// targets of the rows' live edges, TRACE with the puts the rows were caused by (transitively, as of each
// cause's seq), TRACE REVERSE with the docs of the ops that cite the rows' latest puts (breadth-first, at
// the read seq). Every walk visits a seq once, so a caused_by cycle ends.

import { readField } from './compare.js';
import { pyStr } from './python.js';
import { splitKey, toRow, type Doc, type QueryContext, type Row } from './rows.js';

export async function traverse(rows: readonly Row[], relation: string, context: QueryContext): Promise<Row[]> {
  const { source, readSeq } = context;
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const row of rows) {
    for (const target of await source.edges(`${row.coll}:${row.id}`, relation, readSeq)) {
      if (seen.has(target)) continue;
      seen.add(target);
      const check = context.countRow();
      if (check !== undefined) await check;
      const key = splitKey(target);
      const found = key === undefined ? undefined : await source.get(key.coll, key.id, readSeq);
      if (key !== undefined && found !== undefined) out.push(toRow(key.coll, found));
    }
  }
  return out;
}

/** A doc's `_caused_by` seqs; v1 left them unvalidated, and anything but a seq in range is skipped. */
function causesOf(doc: Doc): number[] {
  const causes = readField(doc, '_caused_by');
  if (!Array.isArray(causes)) return [];
  return causes.filter((cause): cause is number => Number.isSafeInteger(cause) && cause >= 0);
}

export async function traceCauses(rows: readonly Row[], context: QueryContext): Promise<Row[]> {
  const { source } = context;
  const queue = rows.flatMap((row) => causesOf(row.doc));
  const seen = new Set<number>();
  const out: Row[] = [];
  for (let next = 0; next < queue.length; next += 1) {
    const seq = queue[next] ?? -1;
    if (seen.has(seq)) continue;
    seen.add(seq);
    const check = context.countRow();
    if (check !== undefined) await check;
    // Above the committed seq is out of range: nothing there is durable yet.
    const op = seq <= source.seq ? await source.op(seq) : undefined;
    if (op === undefined || op.op !== 'put' || op.coll === null || op.id === null) continue;
    const found = await source.get(op.coll, op.id, seq);
    if (found === undefined) continue; // history before a snapshot is gone (v1 too)
    const row = toRow(op.coll, found);
    out.push(row);
    queue.push(...causesOf(row.doc));
  }
  return out;
}

/** v1 looked up the latest put to `<FROM coll>:<row._id>`, at HEAD. */
async function latestPutSeq(row: Row, collection: string, context: QueryContext): Promise<number | undefined> {
  const id = pyStr(readField(row.doc, '_id'));
  const { source, readSeq } = context;
  // A key deleted at HEAD still had a latest put in v1; the read seq's version is our closest view of it.
  const found = (await source.get(collection, id, source.seq)) ?? (await source.get(collection, id, readSeq));
  return found?.seq;
}

export async function traceDependents(rows: readonly Row[], collection: string, context: QueryContext): Promise<Row[]> {
  const { source, readSeq } = context;
  const seen = new Set<number>();
  const out: Row[] = [];
  for (const row of rows) {
    const root = await latestPutSeq(row, collection, context);
    if (root === undefined || seen.has(root)) continue;
    seen.add(root);
    const queue = [root];
    for (let next = 0; next < queue.length; next += 1) {
      for (const dependent of await source.dependents(queue[next] ?? -1)) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        queue.push(dependent);
        const check = context.countRow();
        if (check !== undefined) await check;
        const op = await source.op(dependent);
        if (op === undefined || op.op !== 'put' || op.coll === null || op.id === null) continue;
        const found = await source.get(op.coll, op.id, readSeq);
        if (found !== undefined) out.push(toRow(op.coll, found));
      }
    }
  }
  return out;
}
