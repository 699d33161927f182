// What every HTTP handler gets: the data directory and its databases (loading or ready), settings, and the
// clock. Built once by the composition root (cli/commands/serve.ts) and shared by the routes.
import type { Clock, DataDirectory, Database, V1Database } from '../core/index.js';

/** Prometheus metrics of the server (http/observability/metrics.ts implements it with prom-client). */
export interface HttpMetrics {
  /** One finished request: its route pattern (not the raw path: bounded label values), status and duration. */
  observeRequest(route: string, status: number, seconds: number): void;
  /** The text exposition format, refreshed from every database's status. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface ServerSettings {
  /** Bearer token; undefined or empty: auth off. Compared in constant time. */
  token: string | undefined;
  /** Serve /metrics without the token even when one is set. */
  metricsPublic: boolean;
  /** A query stops with QUERY_TIMEOUT after this long. */
  queryTimeoutMs: number;
  /** SSE heartbeat period. */
  heartbeatMs: number;
  /** Seconds a client should wait before retrying while loading (Retry-After). */
  retryAfterSeconds: number;
  /** The server's version string for /health. */
  version: string;
}

export interface ServerContext {
  readonly data: DataDirectory;
  readonly clock: Clock;
  readonly settings: ServerSettings;
  readonly metrics: HttpMetrics;
  /** Every database handle, loading or ready, by name (sorted). */
  databases(): Map<string, Database>;
  /** The v1 view of a ready database (opened once, cached). Throws DB_NOT_FOUND / DB_LOADING. */
  v1(name: string): Promise<V1Database>;
  /** Databases that failed to open, with the reason (they show in /health; the others serve). */
  failures(): Map<string, string>;
  /** Registers a database created at run time. */
  adopt(database: Database): void;
  /** Forgets a dropped database. */
  forget(name: string): void;
  /** Set when a graceful shutdown has begun: new SSE streams are refused, open ones close. */
  readonly closing: AbortSignal;
}
