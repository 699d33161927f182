// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every log record, segment header,
// snapshot section and MANIFEST. Written by hand because it runs over every byte written and read, and the
// slice-by-8 table loop below is several times faster than a byte-at-a-time loop; node:zlib's crc32 is the
// other polynomial (and absent on Node 20 and Deno).

const tables: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const result: Uint32Array[] = [];
  const first = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    first[n] = c >>> 0;
  }
  result.push(first);
  for (let t = 1; t < 8; t++) {
    const previous = result[t - 1]!;
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) table[n] = (previous[n]! >>> 8) ^ first[previous[n]! & 0xff]!;
    result.push(table);
  }
  return result;
}

const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/** CRC-32C of bytes[start, end). Pass a previous result as `seed` to continue a checksum over several ranges. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  let crc = ~seed >>> 0;
  let i = start;
  while (end - i >= 8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = (crc >>> 8) ^ t0[(crc ^ bytes[i++]!) & 0xff]!;
  return ~crc >>> 0;
}
