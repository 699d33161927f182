// `npm run bench` / `node dist/bench.js [scenario…] [--docs N] [--json] [--case-ms MS]`: runs the storage
// engine scenarios and prints one `name=… key=value …` line per result (or one JSON object with --json).
// With no scenario named, runs all of them at --docs 20000 (the CI smoke size, STYLE.md §17); the numbers in
// docs/BENCHMARKS.md are from --docs 1000000.
import { cpus, totalmem } from 'node:os';
import { runCheckpointStall } from './checkpoint-stall.js';
import { runColdStart } from './cold-start.js';
import { runMemory } from './memory.js';
import { type BenchResult, type Scenario, formatResult } from './result.js';
import { runWrites } from './writes.js';
import { runHttpIngest } from './http-ingest.js';
import { runHttpTopk } from './http-topk.js';
import { runColdStartIndex } from './cold-start-index.js';
import { runEngineQueries } from './engine-queries.js';
import { runExplorerMix } from './explorer-mix.js';

const scenarios: Record<string, Scenario> = {
  writes: runWrites,
  'cold-start': runColdStart,
  memory: runMemory,
  'checkpoint-stall': runCheckpointStall,
  'http-ingest': runHttpIngest,
  'http-topk': runHttpTopk,
  'cold-start-index': runColdStartIndex,
  'engine-queries': runEngineQueries,
  'explorer-mix': runExplorerMix,
};
const docsDefault = 20_000;
const docsMax = 100_000_000;
const caseTimeMsDefault = 5000;

interface RunArguments {
  names: string[];
  docs: number;
  json: boolean;
  caseTimeMs: number;
}

/** A wrong command line: reported with the usage and exit code 2 by the caller of main(). */
class UsageError extends Error {}

function usage(problem: string): never {
  throw new UsageError(`bench: ${problem}\nusage: node dist/bench.js [${Object.keys(scenarios).join('|')}|all]… [--docs N] [--case-ms MS] [--json]`);
}

function positiveInteger(text: string | undefined, name: string, max: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < 1 || value > max) usage(`${name} must be a whole number from 1 to ${max}`);
  return value;
}

export function parseArguments(argv: readonly string[]): RunArguments {
  const parsed: RunArguments = { names: [], docs: docsDefault, json: false, caseTimeMs: caseTimeMsDefault };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') parsed.json = true;
    else if (arg === '--docs') parsed.docs = positiveInteger(argv[++i], '--docs', docsMax);
    else if (arg.startsWith('--docs=')) parsed.docs = positiveInteger(arg.slice(7), '--docs', docsMax);
    else if (arg === '--case-ms') parsed.caseTimeMs = positiveInteger(argv[++i], '--case-ms', 600_000);
    else if (arg === 'all') parsed.names.push(...Object.keys(scenarios));
    else if (arg in scenarios) parsed.names.push(arg);
    else usage(`unknown argument ${arg}`);
  }
  if (parsed.names.length === 0) parsed.names.push(...Object.keys(scenarios));
  if (parsed.docs < 200) usage('--docs must be at least 200 (the scenarios read the newest 10 of N + N/20)');
  return parsed;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  const results: BenchResult[] = [];
  for (const name of args.names) {
    progress(`${name} --docs ${args.docs}`);
    const startMs = performance.now();
    const scenarioResults = await scenarios[name]!({ docs: args.docs, caseTimeMs: args.caseTimeMs, progress });
    progress(`${name} done in ${((performance.now() - startMs) / 1000).toFixed(1)} s`);
    results.push(...scenarioResults);
    if (!args.json) for (const result of scenarioResults) console.log(formatResult(result));
  }
  if (args.json) {
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, platform: process.platform };
    console.log(JSON.stringify({ docs: args.docs, caseTimeMs: args.caseTimeMs, machine, results }, null, 2));
  }
  if (results.some((result) => result.metrics.correct === false)) {
    progress('bench: some answers were wrong (correct=false)');
    process.exitCode = 1;
  }
}

await main().catch((error: unknown) => {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
});
