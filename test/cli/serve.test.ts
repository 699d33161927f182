// `nedb serve` as a user runs it: a real process on a free loopback port, talked to over HTTP and by the CLI
// (--url, and --data while the server holds the directory), then stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCli, cliPath, runCli } from './run-cli.js';

beforeAll(() => buildCli(), 120_000);

function startServe(dir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--data', dir, '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    const poll = setInterval(() => {
      const match = /serving (http:\/\/[\d.:]+)/.exec(output);
      if (match === null) return;
      clearInterval(poll);
      clearTimeout(deadline);
      resolve({ child, url: match[1]!, output: () => output });
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(deadline);
      reject(new Error(`serve exited with ${code}: ${output}`));
    });
  });
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/ready`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never became ready`);
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

async function post(url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

describe('nedb serve', () => {
  it('serves, answers the CLI over --url and through the lock file, and shuts down gracefully', async () => {
    const dir = tempDir();
    const { child, url } = await startServe(dir);
    try {
      expect(await (await fetch(`${url}/ready`)).json()).toEqual({ ready: true });
      await post(`${url}/v1/databases`, { name: 'explorer' });
      const imported = runCli(['import', join('sample', 'blocks.ndjson'), '--url', url, '--db', 'explorer', '--coll', 'blocks']);
      expect(imported.stdout).toMatch(/imported 1000 documents/);
      const remote = runCli(['query', 'FROM blocks ORDER BY height DESC LIMIT 3', '--url', url, '--db', 'explorer', '--json']);
      expect((JSON.parse(remote.stdout) as { height: number }[]).map((row) => row.height)).toEqual([999, 998, 997]);
      const throughLock = runCli(['query', 'FROM blocks WHERE height < 2', '--data', dir, '--db', 'explorer', '--json']);
      expect(throughLock.stderr).toContain(`a server at ${url} holds this data directory`);
      expect((JSON.parse(throughLock.stdout) as unknown[]).length).toBe(2);
      const got = runCli(['get', '--url', url, '--db', 'explorer', '--coll', 'blocks', '42']);
      expect(JSON.parse(got.stdout)).toMatchObject({ height: 42, _id: '42' });
      const checkpoint = runCli(['checkpoint', '--url', url, '--db', 'explorer']);
      expect(checkpoint.stdout).toContain('explorer: checkpoint at seq 1000');
    } finally {
      expect(await stop(child)).toBe(0);
    }
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    // v1: the shutdown appended a checkpoint op, so the seq moved on by one.
    const table = runCli(['query', 'FROM blocks LIMIT 1', '--data', dir, '--db', 'explorer', '--json']);
    expect(table.code).toBe(0);
    const restarted = await startServe(dir);
    try {
      await waitReady(restarted.url);
      const detail = (await (await fetch(`${restarted.url}/v1/databases/explorer`)).json()) as { seq: number; rows: number };
      expect(detail).toMatchObject({ seq: 1001, rows: 1000 });
    } finally {
      await stop(restarted.child);
    }
  });

  it('requires the token from NEDBD_TOKEN and prints a table on request', async () => {
    const dir = tempDir();
    const { child, url } = await startServe(dir, { NEDBD_TOKEN: 'tok' });
    try {
      expect((await fetch(`${url}/v1/databases`)).status).toBe(401);
      await post(`${url}/v1/databases`, { name: 'd' }, 'tok');
      await post(`${url}/v1/databases/d/put`, { coll: 'c', id: 'a', doc: { n: 1 } }, 'tok');
      const refused = runCli(['query', 'FROM c', '--url', url, '--db', 'd']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('missing or invalid bearer token');
      const rows = runCli(['query', 'FROM c', '--url', url, '--db', 'd', '--json'], { env: { NEDBD_TOKEN: 'tok' } });
      expect(JSON.parse(rows.stdout)).toEqual([{ n: 1, _id: 'a', _seq: 0 }]);
    } finally {
      await stop(child);
    }
  });
});
