// Scenario `http-topk` (S2's headline query over HTTP): N blocks in a real `nedb serve`, then
// `FROM blocks ORDER BY height DESC LIMIT 10` once by scan (that first query also creates a sorted index on
// height lazily), the time from that query until the index is ready (the goal: within 10 s on 1M
// documents), then the same query through the index against `GET /health` in the same run (goal: p50 within 3×).
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { type Reply, callText } from './http-call.js';
import { join } from 'node:path';
import { blockDocument } from './blocks.js';
import { repositoryRoot } from './child-process.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder } from './stats.js';

const startTimeLimitMs = 30_000;
const readyTimeLimitMs = 600_000;
const scanRuns = 1;
const timedRuns = 2000;

function call(agent: Agent, port: number, method: string, path: string, body?: unknown): Promise<Reply> {
  return callText(agent, port, method, path, body === undefined ? '' : JSON.stringify(body));
}

function startNedb(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(repositoryRoot(), 'dist', 'nedb.js'), 'serve', '--data', dataDir, '--port', '0', '--checkpoint-every', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nedb serve did not start: ${output}`)), startTimeLimitMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving http:\/\/[\d.]+:(\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]) });
    });
  });
}

async function timeRequests(agent: Agent, port: number, method: string, path: string, body: unknown, runs: number): Promise<LatencyRecorder> {
  const latency = new LatencyRecorder(runs);
  for (let i = 0; i < runs; i++) {
    const startMs = performance.now();
    const reply = await call(agent, port, method, path, body);
    latency.record((performance.now() - startMs) * 1000);
    if (reply.status !== 200) throw new Error(`${path} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  }
  return latency;
}

export async function runHttpTopk(options: ScenarioOptions): Promise<BenchResult[]> {
  return withTempDir('nedb-bench-topk-', async (dir) => {
    const { child, port } = await startNedb(join(dir, 'data'));
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      await call(agent, port, 'POST', '/v1/databases', { name: 'explorer' });
      const batches: Promise<unknown>[] = [];
      for (let first = 0; first < options.docs; first += 500) {
        const ops = Array.from({ length: Math.min(500, options.docs - first) }, (_, i) => ({ op: 'put', coll: 'blocks', id: String(first + i), doc: blockDocument(first + i) }));
        batches.push(call(agent, port, 'POST', '/v1/databases/explorer/batch', { ops }));
        if (batches.length >= 16) await Promise.all(batches.splice(0));
      }
      await Promise.all(batches);
      options.progress(`  loaded ${options.docs} blocks`);
      const query = { nql: 'FROM blocks ORDER BY height DESC LIMIT 10' };
      // The first query scans and, because a sorted index on height would serve it, creates that index lazily
      // in the background; the time until it is ready counts from that first query.
      const buildStartMs = performance.now();
      const scan = await timeRequests(agent, port, 'POST', '/v1/databases/explorer/query', query, scanRuns);
      for (;;) {
        const listed = JSON.parse((await call(agent, port, 'GET', '/v1/databases/explorer/indexes')).text) as { indexes: { state: string; lazy: boolean }[] };
        if (listed.indexes.length > 0 && listed.indexes.every((index) => index.state === 'ready' && index.lazy)) break;
        if (performance.now() - buildStartMs > readyTimeLimitMs) throw new Error('the lazy height index never became ready');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const buildMs = performance.now() - buildStartMs;
      options.progress(`  lazy height index ready ${Math.round(buildMs)} ms after the first query`);
      const answer = JSON.parse((await call(agent, port, 'POST', '/v1/databases/explorer/query', query)).text) as { rows: { height: number }[] };
      const correct = answer.rows.map((row) => row.height).join(',') === Array.from({ length: 10 }, (_, i) => options.docs - 1 - i).join(',');
      const health = await timeRequests(agent, port, 'GET', '/health', undefined, timedRuns);
      const indexed = await timeRequests(agent, port, 'POST', '/v1/databases/explorer/query', query, timedRuns);
      const result = (name: string, latency: LatencyRecorder, extra: Record<string, number | boolean> = {}): BenchResult => ({
        scenario: 'http-topk',
        name,
        metrics: { docs: options.docs, runs: latency.count, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99), ...extra },
      });
      return [
        result('top10-scan', scan),
        result('health', health),
        result('top10-indexed', indexed, { lazyIndexReadyMs: buildMs, vsHealthP50: indexed.percentileUs(50) / health.percentileUs(50), correct }),
      ];
    } finally {
      agent.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
}
