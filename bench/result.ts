// What every scenario returns and how it is printed: one `name=… key=value …` line per result (STYLE.md §17),
// or the same data as JSON. Names carry units (`docsPerSec`, `p50Us`, `rssBytes`).
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type Metric = number | string | boolean;

export interface BenchResult {
  scenario: string;
  name: string;
  metrics: Record<string, Metric>;
}

export interface ScenarioOptions {
  /** Documents of the scenario's data set (WORKLOAD.md: 1,000,000 at full size). */
  docs: number;
  /** Bound on each timed case, in milliseconds. */
  caseTimeMs: number;
  /** Progress lines (stderr in the runner). */
  progress: (line: string) => void;
}

export type Scenario = (options: ScenarioOptions) => Promise<BenchResult[]>;

export function formatMetric(value: Metric): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

export function formatResult(result: BenchResult): string {
  const fields = Object.entries(result.metrics).map(([key, value]) => `${key}=${formatMetric(value)}`);
  return [`name=${result.name}`, ...fields].join(' ');
}

/** A fresh directory under the OS temp dir, removed when `body` ends, however it ends. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throws when a bounded loop ran out of time: a scenario that cannot finish must say so, not print half. */
export function checkDeadline(deadlineMs: number, what: string): void {
  if (performance.now() > deadlineMs) throw new Error(`bench: ${what} ran past its time bound`);
}
