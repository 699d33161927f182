// `nedb migrate-v1` as users run it: a bundled CLI in a child process, exit codes, the summary, warnings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { repoRoot } from '../cli/run-cli.js';
import { V1Writer } from './v1-writer.js';

const tmkHex = 'a1'.repeat(32);
let bundle = '';
const bundleDir = mkdtempSync(join(tmpdir(), 'nedb-migrate-cli-'));
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

beforeAll(async () => {
  bundle = join(bundleDir, 'nedb-migrate.mjs');
  await build({
    entryPoints: [join(repoRoot, 'test/migrate/cli-entry.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __nedbCreateRequire } from 'node:module'; const require = __nedbCreateRequire(import.meta.url);" },
  });
});

function run(args: string[], env: Record<string, string> = {}) {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('NEDB')) base[name] = value;
  const result = spawnSync(process.execPath, [bundle, ...args], { env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function v1Root(): string {
  const root = tempDir('nedb-v1-');
  const shop = new V1Writer(root, 'shop');
  shop.put('users', 'u1', { name: 'Alice' });
  shop.put('users', 'u2', { name: 'Bob' });
  shop.del('users', 'u2');
  shop.link('users:u1', 'buys', 'orders:o1');
  shop.put('orders', 'o1', { total: 3 });
  shop.writeMeta([['users', 'name', 'eq']]);
  shop.close();
  const vault = new V1Writer(root, 'vault', { tmk: Buffer.from(tmkHex, 'hex') });
  vault.put('secrets', 's1', { v: 'x' });
  vault.checkpoint();
  vault.close();
  return root;
}

describe('nedb migrate-v1', () => {
  it('migrates every database, prints the summary and counts, and warns about encrypted data', async () => {
    const root = v1Root();
    const data = tempDir('nedb-data-');
    const result = run(['migrate-v1', root, '--data', data], { NEDB_TMK: tmkHex });
    expect(result.stderr).toContain('warning: vault was encrypted in v1 (key.enc); nedb has no encryption at rest yet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/migrated shop → .*: 2 collections, 2 documents, 1 edges, 5 ops \(seq 0\.\.4\)/);
    expect(result.stdout).toMatch(/users\s+1\s+1/);
    expect(result.stdout).toContain('indexes: users.name (eq)');
    expect(result.stdout).toMatch(/migrated vault .* 1 documents, 0 edges, 2 ops/);
    expect(result.stdout).toContain('counts match');
    const dir = await DataDirectory.open(data);
    expect(await dir.list()).toEqual(['shop', 'vault']);
    await dir.close();
    const again = run(['migrate-v1', root, '--data', data, '--db', 'shop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/error: shop already exists in .*; drop it first/);
  });

  it('reads the master key from NEDB_TMK_FILE and names the database on a wrong key', () => {
    const root = v1Root();
    const keyFile = join(tempDir('nedb-key-'), 'tmk');
    writeFileSync(keyFile, Buffer.concat([Buffer.from(tmkHex, 'hex'), Buffer.from('\n')]));
    const ok = run(['migrate-v1', root, '--data', tempDir('nedb-data-'), '--db', 'vault'], { NEDB_TMK_FILE: keyFile });
    expect(ok.stderr + ok.stdout).toContain('migrated vault');
    expect(ok.code).toBe(0);
    const data = tempDir('nedb-data-');
    const wrong = run(['migrate-v1', root, '--data', data, '--db', 'vault'], { NEDB_TMK: 'b2'.repeat(32) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('error: wrong master key for database vault');
    expect(existsSync(join(data, 'vault'))).toBe(false);
  });

  it('a damaged line exits 1 with the file and offset and leaves no database', () => {
    const root = tempDir('nedb-v1-');
    const w = new V1Writer(root, 'shop');
    for (let i = 0; i < 10; i++) w.put('c', `d${i}`, { i });
    w.close((lines) => {
      lines[5] = '{"seq": 5, "client": ';
      return lines;
    });
    const data = tempDir('nedb-data-');
    const result = run(['migrate-v1', root, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: .*shop\/log\.aof: byte offset \d+ \(line 6\): damaged line/);
    expect(result.stderr).toContain('nothing was written');
    expect(existsSync(join(data, 'shop'))).toBe(false);
  });

  it('explains a wrong directory and an unknown --db', () => {
    const root = v1Root();
    expect(run(['migrate-v1', join(root, 'nope')]).stderr).toContain('does not exist');
    const dbDir = run(['migrate-v1', join(root, 'shop')]);
    expect(dbDir.stderr).toContain('is one v1 database, not the data directory; pass its parent and --db shop');
    const unknown = run(['migrate-v1', root, '--db', 'other', '--data', tempDir('nedb-data-')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no v1 database other; it has: shop, vault');
  });
});
