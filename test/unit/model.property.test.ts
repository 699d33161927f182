// Model test of the Database: random sequences of writes (put, delete, batch, mark, with passing and failing
// ifSeq preconditions), reads (get AS OF, scans, collection counts), checkpoints and close+reopen, run against
// a real data directory on the node file system and against an in-memory model. The model is the contract:
// seqs count up from -1, one per op; each key keeps every version; a batch whose preconditions fail changes
// nothing and names every failing op; strings sort in code point order (UTF-8 bytes), not UTF-16.
// Seeded (NEDB_SEED=<n> replays a failure); STYLE.md §14.
import { mkdirSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BatchOp, type Database, type Durability, type JsonDocument, DataDirectory, isNedbError } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

// Ids chosen to tell code point order from UTF-16 order: U+E000 and U+FFFF sort before astral characters in
// code point order and after them in UTF-16 order.
const ids = ['a', 'aa', 'b', 'B', 'z', '0', 'é', '\uE000', '\uFFFF', 'a\uFFFF', '\u{10000}', '\u{1F600}', 'a\u{1F600}', 'a\0b'];
const colls = ['c', 'docs', 'ü\u{1F600}'];
const durabilities: Durability[] = ['sync', 'batch', 'async'];

interface Version {
  seq: number;
  doc: JsonDocument | null;
}

/** The contract, in memory. */
class Model {
  seq = -1;
  readonly docs = new Map<string, Map<string, Version[]>>();

  versions(coll: string, id: string): Version[] {
    return this.docs.get(coll)?.get(id) ?? [];
  }

  head(coll: string, id: string): Version | undefined {
    const versions = this.versions(coll, id);
    return versions[versions.length - 1];
  }

  at(coll: string, id: string, asOf: number): Version | undefined {
    const versions = this.versions(coll, id);
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.seq <= asOf) return versions[i];
    return undefined;
  }

  passes(op: ModelOp): boolean {
    if (op.op === 'mark' || op.ifSeq === undefined) return true;
    const head = this.head(op.coll, op.id);
    return op.ifSeq === -1 ? head?.doc == null : head?.seq === op.ifSeq;
  }

  apply(ops: ModelOp[]): void {
    for (const op of ops) {
      this.seq++;
      if (op.op === 'mark') continue;
      let byId = this.docs.get(op.coll);
      if (byId === undefined) this.docs.set(op.coll, (byId = new Map()));
      let versions = byId.get(op.id);
      if (versions === undefined) byId.set(op.id, (versions = []));
      versions.push({ seq: this.seq, doc: op.op === 'put' ? op.doc : null });
    }
  }

  scan(coll: string, asOf: number): { id: string; seq: number; doc: JsonDocument }[] {
    const rows: { id: string; seq: number; doc: JsonDocument }[] = [];
    for (const id of this.docs.get(coll)?.keys() ?? []) {
      const version = this.at(coll, id, asOf);
      if (version !== undefined && version.doc !== null) rows.push({ id, seq: version.seq, doc: version.doc });
    }
    return rows.sort((a, b) => Buffer.compare(Buffer.from(a.id, 'utf8'), Buffer.from(b.id, 'utf8')));
  }

  liveCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [coll, byId] of this.docs) {
      let live = 0;
      for (const versions of byId.values()) if (versions[versions.length - 1]!.doc !== null) live++;
      counts.set(coll, live);
    }
    return counts;
  }
}

/** An ifSeq to resolve against the model when the op runs: none, create-only, the current head, or any seq. */
type IfSeqPick = { kind: 'none' } | { kind: 'create' } | { kind: 'head' } | { kind: 'fixed'; seq: number };

type OpPick =
  | { op: 'put'; coll: string; id: string; doc: JsonDocument; ifSeq: IfSeqPick }
  | { op: 'delete'; coll: string; id: string; ifSeq: IfSeqPick }
  | { op: 'mark' };

type ModelOp =
  | { op: 'put'; coll: string; id: string; doc: JsonDocument; ifSeq: number | undefined }
  | { op: 'delete'; coll: string; id: string; ifSeq: number | undefined }
  | { op: 'mark' };

type Action =
  | { kind: 'write'; ops: OpPick[]; single: boolean; durability: Durability | undefined }
  | { kind: 'get'; coll: string; id: string; asOfPick: number | undefined }
  | { kind: 'scan'; coll: string; asOfPick: number | undefined }
  | { kind: 'checkpoint' }
  | { kind: 'reopen' };

const ifSeqPick: fc.Arbitrary<IfSeqPick> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<IfSeqPick>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.constant<IfSeqPick>({ kind: 'create' }) },
  { weight: 2, arbitrary: fc.constant<IfSeqPick>({ kind: 'head' }) },
  { weight: 1, arbitrary: fc.nat({ max: 40 }).map((seq): IfSeqPick => ({ kind: 'fixed', seq })) },
);

const doc: fc.Arbitrary<JsonDocument> = fc.record(
  {
    n: fc.integer(),
    s: fc.string({ unit: 'binary', maxLength: 6 }),
    ok: fc.boolean(),
    list: fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 3 })), { maxLength: 3 }),
    nested: fc.record({ x: fc.integer({ min: -5, max: 5 }) }),
  },
  { requiredKeys: ['n'] },
);

const opPick: fc.Arbitrary<OpPick> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), coll: fc.constantFrom(...colls), id: fc.constantFrom(...ids), doc, ifSeq: ifSeqPick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), coll: fc.constantFrom(...colls), id: fc.constantFrom(...ids), ifSeq: ifSeqPick }) },
  { weight: 1, arbitrary: fc.constant<OpPick>({ op: 'mark' }) },
);

const asOfPick = fc.option(fc.nat({ max: 1000 }), { nil: undefined });

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      ops: fc.array(opPick, { minLength: 1, maxLength: 5 }),
      single: fc.boolean(),
      durability: fc.option(fc.constantFrom(...durabilities), { nil: undefined }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), coll: fc.constantFrom(...colls), id: fc.constantFrom(...ids), asOfPick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('scan' as const), coll: fc.constantFrom(...colls), asOfPick }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'checkpoint' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'reopen' }) },
);

function resolveIfSeq(model: Model, pick: IfSeqPick, coll: string, id: string): number | undefined {
  switch (pick.kind) {
    case 'none':
      return undefined;
    case 'create':
      return -1;
    case 'head':
      return model.head(coll, id)?.seq ?? -1;
    case 'fixed':
      return pick.seq;
  }
}

/** An AS OF seq in [-1, model.seq + 1] (one past the visible seq is allowed and reads the visible state). */
function resolveAsOf(model: Model, pick: number | undefined): number | undefined {
  return pick === undefined ? undefined : (pick % (model.seq + 3)) - 1;
}

function toBatchOp(op: ModelOp): BatchOp {
  if (op.op === 'mark') return { op: 'mark', meta: { op: 'checkpoint' } };
  const ifSeq = op.ifSeq === undefined ? {} : { ifSeq: op.ifSeq };
  return op.op === 'put' ? { op: 'put', coll: op.coll, id: op.id, doc: op.doc, ...ifSeq } : { op: 'delete', coll: op.coll, id: op.id, ...ifSeq };
}

async function scanAll(db: Database, coll: string, asOf: number | undefined): Promise<{ id: string; seq: number; doc: JsonDocument }[]> {
  const rows: { id: string; seq: number; doc: JsonDocument }[] = [];
  for await (const page of db.scan(coll, asOf === undefined ? {} : { asOf })) rows.push(...page);
  return rows;
}

/** Writes one action's ops as one call, and checks the outcome against the model. */
async function runWrite(db: Database, model: Model, action: Extract<Action, { kind: 'write' }>): Promise<void> {
  const ops: ModelOp[] = action.ops.map((pick) =>
    pick.op === 'mark' ? pick : { ...pick, ifSeq: resolveIfSeq(model, pick.ifSeq, pick.coll, pick.id) },
  );
  const failures = ops.flatMap((op, index) =>
    op.op === 'mark' || model.passes(op)
      ? []
      : [{ index, coll: op.coll, id: op.id, expected: op.ifSeq, actual: model.head(op.coll, op.id)?.seq ?? null }],
  );
  const durability = action.durability === undefined ? {} : { durability: action.durability };
  const only = ops[0]!;
  let result: { firstSeq: number; lastSeq: number } | undefined;
  let error: unknown;
  try {
    if (action.single && ops.length === 1 && only.op !== 'mark') {
      const ifSeq = only.ifSeq === undefined ? {} : { ifSeq: only.ifSeq };
      const seq = only.op === 'put' ? await db.put(only.coll, only.id, only.doc, { ...ifSeq, ...durability }) : await db.delete(only.coll, only.id, { ...ifSeq, ...durability });
      result = { firstSeq: seq, lastSeq: seq };
    } else result = await db.batch(ops.map(toBatchOp), durability);
  } catch (caught) {
    error = caught;
  }
  if (failures.length > 0) {
    expect(isNedbError(error, 'PRECONDITION_FAILED'), String(error)).toBe(true);
    expect((error as { details: { failures: unknown } }).details.failures).toEqual(failures);
    return;
  }
  expect(error).toBeUndefined();
  expect(result).toEqual(expect.objectContaining({ firstSeq: model.seq + 1, lastSeq: model.seq + ops.length }));
  model.apply(ops);
}

async function checkEverything(db: Database, model: Model): Promise<void> {
  expect(db.seq).toBe(model.seq);
  for (const coll of colls) {
    expect(await scanAll(db, coll, undefined), `scan ${coll}`).toEqual(model.scan(coll, model.seq));
    for (const id of ids) {
      const version = model.head(coll, id);
      const expected = version === undefined || version.doc === null ? undefined : { id, seq: version.seq, doc: version.doc };
      expect(await db.get(coll, id), `get ${coll}/${id}`).toEqual(expected);
    }
  }
  expect(new Map(await db.collections())).toEqual(model.liveCounts());
}

let runCount = 0;

async function runActions(root: string, partitions: number, durability: Durability, actions: Action[]): Promise<void> {
  const dir = `${root}/run-${runCount++}`;
  mkdirSync(dir);
  let data = await DataDirectory.open(dir, { durability });
  try {
    let db = await data.create('m', { partitions });
    const model = new Model();
    for (const step of actions) {
      switch (step.kind) {
        case 'write':
          await runWrite(db, model, step);
          break;
        case 'get': {
          const asOf = resolveAsOf(model, step.asOfPick);
          const version = model.at(step.coll, step.id, asOf ?? model.seq);
          const expected = version === undefined || version.doc === null ? undefined : { id: step.id, seq: version.seq, doc: version.doc };
          expect(await db.get(step.coll, step.id, asOf === undefined ? {} : { asOf }), `get ${step.coll}/${step.id} as of ${asOf}`).toEqual(expected);
          break;
        }
        case 'scan': {
          const asOf = resolveAsOf(model, step.asOfPick);
          expect(await scanAll(db, step.coll, asOf), `scan ${step.coll} as of ${asOf}`).toEqual(model.scan(step.coll, asOf ?? model.seq));
          break;
        }
        case 'checkpoint':
          expect((await db.checkpoint()).seq).toBe(model.seq);
          break;
        case 'reopen':
          await data.close();
          data = await DataDirectory.open(dir, { durability });
          db = await data.open('m');
          await checkEverything(db, model);
          break;
      }
      expect(db.seq).toBe(model.seq);
    }
    await checkEverything(db, model);
    await data.close();
    data = await DataDirectory.open(dir, { durability });
    await checkEverything(await data.open('m'), model);
  } finally {
    await data.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Database against an in-memory model (property)', () => {
  it('agrees with the model through writes, reads, checkpoints and reopens', async () => {
    const root = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(...durabilities),
        fc.array(action, { minLength: 1, maxLength: 60 }),
        (partitions, durability, actions) => runActions(root, partitions, durability, actions),
      ),
      { seed, numRuns: 150 },
    );
  });

  it('sorts ids in code point order, not UTF-16 order, also across a checkpoint', async () => {
    const data = await DataDirectory.open(tempDir());
    try {
      const db = await data.create('order', { partitions: 3 });
      for (const id of ['\u{1F600}', '\uFFFF', '\uE000', 'a']) await db.put('c', id, { id });
      const before = (await scanAll(db, 'c', undefined)).map((row) => row.id);
      expect(before).toEqual(['a', '\uE000', '\uFFFF', '\u{1F600}']);
      await db.checkpoint();
      await db.put('c', '\u{10000}', { id: 'astral' });
      expect((await scanAll(db, 'c', undefined)).map((row) => row.id)).toEqual(['a', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}']);
    } finally {
      await data.close();
    }
  });
});
