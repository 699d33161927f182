// Crash test with real processes: a child writes under `sync` and reports every acknowledged write; it is killed
// with SIGKILL at random moments, at least half of them while an fdatasync (a group commit) is in flight. After
// each kill the directory is reopened here and every acknowledged write must be present, no batch partly
// applied, and seq without gaps.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../core/index.js';
import { type AckedWrite, checkAfterCrash } from '../helpers/crash-check.js';
import { Prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';

const seed = Number(process.env.NEDB_SEED ?? 20261126);
const rounds = Number(process.env.NEDB_CRASH_ROUNDS ?? 26);
let childScript = '';

beforeAll(async () => {
  childScript = join(tempDir('nedb-crash-child-'), 'crash-writer-child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'crash-writer-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: childScript,
    logLevel: 'warning',
  });
});

interface RoundResult {
  acked: AckedWrite[];
  killedDuringSync: boolean;
}

function runRound(dir: string, round: number, rng: Prng, killOnSync: boolean): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [childScript, dir, String(round), String(2 + rng.below(6))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: AckedWrite[] = [];
    let syncOpen = false;
    let armed = false;
    let killed = false;
    let killedDuringSync = false;
    let buffered = '';
    const kill = () => {
      if (killed) return;
      killed = true;
      killedDuringSync = syncOpen;
      child.kill('SIGKILL');
    };
    const safety = setTimeout(kill, 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (killed) continue;
        if (line === 'ready') setTimeout(() => { armed = true; if (!killOnSync) kill(); }, 5 + rng.below(250));
        else if (line === 'S') {
          syncOpen = true;
          if (armed && killOnSync) kill();
        } else if (line === 'E') syncOpen = false;
        else if (line.startsWith('A ')) {
          const [, seq, ids] = line.split(' ');
          acked.push({ lastSeq: Number(seq), ids: ids!.split(',') });
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(safety);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with code ${code} before it was killed`));
      else resolve({ acked, killedDuringSync });
    });
  });
}

describe('crash with SIGKILL', () => {
  it(`keeps every acknowledged sync write over ${rounds} kills (seed ${seed})`, async () => {
    const dir = tempDir();
    const rng = new Prng(seed);
    const acked: AckedWrite[] = [];
    let duringSync = 0;
    for (let round = 0; round < rounds; round++) {
      const result = await runRound(dir, round, rng, round % 2 === 0);
      acked.push(...result.acked);
      if (result.killedDuringSync) duringSync++;
      const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
      const db = await data.open('crash');
      await checkAfterCrash(db, 'docs', acked);
      await data.close();
    }
    expect(acked.length).toBeGreaterThan(rounds);
    expect(duringSync).toBeGreaterThanOrEqual(Math.ceil(rounds / 2));
  });
});
