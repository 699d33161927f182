// Bundles the CLI (and the benchmark runner) into plain JavaScript under dist/, so `node dist/nedb.js` starts
// with no TypeScript loader and loads one file (faster cold start than resolving node_modules).
// Run by `npm run build` and by npm's `prepare` step after `npm ci`.
// The single executable (Bun's compiler) is added by the operations issue.
import { build } from 'esbuild';

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

await build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/nedb.js', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } });
if (process.argv.includes('--bench')) await build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'dist/bench.js' });
