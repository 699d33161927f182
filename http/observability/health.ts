// GET / and /health (v1's shape plus load state) and GET /ready. Both read each handle's load state, which is a
// plain field: they never await a database, so they answer at once while databases load, and while a long
// query runs between its yields.
import type { Database } from '../../core/index.js';
import type { ServerContext } from '../context.js';

export interface LoadProgress {
  percent: number;
  phase: 'snapshots' | 'log';
  bytesDone: number;
  bytesTotal: number;
}

/** v1's health body (UPSTREAM.md §3) with nedb's load state beside it. */
export interface HealthBody {
  ok: true;
  service: 'nedbd';
  version: string;
  /** Names of the databases that are serving or loading, sorted (failed ones are under `failed`). */
  databases: string[];
  encrypted: false;
  /** Every database has finished loading (failed ones do not hold this back: they never will). */
  ready: boolean;
  loading: Record<string, LoadProgress>;
  /** Databases that failed to open, with the reason. */
  failed: Record<string, string>;
}

export type ReadyStatus = { status: 200; body: { ready: true } } | { status: 503; body: { ready: false; loading: string[] } };

interface LoadSummary {
  serving: string[];
  loading: Map<string, LoadProgress>;
  failed: Map<string, string>;
}

function summarize(ctx: ServerContext): LoadSummary {
  const summary: LoadSummary = { serving: [], loading: new Map(), failed: new Map(ctx.failures()) };
  for (const [name, database] of ctx.databases()) classify(summary, name, database);
  summary.serving.sort();
  return summary;
}

function classify(summary: LoadSummary, name: string, database: Database): void {
  const state = database.state;
  switch (state.state) {
    case 'ready':
      summary.serving.push(name);
      return;
    case 'loading':
      summary.serving.push(name);
      summary.loading.set(name, { percent: state.percent, phase: state.phase, bytesDone: state.bytesDone, bytesTotal: state.bytesTotal });
      return;
    case 'failed':
      if (!summary.failed.has(name)) summary.failed.set(name, state.error.message);
      return;
    case 'closed':
      return; // being dropped or shut down: no longer one of the server's databases
  }
}

/** The body of GET / and GET /health. Never waits on a database. */
export async function healthBody(ctx: ServerContext): Promise<HealthBody> {
  const { serving, loading, failed } = summarize(ctx);
  return {
    ok: true,
    service: 'nedbd',
    version: ctx.settings.version,
    databases: serving,
    encrypted: false,
    ready: loading.size === 0,
    loading: Object.fromEntries([...loading].sort(([a], [b]) => (a < b ? -1 : 1))),
    failed: Object.fromEntries([...failed].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** GET /ready: 200 once no database is loading, else 503 naming those still loading (the caller adds Retry-After). */
export function readyStatus(ctx: ServerContext): ReadyStatus {
  const { loading } = summarize(ctx);
  if (loading.size === 0) return { status: 200, body: { ready: true } };
  return { status: 503, body: { ready: false, loading: [...loading.keys()].sort() } };
}
