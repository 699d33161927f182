// Python text forms (repr/str) and code point order, as v1's messages, sorts and SEARCH used them.
import { describe, expect, it } from 'vitest';
import { compareCodePoints, pyFloatRepr, pyNumberStr, pyRepr, pyStr, pyStringRepr } from '../../nql/python.js';

describe('python text forms', () => {
  it('formats floats like repr(float)', () => {
    const cases: Array<[number, string]> = [
      [2.5, '2.5'], [1, '1.0'], [-0, '-0.0'], [0, '0.0'], [0.1, '0.1'], [1e15, '1000000000000000.0'],
      [1e16, '1e+16'], [1.5e16, '1.5e+16'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1.25e-7, '1.25e-07'],
      [123.456, '123.456'], [1e300, '1e+300'], [-2.5e-10, '-2.5e-10'], [Infinity, 'inf'], [-Infinity, '-inf'],
      [NaN, 'nan'], [12345678901234567890, '1.2345678901234567e+19'],
    ];
    for (const [value, text] of cases) expect(pyFloatRepr(value), String(value)).toBe(text);
  });

  it('prints integral numbers as ints, others as floats', () => {
    expect(pyNumberStr(3)).toBe('3');
    expect(pyNumberStr(-0)).toBe('0');
    expect(pyNumberStr(1e21)).toBe('1000000000000000000000');
    expect(pyNumberStr(2.5)).toBe('2.5');
  });

  it('quotes strings like repr(str)', () => {
    expect(pyStringRepr('asc')).toBe("'asc'");
    expect(pyStringRepr("it's")).toBe(`"it's"`);
    expect(pyStringRepr(`it's "x"`)).toBe(`'it\\'s "x"'`);
    expect(pyStringRepr('a\\b\n\t\r')).toBe("'a\\\\b\\n\\t\\r'");
    expect(pyStringRepr('\x00\x7f\xa0\xe9')).toBe("'\\x00\\x7f\\xa0é'");
    expect(pyStringRepr('\u200b\u2028 ')).toBe("'\\u200b\\u2028 '");
    expect(pyStringRepr('😀')).toBe("'😀'");
    expect(pyStringRepr('\u{e0001}')).toBe("'\\U000e0001'");
  });

  it('stringifies JSON values like str()', () => {
    expect(pyStr(null)).toBe('None');
    expect(pyStr(undefined)).toBe('None');
    expect(pyStr(true)).toBe('True');
    expect(pyStr(false)).toBe('False');
    expect(pyStr('abc')).toBe('abc');
    expect(pyStr([1, 'a', null, [true]])).toBe("[1, 'a', None, [True]]");
    expect(pyStr({ a: 1, b: { c: 'x\ny' } })).toBe("{'a': 1, 'b': {'c': 'x\\ny'}}");
    expect(pyRepr('abc')).toBe("'abc'");
    expect(pyRepr(2.5)).toBe('2.5');
  });

  it('orders strings by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('a', 'b')).toBe(-1);
    expect(compareCodePoints('b', 'a')).toBe(1);
    expect(compareCodePoints('ab', 'ab')).toBe(0);
    expect(compareCodePoints('a', 'ab')).toBe(-1);
    // U+FF5E sorts before U+1F600 by code point; JS `<` says the opposite.
    expect(compareCodePoints('\uff5e', '😀')).toBe(-1);
    expect(compareCodePoints('😀', '\uff5e')).toBe(1);
    expect(compareCodePoints('\ud7ff', '😀')).toBe(-1);
  });
});
