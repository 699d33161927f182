// Builds the ServerContext: opens every database of the data directory at once without waiting (they load in
// the background and report progress), keeps the v1 view of each ready database, and remembers the ones that
// failed to open so /health can name them while the others serve.
import { type Clock, type DataDirectory, type Database, NedbError, V1Database } from '../core/index.js';
import type { HttpMetrics, ServerContext, ServerSettings } from './context.js';

export interface ServerContextOptions {
  data: DataDirectory;
  clock: Clock;
  settings: ServerSettings;
  createMetrics: (databases: () => Map<string, Database>) => HttpMetrics;
  onLoadError?: (name: string, error: unknown) => void;
}

export async function createServerContext(options: ServerContextOptions): Promise<ServerContext & { shutdown(): void }> {
  const handles = new Map<string, Database>();
  const views = new Map<string, Promise<V1Database>>();
  const failures = new Map<string, string>();
  const closing = new AbortController();
  const watch = (database: Database) => {
    database.ready.catch((error: unknown) => {
      handles.delete(database.name);
      failures.set(database.name, error instanceof Error ? error.message : String(error));
      options.onLoadError?.(database.name, error);
    });
  };
  for (const name of await options.data.list()) {
    try {
      const database = await options.data.openLoading(name);
      handles.set(name, database);
      watch(database);
    } catch (error) {
      failures.set(name, error instanceof Error ? error.message : String(error));
    }
  }
  const sorted = () => new Map([...handles].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const context: ServerContext & { shutdown(): void } = {
    data: options.data,
    clock: options.clock,
    settings: options.settings,
    metrics: options.createMetrics(sorted),
    databases: sorted,
    failures: () => failures,
    closing: closing.signal,
    shutdown: () => closing.abort(),
    async v1(name) {
      const database = handles.get(name);
      if (database === undefined) {
        const reason = failures.get(name);
        if (reason !== undefined) throw new NedbError('INTERNAL', { reason: `database ${name} failed to open: ${reason}` });
        throw new NedbError('DB_NOT_FOUND', { name });
      }
      const state = database.state;
      if (state.state === 'loading') throw new NedbError('DB_LOADING', { name, percent: state.percent });
      let view = views.get(name);
      if (view === undefined) {
        view = database.ready.then(() => V1Database.open(database, options.clock));
        views.set(name, view);
        view.catch(() => views.delete(name));
      }
      return view;
    },
    adopt(database) {
      handles.set(database.name, database);
      failures.delete(database.name);
      watch(database);
    },
    forget(name) {
      handles.delete(name);
      views.delete(name);
    },
  };
  return context;
}
