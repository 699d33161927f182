// Bundles the CLI (and the benchmark runner) into plain JavaScript under dist/, so `node dist/nedb.js` starts
// with no TypeScript loader and loads one file (faster cold start than resolving node_modules).
// Run by `npm run build` and by npm's `prepare` step after `npm ci`.
//
// `--binary` (what `npm run build` passes; `npm ci` does not) also compiles that bundle into `dist/nedb`, one
// executable with Bun's runtime inside (docs/BINARY.md): no node, no node_modules needed to run it. Bun comes
// from npm (the `bun` devDependency); `--which-bun` prints the Bun this script would use and builds nothing.
// Every package the CLI bundle pulls in must be a runtime dependency: a benchmark-only peer (a dev dependency in
// package-lock.json) reaching the bundle, and so the binary, fails the build.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // Bundled CommonJS dependencies (cli-progress) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __nedbCreateRequire } from 'node:module'; const require = __nedbCreateRequire(import.meta.url);" },
} as const;

const cliBundle = join('dist', 'nedb.js');
const binaryPath = join('dist', 'nedb');

/** The package directory (`node_modules/a`, `node_modules/@s/b`, `node_modules/a/node_modules/b`) of an input, if any. */
function packageDirOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return input.slice(0, at) + 'node_modules/' + (parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
}

/**
 * Fails when the CLI bundle holds a package that package-lock.json marks dev-only (a devDependency, or only
 * reached through one): benchmark and test peers stay out of dist/nedb.js and dist/nedb.
 */
function checkBundledPackages(metafile: Metafile): void {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const strays = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir === undefined) continue;
    const entry = lock.packages[dir];
    if (entry === undefined || entry.dev === true) strays.add(dir.slice(dir.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  if (strays.size > 0)
    throw new Error(
      `the CLI bundle (and so the binary) would include ${[...strays].join(', ')}, which package-lock.json has only ` +
        'as a dev dependency or not at all: keep benchmark and test peers out of cli/, or make them dependencies',
    );
}

function runs(path: string): boolean {
  return existsSync(path) && spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The Bun executable: $NEDB_BUN when set; else node_modules/.bin/bun (the `bun` package's postinstall links the
 * platform binary there); else, when npm's install-scripts policy kept that postinstall from running, the
 * binary inside the platform package itself (node_modules/@oven/bun-<os>-<arch>[-baseline|-musl]/bin/bun).
 */
function findBun(): string {
  const override = process.env['NEDB_BUN'];
  if (override !== undefined && override !== '') {
    if (runs(override)) return override;
    throw new Error(`NEDB_BUN=${override} does not run \`--version\``);
  }
  const candidates = [join('node_modules', '.bin', 'bun')];
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  const prefix = `bun-${process.platform}-${arch}`;
  const oven = join('node_modules', '@oven');
  if (existsSync(oven))
    for (const name of readdirSync(oven).filter((entry) => entry.startsWith(prefix)).sort((a, b) => a.length - b.length))
      candidates.push(join(oven, name, 'bin', 'bun'));
  const found = candidates.find(runs);
  if (found !== undefined) return found;
  throw new Error(
    `no runnable Bun found (tried ${candidates.join(', ')}): run \`npm ci\` (the \`bun\` devDependency ships it), ` +
      'or set NEDB_BUN to a Bun executable',
  );
}

/**
 * Compiles dist/nedb.js into dist/nedb with `bun build --compile`: the same bundle `node dist/nedb.js` runs, with
 * Bun's runtime and the code's bytecode (a faster start) in one file. Written next to it and renamed into place,
 * so a binary that a test is running at that moment is never half-written.
 */
function compileBinary(): void {
  const bun = findBun();
  const scratch = join('dist', '.binary-build');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const outfile = join(scratch, 'nedb');
  const args = ['build', '--compile', '--bytecode', '--format=esm', cliBundle, '--outfile', outfile];
  const result = spawnSync(bun, args, { encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(outfile)) {
    throw new Error(`${bun} ${args.join(' ')} failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  }
  renameSync(outfile, binaryPath);
  rmSync(scratch, { recursive: true, force: true });
  const megabytes = statSync(binaryPath).size / (1 << 20);
  console.log(`built ${binaryPath} (${megabytes.toFixed(1)} MiB, Bun ${spawnSync(bun, ['--version'], { encoding: 'utf8' }).stdout.trim()})`);
}

if (process.argv.includes('--which-bun')) {
  console.log(findBun());
} else {
  // Split: what only `serve` needs (Hono, zod, prom-client) sits in chunks loaded by a dynamic import, so a
  // short command (`get`) parses a third of the code.
  rmSync(join('dist', 'chunks'), { recursive: true, force: true });
  const cli = await build({
    ...common,
    entryPoints: { nedb: 'cli/main.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
  });
  checkBundledPackages(cli.metafile);
  // `npx nedb` runs the bundle as the package's bin: executable even where npm linked the bin before the file
  // existed (npx reuses its cache of the package, and only a fresh link sets the mode).
  chmodSync(cliBundle, 0o755);
  if (process.argv.includes('--binary')) compileBinary();
  if (process.argv.includes('--bench')) await build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.js' });
}
