// Tidiness that review forgets (STYLE.md §14, §19, §22): no focused or skipped tests; core takes time,
// randomness and logging from what it is given, never from Date.now(), Math.random() or the console; no `any`;
// and functions in core short enough to check by reading. Each failure names the file, line and function.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Longest function allowed in core/, in lines (STYLE.md §19 aims for 70; this is the hard stop). */
const functionLinesMax = 100;

/**
 * The one place in core that may read the wall clock: the Clock the composition root passes in. Everything
 * else takes time from it, so tests can drive time.
 */
const wallClockAllowed = new Set(['core/platform/clock.ts']);

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) files.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

function read(file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

/**
 * The source with comments, string and template literal contents and regex literals blanked to spaces (line
 * breaks kept, so line numbers stay right). A heuristic lexer: good enough for our own code, not for any code.
 */
function codeOnly(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  let previous = ''; // last non-space code character, to tell a regex literal from a division
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`' || (c === '/' && (previous === '' || '(,=:[!&|?{};+-*%<>~^'.includes(previous)))) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length) {
        const d = source[j]!;
        if (d === '\\') {
          j += 2;
          continue;
        }
        if (c === '/' && d === '[') inClass = true;
        else if (c === '/' && d === ']') inClass = false;
        else if (d === c && !inClass) break;
        else if (c !== '`' && d === '\n') break; // unterminated: stop at the line end
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      previous = c;
      continue;
    }
    if (c.trim() !== '') previous = c;
    i++;
  }
  return out.join('');
}

interface Hit {
  file: string;
  line: number;
  text: string;
}

function findAll(files: string[], pattern: RegExp, prepare: (source: string) => string = codeOnly): Hit[] {
  const hits: Hit[] = [];
  for (const file of files) {
    const source = read(file);
    const lines = prepare(source).split('\n');
    const original = source.split('\n');
    lines.forEach((line, index) => {
      if (pattern.test(line)) hits.push({ file, line: index + 1, text: original[index]!.trim() });
    });
  }
  return hits;
}

function describeHits(hits: Hit[]): string[] {
  return hits.map((hit) => `${hit.file}:${hit.line}: ${hit.text}`);
}

interface FunctionSpan {
  file: string;
  name: string;
  line: number;
  lines: number;
}

// A function, method, getter or arrow function assigned to a name, at the start of a line.
const functionStart = new RegExp(
  [
    String.raw`^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([\w$]+)`,
    String.raw`^\s*(?:(?:public|private|protected|static|readonly|override|async|get|set)\s+)*\*?\s*([\w$]+)\s*(?:<[^>]*>)?\s*\(`,
    String.raw`^\s*(?:export\s+)?(?:const|let)\s+([\w$]+)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:\([^)]*\)|[\w$]+)?\s*(?::[^=]+)?=>`,
  ].join('|'),
);
const notFunctions = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'await', 'throw', 'new', 'super', 'typeof', 'function']);

/** Every function's length, by counting braces from its first `{` to the one that closes it. */
function functionSpans(file: string, source = read(file)): FunctionSpan[] {
  const lines = codeOnly(source).split('\n');
  const spans: FunctionSpan[] = [];
  for (let start = 0; start < lines.length; start++) {
    const match = functionStart.exec(lines[start]!);
    if (match === null) continue;
    const name = match[1] ?? match[2] ?? match[3]!;
    if (notFunctions.has(name)) continue;
    let depth = 0;
    let opened = false;
    let end = -1;
    let signatureDepth = 0; // ( ) and < > of the signature: braces in there are types or destructuring
    scan: for (let l = start; l < lines.length && l < start + 2000; l++) {
      const line = lines[l]!;
      for (let k = l === start ? match.index : 0; k < line.length; k++) {
        const c = line[k]!;
        if (!opened) {
          if (c === ';') break scan; // a declaration or an expression body, no block
          if (c === '(' || (c === '<' && line[k + 1] !== '=')) signatureDepth++;
          else if (c === ')' || (c === '>' && line[k - 1] !== '=')) signatureDepth--;
          if (signatureDepth > 0) continue;
        }
        if (c === '{') {
          depth++;
          opened = true;
        } else if (c === '}') {
          depth--;
          if (opened && depth === 0) {
            end = l;
            break scan;
          }
        }
      }
      if (!opened && l > start && lines[l]!.trim() === '') break; // no body within the signature
    }
    if (end >= 0) spans.push({ file, name, line: start + 1, lines: end - start + 1 });
  }
  return spans;
}

const testFiles = tsFiles('test');
const coreFiles = tsFiles('core');

describe('tidy', () => {
  it('finds the files it checks', () => {
    expect(coreFiles).toContain('core/database.ts');
    expect(testFiles).toContain('test/unit/tidy.test.ts');
  });

  it('has no focused or skipped tests', () => {
    const focused = new RegExp(String.raw`\b(?:it|test|describe|suite)\s*\.\s*(?:only|skip)\s*\(`);
    const plain = new RegExp(String.raw`\.(?:only|skip)\(`);
    expect(describeHits(findAll(testFiles, focused))).toEqual([]);
    expect(describeHits(findAll(testFiles, plain))).toEqual([]);
  });

  it('core takes time and randomness from what it is given, and never writes to the console', () => {
    const wallClock = new RegExp(String.raw`\bDate\s*\.\s*now\s*\(`);
    const random = new RegExp(String.raw`\bMath\s*\.\s*random\s*\(`);
    const console_ = new RegExp(String.raw`\bconsole\s*\.`);
    expect(describeHits(findAll(coreFiles.filter((file) => !wallClockAllowed.has(file)), wallClock))).toEqual([]);
    expect(describeHits(findAll(coreFiles, random))).toEqual([]);
    expect(describeHits(findAll(coreFiles, console_))).toEqual([]);
  });

  it('has no any type', () => {
    const anyType = new RegExp(String.raw`:\s*any\b|\bas\s+any\b|<\s*any\s*>|[<,]\s*any\s*(?:\[\])?\s*[,>]`);
    const files = [...coreFiles, ...tsFiles('cli'), ...testFiles];
    expect(describeHits(findAll(files, anyType))).toEqual([]);
  });

  it(`keeps functions in core under ${functionLinesMax} lines`, () => {
    const spans = coreFiles.flatMap((file) => functionSpans(file));
    expect(spans.length).toBeGreaterThan(100);
    const long = spans.filter((span) => span.lines > functionLinesMax).map((span) => `${span.file}:${span.line} ${span.name} is ${span.lines} lines`);
    expect(long).toEqual([]);
  });

  it('the checks see what they look for (self-test on synthetic source)', () => {
    const source = [
      "const a = '// not a comment'; // Date.now() in a comment",
      'const b = /\\{(\\w+)\\}/g; /* console.log in a block */',
      'const c = `console.log ${x}`;',
      'Date.now();',
    ].join('\n');
    const code = codeOnly(source).split('\n');
    expect(code.some((line) => /console\./.test(line))).toBe(false);
    expect(code[3]).toBe('Date.now();');
    expect(code[1]!.includes('{')).toBe(false);
    const probe = [
      'export function outer(a: number): number {',
      "  const text = '}}}';",
      '  if (a > 0) {',
      '    return a;',
      '  }',
      '  return helper(a);',
      '}',
      'class K {',
      '  private async loop(): Promise<void> {',
      '    await go({ a: 1 });',
      '  }',
      '  abstractLike(): void;',
      '}',
      'export const go = async (options: { a: number }) => {',
      '  return options;',
      '};',
    ].join('\n');
    expect(functionSpans('probe.ts', probe).map((span) => [span.name, span.line, span.lines])).toEqual([
      ['outer', 1, 7],
      ['loop', 9, 3],
      ['go', 14, 3],
    ]);
  });
});
