// Layers point down (STYLE.md §1, ARCHITECTURE.md "Layers"): every import of every .ts file is read, and an
// import from a layer that may not use it fails, naming the file. core/ also keeps node:fs behind
// core/platform/, so that tests can plug in the simulated disk.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const layers = ['core', 'nql', 'http', 'wire', 'client', 'bench', 'cli'] as const;
type Layer = (typeof layers)[number];

/** Which layers each layer may import (besides itself). client/ may only `import type` from core. */
const mayImport = {
  core: [],
  nql: ['core'],
  http: ['nql', 'core'],
  wire: ['nql', 'core'],
  client: [],
  bench: ['http', 'wire', 'client', 'nql', 'core'],
  cli: ['bench', 'http', 'wire', 'client', 'nql', 'core'],
} satisfies Record<Layer, Layer[]>;
const mayImportType: Partial<Record<Layer, Layer[]>> = { client: ['core'] };

interface ImportSite {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/**
 * The module specifiers of one source text: static imports and re-exports (also side-effect and type-only
 * ones) and dynamic `import('…')`. Comments are blanked first, so an import in a comment does not count.
 */
function scanImports(source: string): ImportSite[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const sites: ImportSite[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const statement = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (let match = statement.exec(text); match !== null; match = statement.exec(text))
    sites.push({ specifier: match[3]!, typeOnly: match[2] !== undefined, line: lineOf(match.index + match[0].indexOf(match[1]!)) });
  const dynamic = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let match = dynamic.exec(text); match !== null; match = dynamic.exec(text))
    sites.push({ specifier: match[1]!, typeOnly: false, line: lineOf(match.index) });
  return sites;
}

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return []; // a layer that does not exist yet
  }
  const files: string[] = [];
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

function layerOf(path: string): Layer | undefined {
  const top = relative(root, path).split(sep)[0];
  return layers.find((layer) => layer === top);
}

interface Edge {
  file: string;
  line: number;
  from: Layer;
  to: Layer | undefined;
  specifier: string;
  typeOnly: boolean;
}

function edges(): Edge[] {
  const found: Edge[] = [];
  for (const from of layers)
    for (const file of sourceFiles(join(root, from)))
      for (const site of scanImports(readFileSync(file, 'utf8'))) {
        const to = site.specifier.startsWith('.') ? layerOf(resolve(dirname(file), site.specifier)) : undefined;
        found.push({ file: relative(root, file), line: site.line, from, to, specifier: site.specifier, typeOnly: site.typeOnly });
      }
  return found;
}

function violations(all: Edge[]): string[] {
  const problems: string[] = [];
  for (const edge of all) {
    if (edge.to === undefined || edge.to === edge.from) continue;
    const allowed: Layer[] = [...mayImport[edge.from], ...(edge.typeOnly ? (mayImportType[edge.from] ?? []) : [])];
    if (!allowed.includes(edge.to)) problems.push(`${edge.file}:${edge.line} (${edge.from}) imports ${edge.to}: '${edge.specifier}'`);
  }
  return problems;
}

describe('architecture', () => {
  const all = edges();

  it('finds the imports it checks', () => {
    expect(all.some((edge) => edge.from === 'core' && edge.specifier === './errors.js')).toBe(true);
    expect(all.filter((edge) => edge.from === 'core').length).toBeGreaterThan(50);
  });

  it('layers import only the layers below them', () => {
    expect(violations(all)).toEqual([]);
  });

  it('core reaches node:fs only through core/platform/', () => {
    const problems = all
      .filter((edge) => edge.from === 'core' && /^node:fs(\/promises)?$|^fs(\/promises)?$/.test(edge.specifier))
      .filter((edge) => !edge.file.startsWith(`core${sep}platform${sep}`))
      .map((edge) => `${edge.file}:${edge.line} imports ${edge.specifier}; use core/platform/file-system.ts`);
    expect(problems).toEqual([]);
  });

  it('the scanner sees every import form and names an upward import', () => {
    const source = [
      "import { a } from '../http/app.js';",
      "import type { B } from '../client/types.js';",
      "export { c } from '../nql/parser.js';",
      "import '../wire/side-effect.js';",
      'const lazy = await import("../cli/main.js");',
      "// import { no } from '../cli/commented.js';",
      "/* import { no } from '../cli/block.js'; */",
      "import {\n  multi,\n  line,\n} from '../cli/multi.js';",
    ].join('\n');
    expect(scanImports(source).map((site) => [site.specifier, site.typeOnly])).toEqual([
      ['../http/app.js', false],
      ['../client/types.js', true],
      ['../nql/parser.js', false],
      ['../wire/side-effect.js', false],
      ['../cli/multi.js', false],
      ['../cli/main.js', false],
    ]);
    const fake: Edge[] = [
      { file: 'core/x.ts', line: 1, from: 'core', to: 'http', specifier: '../http/app.js', typeOnly: false },
      { file: 'client/y.ts', line: 2, from: 'client', to: 'core', specifier: '../core/index.js', typeOnly: true },
      { file: 'client/z.ts', line: 3, from: 'client', to: 'core', specifier: '../core/index.js', typeOnly: false },
      { file: 'cli/w.ts', line: 4, from: 'cli', to: 'core', specifier: '../core/index.js', typeOnly: false },
    ];
    expect(violations(fake)).toEqual([
      "core/x.ts:1 (core) imports http: '../http/app.js'",
      "client/z.ts:3 (client) imports core: '../core/index.js'",
    ]);
  });
});
