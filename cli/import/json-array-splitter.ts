// A JSON array of documents, split into its top-level elements without parsing the whole array: a byte
// scanner tracks strings (with escapes) and bracket depth, and cuts at a `,` or the closing `]` at depth 0.
// Each element is then parsed on its own by JSON.parse, which also rejects whatever the scanner let through
// (mismatched brackets, bad literals), so the scanner only has to find boundaries, never to validate.
import { limits } from '../../core/index.js';
import { type DocumentSplitter, type EmitItem, byteNewline, isJsonSpace, itemError, joinParts } from './splitter.js';

const byteQuote = 0x22;
const byteBackslash = 0x5c;
const byteComma = 0x2c;
const byteOpenBracket = 0x5b;
const byteCloseBracket = 0x5d;
const byteOpenBrace = 0x7b;
const byteCloseBrace = 0x7d;

/** Where the scanner is: before `[`, between elements, inside one, or after the closing `]`. */
type State = 'beforeArray' | 'beforeFirst' | 'beforeNext' | 'inElement' | 'done';

export class JsonArraySplitter implements DocumentSplitter {
  private state: State = 'beforeArray';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = 0;
  private elementLine = 0;
  /** The start of the current element when it began in an earlier chunk. */
  private parts: Buffer[] = [];
  private partBytes = 0;

  /** `line`: the 1-based line the first chunk starts on. */
  constructor(private line: number) {}

  feed(chunk: Buffer, emit: EmitItem): void {
    let elementStart = this.state === 'inElement' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.state === 'inElement') {
        if (this.inString) this.scanString(byte);
        else if (this.scanValue(byte)) {
          this.emitElement(chunk, elementStart, i, emit);
          this.state = byte === byteComma ? 'beforeNext' : 'done';
        }
      } else if (!isJsonSpace(byte)) {
        elementStart = i;
        this.between(byte);
      }
      if (byte === byteNewline) this.line++;
    }
    if (this.state === 'inElement') this.holdPart(chunk.subarray(elementStart));
  }

  end(): void {
    if (this.state === 'done') return;
    if (this.state === 'inElement') throw itemError(this.elementLine, this.element, 'the input ends inside this element');
    throw itemError(this.line, undefined, this.state === 'beforeArray' ? 'expected a JSON array' : 'the JSON array has no closing ]');
  }

  /** A non-space byte outside any element: `[`, `]`, or the first byte of the next element. */
  private between(byte: number): void {
    switch (this.state) {
      case 'beforeArray':
        if (byte !== byteOpenBracket) throw itemError(this.line, undefined, 'expected [ to start the JSON array');
        this.state = 'beforeFirst';
        return;
      case 'beforeFirst':
      case 'beforeNext':
        if (byte === byteCloseBracket && this.state === 'beforeFirst') {
          this.state = 'done';
          return;
        }
        if (byte === byteComma || byte === byteCloseBracket)
          throw itemError(this.line, this.element + 1, 'empty element (a stray or trailing comma?)');
        this.startElement(byte);
        return;
      case 'done':
        throw itemError(this.line, undefined, 'unexpected text after the closing ] of the array');
      case 'inElement':
        throw new Error('between() is not called inside an element');
    }
  }

  private startElement(byte: number): void {
    this.state = 'inElement';
    this.element++;
    this.elementLine = this.line;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.scanValue(byte); // the first byte cannot end an element: `,` and `]` were handled by the caller
  }

  private scanString(byte: number): void {
    if (this.escaped) this.escaped = false;
    else if (byte === byteBackslash) this.escaped = true;
    else if (byte === byteQuote) this.inString = false;
  }

  /** One byte outside strings; true when it ends the element (`,` or `]` at depth 0). */
  private scanValue(byte: number): boolean {
    switch (byte) {
      case byteQuote:
        this.inString = true;
        return false;
      case byteOpenBrace:
      case byteOpenBracket:
        this.depth++;
        return false;
      case byteCloseBrace:
      case byteCloseBracket:
        if (this.depth === 0) {
          if (byte === byteCloseBracket) return true;
          throw itemError(this.line, this.element, 'unexpected }');
        }
        this.depth--;
        return false;
      case byteComma:
        return this.depth === 0;
      default:
        return false;
    }
  }

  private emitElement(chunk: Buffer, start: number, end: number, emit: EmitItem): void {
    this.checkLength(end - start);
    const text = this.parts.length === 0 ? chunk.toString('utf8', start, end) : joinParts(this.parts, chunk.subarray(start, end));
    this.parts = [];
    this.partBytes = 0;
    emit({ text, line: this.elementLine, element: this.element });
  }

  private holdPart(part: Buffer): void {
    this.checkLength(part.length);
    this.parts.push(part);
    this.partBytes += part.length;
  }

  private checkLength(moreBytes: number): void {
    if (this.partBytes + moreBytes > limits.importLineBytesMax)
      throw itemError(this.elementLine, this.element, `the element is longer than ${limits.importLineBytesMax} bytes`);
  }
}
