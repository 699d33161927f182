// Scenario `http-ingest` (S1 over HTTP/1.1, WORKLOAD.md): block documents written to a real `nedb serve`
// process over keep-alive connections — single-document PUTs from 64 concurrent connections, and 500-document
// batches with 16 in flight — per durability mode; and the same single-PUT load against a hello-world Hono
// server (bench/hello-server.ts) measured in the same run: the ceiling of the HTTP stack on this machine.
// The load generator runs in this process, the servers in child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { blockDocument } from './blocks.js';
import { repositoryRoot } from './child-process.js';
import { type BenchResult, type ScenarioOptions, withTempDir } from './result.js';
import { LatencyRecorder, elapsedUs } from './stats.js';

const connections = 64;
const batchDocs = 500;
const batchesInFlight = 16;
const startTimeLimitMs = 30_000;
const latencySamplesMax = 1 << 20;

interface Server {
  child: ChildProcess;
  port: number;
}

async function bundle(entry: string, outName: string): Promise<string> {
  const root = repositoryRoot();
  const outfile = join(root, 'dist', outName);
  const esbuildPackage = 'esbuild'; // computed: esbuild's JS API cannot itself be bundled
  const esbuild = (await import(esbuildPackage)) as typeof import('esbuild');
  await esbuild.build({ entryPoints: [join(root, entry)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  return outfile;
}

function startServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), startTimeLimitMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(?:serving|listening on) http:\/\/[\d.]+:(\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

function post(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadCase {
  name: string;
  port: number;
  path: string;
  workers: number;
  docsPerCall: number;
  body: (first: number) => string;
}

async function runLoad(load: LoadCase, options: ScenarioOptions, docsMax: number): Promise<BenchResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.workers });
  const latency = new LatencyRecorder(latencySamplesMax);
  const startMs = performance.now();
  const endMs = performance.now() + options.caseTimeMs;
  let next = 0;
  let failures = 0;
  try {
    await Promise.all(
      Array.from({ length: load.workers }, async () => {
        while (performance.now() < endMs && next < docsMax) {
          const first = next;
          next += load.docsPerCall;
          const callStart = performance.now();
          const status = await post(agent, load.port, load.path, load.body(first));
          latency.record(elapsedUs(callStart));
          if (status !== 200) failures++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = elapsedUs(startMs) / 1e6;
  const docs = Math.min(next, docsMax);
  return {
    scenario: 'http-ingest',
    name: load.name,
    metrics: { docs, docsPerSec: docs / seconds, callsPerSec: docs / load.docsPerCall / seconds, p50Us: latency.percentileUs(50), p99Us: latency.percentileUs(99), failures },
  };
}

export async function runHttpIngest(options: ScenarioOptions): Promise<BenchResult[]> {
  const root = repositoryRoot();
  const hello = await bundle('bench/hello-server.ts', 'hello-server.js');
  return withTempDir('nedb-bench-http-', async (dir) => {
    const results: BenchResult[] = [];
    const ceilingServer = await startServer([hello]);
    try {
      const ceiling = await runLoad(
        { name: 'hello-world-put-64', port: ceilingServer.port, path: '/v1/databases/x/put', workers: connections, docsPerCall: 1, body: (n) => JSON.stringify({ coll: 'blocks', id: String(n), doc: blockDocument(n) }) },
        options,
        options.docs,
      );
      results.push(ceiling);
      options.progress(`  hello-world ceiling: ${Math.round(ceiling.metrics.docsPerSec as number)} req/s`);
    } finally {
      await stopServer(ceilingServer);
    }
    const nedb = await startServer([join(root, 'dist', 'nedb.js'), 'serve', '--data', join(dir, 'data'), '--port', '0', '--checkpoint-every', '0']);
    try {
      for (const durability of ['sync', 'batch', 'async'] as const) {
        const db = `s1${durability}`;
        await post(new Agent(), nedbPort(nedb), '/v1/databases', JSON.stringify({ name: db }));
        const single = await runLoad(
          { name: `put-64-${durability}`, port: nedbPort(nedb), path: `/v1/databases/${db}/put`, workers: connections, docsPerCall: 1, body: (n) => JSON.stringify({ coll: 'blocks', id: String(n), doc: blockDocument(n), durability }) },
          options,
          options.docs,
        );
        single.metrics.ofCeiling = (single.metrics.docsPerSec as number) / (results[0]!.metrics.docsPerSec as number);
        results.push(single);
        options.progress(`  ${single.name}: ${Math.round(single.metrics.docsPerSec as number)} docs/s`);
        const batchDb = `s1b${durability}`;
        await post(new Agent(), nedbPort(nedb), '/v1/databases', JSON.stringify({ name: batchDb, durability }));
        const batches = await runLoad(
          {
            name: `batch-500x16-${durability}`,
            port: nedbPort(nedb),
            path: `/v1/databases/${batchDb}/batch`,
            workers: batchesInFlight,
            docsPerCall: batchDocs,
            body: (first) => JSON.stringify({ ops: Array.from({ length: batchDocs }, (_, i) => ({ op: 'put', coll: 'blocks', id: String(first + i), doc: blockDocument(first + i) })) }),
          },
          options,
          options.docs,
        );
        results.push(batches);
        options.progress(`  ${batches.name}: ${Math.round(batches.metrics.docsPerSec as number)} docs/s`);
      }
    } finally {
      await stopServer(nedb);
    }
    return results;
  });
}

function nedbPort(server: Server): number {
  return server.port;
}
