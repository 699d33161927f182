// Spawning measured processes: bundles bench/cold-start-child.ts into dist/ (build.ts bundles only the CLI and
// bench/run.ts, so the bench bundles its own child with esbuild's JS API), and times spawn-to-exit.
import { spawn } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReport } from './cold-start-child.js';

export interface SpawnOutcome {
  wallMs: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const childTimeLimitMs = 600_000;

/** The repository root: the nearest folder above this file holding package.json (bench/ or dist/ below it). */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: package.json not found above the bench code');
}

/** Bundles the child into dist/cold-start-child.js and returns its path. */
export async function bundleColdStartChild(): Promise<string> {
  const root = repositoryRoot();
  const outfile = join(root, 'dist', 'cold-start-child.js');
  // Built under a name of its own and renamed into place, so a run that spawns the child meanwhile never reads
  // a half-written file.
  const building = join(root, 'dist', `cold-start-child.${process.pid}.tmp.js`);
  // A computed specifier keeps esbuild from bundling its own JS API into dist/bench.js (it cannot be bundled).
  const esbuildPackage = 'esbuild';
  const esbuild = (await import(esbuildPackage)) as typeof import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'bench', 'cold-start-child.ts')],
    outfile: building,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
    banner: { js: "import { createRequire as __nedbCreateRequire } from 'node:module'; const require = __nedbCreateRequire(import.meta.url);" },
  });
  renameSync(building, outfile);
  return outfile;
}

/** Runs a command to its exit, timing from just before spawn to the exit (stdout closed). */
export function timeSpawn(command: string, args: readonly string[]): Promise<SpawnOutcome> {
  return new Promise((resolve, reject) => {
    const startMs = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), childTimeLimitMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ wallMs: performance.now() - startMs, exitCode, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}

/** Wall time of `node -e ''`, the floor any node process pays. */
export async function bareNodeMs(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) times.push((await timeSpawn(process.execPath, ['-e', ''])).wallMs);
  return times;
}

export interface ChildRun {
  wallMs: number;
  report: ChildReport;
}

export async function runColdStartChild(childPath: string, dir: string, totalDocs: number, flags: readonly string[]): Promise<ChildRun> {
  const nodeFlags = flags.includes('--touch-all') || flags.includes('--gc') ? ['--expose-gc'] : [];
  const outcome = await timeSpawn(process.execPath, [...nodeFlags, childPath, '--dir', dir, '--total', String(totalDocs), ...flags]);
  if (outcome.exitCode !== 0) throw new Error(`bench: cold-start child exited ${outcome.exitCode}: ${outcome.stderr.slice(-2000)}`);
  return { wallMs: outcome.wallMs, report: JSON.parse(outcome.stdout) as ChildReport };
}
