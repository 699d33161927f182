// Migration rate of `nedb migrate-v1` (issue 5, docs/MIGRATING.md "Performance"): writes a NEDB v1 data
// directory of N block puts (shared/WORKLOAD.md documents, v1's log line form and BLAKE2b hash chain), plain and
// encrypted, then times the engine migrating each into a fresh nedb data directory, and prints v1 ops/s.
// Standalone (not part of bench/run.ts):
//   npx esbuild bench/migrate-v1.ts --bundle --platform=node --format=esm --outfile=dist/bench-migrate-v1.mjs \
//     --banner:js="import { createRequire as r } from 'node:module'; const require = r(import.meta.url);" \
//     && node dist/bench-migrate-v1.mjs [--ops 1000000] [--no-verify]
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { blake2b } from '@noble/hashes/blake2.js';
import { DataDirectory, limits } from '../core/index.js';
import { migrateV1Database, v1DatabaseFiles } from '../core/v1/migrate/index.js';
import { nodeFileSystem } from '../core/index.js';
import { blockRange, blocksCollName } from './blocks.js';

const tmk = Buffer.alloc(32, 0x5a);
const generateBatch = 10_000;

function seal(key: Uint8Array, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** N block puts as v1 writes them (`json.dumps(OpRecord)` per line), chained with v1's op hash. */
function writeV1Blocks(root: string, name: string, ops: number, encrypted: boolean): { bytes: number; seconds: number } {
  const started = performance.now();
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ indexes: [[blocksCollName, 'height', 'ordered'], [blocksCollName, 'miner', 'eq']] }));
  let dek: Buffer | undefined;
  if (encrypted) {
    dek = randomBytes(32);
    const kek = Buffer.from(hkdfSync('sha256', tmk, 'NEDB-hkdf-v1', 'nedb-key', 32));
    const wrapped = seal(kek, dek, 'NEDB-DEK-v1');
    writeFileSync(join(dir, 'key.enc'), JSON.stringify({ v: 1, alg: 'AES-256-GCM', n: wrapped.subarray(0, 12).toString('hex'), ct: wrapped.subarray(12).toString('hex') }));
  }
  const fd = openSync(join(dir, 'log.aof'), 'w');
  let prev = '0'.repeat(64);
  for (let first = 0; first < ops; first += generateBatch) {
    const lines: string[] = [];
    for (const block of blockRange(first, Math.min(generateBatch, ops - first))) {
      const seq = block.height;
      const id = String(seq);
      const ts = 1_600_000_000 + seq * 0.25 + 0.125; // never integral: JS and Python print it alike
      const doc = `{"height":${block.height},"hash":"${block.hash}","prev":"${block.prev}","time":${block.time},"txs":${block.txs},"size":${block.size},"miner":"${block.miner}","_id":"${id}"}`;
      // sort_keys=True, separators=(",", ":") of the body (keys of doc sorted too)
      const sortedDoc = `{"_id":"${id}","hash":"${block.hash}","height":${block.height},"miner":"${block.miner}","prev":"${block.prev}","size":${block.size},"time":${block.time},"txs":${block.txs}}`;
      const canonical = `{"client":"local","idem":null,"nonce":${seq + 1},"op":"put","payload":{"coll":"blocks","doc":${sortedDoc},"id":"${id}","key":"blocks:${id}"},"seq":${seq},"ts":${ts}}`;
      const hash = Buffer.from(blake2b(Buffer.from(prev + canonical), { dkLen: 32 })).toString('hex');
      const line =
        `{"seq": ${seq}, "client": "local", "nonce": ${seq + 1}, "op": "put", "payload": {"key": "blocks:${id}", "coll": "blocks", "id": "${id}", ` +
        `"doc": ${doc.replaceAll('","', '", "').replaceAll(',"', ', "').replaceAll('":', '": ')}}, "ts": ${ts}, "idem": null, "prev_hash": "${prev}", "hash": "${hash}"}`;
      prev = hash;
      lines.push(dek === undefined ? line : `{"enc": 1, "ct": "${seal(dek, Buffer.from(line), 'NEDB-data-v1').toString('base64')}"}`);
    }
    writeSync(fd, `${lines.join('\n')}\n`);
  }
  closeSync(fd);
  return { bytes: statSync(join(dir, 'log.aof')).size, seconds: (performance.now() - started) / 1000 };
}

async function timeMigration(root: string, name: string, verifyHashes: boolean): Promise<{ seconds: number; ops: number; countsMatch: boolean }> {
  const target = mkdtempSync(join(tmpdir(), 'nedb-bench-migrate-target-'));
  const data = await DataDirectory.open(target, { checkpointEveryWrites: 0 });
  try {
    const source = (await v1DatabaseFiles(nodeFileSystem, root, name))!;
    const started = performance.now();
    const report = await migrateV1Database({
      data,
      source,
      tmk: { bytes: tmk, source: 'NEDB_TMK' },
      verifyHashes,
      checkpointEveryOps: limits.checkpointEveryWritesDefault,
      onProgress: (progress) => process.stderr.write(`\r${name}: ${progress.ops} ops`),
    });
    process.stderr.write('\n');
    return { seconds: (performance.now() - started) / 1000, ops: report.ops, countsMatch: report.countsMatch };
  } finally {
    await data.close();
    rmSync(target, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opsAt = args.indexOf('--ops');
  const ops = opsAt >= 0 ? Number(args[opsAt + 1]) : 1_000_000;
  const verifyHashes = !args.includes('--no-verify');
  const root = mkdtempSync(join(tmpdir(), 'nedb-bench-v1-'));
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}; ${ops} v1 block ops; hash check ${verifyHashes ? 'on' : 'off'}`);
    for (const encrypted of [false, true]) {
      const name = encrypted ? 'blocks-encrypted' : 'blocks-plain';
      const written = writeV1Blocks(root, name, ops, encrypted);
      const run = await timeMigration(root, name, verifyHashes);
      console.log(
        `name=migrate-v1-${encrypted ? 'encrypted' : 'plain'} ops=${run.ops} logBytes=${written.bytes} generateSec=${written.seconds.toFixed(1)} ` +
          `migrateSec=${run.seconds.toFixed(1)} opsPerSec=${Math.round(run.ops / run.seconds)} MBPerSec=${(written.bytes / 2 ** 20 / run.seconds).toFixed(1)} countsMatch=${run.countsMatch}`,
      );
      rmSync(join(root, name), { recursive: true, force: true });
    }
  } finally {
    clearInterval(keepAlive);
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
