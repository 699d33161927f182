// A real nedb HTTP server on a random loopback port over a temp data directory, with a clock the test can move.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { DataDirectory, type Clock } from '../../core/index.js';
import { createApp } from '../../http/app.js';
import { createServerContext } from '../../http/server-context.js';
import { createMetrics } from '../../http/observability/metrics.js';
import type { ServerSettings } from '../../http/context.js';
import { tempDir } from './temp-dir.js';

export interface TestClock extends Clock {
  advanceMs(ms: number): void;
}

export function testClock(startMs = 1_800_000_000_000): TestClock {
  let offsetMs = 0;
  return {
    nowMs: () => startMs + offsetMs,
    monotonicMs: () => performance.now() + offsetMs,
    advanceMs: (ms) => {
      offsetMs += ms;
    },
  };
}

type ParsedJson = ReturnType<typeof JSON.parse>;

export interface TestServer {
  url: string;
  dir: string;
  clock: TestClock;
  data: DataDirectory;
  /** The body is exactly what JSON.parse returned (tests read its fields directly and compare with toEqual). */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: ParsedJson; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestServer(settings: Partial<ServerSettings> = {}, dir = tempDir()): Promise<TestServer> {
  const clock = testClock();
  const data = await DataDirectory.open(dir, { clock, checkpointIntervalSeconds: 0 });
  const ctx = await createServerContext({
    data,
    clock,
    settings: { token: undefined, metricsPublic: false, queryTimeoutMs: 30_000, heartbeatMs: 15_000, retryAfterSeconds: 1, version: 'test', ...settings },
    createMetrics: (databases) => createMetrics(databases, clock),
  });
  const app = createApp(ctx);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    dir,
    clock,
    data,
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: ParsedJson = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: the test looks at the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      ctx.shutdown();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await data.close();
    },
  };
}
