// The single executable dist/nedb (Bun's compiler; docs/BINARY.md) as one deploys it: run by absolute path with
// PATH=/nonexistent (so no `node`, no anything) from an empty working directory with no node_modules above it.
// It serves on a free port; a database is created, written, queried and checkpointed over HTTP; SIGTERM stops it
// with exit 0; then the same binary works on the data directory offline (get, checkpoint, verify).
// A missing binary is built here with `npm run build`; when Bun cannot be had that fails, and so does this test.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCli, cliPath, repoRoot } from '../cli/run-cli.js';

const binaryPath = join(repoRoot, 'dist', 'nedb');
const buildLockDir = join(repoRoot, 'dist', '.test-build-lock'); // the lock test/cli/run-cli.ts builds under

/** dist/nedb exists and was compiled from the current dist/nedb.js. */
function binaryIsFresh(): boolean {
  return existsSync(binaryPath) && statSync(binaryPath).mtimeMs >= statSync(cliPath).mtimeMs;
}

/** Brings dist/nedb.js up to date (run-cli's buildCli), then the binary, under the same lock. */
function buildBinary(): void {
  buildCli();
  if (binaryIsFresh()) return;
  for (let round = 0; round < 1200; round++) {
    try {
      mkdirSync(buildLockDir);
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      if (binaryIsFresh()) return;
      continue;
    }
    try {
      if (!binaryIsFresh()) execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'pipe' });
      return;
    } catch (error) {
      const output = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`\`npm run build\` could not make ${binaryPath} (is the bun devDependency installed?):\n${output}`);
    } finally {
      rmSync(buildLockDir, { recursive: true, force: true });
    }
  }
  throw new Error(`${buildLockDir} is still there; remove it if no test run is building`);
}

beforeAll(() => buildBinary(), 120_000);

/** No node, no npm, no shell on PATH: only what the binary carries can run. */
const bareEnv = { PATH: '/nonexistent', HOME: '/nonexistent', LANG: 'C' };

function runBinary(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(binaryPath, args, { cwd, env: bareEnv, encoding: 'utf8', timeout: 20_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function startServe(cwd: string, data: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(binaryPath, ['serve', '--data', data, '--port', '0'], { cwd, env: bareEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`the binary did not start serving: ${output}`)), 15_000);
    const poll = setInterval(() => {
      const match = /nedb serving (http:\/\/[\d.:]+)/.exec(output);
      if (match === null) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve({ child, url: match[1]!, output: () => output });
    }, 20);
    child.on('error', (error) => reject(error));
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(deadline);
      reject(new Error(`the binary exited with ${code} before serving: ${output}`));
    });
  });
}

async function post(url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('the single binary dist/nedb', () => {
  it('runs with no node on PATH and no node_modules: serve, put, query, checkpoint, graceful stop', async () => {
    expect(existsSync(binaryPath), `${binaryPath} is missing: \`npm run build\` makes it`).toBe(true);
    const cwd = tempDir('nedb-binary-');
    expect(existsSync(join(cwd, 'node_modules'))).toBe(false);
    const data = join(cwd, 'data');

    const help = runBinary(['--help'], cwd);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('serve');

    const server = await startServe(cwd, data);
    let exitCode: number | null | undefined;
    try {
      for (let i = 0; i < 200 && (await fetch(`${server.url}/ready`)).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect((await post(`${server.url}/v1/databases`, { name: 'explorer' })).status).toBe(201);
      for (let height = 0; height < 20; height++) {
        const put = await post(`${server.url}/v1/databases/explorer/put`, { coll: 'blocks', id: String(height), doc: { height, miner: `miner-${height % 3}` } });
        expect(put.json).toMatchObject({ ok: true, seq: height });
      }
      const query = await post(`${server.url}/v1/databases/explorer/query`, { nql: 'FROM blocks WHERE miner = "miner-1" ORDER BY height DESC LIMIT 2' });
      expect(query.status, JSON.stringify(query.json)).toBe(200);
      expect((query.json['rows'] as { height: number }[]).map((row) => row.height)).toEqual([19, 16]);
      const checkpoint = await post(`${server.url}/v1/databases/explorer/checkpoint`);
      expect(checkpoint.json).toMatchObject({ ok: true, seq: 20 });
    } finally {
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      server.child.kill('SIGTERM');
      exitCode = await exited;
    }
    expect(exitCode, server.output()).toBe(0);
    expect(server.output()).toContain('nedb: stopped');
    expect(existsSync(join(data, 'LOCK'))).toBe(false);

    // Offline, on the directory the server left: the CLI commands run from the same file.
    const got = runBinary(['get', '--data', data, '--db', 'explorer', '--coll', 'blocks', '7'], cwd);
    expect(got.stderr).toBe('');
    expect(JSON.parse(got.stdout)).toMatchObject({ _id: '7', height: 7 });
    const rows = runBinary(['query', 'FROM blocks WHERE height >= 18', '--data', data, '--db', 'explorer', '--json'], cwd);
    expect((JSON.parse(rows.stdout) as unknown[]).length).toBe(2);
    const offlineCheckpoint = runBinary(['checkpoint', '--data', data, '--db', 'explorer'], cwd);
    expect(offlineCheckpoint.code, offlineCheckpoint.stderr).toBe(0);
    expect(offlineCheckpoint.stdout).toContain('explorer: checkpoint at seq');
    const verify = runBinary(['verify', '--data', data], cwd);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(runBinary(['get', '--data', data, '--db', 'explorer', '--coll', 'blocks', 'nope'], cwd).code).toBe(1);
    expect(runBinary(['no-such-command'], cwd).code).toBe(2);
  }, 30_000);
});
