// Server-Sent Events: GET /events (load progress) and GET /v1/databases/{db}/events (committed writes, resumable
// with Last-Event-ID). Each stream is a web ReadableStream with a bounded queue: the socket's backpressure
// stops the adapter reading, events pile up in the queue, and past sseQueuedEventsMax the connection is
// dropped rather than buffered without end (a write-events client reconnects and replays from the log, so it
// loses nothing). A heartbeat comment keeps proxies from closing a quiet stream. Streams end when the client
// disconnects or the server begins a graceful shutdown (ctx.closing).
import { type Database, type LoggedOp, Namespace } from '../../core/index.js';
import type { ServerContext } from '../context.js';
import { loadProgressIntervalMs, sseQueuedEventsMax, sseReplayPageSeqs } from '../limits.js';

const sseHeaders = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' } as const;

/** What a stream's producer writes to; every call is a no-op once the stream has ended. */
interface SseSink {
  event(name: string, data: unknown, id?: number): void;
  /** Ends the stream after what is queued (the client sees a clean end). */
  close(): void;
  /** Drops the connection at once, discarding what is queued. */
  fail(reason: string): void;
  readonly ended: boolean;
  /** Resolves once the queue has room for `events` more (or the stream ended). */
  room(events: number): Promise<void>;
}

/** One write event's data. `op` is v1's op name ('put', 'delete', 'link', …). */
export interface WriteEventData {
  seq: number;
  coll: string;
  id: string;
  op: string;
}

export interface LoadProgressEventData {
  db: string;
  state: 'loading' | 'ready' | 'failed' | 'closed';
  percent: number;
}

/**
 * Streams load progress: a `progress` event per database every loadProgressIntervalMs while any database loads,
 * then one `ready` event; heartbeats go on until the client leaves or the server shuts down.
 */
export function loadEventsResponse(ctx: ServerContext, request: Request): Response {
  return sseResponse(ctx, request, (sink) => {
    const tick = () => {
      let loading = false;
      for (const [db, database] of ctx.databases()) {
        const state = database.state;
        if (state.state === 'loading') loading = true;
        const percent = state.state === 'loading' ? state.percent : state.state === 'ready' ? 100 : 0;
        sink.event('progress', { db, state: state.state, percent } satisfies LoadProgressEventData);
      }
      if (loading) return;
      clearInterval(timer);
      sink.event('ready', { ready: true });
    };
    const timer = setInterval(tick, loadProgressIntervalMs);
    timer.unref();
    tick();
    return () => clearInterval(timer);
  });
}

/**
 * Streams committed writes of `database`: one `write` event per user-namespace op that takes a seq of its own,
 * with the seq as the SSE id. With a Last-Event-ID header it first replays the ops after that seq from the
 * log, then goes live without a gap or a duplicate. Throws the database's error (DB_LOADING, DB_CLOSED) before
 * any stream starts when the database cannot serve.
 */
export function writeEventsResponse(ctx: ServerContext, database: Database, request: Request): Response {
  const lastEventId = parseLastEventId(request.headers.get('Last-Event-ID'));
  return sseResponse(ctx, request, (sink) => {
    let lastSentSeq = -1;
    /** Live ops that arrive while the replay reads the log; undefined once live. */
    let pending: LoggedOp[] | undefined = lastEventId === undefined ? undefined : [];
    const emit = (op: LoggedOp) => {
      if (op.seq <= lastSentSeq) return; // already replayed, or an attached op sharing the seq before it
      lastSentSeq = op.seq;
      if (op.ns !== Namespace.user || op.attached) return;
      sink.event('write', { seq: op.seq, coll: op.coll, id: op.id, op: opName(op) } satisfies WriteEventData, op.seq);
    };
    // Subscribe before reading the visible seq and the replay: a write that lands in between is in both the
    // replay and the live feed, and `emit` drops the second copy by seq.
    const unsubscribe = database.onCommit((write) => {
      if (pending === undefined) {
        for (const op of write.ops) emit(op);
        return;
      }
      pending.push(...write.ops);
      if (pending.length > sseQueuedEventsMax) sink.fail('client fell behind during replay');
    });
    try {
      const visibleSeq = database.seq;
      if (lastEventId === undefined) lastSentSeq = visibleSeq;
      else {
        lastSentSeq = Math.min(lastEventId, visibleSeq);
        replay(database, sink, lastSentSeq + 1, visibleSeq, emit).then(
          () => {
            const live = pending ?? [];
            pending = undefined;
            for (const op of live) emit(op);
          },
          (error: unknown) => {
            sink.event('failed', { error: error instanceof Error ? error.message : String(error) });
            sink.close();
          },
        );
      }
    } catch (error) {
      unsubscribe();
      throw error;
    }
    const watchState = setInterval(() => {
      if (database.state.state !== 'ready') sink.close(); // dropped, closed or failed: nothing more will come
    }, loadProgressIntervalMs);
    watchState.unref();
    return () => {
      unsubscribe();
      clearInterval(watchState);
    };
  });
}

/** Replays [fromSeq, toSeq] from the log, a page at a time, each page once the client has room for it. */
async function replay(database: Database, sink: SseSink, fromSeq: number, toSeq: number, emit: (op: LoggedOp) => void): Promise<void> {
  for (let from = fromSeq; from <= toSeq; from += sseReplayPageSeqs) {
    await sink.room(sseReplayPageSeqs);
    if (sink.ended) return;
    const ops = await database.readOps(from, Math.min(toSeq, from + sseReplayPageSeqs - 1));
    for (const op of ops) emit(op);
  }
}

function opName(op: LoggedOp): string {
  return op.meta?.op ?? (op.kind === 0 ? 'put' : op.kind === 1 ? 'delete' : 'mark');
}

/** The header's seq, or undefined when absent or not a whole number >= -1 (then the stream starts live). */
export function parseLastEventId(header: string | null): number | undefined {
  if (header === null || !/^\s*-?\d{1,16}\s*$/.test(header)) return undefined;
  const seq = Number(header);
  return Number.isSafeInteger(seq) && seq >= -1 ? seq : undefined;
}

/**
 * The shared SSE machinery: a bounded stream, heartbeats, and the end conditions. `start` runs synchronously
 * and returns its cleanup; if it throws, nothing is left running and the error propagates to the caller.
 */
function sseResponse(ctx: ServerContext, request: Request, start: (sink: SseSink) => () => void): Response {
  if (ctx.closing.aborted)
    return new Response(JSON.stringify({ error: 'the server is shutting down; reconnect to another instance or retry later' }), {
      status: 503,
      headers: { 'Content-Type': 'application/json', 'Retry-After': String(ctx.settings.retryAfterSeconds) },
    });
  const encoder = new TextEncoder();
  const cleanups: (() => void)[] = [];
  const roomWaiters: { events: number; resolve: () => void }[] = [];
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let ended = false;

  const end = (error: Error | undefined) => {
    if (ended) return;
    ended = true;
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    for (const waiter of roomWaiters.splice(0)) waiter.resolve();
    try {
      if (error === undefined) controller?.close();
      else controller?.error(error);
    } catch {
      // already closed or errored by the consumer side
    }
  };
  const push = (text: string) => {
    if (ended || controller === undefined) return;
    if ((controller.desiredSize ?? 0) <= 0) return end(new Error(`SSE client too slow: more than ${sseQueuedEventsMax} events queued`));
    controller.enqueue(encoder.encode(text));
  };
  const wakeWaiters = () => {
    const room = controller?.desiredSize ?? 0;
    for (let i = roomWaiters.length - 1; i >= 0; i--)
      if (roomWaiters[i]!.events <= room) roomWaiters.splice(i, 1)[0]!.resolve();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start: (streamController) => {
        controller = streamController;
      },
      pull: wakeWaiters, // called as the client reads and the queue drains
      cancel: () => end(undefined), // the client went away
    },
    new CountQueuingStrategy({ highWaterMark: sseQueuedEventsMax }),
  );
  const sink: SseSink = {
    event: (name, data, id) => push(`${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`),
    close: () => end(undefined),
    fail: (reason) => end(new Error(reason)),
    get ended() {
      return ended;
    },
    room: (events) =>
      ended || (controller?.desiredSize ?? 0) >= events ? Promise.resolve() : new Promise((resolve) => roomWaiters.push({ events, resolve })),
  };

  push(': connected\n\n'); // sends the headers and a first byte at once, through buffering proxies too
  const heartbeat = setInterval(() => push(': heartbeat\n\n'), ctx.settings.heartbeatMs);
  heartbeat.unref();
  cleanups.push(() => clearInterval(heartbeat));
  const onAbort = () => end(undefined);
  ctx.closing.addEventListener('abort', onAbort, { once: true });
  request.signal.addEventListener('abort', onAbort, { once: true });
  cleanups.push(() => {
    ctx.closing.removeEventListener('abort', onAbort);
    request.signal.removeEventListener('abort', onAbort);
  });
  try {
    cleanups.push(start(sink));
  } catch (error) {
    end(undefined);
    throw error;
  }
  return new Response(stream, { headers: sseHeaders });
}
