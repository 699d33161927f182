// The NQL lexer (UPSTREAM.md §4.1). One table lookup per character picks the scanner, with no regexes, so
// it stays linear and readable. It reproduces v1's token rules exactly: strings have no escapes, numbers
// are `-?[0-9]+(\.[0-9]+)?` (so `1e3` is `1` then the word `e3`, and `+1` fails), words are ASCII, and a
// word whose lowercase form is a keyword becomes that keyword, lowercased. v1 stopped at the first bad
// character; we report it the same way and carry on (one diagnostic per run of bad characters), so the
// first diagnostic is always v1's message.
//
// The extended grammar (docs/NQL.md) adds five punctuation tokens, `( ) , . *`, which v1 could not tokenize.
// They exist only in extended mode; v1 mode keeps every v1 error. The new words (OR, NOT, IN, BETWEEN,
// OFFSET, AFTER, SELECT) stay plain words in both modes, so `FROM Offset` keeps its case as in v1: the
// parser recognizes them only where v1 could not have had a name.

import { diagnostic, type Diagnostic, type TextSpan } from './errors.js';
import { pyStringRepr } from './python.js';

export type TokenKind = 'kw' | 'word' | 'str' | 'num' | 'op' | 'punct';

interface TokenBase extends TextSpan {
  /** The exact source text of the token. */
  readonly text: string;
}
export interface WordToken extends TokenBase {
  readonly kind: 'kw' | 'word' | 'op' | 'punct';
  /** Keywords are lowercased; words, operators and punctuation keep their text. */
  readonly value: string;
}
export interface StringToken extends TokenBase {
  readonly kind: 'str';
  /** The text between the quotes. */
  readonly value: string;
}
export interface NumberToken extends TokenBase {
  readonly kind: 'num';
  readonly value: number;
  /** Python float (dotted) rather than int. */
  readonly float: boolean;
}
export type Token = WordToken | StringToken | NumberToken;

export const keywords: ReadonlySet<string> = new Set([
  'from', 'as', 'of', 'where', 'and', 'search', 'order', 'by', 'asc', 'desc', 'traverse', 'trace', 'reverse',
  'limit', 'valid', 'true', 'false', 'null', 'group', 'count', 'sum', 'avg', 'min', 'max',
]);

const OTHER = 0;
const SPACE = 1;
const DIGIT = 2;
const IDENT = 3;
const QUOTE = 4;
const OPERATOR = 5;
const MINUS = 6;
const NEWLINE = 7;
const PUNCT = 8;

const charClass = new Uint8Array(128);
for (const code of [9, 11, 12, 13, 28, 29, 30, 31, 32]) charClass[code] = SPACE; // Python's str.isspace()
charClass[10] = NEWLINE;
for (let code = 48; code <= 57; code += 1) charClass[code] = DIGIT;
for (let code = 65; code <= 90; code += 1) charClass[code] = IDENT;
for (let code = 97; code <= 122; code += 1) charClass[code] = IDENT;
charClass[95] = IDENT;
charClass[34] = QUOTE;
charClass[39] = QUOTE;
for (const char of '<>=!') charClass[char.charCodeAt(0)] = OPERATOR;
charClass[45] = MINUS;

/** Punctuation of the extended grammar; in v1 mode these are bad characters, as they were in v1. */
const punctuation: ReadonlySet<number> = new Set([...'(),.*'].map((char) => char.charCodeAt(0)));

// Python's `\s` beyond ASCII (str.isspace()); v1 skipped these between tokens too.
const unicodeSpaces: ReadonlySet<number> = new Set([
  0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function classOf(code: number): number {
  if (code < 128) return charClass[code] ?? OTHER;
  return unicodeSpaces.has(code) ? SPACE : OTHER;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isIdentPart(code: number): boolean {
  const kind = code < 128 ? (charClass[code] ?? OTHER) : OTHER;
  return kind === IDENT || kind === DIGIT;
}

export interface LexResult {
  readonly tokens: Token[];
  readonly diagnostics: Diagnostic[];
  /** Where the text ends, for "got None" diagnostics. */
  readonly endSpan: TextSpan;
}

/** Splits query text into tokens; never throws. `extended` adds the punctuation of docs/NQL.md. */
export function tokenize(text: string, extended = false): LexResult {
  return new Lexer(text, extended).run();
}

class Lexer {
  private offset = 0;
  private line = 1;
  private lineStart = 0;
  private readonly tokens: Token[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private inBadRun = false;

  constructor(
    private readonly text: string,
    private readonly extended: boolean,
  ) {}

  run(): LexResult {
    while (this.offset < this.text.length) this.step();
    return { tokens: this.tokens, diagnostics: this.diagnostics, endSpan: this.spanFrom(this.text.length, this.line, this.lineStart) };
  }

  private step(): void {
    const code = this.text.charCodeAt(this.offset);
    const kind = this.extended && punctuation.has(code) ? PUNCT : classOf(code);
    switch (kind) {
      case NEWLINE:
        this.offset += 1;
        this.line += 1;
        this.lineStart = this.offset;
        this.inBadRun = false;
        return;
      case SPACE:
        this.offset += 1;
        this.inBadRun = false;
        return;
      case DIGIT:
        return this.scanNumber();
      case MINUS:
        return isDigit(this.text.charCodeAt(this.offset + 1)) ? this.scanNumber() : this.reportBad();
      case IDENT:
        return this.scanWord();
      case QUOTE:
        return this.scanString();
      case OPERATOR:
        return this.scanOperator();
      case PUNCT:
        return this.scanPunct();
      default:
        return this.reportBad();
    }
  }

  private spanFrom(start: number, line: number, lineStart: number): TextSpan {
    return { offset: start, end: this.offset, line, col: start - lineStart + 1 };
  }

  private push(token: Token): void {
    this.tokens.push(token);
    this.inBadRun = false;
  }

  private scanNumber(): void {
    const start = this.offset;
    this.offset += this.text.charCodeAt(start) === 45 ? 1 : 0;
    while (isDigit(this.text.charCodeAt(this.offset))) this.offset += 1;
    let float = false;
    if (this.text.charCodeAt(this.offset) === 46 && isDigit(this.text.charCodeAt(this.offset + 1))) {
      float = true;
      this.offset += 1;
      while (isDigit(this.text.charCodeAt(this.offset))) this.offset += 1;
    }
    const source = this.text.slice(start, this.offset);
    const span = this.spanFrom(start, this.line, this.lineStart);
    this.push({ kind: 'num', value: Number(source), float, text: source, ...span });
  }

  private scanWord(): void {
    const start = this.offset;
    this.offset += 1;
    while (isIdentPart(this.text.charCodeAt(this.offset))) this.offset += 1;
    const source = this.text.slice(start, this.offset);
    const lower = source.toLowerCase();
    const span = this.spanFrom(start, this.line, this.lineStart);
    if (keywords.has(lower)) this.push({ kind: 'kw', value: lower, text: source, ...span });
    else this.push({ kind: 'word', value: source, text: source, ...span });
  }

  private scanString(): void {
    const start = this.offset;
    const close = this.text.indexOf(this.text.charAt(start), start + 1);
    if (close < 0) return this.reportBad();
    const line = this.line;
    const lineStart = this.lineStart;
    // Strings may span lines (`"[^"]*"`); keep line numbers right for what follows.
    for (let i = start + 1; i < close; i += 1) {
      if (this.text.charCodeAt(i) === 10) {
        this.line += 1;
        this.lineStart = i + 1;
      }
    }
    this.offset = close + 1;
    const source = this.text.slice(start, this.offset);
    this.push({ kind: 'str', value: source.slice(1, -1), text: source, ...this.spanFrom(start, line, lineStart) });
  }

  private scanOperator(): void {
    const start = this.offset;
    const first = this.text.charAt(start);
    const pair = first + this.text.charAt(start + 1);
    if (pair === '<=' || pair === '>=' || pair === '!=') this.offset += 2;
    else if (first === '!') return this.reportBad();
    else this.offset += 1;
    const source = this.text.slice(start, this.offset);
    this.push({ kind: 'op', value: source, text: source, ...this.spanFrom(start, this.line, this.lineStart) });
  }

  private scanPunct(): void {
    const start = this.offset;
    this.offset += 1;
    const source = this.text.slice(start, this.offset);
    this.push({ kind: 'punct', value: source, text: source, ...this.spanFrom(start, this.line, this.lineStart) });
  }

  /** v1: `cannot tokenize near: <repr of the next 20 characters>`; one report per run of bad characters. */
  private reportBad(): void {
    const start = this.offset;
    const next = this.text.codePointAt(start) ?? 0;
    this.offset += next > 0xffff ? 2 : 1;
    if (this.inBadRun) return;
    this.inBadRun = true;
    const near = pyStringRepr(Array.from(this.text.slice(start, start + 40)).slice(0, 20).join(''));
    this.diagnostics.push(diagnostic('NQL_TOKENIZE', this.spanFrom(start, this.line, this.lineStart), { near }));
  }
}
