// A small TypeScript client of the nedb HTTP API (the NEDB v1 routes plus nedb's extensions), used by the CLI's
// --url mode, benchmarks and tests. HTTP/2 and msgpack bodies come with the protocol issue.

export class NedbClientError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.error === 'string' ? body.error : `HTTP ${status}`);
    this.name = 'NedbClientError';
  }

  get code(): string | undefined {
    return typeof this.body.code === 'string' ? this.body.code : undefined;
  }
}

export interface QueryReply {
  rows: Record<string, unknown>[];
  count: number;
  seq: number;
  head: string;
  ready?: boolean;
}

export class NedbClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.baseUrl;
  }

  async request(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.token !== undefined && this.token !== '') headers.Authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = { error: text };
    }
    if (!response.ok) throw new NedbClientError(response.status, parsed);
    return parsed;
  }

  health(): Promise<Record<string, unknown>> {
    return this.request('GET', '/health');
  }

  async ensureDatabase(name: string): Promise<void> {
    try {
      await this.request('POST', '/v1/databases', { name });
    } catch (error) {
      if (!(error instanceof NedbClientError && error.status === 409)) throw error;
    }
  }

  async query(db: string, nql: string): Promise<QueryReply> {
    return (await this.request('POST', `/v1/databases/${db}/query`, { nql })) as unknown as QueryReply;
  }

  batch(db: string, ops: unknown[], extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.request('POST', `/v1/databases/${db}/batch`, { ops, ...extra });
  }

  put(db: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.request('POST', `/v1/databases/${db}/put`, body);
  }

  /** The current document, or undefined when there is none. */
  async get(db: string, coll: string, id: string): Promise<Record<string, unknown> | undefined> {
    try {
      const reply = await this.request('GET', `/v1/databases/${db}/rows/${encodeSegment(coll)}/${encodeSegment(id)}`);
      return reply.doc as Record<string, unknown>;
    } catch (error) {
      if (error instanceof NedbClientError && error.code === 'DOC_NOT_FOUND') return undefined;
      throw error;
    }
  }

  checkpoint(db: string): Promise<Record<string, unknown>> {
    return this.request('POST', `/v1/databases/${db}/checkpoint`);
  }

  /** Online backup made by the server into `<dir>/<db>`; `dir` is an absolute path on the server. */
  backup(db: string, dir: string, options: { checkpoint?: boolean } = {}): Promise<Record<string, unknown>> {
    return this.request('POST', `/v1/databases/${db}/backup`, { dir, ...options });
  }

  async databases(): Promise<string[]> {
    const reply = await this.request('GET', '/v1/databases');
    return (reply.databases as { name: string }[]).map((db) => db.name);
  }
}

/**
 * Path segments are not percent-decoded by the server (v1 semantics), so ids are sent as they are; a `/` in
 * an id cannot be addressed by path, as in v1.
 */
function encodeSegment(segment: string): string {
  if (segment.includes('/')) throw new Error(`'${segment}' contains '/', which a path segment cannot carry; use a query instead`);
  return segment;
}
