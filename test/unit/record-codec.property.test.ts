// Property tests of the log record codec (FORMAT.md §2): what encodeTxnRecord writes, readRecordAt reads back
// unchanged; a record cut anywhere reads as torn; and any single flipped bit is caught, never read as 'ok'.
// Seeded (NEDB_SEED=<n> replays a failure); STYLE.md §14.
import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../core/keys.js';
import { type LoggedOp, type OpMeta, type TxnRecord, OpKind, encodeTxnRecord, readRecordAt, recordHeaderBytes } from '../../core/log/record.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

/** Well-formed Unicode text (astral characters included, no lone surrogates). */
const text = fc.string({ unit: 'binary', maxLength: 12 });
const safeKey = text.filter((key) => key !== '__proto__');

/** msgpack-representable values that come back equal (no -0, no undefined, no NaN). */
const payloadValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(safeKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const meta: fc.Arbitrary<OpMeta> = fc.record(
  {
    op: fc.constantFrom('put', 'delete', 'link', 'unlink', 'checkpoint', 'put_file'),
    client: text,
    nonce: fc.nat(),
    ts: fc.integer({ min: 0, max: 2 ** 48 }),
    idem: text,
    causedBy: fc.array(fc.nat(), { maxLength: 4 }),
    evidence: text,
    confidence: fc.double({ min: 0, max: 1, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    validFrom: text,
    validTo: text,
    payload: payloadValue,
  },
  { requiredKeys: [] },
);

/** A document as the engine stores it: msgpack bytes of a JSON object. */
const docBytes = fc.dictionary(safeKey, payloadValue, { maxKeys: 5 }).map((doc) => encode(doc));

const opBody = fc.record({
  kind: fc.constantFrom(OpKind.put, OpKind.delete, OpKind.mark),
  ns: fc.constantFrom(Namespace.user, Namespace.system),
  coll: text,
  id: text,
  doc: fc.option(docBytes, { nil: null }),
  meta: fc.option(meta, { nil: null }),
});

/**
 * A record: op seqs grow, except that an attached op shares the seq of the op before it (FORMAT.md §2.2); for a
 * multi-partition part, a span that contains them.
 */
const record: fc.Arbitrary<TxnRecord> = fc
  .record({
    firstSeq: fc.oneof(fc.nat({ max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 10_000 })),
    steps: fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), attached: fc.boolean() }), { minLength: 1, maxLength: 6 }),
    bodies: fc.array(opBody, { minLength: 6, maxLength: 6 }),
    span: fc.option(fc.record({ before: fc.nat({ max: 5 }), after: fc.nat({ max: 5 }), parts: fc.integer({ min: 2, max: 256 }) }), { nil: null }),
  })
  .map(({ firstSeq, steps, bodies, span }) => {
    const ops: LoggedOp[] = [];
    let seq = firstSeq + (span?.before ?? 0);
    steps.forEach((step, i) => {
      if (i > 0 && !step.attached) seq += step.gap;
      ops.push({ seq, attached: step.attached, ...bodies[i]! });
    });
    const lastOpSeq = ops[ops.length - 1]!.seq;
    return {
      seq: ops[0]!.seq,
      ops,
      span: span === null ? null : { firstSeq, lastSeq: lastOpSeq + span.after, parts: span.parts },
    };
  });

describe('log record codec (property)', () => {
  it('reads back what it encodes, also among other bytes', () => {
    fc.assert(
      fc.property(record, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (input, before, after) => {
        const encoded = encodeTxnRecord(input);
        const bytes = new Uint8Array(before.length + encoded.length + after.length);
        bytes.set(before);
        bytes.set(encoded, before.length);
        bytes.set(after, before.length + encoded.length);
        const scan = readRecordAt(bytes, before.length, before.length + encoded.length);
        expect(scan.status).toBe('ok');
        if (scan.status !== 'ok') return;
        expect(scan.endOffset).toBe(before.length + encoded.length);
        expect(scan.record).toEqual(input);
        expect(new DataView(encoded.buffer).getUint32(0, true)).toBe(encoded.length);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('reads every proper prefix of a record as torn, and the empty one as the end', () => {
    fc.assert(
      fc.property(record, (input) => {
        const encoded = encodeTxnRecord(input);
        expect(readRecordAt(encoded, 0, 0)).toEqual({ status: 'end' });
        for (let cut = 1; cut < encoded.length; cut++) {
          const scan = readRecordAt(encoded.subarray(0, cut), 0, cut);
          expect(scan.status, `cut at ${cut} of ${encoded.length}`).toBe('torn');
        }
      }),
      { seed, numRuns: 100 },
    );
  });

  it('reads a record followed by zeros (a preallocated or zero-filled tail) and then a torn tail', () => {
    fc.assert(
      fc.property(record, fc.integer({ min: 1, max: 64 }), (input, zeros) => {
        const encoded = encodeTxnRecord(input);
        const bytes = new Uint8Array(encoded.length + zeros);
        bytes.set(encoded);
        const first = readRecordAt(bytes, 0, bytes.length);
        expect(first.status).toBe('ok');
        expect(readRecordAt(bytes, encoded.length, bytes.length).status).toBe('torn');
      }),
      { seed, numRuns: 100 },
    );
  });

  it('catches every single flipped bit: never ok, always bad or torn', () => {
    fc.assert(
      fc.property(record, (input) => {
        const encoded = encodeTxnRecord(input);
        const damaged = encoded.slice();
        for (let bit = 0; bit < encoded.length * 8; bit++) {
          const at = bit >>> 3;
          damaged[at] = encoded[at]! ^ (1 << (bit & 7));
          const scan = readRecordAt(damaged, 0, damaged.length);
          expect(['bad', 'torn'], `bit ${bit} of ${encoded.length * 8}`).toContain(scan.status);
          damaged[at] = encoded[at]!;
        }
      }),
      { seed, numRuns: 20 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const scan = readRecordAt(bytes, 0, bytes.length);
        expect(['ok', 'end', 'torn', 'bad']).toContain(scan.status);
      }),
      { seed, numRuns: 500 },
    );
    expect(recordHeaderBytes).toBe(20);
  });

  it('canary: a false property is reported as failed, with the seed that replays it', () => {
    const result = fc.check(
      fc.property(record, (input) => encodeTxnRecord(input).length < recordHeaderBytes + 8),
      { seed, numRuns: 100 },
    );
    expect(result.failed).toBe(true);
    expect(result.seed).toBe(seed);
    expect(result.counterexample).not.toBeNull();
    const replay = fc.check(
      fc.property(record, (input) => encodeTxnRecord(input).length < recordHeaderBytes + 8),
      { seed: result.seed, numRuns: 100, ...(result.counterexamplePath === null ? {} : { path: result.counterexamplePath }) },
    );
    expect(replay.failed).toBe(true);
  });
});
