// Pins the on-disk bytes of every format in docs/FORMAT.md, so that none can change silently: a change here is a
// format change, and needs a new format version and a note in FORMAT.md. The expected hex strings were produced
// by the code and checked field by field against FORMAT.md (the decoded comments beside each one).
import { readFileSync, writeFileSync } from 'node:fs';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../core/crc32c.js';
import { isNedbError } from '../../core/errors.js';
import { Namespace, encodeKey, partitionOfKey } from '../../core/keys.js';
import { OpKind, encodeTxnRecord, readRecordAt, recordHeaderBytes } from '../../core/log/record.js';
import { encodeSegmentHeader, parseSegmentFileName, segmentFileName, segmentHeaderBytes } from '../../core/log/segment.js';
import { type Manifest, decodeManifest, encodeManifest } from '../../core/manifest.js';
import { nodeFileSystem } from '../../core/platform/node-file-system.js';
import {
  SectionFlags,
  SectionType,
  directoryEntryBytes,
  sectionEntryBytes,
  snapshotFileName,
  snapshotFooterBytes,
  snapshotHeaderBytes,
} from '../../core/snapshot/format.js';
import { SnapshotReader, decodeDocRecord } from '../../core/snapshot/snapshot-reader.js';
import { encodeDocRecord, writeSnapshot } from '../../core/snapshot/snapshot-writer.js';
import type { OverlayEntry } from '../../core/partition/partition-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const utf8 = new TextEncoder();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.subarray(start, start + length)).toString('latin1');
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('CRC-32C (Castagnoli)', () => {
  it('gives the standard check values', () => {
    expect(crc32c(utf8.encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43); // RFC 3720 B.4
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('continues over several ranges when given the previous result as seed', () => {
    const bytes = utf8.encode('123456789');
    expect(crc32c(bytes, 4, 9, crc32c(bytes, 0, 4))).toBe(0xe3069283);
    // the slice-by-8 loop and the byte tail agree at every split and offset
    const long = new Uint8Array(37).map((_, i) => (i * 31 + 7) & 0xff);
    const whole = crc32c(long);
    for (let split = 0; split <= long.length; split++) expect(crc32c(long, split, long.length, crc32c(long, 0, split))).toBe(whole);
  });
});

describe('FORMAT.md §2: log record', () => {
  const doc = encode({ x: 1 }); // 81 a1 78 01
  const record = encodeTxnRecord({
    seq: 7,
    ops: [
      { seq: 7, attached: false, kind: OpKind.put, ns: Namespace.user, coll: 'c', id: 'a', doc, meta: { ts: 1 } },
      { seq: 8, attached: false, kind: OpKind.delete, ns: Namespace.user, coll: 'c', id: 'b', doc: null, meta: null },
    ],
    span: { firstSeq: 7, lastSeq: 9, parts: 2 },
  });

  it('encodes a txn record to pinned bytes', () => {
    expect(hex(record)).toBe(
      '3f000000' + // u32 lengthBytes = 63, itself included
        '17c47cf1' + // u32 crc32c over bytes [8, 63)
        '0700000000000000' + // u64 seq = 7 (the first op's seq)
        '01' + // u8 kind = txn
        '02' + // u8 flags = multiPartition
        '0000' + // u16 reserved
        '82' + // payload: map of 2
        'a36f7073' + '92' + // "ops": array of 2
        '97' + '07' + '00' + '00' + 'a163' + 'a161' + 'c404' + '81a17801' + '81a2747301' + // [7, put, user, "c", "a", bin(doc), {ts: 1}]
        '97' + '08' + '01' + '00' + 'a163' + 'a162' + 'c0' + 'c0' + // [8, delete, user, "c", "b", nil, nil]
        'a374786e' + '93070902', // "txn": [7, 9, 2]
    );
    expect(record.length).toBe(63);
    expect(recordHeaderBytes).toBe(20);
    expect(viewOf(record).getUint32(4, true)).toBe(crc32c(record, 8, record.length));
  });

  it('reads the pinned bytes back', () => {
    const scan = readRecordAt(record, 0, record.length);
    expect(scan.status).toBe('ok');
    if (scan.status !== 'ok') return;
    expect(scan.endOffset).toBe(63);
    expect(scan.record.span).toEqual({ firstSeq: 7, lastSeq: 9, parts: 2 });
    expect(scan.record.ops.map((op) => [op.seq, op.kind, op.coll, op.id, op.meta])).toEqual([
      [7, OpKind.put, 'c', 'a', { ts: 1 }],
      [8, OpKind.delete, 'c', 'b', null],
    ]);
    expect(hex(scan.record.ops[0]!.doc!)).toBe('81a17801');
  });

  it('sets no flag for a single-partition record and omits the txn field', () => {
    const single = encodeTxnRecord({
      seq: 0,
      ops: [{ seq: 0, attached: false, kind: OpKind.mark, ns: Namespace.system, coll: '', id: '', doc: null, meta: { op: 'checkpoint' } }],
      span: null,
    });
    expect(hex(single)).toBe(
      '30000000' + '7f6e6d4d' + '0000000000000000' + '01' + '00' + '0000' +
        '81' + 'a36f7073' + '91' + '97' + '00' + '02' + '01' + 'a0' + 'a0' + 'c0' + '81a26f70aa636865636b706f696e74',
    );
    expect(viewOf(single).getUint32(4, true)).toBe(0x4d6d6e7f);
  });

  it('writes an attached op with an 8th element, its op flags', () => {
    const attached = encodeTxnRecord({
      seq: 3,
      ops: [
        { seq: 3, attached: false, kind: OpKind.put, ns: Namespace.user, coll: 'c', id: 'a', doc, meta: null },
        { seq: 3, attached: true, kind: OpKind.put, ns: Namespace.system, coll: 'i', id: 'k', doc, meta: null },
      ],
      span: null,
    });
    expect(hex(attached.subarray(recordHeaderBytes))).toBe(
      '81' + 'a36f7073' + '92' +
        '97' + '03' + '00' + '00' + 'a163' + 'a161' + 'c40481a17801' + 'c0' + // 7 elements: not attached
        '98' + '03' + '00' + '01' + 'a169' + 'a16b' + 'c40481a17801' + 'c0' + '01', // 8 elements: flags = attached
    );
    const scan = readRecordAt(attached, 0, attached.length);
    expect(scan.status === 'ok' && scan.record.ops.map((op) => [op.seq, op.attached])).toEqual([[3, false], [3, true]]);
  });
});

describe('FORMAT.md §3: log segment', () => {
  it('encodes the 32-byte header to pinned bytes', () => {
    const header = encodeSegmentHeader(3, 42);
    expect(segmentHeaderBytes).toBe(32);
    expect(hex(header)).toBe(
      '4e45444257414c00' + // "NEDBWAL\0"
        '01000000' + // u32 formatVersion = 1
        '03000000' + // u32 partition = 3
        '2a00000000000000' + // u64 segmentNo = 42
        '00000000' + // u32 reserved
        'eb573e32', // u32 crc32c of bytes [0, 28)
    );
    expect(viewOf(header).getUint32(28, true)).toBe(crc32c(header, 0, 28));
  });

  it('names segments p<partition:3>-<segmentNo:8>.wal', () => {
    expect(segmentFileName(3, 42)).toBe('p003-00000042.wal');
    expect(parseSegmentFileName('p003-00000042.wal')).toEqual({ partition: 3, segmentNo: 42 });
    expect(parseSegmentFileName('p003-00000042.wal.tmp')).toBeUndefined();
    expect(parseSegmentFileName('p3-42.wal')).toBeUndefined();
  });
});

describe('FORMAT.md §1: MANIFEST', () => {
  const manifest: Manifest = {
    partitions: 2,
    createdMs: 1_700_000_000_000,
    checkpoint: { seq: 5, snapshots: ['p000-000000000005.snap', null], logStart: [2, 1], horizonSeq: -1 },
    settings: { durability: 'sync', historyRetentionSeqs: null },
    indexes: [],
  };
  const body =
    '{"partitions":2,"createdMs":1700000000000,"checkpoint":{"seq":5,"snapshots":["p000-000000000005.snap",null],' +
    '"logStart":[2,1],"horizonSeq":-1},"settings":{"durability":"sync","historyRetentionSeqs":null},"indexes":[]}';

  it('encodes a 24-byte header and a JSON body to pinned bytes', () => {
    const bytes = encodeManifest(manifest);
    expect(hex(bytes.subarray(0, 24))).toBe(
      '4e4544424d414e49' + // "NEDBMANI"
        '01000000' + // u32 formatVersion = 1
        'd8000000' + // u32 bodyBytes = 216
        '2d50e2e0' + // u32 crc32c(body)
        '00000000', // u32 reserved
    );
    expect(Buffer.from(bytes.subarray(24)).toString('utf8')).toBe(body);
    expect(body.length).toBe(216);
    expect(crc32c(utf8.encode(body))).toBe(0xe0e2502d);
    expect(decodeManifest(bytes, 'MANIFEST')).toEqual(manifest);
  });

  it('rejects a flipped body byte, a wrong length and a newer version', () => {
    const flipped = encodeManifest(manifest);
    flipped[40]! ^= 0x01;
    expect(() => decodeManifest(flipped, 'M')).toThrow(/CRC-32C mismatch/);
    expect(() => decodeManifest(encodeManifest(manifest).subarray(0, 100), 'M')).toThrow(/length does not match/);
    const newer = encodeManifest(manifest);
    viewOf(newer).setUint32(8, 2, true);
    let error: unknown;
    try {
      decodeManifest(newer, 'M');
    } catch (caught) {
      error = caught;
    }
    expect(isNedbError(error, 'FORMAT_UNSUPPORTED')).toBe(true);
  });
});

describe('FORMAT.md §5: keys and partitions', () => {
  /** FNV-1a 32-bit written from the specification with BigInt, independent of core/keys.ts. */
  function referenceFnv1a(bytes: Uint8Array): number {
    let hash = 0x811c9dc5n;
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x01000193n) & 0xffffffffn;
    return Number(hash);
  }

  it('encodes a key as u8 ns | u32 BE collection length | collection | id', () => {
    expect(hex(encodeKey(Namespace.user, 'users', 'u1'))).toBe('00' + '00000005' + '7573657273' + '7531');
    expect(hex(encodeKey(Namespace.system, 'c', '\u{1F600}'))).toBe('01' + '00000001' + '63' + 'f09f9880');
  });

  it('pins the partition of a few keys (FNV-1a 32 of the encoded key, modulo the count)', () => {
    const cases: [string, string, number, number][] = [
      ['users', 'u1', 10, 6],
      ['users', 'u2', 7, 1],
      ['orders', 'o-1', 11, 0],
      ['c', '\u{1F600}', 0, 3],
    ];
    for (const [coll, id, of16, of7] of cases) {
      const key = encodeKey(Namespace.user, coll, id);
      expect(partitionOfKey(key, 16), `${coll}/${id}`).toBe(of16);
      expect(partitionOfKey(key, 7), `${coll}/${id}`).toBe(of7);
      expect(partitionOfKey(key, 16)).toBe(referenceFnv1a(key) % 16);
      expect(partitionOfKey(key, 1)).toBe(0);
    }
    expect(referenceFnv1a(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(referenceFnv1a(utf8.encode('a'))).toBe(0xe40c292c); // the published FNV-1a 32 test vector
  });
});

describe('FORMAT.md §4: snapshot', () => {
  const docA = encode({ name: 'Alice' });
  const docB1 = encode({ n: 1 });
  const docB3 = encode({ n: 3 });
  const docC = encode({ z: true });
  // In key order: the 4-byte collection length comes first, so the shorter collection name sorts first.
  const overlay: OverlayEntry[] = [
    { coll: 'x', id: 'q', versions: [{ seq: 2, doc: docC }] },
    { coll: 'users', id: 'a', versions: [{ seq: 4, doc: docA }] },
    { coll: 'users', id: 'b', versions: [{ seq: 6, doc: null }, { seq: 3, doc: docB3 }, { seq: 1, doc: docB1 }] },
    { coll: 'users', id: '\u{1F600}', versions: [{ seq: 5, doc: docC }] },
  ].map((entry) => ({ ...entry, key: encodeKey(Namespace.user, entry.coll, entry.id), ns: Namespace.user }));

  async function written(): Promise<{ path: string; bytes: Uint8Array }> {
    const dir = tempDir();
    const name = snapshotFileName(2, 10);
    expect(name).toBe('p002-000000000010.snap');
    await writeSnapshot(nodeFileSystem, dir, name, { partition: 2, seq: 10, base: null, overlay, retentionHorizonSeq: -1 });
    const path = `${dir}/${name}`;
    return { path, bytes: new Uint8Array(readFileSync(path)) };
  }

  it('writes the header, sections, section table and footer as FORMAT.md says', async () => {
    const { bytes } = await written();
    const view = viewOf(bytes);
    expect(ascii(bytes, 0, 8)).toBe('NEDBSNAP');
    expect(view.getUint32(8, true)).toBe(1); // formatVersion
    expect(view.getUint32(12, true)).toBe(2); // partition
    expect(view.getBigInt64(16, true)).toBe(10n); // seq
    expect(view.getBigUint64(24, true)).toBe(4n); // keyCount
    const tableOffset = Number(view.getBigUint64(32, true));
    const sectionCount = view.getUint32(40, true);
    expect(sectionCount).toBe(4);
    expect(view.getUint32(44, true)).toBe(0); // reserved
    expect(Number(view.getBigUint64(48, true))).toBe(bytes.length); // fileBytes
    expect(view.getUint32(56, true)).toBe(0); // reserved
    expect(view.getUint32(60, true)).toBe(crc32c(bytes, 0, 60));
    expect(tableOffset).toBe(bytes.length - snapshotFooterBytes - sectionCount * sectionEntryBytes);

    const sections = [];
    for (let i = 0; i < sectionCount; i++) {
      const base = tableOffset + i * sectionEntryBytes;
      sections.push({
        type: view.getUint32(base, true),
        flags: view.getUint32(base + 4, true),
        offset: Number(view.getBigUint64(base + 8, true)),
        length: Number(view.getBigUint64(base + 16, true)),
        crc: view.getUint32(base + 24, true),
        reserved: view.getUint32(base + 28, true),
      });
    }
    expect(sections.map((s) => s.type)).toEqual([SectionType.documents, SectionType.keyBytes, SectionType.keyDirectory, SectionType.collections]);
    let expectedOffset = snapshotHeaderBytes;
    for (const section of sections) {
      expect(section.flags).toBe(0);
      expect(section.reserved).toBe(0);
      expect(section.offset).toBe(expectedOffset); // back to back after the header
      expect(section.crc).toBe(crc32c(bytes, section.offset, section.offset + section.length));
      expectedOffset += section.length;
    }
    expect(expectedOffset).toBe(tableOffset);
    const [documents, keyBytes, keyDirectory, collections] = sections as [typeof sections[0], typeof sections[0], typeof sections[0], typeof sections[0]];
    expect(keyDirectory.length).toBe(4 * directoryEntryBytes);

    // footer: "NEDBFOOT" | u32 crc32c(section table) | u32 reserved
    const footer = bytes.length - snapshotFooterBytes;
    expect(ascii(bytes, footer, 8)).toBe('NEDBFOOT');
    expect(view.getUint32(footer + 8, true)).toBe(crc32c(bytes, tableOffset, footer));
    expect(view.getUint32(footer + 12, true)).toBe(0);

    // key bytes: the encoded keys back to back, in key order (the emoji id sorts after 'b' by UTF-8 bytes)
    expect(hex(bytes.subarray(keyBytes.offset, keyBytes.offset + keyBytes.length))).toBe(
      [['x', 'q'], ['users', 'a'], ['users', 'b'], ['users', '\u{1F600}']].map(([c, i]) => hex(encodeKey(Namespace.user, c!, i!))).join(''),
    );

    // key directory entry of 'users/b': u64 docOffset | u32 docLength | u32 keyOffset | u16 keyLength | u8 flags
    // | u8 reserved | u32 versionCount | u64 headSeq
    const entry = keyDirectory.offset + 2 * directoryEntryBytes;
    const recordB = encodeDocRecord(overlay[2]!.versions);
    expect(Number(view.getBigUint64(entry, true))).toBe(encodeDocRecord(overlay[0]!.versions).length + encodeDocRecord(overlay[1]!.versions).length);
    expect(view.getUint32(entry + 8, true)).toBe(recordB.length);
    expect(view.getUint32(entry + 12, true)).toBe(overlay[0]!.key.length + overlay[1]!.key.length);
    expect(view.getUint16(entry + 16, true)).toBe(encodeKey(Namespace.user, 'users', 'b').length);
    expect(view.getUint8(entry + 18)).toBe(1); // headTombstone
    expect(view.getUint8(entry + 19)).toBe(0);
    expect(view.getUint32(entry + 20, true)).toBe(3);
    expect(view.getBigUint64(entry + 24, true)).toBe(6n);

    // the documents section holds the per-key records in key order
    const docs = bytes.subarray(documents.offset, documents.offset + documents.length);
    expect(hex(docs.subarray(Number(view.getBigUint64(entry, true)), Number(view.getBigUint64(entry, true)) + recordB.length))).toBe(hex(recordB));

    // collections: msgpack [[ns, coll, firstEntry, entryCount, liveCount], …]
    const { decode } = await import('@msgpack/msgpack');
    expect(decode(bytes.subarray(collections.offset, collections.offset + collections.length))).toEqual([
      [0, 'x', 0, 1, 1],
      [0, 'users', 1, 3, 2],
    ]);
  });

  it('pins the bytes of a document record: u32 crc | u32 versionCount | versions newest first', () => {
    const record = encodeDocRecord([{ seq: 6, doc: null }, { seq: 3, doc: docB3 }]);
    expect(hex(record)).toBe(
      'ba5a84b2' + // crc32c of bytes [4, end)
        '02000000' + // versionCount
        '0600000000000000' + '01' + '000000' + '00000000' + // seq 6, tombstone, length 0
        '0300000000000000' + '00' + '000000' + '04000000' + '81a16e03', // seq 3, length 4, {n: 3}
    );
    expect(viewOf(record).getUint32(0, true)).toBe(crc32c(record, 4, record.length));
    expect(viewOf(record).getUint32(0, true)).toBe(0xb2845aba);
    expect(decodeDocRecord(record)).toEqual([{ seq: 6, doc: null }, { seq: 3, doc: docB3 }]);
  });

  it('is read back by SnapshotReader: every key, its head and its versions', async () => {
    const { path } = await written();
    const reader = await SnapshotReader.open(nodeFileSystem, path);
    try {
      expect(reader.seq).toBe(10);
      expect(reader.keyCount).toBe(4);
      expect(reader.header.partition).toBe(2);
      for (const entry of overlay) {
        const index = reader.find(entry.key);
        expect(index, entry.coll).toBeGreaterThanOrEqual(0);
        expect(hex(reader.keyAt(index))).toBe(hex(entry.key));
        expect(reader.versions(index)).toEqual(entry.versions);
        expect(reader.head(index)).toEqual({ index, headSeq: entry.versions[0]!.seq, headTombstone: entry.versions[0]!.doc === null });
      }
      expect(reader.find(encodeKey(Namespace.user, 'users', 'c'))).toBe(-1);
      expect(reader.find(encodeKey(Namespace.system, 'users', 'a'))).toBe(-1);
      expect(reader.collection(Namespace.user, 'users')).toEqual({ ns: 0, coll: 'users', firstEntry: 1, entryCount: 3, liveCount: 2 });
    } finally {
      await reader.close();
    }
  });

  /** Adds a section (before the table), rewriting the table, footer and header as the writer would. */
  function withExtraSection(bytes: Uint8Array, type: number, flags: number, content: Uint8Array): Uint8Array {
    const view = viewOf(bytes);
    const tableOffset = Number(view.getBigUint64(32, true));
    const count = view.getUint32(40, true);
    const table = bytes.slice(tableOffset, tableOffset + count * sectionEntryBytes);
    const newTable = new Uint8Array(table.length + sectionEntryBytes);
    newTable.set(table);
    const entry = viewOf(newTable);
    entry.setUint32(table.length, type, true);
    entry.setUint32(table.length + 4, flags, true);
    entry.setBigUint64(table.length + 8, BigInt(tableOffset), true);
    entry.setBigUint64(table.length + 16, BigInt(content.length), true);
    entry.setUint32(table.length + 24, crc32c(content), true);
    const out = new Uint8Array(tableOffset + content.length + newTable.length + snapshotFooterBytes);
    out.set(bytes.subarray(0, tableOffset));
    out.set(content, tableOffset);
    out.set(newTable, tableOffset + content.length);
    const footer = out.length - snapshotFooterBytes;
    out.set(bytes.subarray(bytes.length - snapshotFooterBytes), footer);
    const outView = viewOf(out);
    outView.setUint32(footer + 8, crc32c(newTable), true);
    outView.setBigUint64(32, BigInt(tableOffset + content.length), true);
    outView.setUint32(40, count + 1, true);
    outView.setBigUint64(48, BigInt(out.length), true);
    outView.setUint32(60, crc32c(out, 0, 60), true);
    return out;
  }

  it('skips an unknown section unless its required flag is set', async () => {
    const { path, bytes } = await written();
    const content = utf8.encode('future section');
    writeFileSync(path, withExtraSection(bytes, 99, 0, content));
    const reader = await SnapshotReader.open(nodeFileSystem, path);
    expect(reader.keyCount).toBe(4);
    await reader.close();

    writeFileSync(path, withExtraSection(bytes, SectionType.indexSorted, SectionFlags.required, content));
    const withIndex = await SnapshotReader.open(nodeFileSystem, path); // a known (reserved) type is never unknown
    await withIndex.close();

    writeFileSync(path, withExtraSection(bytes, 99, SectionFlags.required, content));
    let error: unknown;
    try {
      await (await SnapshotReader.open(nodeFileSystem, path)).close();
    } catch (caught) {
      error = caught;
    }
    expect(isNedbError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect(String(error)).toMatch(/required section type 99 is unknown/);
  });
});
