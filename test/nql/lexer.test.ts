// The lexer against UPSTREAM.md §4.1: token kinds, keyword folding, v1's number rule, positions, and the
// exact `cannot tokenize near:` text.
import { describe, expect, it } from 'vitest';
import { tokenize, type Token } from '../../nql/lexer.js';

function kinds(text: string): Array<[string, unknown]> {
  const { tokens, diagnostics } = tokenize(text);
  expect(diagnostics).toEqual([]);
  return tokens.map((token: Token) => [token.kind, token.value]);
}

function firstError(text: string): string | undefined {
  return tokenize(text).diagnostics[0]?.message;
}

describe('lexer', () => {
  it('reads strings, numbers, operators, words and keywords', () => {
    expect(kinds(`FROM users WHERE age >= 30 AND name != "Al" AND x <= 'b c' AND y < -2.5`)).toEqual([
      ['kw', 'from'], ['word', 'users'], ['kw', 'where'], ['word', 'age'], ['op', '>='], ['num', 30],
      ['kw', 'and'], ['word', 'name'], ['op', '!='], ['str', 'Al'], ['kw', 'and'], ['word', 'x'], ['op', '<='],
      ['str', 'b c'], ['kw', 'and'], ['word', 'y'], ['op', '<'], ['num', -2.5],
    ]);
  });

  it('lowercases keywords in any case and keeps words as written', () => {
    expect(kinds('From COUNT Users sUm _x9')).toEqual([['kw', 'from'], ['kw', 'count'], ['word', 'Users'], ['kw', 'sum'], ['word', '_x9']]);
  });

  it('knows every v1 keyword', () => {
    const all = 'from as of where and search order by asc desc traverse trace reverse limit valid true false null group count sum avg min max';
    expect(kinds(all.toUpperCase()).every(([kind]) => kind === 'kw')).toBe(true);
    expect(kinds('or not in like select offset')).toEqual([['word', 'or'], ['word', 'not'], ['word', 'in'], ['word', 'like'], ['word', 'select'], ['word', 'offset']]);
  });

  it('marks dotted numbers as floats and splits 1e3 into 1 and e3', () => {
    const { tokens } = tokenize('1 2.0 1e3 007');
    expect(tokens.map((token) => [token.text, token.kind === 'num' && token.float])).toEqual([
      ['1', false], ['2.0', true], ['1', false], ['e3', false], ['007', false],
    ]);
  });

  it('reads == as two = operators and <> as < then >', () => {
    expect(kinds('== <>')).toEqual([['op', '='], ['op', '='], ['op', '<'], ['op', '>']]);
  });

  it('has no escapes in strings, and strings may hold the other quote and newlines', () => {
    expect(kinds(`"a\\" 'say "hi"' "x\ny"`)).toEqual([['str', 'a\\'], ['str', 'say "hi"'], ['str', 'x\ny']]);
  });

  it('skips Python whitespace, including non-ASCII spaces', () => {
    expect(kinds('\tFROM\u00a0a\u3000\u2028\x1c b\r\n')).toEqual([['kw', 'from'], ['word', 'a'], ['word', 'b']]);
  });

  it('reports the next 20 characters with Python quoting', () => {
    expect(firstError('SELECT * FROM users')).toBe("NQL: cannot tokenize near: '* FROM users'");
    expect(firstError('FROM users WHERE a.b = 1 AND c = 2 AND d = 3')).toBe("NQL: cannot tokenize near: '.b = 1 AND c = 2 AND'");
    expect(firstError('FROM u WHERE x = +1')).toBe("NQL: cannot tokenize near: '+1'");
    expect(firstError('FROM u WHERE x = - 1')).toBe("NQL: cannot tokenize near: '- 1'");
    expect(firstError('FROM u LIMIT 1.')).toBe("NQL: cannot tokenize near: '.'");
    expect(firstError('FROM u WHERE x ! 1')).toBe("NQL: cannot tokenize near: '! 1'");
    expect(firstError(`FROM u SEARCH "it's`)).toBe(`NQL: cannot tokenize near: '"it\\'s'`);
    expect(firstError(`FROM u SEARCH 'open`)).toBe(`NQL: cannot tokenize near: "'open"`);
    expect(firstError('FROM ü')).toBe("NQL: cannot tokenize near: 'ü'");
    expect(firstError('FROM u\n*\t')).toBe("NQL: cannot tokenize near: '*\\t'");
    expect(firstError('FROM 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀')).toBe(`NQL: cannot tokenize near: '${'😀'.repeat(20)}'`);
  });

  it('gives tokens and errors 1-based lines and columns, across strings that span lines', () => {
    const { tokens, diagnostics } = tokenize('FROM a\n  WHERE x = "1\n2" AND\n * y');
    const where = tokens[2];
    expect([where?.line, where?.col, where?.offset]).toEqual([2, 3, 9]);
    const and = tokens.at(-2);
    expect([and?.value, and?.line, and?.col]).toEqual(['and', 3, 4]);
    expect(diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([['NQL_TOKENIZE', 4, 2]]);
  });

  it('carries on after a bad character with one report per run', () => {
    const { tokens, diagnostics } = tokenize('a ** b . c');
    expect(tokens.map((token) => token.value)).toEqual(['a', 'b', 'c']);
    expect(diagnostics.map((d) => d.message)).toEqual(["NQL: cannot tokenize near: '** b . c'", "NQL: cannot tokenize near: '. c'"]);
  });
});
