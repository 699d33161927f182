// The `nedb` CLI end to end: each test runs the built dist/nedb.js against a fresh data directory.
import { createHash } from 'node:crypto';
import { existsSync, openSync, readSync, writeSync, closeSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { blockLines, buildCli, repoRoot, runCli } from './run-cli.js';

beforeAll(() => buildCli(), 120_000);

const importedLine = /^imported (\d+) documents in \d+\.\d\d s \(\d+ docs\/s\)$/;

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

function importedCount(stdout: string): number {
  const match = importedLine.exec(lastLine(stdout));
  expect(match, `last line of stdout: ${stdout}`).not.toBeNull();
  return Number(match![1]);
}

function getDoc(data: string, db: string, coll: string, id: string, extra: string[] = []): unknown {
  const result = runCli(['get', '--data', data, '--db', db, '--coll', coll, id, ...extra]);
  expect(result.stderr).not.toContain('error:'); // warnings from the engine (a log it did not change) may appear
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

function getCode(data: string, db: string, coll: string, id: string): number | null {
  return runCli(['get', '--data', data, '--db', db, '--coll', coll, id]).code;
}

describe('nedb import', () => {
  it('imports NDJSON, ends with the summary line, and get reads documents back', () => {
    const dir = tempDir();
    const file = join(dir, 'blocks.ndjson');
    writeFileSync(file, `${blockLines(0, 1234).join('\n')}\n`);
    const result = runCli(['import', file, '--data', join(dir, 'data'), '--db', 'explorer', '--coll', 'blocks']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(importedCount(result.stdout)).toBe(1234);
    expect(getDoc(join(dir, 'data'), 'explorer', 'blocks', '0')).toEqual({ _id: '0', height: 0, miner: 'miner-0' });
    expect(getDoc(join(dir, 'data'), 'explorer', 'blocks', '1233')).toEqual({ _id: '1233', height: 1233, miner: 'miner-33' });
  });

  it('imports a JSON array whose strings hold brackets, commas and escapes, with a numeric --id-field', () => {
    const dir = tempDir();
    const docs = Array.from({ length: 700 }, (_, h) => ({ height: h, note: `a,]}"\\[{ ${h}`, nested: { list: [1, [2, { h }]] } }));
    writeFileSync(join(dir, 'blocks.json'), `\n  ${JSON.stringify(docs, null, 2)}\n`);
    const result = runCli(['import', join(dir, 'blocks.json'), '--data', dir, '--coll', 'blocks', '--id-field', 'height']);
    expect(result.code).toBe(0);
    expect(importedCount(result.stdout)).toBe(700);
    expect(getDoc(dir, 'default', 'blocks', '7')).toEqual(docs[7]);
    expect(getDoc(dir, 'default', 'blocks', '699')).toEqual(docs[699]);
  });

  it('reads stdin when the file is -', () => {
    const dir = tempDir();
    const result = runCli(['import', '-', '--data', dir, '--db', 'piped', '--coll', 'blocks'], { input: blockLines(0, 30).join('\n') });
    expect(result.code).toBe(0);
    expect(importedCount(result.stdout)).toBe(30);
    expect(getDoc(dir, 'piped', 'blocks', '29')).toMatchObject({ height: 29 });
  });

  it('stops at a bad line: earlier full batches stay, nothing of the failing batch is written', () => {
    const dir = tempDir();
    const lines = blockLines(0, 1234);
    lines[1100] = '{"_id": "1100", "height": 1100,'; // line 1101; its batch holds lines 1001–1500
    writeFileSync(join(dir, 'bad.ndjson'), `${lines.join('\n')}\n`);
    const result = runCli(['import', join(dir, 'bad.ndjson'), '--data', dir, '--coll', 'blocks']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: line 1101: invalid JSON/);
    expect(result.stderr).toContain('1000 documents were written');
    expect(result.stdout).toBe('');
    for (const id of ['0', '499', '500', '999']) expect(getDoc(dir, 'default', 'blocks', id)).toMatchObject({ _id: id });
    for (const id of ['1000', '1099', '1101', '1233']) expect(getCode(dir, 'default', 'blocks', id), id).toBe(1);
  });

  it('names the line of a document without an id, and the element of an array', () => {
    const dir = tempDir();
    const ndjson = runCli(['import', '-', '--data', dir, '--coll', 'c'], { input: '{"_id":1}\n\n{"name":"no id"}\n' });
    expect(ndjson.code).toBe(1);
    expect(ndjson.stderr).toContain('error: line 3: the document has no "_id" field');
    const array = runCli(['import', '-', '--data', dir, '--coll', 'c'], { input: '[{"_id":1},\n {"_id":2}, 3]' });
    expect(array.code).toBe(1);
    expect(array.stderr).toContain('error: line 2: element 3: expected a JSON object, got number');
    expect(getCode(dir, 'default', 'c', '1')).toBe(1);
  });

  it('uses ./nedb-data by default, $NEDBD_DATA over it, and --data over both', () => {
    const cwd = tempDir();
    const input = blockLines(0, 3).join('\n');
    expect(runCli(['import', '-', '--coll', 'c'], { cwd, input }).code).toBe(0);
    expect(existsSync(join(cwd, 'nedb-data', 'default', 'MANIFEST'))).toBe(true);
    expect(runCli(['import', '-', '--coll', 'c'], { cwd, input, env: { NEDBD_DATA: join(cwd, 'env') } }).code).toBe(0);
    expect(existsSync(join(cwd, 'env', 'default', 'MANIFEST'))).toBe(true);
    expect(runCli(['import', '-', '--coll', 'c', '--data', join(cwd, 'flag')], { cwd, input, env: { NEDBD_DATA: join(cwd, 'env2') } }).code).toBe(0);
    expect(existsSync(join(cwd, 'flag', 'default', 'MANIFEST'))).toBe(true);
    expect(existsSync(join(cwd, 'env2'))).toBe(false);
  });

  it('imports the bundled sample, whose hashes follow the workload', () => {
    const dir = tempDir();
    const result = runCli(['import', join(repoRoot, 'sample', 'blocks.ndjson'), '--data', dir, '--db', 'explorer', '--coll', 'blocks']);
    expect(importedCount(result.stdout)).toBe(1000);
    const block = getDoc(dir, 'explorer', 'blocks', '42') as { hash: string; prev: string; height: number };
    expect(block.height).toBe(42);
    expect(block.hash).toBe(createHash('sha256').update('42').digest('hex'));
    expect(block.prev).toBe(createHash('sha256').update('41').digest('hex'));
  });
});

describe('nedb get and checkpoint', () => {
  it('exits 1 for a missing document, and reads an older version with --as-of', () => {
    const dir = tempDir();
    runCli(['import', '-', '--data', dir, '--coll', 'c'], { input: '{"_id":"a","v":1}\n{"_id":"b","v":1}\n' });
    runCli(['import', '-', '--data', dir, '--coll', 'c'], { input: '{"_id":"a","v":2}\n' });
    const missing = runCli(['get', '--data', dir, '--coll', 'c', 'zzz']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('not found');
    expect(getDoc(dir, 'default', 'c', 'a')).toEqual({ _id: 'a', v: 2 });
    expect(getDoc(dir, 'default', 'c', 'a', ['--as-of', '1'])).toEqual({ _id: 'a', v: 1 });
  });

  it('checkpoints every database, and get still works afterwards', () => {
    const dir = tempDir();
    runCli(['import', '-', '--data', dir, '--db', 'one', '--coll', 'c'], { input: blockLines(0, 10).join('\n') });
    runCli(['import', '-', '--data', dir, '--db', 'two', '--coll', 'c'], { input: blockLines(0, 5).join('\n') });
    const result = runCli(['checkpoint', '--data', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^one: checkpoint at seq 9, \d+ snapshots written/m);
    expect(result.stdout).toMatch(/^two: checkpoint at seq 4, \d+ snapshots written/m);
    const onlyOne = runCli(['checkpoint', '--data', dir, '--db', 'one']);
    expect(onlyOne.stdout).not.toContain('two:');
    expect(getDoc(dir, 'one', 'c', '9')).toMatchObject({ height: 9 });
    expect(getDoc(dir, 'two', 'c', '4')).toMatchObject({ height: 4 });
  });

  it('names the process that holds the directory', async () => {
    const dir = tempDir();
    runCli(['import', '-', '--data', dir, '--coll', 'c'], { input: blockLines(0, 3).join('\n') });
    const held = await DataDirectory.open(dir);
    try {
      const result = runCli(['get', '--data', dir, '--coll', 'c', '1']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`in use by process ${process.pid}`);
      expect(result.stderr).not.toContain('    at '); // no stack trace
    } finally {
      await held.close();
    }
    expect(getDoc(dir, 'default', 'c', '1')).toMatchObject({ height: 1 });
  });
});

describe('nedb verify and repair', () => {
  it('reports a flipped byte with file and offset; repair keeps the intact prefix', () => {
    const dir = tempDir();
    // Three records per partition: one batch from the first import, two from the second.
    runCli(['import', '-', '--data', dir, '--db', 'explorer', '--coll', 'blocks'], { input: blockLines(0, 500).join('\n') });
    runCli(['import', '-', '--data', dir, '--db', 'explorer', '--coll', 'blocks'], { input: blockLines(500, 1000).join('\n') });
    const clean = runCli(['verify', '--data', dir]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^explorer: \d+ log segments, \d+ records/m);

    const walDir = join(dir, 'explorer', 'wal');
    const segments = readdirSync(walDir).map((name) => join(walDir, name));
    const largest = segments.reduce((a, b) => (statSync(a).size >= statSync(b).size ? a : b));
    const middle = Math.floor(statSync(largest).size / 2); // inside the second of three records
    flipByte(largest, middle);

    const damaged = runCli(['verify', '--data', dir]);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toMatch(new RegExp(`damage: ${escapeRegExp(largest)} at byte \\d+`));
    const json = runCli(['verify', '--data', dir, '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { ok: boolean }).ok).toBe(false);

    const repaired = runCli(['repair', '--data', dir]);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`of ${largest} from byte`);
    expect(runCli(['verify', '--data', dir]).code).toBe(0);
    for (const id of ['0', '123', '250', '499']) expect(getDoc(dir, 'explorer', 'blocks', id)).toMatchObject({ _id: id });
  });

  it('says so when the data directory does not exist', () => {
    const result = runCli(['verify', '--data', join(tempDir(), 'nothing-here')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist');
  });
});

describe('nedb --help and usage errors', () => {
  it('shows examples in the main help and in each command help', () => {
    const main = runCli(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('Examples:');
    expect(main.stdout).toContain('nedb import sample/blocks.ndjson --db explorer --coll blocks');
    for (const command of ['import', 'get', 'checkpoint', 'verify', 'repair']) {
      const help = runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout, command).toContain('Examples:');
      expect(help.stdout, command).toContain(`$ nedb ${command} `);
    }
    expect(runCli(['import', '--help']).stdout).toContain('line N');
  });

  it('exits 2 with a pointer to --help for a wrong command line', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('nedb --help');
    const noColl = runCli(['get', '1', '--data', tempDir()]);
    expect(noColl.code).toBe(2);
    expect(noColl.stderr).toContain('--coll');
    const badFlag = runCli(['get', '1', '--coll', 'c', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('nedb get --help');
  });
});

function flipByte(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
