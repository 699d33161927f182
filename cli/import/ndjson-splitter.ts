// NDJSON: one document per line. Lines are cut at the byte 0x0A, which never occurs inside a multi-byte
// UTF-8 sequence, so chunks are split before decoding and a line is decoded once. Blank lines are skipped
// but counted, so error messages name the line an editor shows.
import { limits } from '../../core/index.js';
import { type DocumentSplitter, type EmitItem, byteNewline, itemError, joinParts } from './splitter.js';

export class NdjsonSplitter implements DocumentSplitter {
  /** The start of the current line when it began in an earlier chunk. */
  private parts: Buffer[] = [];
  private partBytes = 0;

  /** `line`: lines already consumed (blank lines before the first document). */
  constructor(private line: number) {}

  feed(chunk: Buffer, emit: EmitItem): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(byteNewline, start);
      if (newline < 0) break;
      this.line++;
      this.checkLength(this.line, newline - start);
      const text = this.parts.length === 0 ? chunk.toString('utf8', start, newline) : joinParts(this.parts, chunk.subarray(start, newline));
      this.parts = [];
      this.partBytes = 0;
      start = newline + 1;
      if (!isBlank(text)) emit({ text, line: this.line });
    }
    if (start < chunk.length) {
      this.checkLength(this.line + 1, chunk.length - start);
      this.parts.push(chunk.subarray(start));
      this.partBytes += chunk.length - start;
    }
  }

  end(emit: EmitItem): void {
    if (this.partBytes === 0) return;
    this.line++;
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    if (!isBlank(text)) emit({ text, line: this.line });
  }

  private checkLength(line: number, moreBytes: number): void {
    if (this.partBytes + moreBytes > limits.importLineBytesMax)
      throw itemError(line, undefined, `the line is longer than ${limits.importLineBytesMax} bytes`);
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d) return false;
  }
  return true;
}
