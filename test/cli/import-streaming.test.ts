// `nedb import` streams: a file four times larger than the heap limit imports under that limit.
import { createWriteStream } from 'node:fs';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCli, runCli } from './run-cli.js';

beforeAll(() => buildCli(), 120_000);

const heapMib = 64;
const fileBytesMin = 4 * heapMib * 1024 * 1024 + (20 << 20); // 276 MiB: comfortably over 4 × the heap
// ~1 KiB documents, about 280,000 of them: enough that the import must checkpoint several times to stay
// under the heap limit.
const padBytes = 900;

async function writeBlocks(path: string, bytesMin: number): Promise<number> {
  const out = createWriteStream(path);
  const pad = 'x'.repeat(padBytes);
  const docsMax = Math.ceil(bytesMin / padBytes) + 1;
  let bytes = 0;
  let docs = 0;
  for (; docs < docsMax && bytes < bytesMin; docs++) {
    const line = `{"_id":"${docs}","height":${docs},"miner":"miner-${docs % 50}","pad":"${pad}"}\n`;
    bytes += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return docs;
}

describe('nedb import streaming', () => {
  it(`imports a file over 4 × a ${heapMib} MiB heap with --max-old-space-size=${heapMib}`, async () => {
    const dir = tempDir();
    const file = join(dir, 'big.ndjson');
    const docs = await writeBlocks(file, fileBytesMin);
    expect(statSync(file).size).toBeGreaterThan(4 * heapMib * 1024 * 1024);
    const result = runCli(['import', file, '--data', join(dir, 'data'), '--coll', 'blocks', '--durability', 'async'], {
      nodeArgs: [`--max-old-space-size=${heapMib}`],
      timeoutMs: 150_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^imported ${docs} documents in `, 'm'));
    const last = runCli(['get', '--data', join(dir, 'data'), '--coll', 'blocks', String(docs - 1)]);
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ height: docs - 1 });
  }, 180_000);
});
