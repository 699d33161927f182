// The shape shared by the two import formats. A splitter turns a byte stream into the text of one document
// at a time, with the line it starts on, and never holds more than one document plus one chunk: that is what
// lets `nedb import` read files much larger than the heap.
import { NedbError } from '../../core/index.js';

export interface SplitItem {
  /** The JSON text of one document (not yet parsed). */
  text: string;
  /** 1-based line of the input the document starts on. */
  line: number;
  /** 1-based position in a JSON array; absent for NDJSON, where the line says it all. */
  element?: number;
}

export type EmitItem = (item: SplitItem) => void;

export interface DocumentSplitter {
  /** Splits a chunk, calling `emit` for each complete document; throws IMPORT_LINE_INVALID on bad framing. */
  feed(chunk: Buffer, emit: EmitItem): void;
  /** The input ended: emits the last document, or throws if the input stopped inside one. */
  end(emit: EmitItem): void;
}

/** The error for one bad document, naming its line (and, in an array, its element). */
export function itemError(line: number, element: number | undefined, reason: string): NedbError {
  return new NedbError('IMPORT_LINE_INVALID', { line, reason: element === undefined ? reason : `element ${element}: ${reason}` });
}

export const byteNewline = 0x0a;

export function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Joins the held parts of a document that spans chunks with the piece in the current chunk. */
export function joinParts(parts: Buffer[], last: Buffer): string {
  parts.push(last);
  return Buffer.concat(parts).toString('utf8');
}
