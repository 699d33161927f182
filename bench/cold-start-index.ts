// Scenario `cold-start-index` (S3 with the height index): N blocks with a sorted index on height, checkpointed
// (which persists the index), plus N/20 in the log tail. A fresh process opens the directory and reads the
// newest 10 heights through the index: once as left (the index loaded from its file and caught up with the
// tail) and once with the index file removed (rebuilt from the documents), to show it is not rebuilt.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirectory } from '../core/index.js';
import { repositoryRoot } from './child-process.js';
import { importBlocks } from './explorer-directory.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';

const buildTimeLimitMs = 20 * 60_000;

interface ChildReport {
  openMs: number;
  indexReadyMs: number;
  answerMs: number;
  loaded: boolean;
  correct: boolean;
}

async function bundleChild(): Promise<string> {
  const outfile = join(repositoryRoot(), 'dist', 'cold-start-index-child.js');
  const esbuildPackage = 'esbuild'; // computed: esbuild's JS API cannot itself be bundled
  const esbuild = (await import(esbuildPackage)) as typeof import('esbuild');
  await esbuild.build({ entryPoints: [join(repositoryRoot(), 'bench', 'cold-start-index-child.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  return outfile;
}

function runChild(child: string, dir: string, totalDocs: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [child, dir, String(totalDocs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    process_.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as ChildReport) : reject(new Error(`child exited with ${code}: ${output}`))));
  });
}

export async function runColdStartIndex(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-cold-index-', async (dir) => {
    const tailDocs = Math.floor(options.docs / 20);
    const deadlineMs = performance.now() + buildTimeLimitMs;
    const data = await DataDirectory.open(dir, { checkpointEveryWrites: 0, checkpointIntervalSeconds: 0 });
    try {
      const db = await data.create('explorer', { lazyIndexes: false });
      await db.setIndexDefinitions([['blocks', 'height', 'sorted']]);
      await importBlocks(db, 0, options.docs, deadlineMs, options.progress);
      await db.whenIndexReady('blocks', 'height');
      await db.checkpoint();
      await importBlocks(db, options.docs, tailDocs, deadlineMs, options.progress);
    } finally {
      await data.close();
    }
    const child = await bundleChild();
    const total = options.docs + tailDocs;
    const loaded = await runChild(child, dir, total);
    const snap = join(dir, 'explorer', 'snap');
    for (const name of readdirSync(snap)) if (name.endsWith('.sidx')) rmSync(join(snap, name));
    const rebuilt = await runChild(child, dir, total);
    const result = (name: string, report: ChildReport): BenchResult => ({
      scenario: 'cold-start-index',
      name,
      metrics: { docs: total, tailDocs, openMs: report.openMs, indexReadyMs: report.indexReadyMs, top10Ms: report.answerMs, loaded: report.loaded, correct: report.correct },
    });
    return [result('cold-start-index/loaded', loaded), result('cold-start-index/rebuilt', rebuilt)];
  });
}
