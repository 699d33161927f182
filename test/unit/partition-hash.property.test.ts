// partitionOf must agree with partitionOfKey(encodeKey(…)) exactly: the partition of a key is on-disk format.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Namespace, encodeKey, partitionOf, partitionOfKey } from '../../core/keys.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);

describe('partitionOf', () => {
  it('equals the FNV-1a of the encoded key for any well-formed names', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom(Namespace.user, Namespace.system), text, text, fc.integer({ min: 1, max: 256 }), (ns, coll, id, partitions) =>
        partitionOf(ns, coll, id, partitions) === partitionOfKey(encodeKey(ns, coll, id), partitions),
      ),
      { seed, numRuns: 3000 },
    );
  });
});
