// The HTTP listener: Node's http server under @hono/node-server, with the bounds of http/limits.ts (timeouts
// against slow clients, header size, connection cap, TCP_NODELAY) and a graceful close. The request handler is
// any fetch function (the Hono app in production, a stub in tests), so this file knows nothing of routes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import {
  connectionsCheckingIntervalMs,
  connectionsMax,
  headerBytesMax,
  headersTimeoutMs,
  keepAliveTimeoutMs,
  requestTimeoutMs,
  shutdownGraceMsDefault,
} from './limits.js';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  headerBytesMax: number;
  connectionsMax: number;
}

export interface StartServerOptions {
  /** A fetch handler; the second argument is the adapter's bindings ({ incoming, outgoing } on Node), passed through. */
  fetch: (request: Request, env: HttpBindings) => Response | Promise<Response>;
  host: string;
  /** 0: any free port (the bound one is in RunningServer.port). */
  port: number;
  /** Overrides of http/limits.ts (tests use short timeouts). */
  limits?: Partial<ServerLimits>;
}

export interface RunningServer {
  /** The bound address, e.g. http://127.0.0.1:7070 (IPv6 hosts in brackets). */
  address: string;
  port: number;
  /**
   * Stops accepting at once, lets in-flight requests finish for up to `graceMs` (their connections close after
   * the reply instead of staying alive), then closes idle keep-alive connections and finally every connection.
   * Open SSE streams count as in flight: abort ServerContext.closing first so they end. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

export const defaultServerLimits: ServerLimits = { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, headerBytesMax, connectionsMax };

/** Listens on host:port and resolves once bound; rejects when the address cannot be bound (EADDRINUSE, …). */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const bounds: ServerLimits = { ...defaultServerLimits, ...options.limits };
  return new Promise<RunningServer>((resolve, reject) => {
    const server = serve({
      fetch: (request, env) => options.fetch(request, env as HttpBindings),
      hostname: options.host,
      port: options.port,
      createServer,
      serverOptions: {
        headersTimeout: bounds.headersTimeoutMs,
        requestTimeout: bounds.requestTimeoutMs,
        keepAliveTimeout: bounds.keepAliveTimeoutMs,
        connectionsCheckingInterval: Math.min(connectionsCheckingIntervalMs, bounds.headersTimeoutMs),
        maxHeaderSize: bounds.headerBytesMax,
        noDelay: true,
      },
    }) as Server;
    server.maxConnections = bounds.connectionsMax;
    const inFlight = trackInFlight(server);
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const bound = server.address() as AddressInfo;
      const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
      let closing: Promise<void> | undefined;
      resolve({
        address: `http://${host}:${bound.port}`,
        port: bound.port,
        close: (graceMs = shutdownGraceMsDefault) => (closing ??= closeGracefully(server, inFlight, graceMs)),
      });
    });
  });
}

interface InFlight {
  readonly responses: Set<ServerResponse>;
  /** Resolves when no request is in flight. */
  drained(): Promise<void>;
  /** From now on every reply closes its connection instead of keeping it alive. */
  stopKeepAlive(): void;
}

function trackInFlight(server: Server): InFlight {
  const responses = new Set<ServerResponse>();
  let waiters: (() => void)[] = [];
  let keepAlive = true;
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    responses.add(response);
    if (!keepAlive) response.shouldKeepAlive = false;
    response.once('close', () => {
      responses.delete(response);
      if (responses.size > 0) return;
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
    });
  });
  return {
    responses,
    drained: () => (responses.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    stopKeepAlive: () => {
      keepAlive = false;
      for (const response of responses) if (!response.headersSent) response.shouldKeepAlive = false;
    },
  };
}

async function closeGracefully(server: Server, inFlight: InFlight, graceMs: number): Promise<void> {
  inFlight.stopKeepAlive();
  const closed = new Promise<void>((resolve) => server.close(() => resolve())); // stops accepting; also closes idle connections
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, graceMs));
  });
  await Promise.race([inFlight.drained(), graceOver]);
  clearTimeout(timer);
  server.closeIdleConnections();
  server.closeAllConnections();
  await closed;
}
