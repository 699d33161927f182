// The import splitters find document boundaries whatever the chunking: every split point of the input gives
// the same documents, lines and elements as feeding it whole.
import { describe, expect, it } from 'vitest';
import { JsonArraySplitter } from '../../cli/import/json-array-splitter.js';
import { NdjsonSplitter } from '../../cli/import/ndjson-splitter.js';
import type { DocumentSplitter, SplitItem } from '../../cli/import/splitter.js';

function split(make: () => DocumentSplitter, chunks: Buffer[]): SplitItem[] {
  const items: SplitItem[] = [];
  const splitter = make();
  for (const chunk of chunks) splitter.feed(chunk, (item) => items.push(item));
  splitter.end((item) => items.push(item));
  return items;
}

function everySplit(make: () => DocumentSplitter, text: string): SplitItem[] {
  const bytes = Buffer.from(text, 'utf8');
  const whole = split(make, [bytes]);
  for (let at = 0; at <= bytes.length; at++)
    expect(split(make, [bytes.subarray(0, at), bytes.subarray(at)]), `split at byte ${at}`).toEqual(whole);
  return whole;
}

describe('import splitters', () => {
  it('JSON array: strings with brackets, commas, escaped quotes and multi-byte text', () => {
    const docs = [{ _id: 'a', s: 'x,]}"\\[{' }, { _id: 'é€😀', n: [1, [2, { a: ']' }]] }, { _id: 'c' }];
    const text = `\n[ ${JSON.stringify(docs[0])},\n  ${JSON.stringify(docs[1])} ,${JSON.stringify(docs[2])}\n]\n`;
    const items = everySplit(() => new JsonArraySplitter(1), text);
    expect(items.map((item) => JSON.parse(item.text))).toEqual(docs);
    expect(items.map((item) => [item.line, item.element])).toEqual([[2, 1], [3, 2], [3, 3]]);
  });

  it('JSON array: an empty array, a trailing comma, text after ] and a missing ] are reported', () => {
    expect(split(() => new JsonArraySplitter(1), [Buffer.from(' [ ] ')])).toEqual([]);
    expect(() => split(() => new JsonArraySplitter(1), [Buffer.from('[{"_id":1},]')])).toThrow('line 1: element 2: empty element');
    expect(() => split(() => new JsonArraySplitter(1), [Buffer.from('[{"_id":1}] x')])).toThrow('after the closing ]');
    expect(() => split(() => new JsonArraySplitter(1), [Buffer.from('[{"_id":1},\n{"_id":2}')])).toThrow('line 2: element 2: the input ends');
  });

  it('NDJSON: lines across chunks, blank lines counted, CRLF and a last line without newline', () => {
    const text = '{"_id":"é"}\r\n\n  \n{"_id":"b","s":"😀"}\n{"_id":"c"}';
    const items = everySplit(() => new NdjsonSplitter(0), text);
    expect(items.map((item) => JSON.parse(item.text))).toEqual([{ _id: 'é' }, { _id: 'b', s: '😀' }, { _id: 'c' }]);
    expect(items.map((item) => item.line)).toEqual([1, 4, 5]);
  });
});
