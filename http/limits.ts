// Every bound of the HTTP layer, each with the reason for its size (STYLE.md §8). The engine's own bounds live
// in core/limits.ts; relations between the two are asserted at load, so a change that breaks one fails at start.
import { strict as assert } from 'node:assert';
import { limits } from '../core/index.js';

/** The request line and headers must arrive within this: a client trickling headers (slowloris) is cut off. */
export const headersTimeoutMs = 10_000;
/**
 * The whole request, body included, must arrive within this. Long enough for the largest body over a slow
 * link (64 MiB at ~1.5 MB/s); responses (queries, SSE streams) are not bounded by it.
 */
export const requestTimeoutMs = 60_000;
/**
 * An idle keep-alive connection is closed after this. Longer than the 60 s idle timeout of common load
 * balancers and client pools, so the server never closes a connection a client is about to reuse.
 */
export const keepAliveTimeoutMs = 65_000;
/** How often Node checks the two timeouts above (its default, 30 s, lets a slow client linger 40 s). */
export const connectionsCheckingIntervalMs = 2_000;
/** Request line plus headers, in bytes: Node's default; a bearer token and the usual headers fit many times. */
export const headerBytesMax = 16 << 10;
/**
 * Open connections at once; more are refused at accept. Benchmarks use 64 keep-alive connections, SSE
 * subscribers hold one each; well below the file descriptor limit Node raises to at start.
 */
export const connectionsMax = 2048;
/**
 * A request body, in bytes: the JSON of a 500-document batch at ~100 KiB each, or of one largest document
 * (JSON is a little larger than its msgpack). Bodies over it get 413 before they are parsed.
 */
export const requestBodyBytesMax = 64 << 20;
/** Graceful shutdown: in-flight requests get this long to finish before their connections are closed. */
export const shutdownGraceMsDefault = 10_000;

/**
 * Events queued for one SSE client that reads too slowly (the socket applies backpressure). Past this the
 * connection is dropped: the client reconnects with Last-Event-ID and replays from the log, so nothing is lost,
 * and the server never holds unbounded memory for one client.
 */
export const sseQueuedEventsMax = 10_000;
/** Load progress (/events) is sent this often while any database loads. */
export const loadProgressIntervalMs = 250;

assert.ok(headersTimeoutMs <= requestTimeoutMs, 'Node requires headersTimeout <= requestTimeout');
assert.ok(limits.docBytesMax < requestBodyBytesMax, 'one largest document fits a request body');
/**
 * An SSE resume (Last-Event-ID) replays the log in pages of this many seqs, each read only once the client has
 * room for it, so a client resuming from seq 0 of a large database never makes the server hold the whole log.
 */
export const sseReplayPageSeqs = 1_000;

assert.ok(sseReplayPageSeqs * 2 <= sseQueuedEventsMax, 'a replay page fits the queue of a client that keeps up');
