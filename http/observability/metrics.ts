// Prometheus metrics of the server (GET /metrics). Request counts and latency are recorded as requests finish;
// everything about the databases is read at scrape time from each handle's status, so the write path pays
// nothing for metrics and a scrape always shows the current state. The registry is our own, never prom-client's
// global one: two servers in one process (tests) must not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type Clock, type Database, systemClock } from '../../core/index.js';
import type { HttpMetrics } from '../context.js';

/** Request latency buckets, in seconds: from a cached point read to a long scan. */
const requestSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface DatabaseGauges {
  writesSeq: Gauge<'db'>;
  fsyncs: Counter<'db'>;
  groupWrites: Counter<'db'>;
  fsyncSeconds: Counter<'db'>;
  documentsPerFsync: Gauge<'db'>;
  logBytesSinceCheckpoint: Gauge<'db'>;
  checkpointAgeSeconds: Gauge<'db'>;
  documents: Gauge<'db'>;
  ready: Gauge<'db'>;
  loadPercent: Gauge<'db'>;
  writable: Gauge<'db'>;
}

/** Metrics over the databases `getDatabases` returns at each scrape; `clock` gives the checkpoint age. */
export function createMetrics(getDatabases: () => Map<string, Database>, clock: Clock = systemClock): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'nedb_http_requests_total',
    help: 'HTTP requests finished, by route pattern and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'nedb_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route pattern.',
    labelNames: ['route'] as const,
    buckets: requestSecondsBuckets,
    registers: [registry],
  });
  const gauges = databaseGauges(registry);
  // Scrapes run one at a time: a refresh resets the series and then awaits, so two at once would interleave.
  let previous: Promise<unknown> = Promise.resolve();
  const scrape = async () => {
    await refresh(gauges, getDatabases(), clock.nowMs());
    return { contentType: registry.contentType, body: await registry.metrics() };
  };
  const requestChildren = new Map<string, ReturnType<typeof requests.labels>>();
  const durationChildren = new Map<string, ReturnType<typeof requestSeconds.labels>>();
  return {
    observeRequest(route, status, seconds) {
      // Label children are cached: prom-client hashes the label set on every call otherwise (per request).
      const key = `${status} ${route}`;
      let counter = requestChildren.get(key);
      if (counter === undefined) {
        counter = requests.labels({ route, status: String(status) });
        requestChildren.set(key, counter);
      }
      counter.inc();
      let histogram = durationChildren.get(route);
      if (histogram === undefined) {
        histogram = requestSeconds.labels({ route });
        durationChildren.set(route, histogram);
      }
      histogram.observe(seconds);
    },
    render() {
      const next = previous.then(scrape, scrape);
      previous = next.catch(() => undefined);
      return next;
    },
  };
}

function databaseGauges(registry: Registry): DatabaseGauges {
  const registers = [registry];
  const labelNames = ['db'] as const;
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames, registers });
  return {
    writesSeq: gauge('nedb_writes_seq', 'The visible seq of the database (-1 when empty).'),
    fsyncs: counter('nedb_fsyncs_total', 'Log fsyncs since the database was opened.'),
    groupWrites: counter('nedb_group_writes_total', 'Group-committed log writes since the database was opened.'),
    fsyncSeconds: counter('nedb_fsync_seconds_total', 'Time spent in log fsyncs, in seconds, since the database was opened.'),
    documentsPerFsync: gauge('nedb_documents_per_fsync', 'Seqs made durable per fsync, on average since the database was opened.'),
    logBytesSinceCheckpoint: gauge('nedb_log_bytes_since_checkpoint', 'Log bytes appended since the last checkpoint began.'),
    checkpointAgeSeconds: gauge('nedb_checkpoint_age_seconds', 'Seconds since the last completed checkpoint (or the open).'),
    documents: gauge('nedb_documents', 'Live documents in user collections.'),
    ready: gauge('nedb_database_ready', '1 when the database serves, 0 while it loads or after it failed.'),
    loadPercent: gauge('nedb_database_load_percent', 'Load progress in percent (100 once ready).'),
    writable: gauge('nedb_database_writable', '1 when the database accepts writes, 0 while loading, on a full disk or after a failure.'),
  };
}

/**
 * Sets every per-database series from scratch: reset first, so a dropped database's series disappear. Counters
 * are set by reset + inc: their source is the database's own running total since it was opened.
 */
async function refresh(gauges: DatabaseGauges, databases: Map<string, Database>, nowMs: number): Promise<void> {
  for (const metric of Object.values(gauges)) metric.reset();
  for (const [db, database] of databases) {
    const labels = { db };
    const state = database.state;
    gauges.ready.set(labels, state.state === 'ready' ? 1 : 0);
    gauges.loadPercent.set(labels, state.state === 'loading' ? state.percent : state.state === 'ready' ? 100 : 0);
    gauges.writable.set(labels, 0);
    if (state.state !== 'ready') continue;
    try {
      // status() and collections() throw when the database closed or failed since the check above.
      const status = database.status();
      const { stats } = status;
      gauges.writable.set(labels, status.state === 'ok' ? 1 : 0);
      gauges.writesSeq.set(labels, status.visibleSeq);
      gauges.fsyncs.inc(labels, stats.fsyncs);
      gauges.groupWrites.inc(labels, stats.groupWrites);
      gauges.fsyncSeconds.inc(labels, stats.fsyncMsTotal / 1000);
      gauges.documentsPerFsync.set(labels, stats.fsyncs === 0 ? 0 : stats.seqsSynced / stats.fsyncs);
      gauges.logBytesSinceCheckpoint.set(labels, status.logBytesSinceCheckpoint);
      gauges.checkpointAgeSeconds.set(labels, Math.max(0, (nowMs - status.lastCheckpointMs) / 1000));
      let documents = 0;
      for (const count of (await database.collections()).values()) documents += count;
      gauges.documents.set(labels, documents);
    } catch {
      gauges.ready.set(labels, 0);
      gauges.writable.set(labels, 0);
    }
  }
}
