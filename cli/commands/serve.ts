// `nedb serve`: the composition root of the server. Opens the data directory (databases load in the
// background while /health already answers), serves the v1 API, sweeps TTLs, and on SIGTERM/SIGINT shuts down
// gracefully: stop accepting, let in-flight requests finish, close event streams, append v1's shutdown
// checkpoint op to every ready database, flush, release the lock.
import { readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { DataDirectory, type Database, type Durability, systemClock } from '../../core/index.js';
import packageJson from '../../package.json' with { type: 'json' };
import { commandAction } from '../command.js';
import { CliError, type ExitCode, exitCodes } from '../errors.js';
import { type CommandContext, dataDirOf, durabilityOf, integerOption, stderrLogger, textOption } from '../options.js';

export function registerServe(cli: CAC): void {
  cli
    .command('serve', 'Serve the NEDB v1 HTTP API (and /health, /ready, /metrics, /events) on a data directory')
    .option('--data <dir>', 'data directory (default: $NEDBD_DATA or ./nedb-data; created when missing)')
    .option('--host <host>', 'address to bind (default: $NEDBD_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default: $NEDBD_PORT or 7070; 0 picks a free one)')
    .option('--durability <mode>', 'server default: sync (acknowledged after fsync), batch or async (default: sync)')
    .option('--checkpoint-every <writes>', 'automatic checkpoint after this many writes (default: 100000; 0 off)')
    .option('--checkpoint-interval <seconds>', 'automatic checkpoint after this many seconds (default: $NEDBD_CHECKPOINT_INTERVAL minutes, else 300)')
    .option('--token-file <path>', 'file holding the bearer token (default: $NEDBD_TOKEN; never pass a token as an argument)')
    .option('--metrics-public', 'serve /metrics without the token')
    .option('--query-timeout-ms <ms>', 'a query stops with an error after this long (default: 30000)')
    .usage(
      'serve [--data DIR] [--host H] [--port P] [--durability sync|batch|async]\n\n' +
        '  TTL sweeps run every $NEDBD_SWEEP_S seconds (default 30, 0 off). While databases load, /health\n' +
        '  reports progress, /ready answers 503, queries answer empty with "ready": false, writes 503.',
    )
    .example('  $ nedb serve')
    .example('  $ NEDBD_TOKEN=s3cret nedb serve --data /var/lib/nedb --host 0.0.0.0 --port 7070')
    .example('  $ curl -s localhost:7070/v1/databases -d \'{"name":"shop"}\'')
    .action(commandAction(cli, (context) => serveCommand(context)));
}

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new CliError(`$${name} must be a non-negative number (got '${value}')`, exitCodes.usage);
  return parsed;
}

function readToken(context: CommandContext): string | undefined {
  const file = textOption(context, 'token-file');
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new CliError(`cannot read --token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const token = process.env.NEDBD_TOKEN;
  return token === undefined || token === '' ? undefined : token;
}

interface ServeSettings {
  dir: string;
  host: string;
  port: number;
  durability: Durability;
  checkpointEveryWrites: number | undefined;
  checkpointIntervalSeconds: number | undefined;
  sweepSeconds: number;
  queryTimeoutMs: number;
}

function settingsOf(context: CommandContext): ServeSettings {
  const port = integerOption(context, 'port') ?? envNumber('NEDBD_PORT') ?? 7070;
  if (port < 0 || port > 65535) throw new CliError(`--port must be 0..65535 (got ${port})`, exitCodes.usage);
  const intervalMinutes = envNumber('NEDBD_CHECKPOINT_INTERVAL');
  return {
    dir: dataDirOf(context),
    host: textOption(context, 'host') ?? process.env.NEDBD_HOST ?? '127.0.0.1',
    port,
    durability: durabilityOf(context) ?? 'sync',
    checkpointEveryWrites: integerOption(context, 'checkpoint-every'),
    checkpointIntervalSeconds: integerOption(context, 'checkpoint-interval') ?? (intervalMinutes === undefined ? undefined : intervalMinutes * 60),
    sweepSeconds: envNumber('NEDBD_SWEEP_S') ?? 30,
    queryTimeoutMs: integerOption(context, 'query-timeout-ms') ?? 30_000,
  };
}

async function serveCommand(context: CommandContext): Promise<ExitCode> {
  // Loaded here, not at the top: the HTTP stack is a separate chunk that other commands never parse.
  const [{ createApp }, { createServerContext }, { createMetrics }, { startServer }, { shutdownGraceMsDefault }] = await Promise.all([
    import('../../http/app.js'),
    import('../../http/server-context.js'),
    import('../../http/observability/metrics.js'),
    import('../../http/server.js'),
    import('../../http/limits.js'),
  ]);
  const settings = settingsOf(context);
  const token = readToken(context);
  const clock = systemClock;
  const data = await DataDirectory.open(settings.dir, {
    logger: stderrLogger,
    durability: settings.durability,
    ...(settings.checkpointEveryWrites === undefined ? {} : { checkpointEveryWrites: settings.checkpointEveryWrites }),
    ...(settings.checkpointIntervalSeconds === undefined ? {} : { checkpointIntervalSeconds: settings.checkpointIntervalSeconds }),
  });
  const ctx = await createServerContext({
    data,
    clock,
    settings: {
      token,
      metricsPublic: context.options.metricsPublic === true,
      queryTimeoutMs: settings.queryTimeoutMs,
      heartbeatMs: 15_000,
      retryAfterSeconds: 1,
      version: packageJson.version,
    },
    createMetrics: (databases) => createMetrics(databases, clock),
    onLoadError: (name, error) => process.stderr.write(`error: database ${name} failed to open: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  const app = createApp(ctx);
  const server = await startServer({ fetch: app.fetch, host: settings.host, port: settings.port });
  await data.setAddress(server.address);
  process.stdout.write(`nedb serving ${server.address} (data ${settings.dir}${token === undefined ? '' : ', token required'})\n`);
  const sweeper = startSweeper(ctx.databases, (name) => ctx.v1(name), settings.sweepSeconds);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  process.stdout.write('nedb: shutting down (in-flight requests finish first)\n');
  if (sweeper !== undefined) clearInterval(sweeper);
  ctx.shutdown();
  await server.close(shutdownGraceMsDefault);
  for (const [name, database] of ctx.databases()) {
    if (database.state.state !== 'ready') continue;
    await (await ctx.v1(name)).checkpoint().catch((error: unknown) => process.stderr.write(`warning: shutdown checkpoint of ${name} failed: ${String(error)}\n`));
  }
  await data.close();
  process.stdout.write('nedb: stopped\n');
  return exitCodes.ok;
}

/** v1's sweeper: every NEDBD_SWEEP_S seconds, one pass over every ready database. */
function startSweeper(
  databases: () => Map<string, Database>,
  v1: (name: string) => Promise<{ sweep(): Promise<unknown> }>,
  seconds: number,
): ReturnType<typeof setInterval> | undefined {
  if (seconds <= 0) return undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const [name, database] of databases()) {
        if (database.state.state !== 'ready') continue;
        await (await v1(name)).sweep().catch((error: unknown) => process.stderr.write(`warning: TTL sweep of ${name} failed: ${String(error)}\n`));
      }
    })().finally(() => {
      running = false;
    });
  }, seconds * 1000);
  timer.unref();
  return timer;
}
