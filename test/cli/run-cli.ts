// Runs the built CLI (dist/nedb.js) as a child process, the way users run it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(repoRoot, 'dist', 'nedb.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  timeoutMs?: number;
}

const buildLockDir = join(repoRoot, 'dist', '.test-build-lock');
const buildWaitRoundsMax = 1200; // × 100 ms: two minutes for another test file's build

/**
 * Bundles cli/main.ts into dist/nedb.js, so the tests run what `npm run build` ships. Test files run in
 * parallel; the first to take the lock builds, the others wait for it instead of rewriting the bundle while
 * it runs.
 */
export function buildCli(): void {
  if (!bundleIsStale()) return;
  mkdirSync(join(repoRoot, 'dist'), { recursive: true });
  try {
    mkdirSync(buildLockDir);
  } catch {
    for (let round = 0; round < buildWaitRoundsMax && existsSync(buildLockDir); round++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (existsSync(buildLockDir)) throw new Error(`${buildLockDir} is still there; remove it if no test run is building`);
    return;
  }
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'pipe' });
  } finally {
    rmSync(buildLockDir, { recursive: true, force: true });
  }
}

/** True when a source the bundle is built from is newer than dist/nedb.js. */
function bundleIsStale(): boolean {
  if (!existsSync(cliPath)) return true;
  const builtMs = statSync(cliPath).mtimeMs;
  for (const dir of ['cli', 'core'])
    for (const name of readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' }))
      if (statSync(join(repoRoot, dir, name)).mtimeMs > builtMs) return true;
  return statSync(join(repoRoot, 'package.json')).mtimeMs > builtMs || statSync(join(repoRoot, 'build.ts')).mtimeMs > builtMs;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): CliResult {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && name !== 'NEDBD_DATA' && name !== 'NEDB_DEBUG') env[name] = value;
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...env, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 16 << 20,
  });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** NDJSON of blocks with ids from `first` to `first + count - 1`. */
export function blockLines(first: number, count: number): string[] {
  const lines: string[] = [];
  for (let h = first; h < first + count; h++) lines.push(JSON.stringify({ _id: String(h), height: h, miner: `miner-${h % 50}` }));
  return lines;
}
