// AS OF, VALID AS OF, TRAVERSE, TRACE and TRACE REVERSE (UPSTREAM.md §4.6), and where they sit in the
// execution order of §4.3.
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../nql/executor.js';
import { MemorySource } from './memory-source.js';

type Doc = Record<string, unknown>;

async function rows(source: MemorySource, text: string): Promise<Doc[]> {
  return (await runQuery(text, source)).rows;
}

async function ids(source: MemorySource, text: string): Promise<unknown[]> {
  return (await rows(source, text)).map((row) => row['_id']);
}

describe('AS OF', () => {
  function versions(): MemorySource {
    const source = new MemorySource();
    source.put('u', 'a', { v: 1 }); // 0
    source.put('u', 'b', { v: 1 }); // 1
    source.put('u', 'a', { v: 2 }); // 2
    source.delete('u', 'b'); // 3
    source.checkpoint(); // 4
    return source;
  }

  it('reads each key at its newest version at or below the seq, with that version _seq', async () => {
    const source = versions();
    expect(await rows(source, 'FROM u')).toEqual([{ v: 2, _id: 'a', _seq: 2 }]);
    expect(await rows(source, 'FROM u AS OF 1')).toEqual([{ v: 1, _id: 'a', _seq: 0 }, { v: 1, _id: 'b', _seq: 1 }]);
    expect(await rows(source, 'FROM u AS OF 0')).toEqual([{ v: 1, _id: 'a', _seq: 0 }]);
  });

  it('shows deleted docs again at earlier seqs (v1 ✔)', async () => {
    const source = versions();
    expect(await ids(source, 'FROM u AS OF 3')).toEqual(['a']);
    expect(await ids(source, 'FROM u AS OF 2')).toEqual(['a', 'b']);
  });

  it('truncates AS OF 2.7 to 2, and AS OF -1 sees nothing', async () => {
    const source = versions();
    expect(await rows(source, 'FROM u AS OF 2.7')).toEqual([{ v: 2, _id: 'a', _seq: 2 }, { v: 1, _id: 'b', _seq: 1 }]);
    expect(await runQuery('FROM u AS OF -1', source)).toEqual({ rows: [], count: 0 });
    expect(await runQuery('FROM u AS OF -7', source)).toEqual({ rows: [], count: 0 });
  });

  it('reads at the committed seq when AS OF is beyond it', async () => {
    const source = versions();
    expect(await rows(source, 'FROM u AS OF 1000')).toEqual(await rows(source, 'FROM u'));
  });

  it('applies WHERE to the version at the seq', async () => {
    const source = versions();
    expect(await ids(source, 'FROM u AS OF 1 WHERE v = 1')).toEqual(['a', 'b']);
    expect(await ids(source, 'FROM u WHERE v = 1')).toEqual([]);
  });
});

describe('VALID AS OF', () => {
  function valid(): MemorySource {
    const source = new MemorySource();
    source.put('p', 'open', { n: 1 });
    source.put('p', 'y2024', { n: 2 }, { validFrom: '2024-01-01', validTo: '2024-12-31' });
    source.put('p', 'from', { n: 3 }, { validFrom: '2024-06-01' });
    source.put('p', 'to', { n: 4 }, { validTo: '2024-03-01' });
    source.put('p', 'user', { n: 5, _valid_from: '2025-01-01' });
    source.put('p', 'nulls', { n: 6, _valid_from: null, _valid_to: null });
    source.put('p', 'number', { n: 7, _valid_from: 2024 });
    return source;
  }

  it('passes docs without bounds and docs whose bounds hold the date, inclusive of the end', async () => {
    const source = valid();
    expect(await ids(source, 'FROM p VALID AS OF "2024-12-31"')).toEqual(['from', 'nulls', 'open', 'y2024']);
    expect(await ids(source, 'FROM p VALID AS OF "2024-01-01"')).toEqual(['nulls', 'open', 'to', 'y2024']);
    expect(await ids(source, 'FROM p VALID "2025-06"')).toEqual(['from', 'nulls', 'open', 'user']);
    expect(await ids(source, 'FROM p VALID OF "2023"')).toEqual(['nulls', 'open', 'to']);
  });

  it('compares as strings', async () => {
    expect(await ids(valid(), 'FROM p VALID "2024-12-31T23:59"')).toEqual(['from', 'nulls', 'open']);
    expect(await ids(valid(), 'FROM p VALID "9"')).toEqual(['from', 'nulls', 'open', 'user']);
  });

  it('runs after LIMIT, so a result can be shorter than the LIMIT', async () => {
    const source = valid();
    expect(await ids(source, 'FROM p WHERE n > 0 VALID "2023" LIMIT 3')).toEqual(['nulls']);
    expect(await ids(source, 'FROM p VALID "2023" WHERE n > 0 ORDER BY n LIMIT 3')).toEqual(['open']);
  });
});

describe('TRAVERSE', () => {
  function graph(): MemorySource {
    const source = new MemorySource();
    source.put('users', 'u1', { name: 'Alice' }); // 0
    source.put('users', 'u2', { name: 'Bob' }); // 1
    source.put('orders', 'o1', { total: 10 }); // 2
    source.put('orders', 'o2', { total: 20 }); // 3
    source.link('users:u1', 'buys', 'orders:o2'); // 4
    source.link('users:u1', 'buys', 'orders:o1'); // 5
    source.link('users:u2', 'buys', 'orders:o1'); // 6
    source.link('users:u2', 'buys', 'orders:gone'); // 7
    source.link('users:u2', 'buys', 'nocolon'); // 8
    source.link('users:u1', 'likes', 'users:u2'); // 9
    source.unlink('users:u1', 'buys', 'orders:o2'); // 10
    return source;
  }

  it('replaces the rows with the targets of live edges, one hop, deduplicated, missing targets skipped', async () => {
    const source = graph();
    expect(await rows(source, 'FROM users TRAVERSE buys')).toEqual([{ total: 10, _id: 'o1', _seq: 2 }]);
    expect(await ids(source, 'FROM users WHERE name = Bob TRAVERSE buys')).toEqual(['o1']);
    expect(await ids(source, 'FROM users TRAVERSE likes')).toEqual(['u2']);
    expect(await ids(source, 'FROM users TRAVERSE nothing')).toEqual([]);
  });

  it('time-travels edges with AS OF', async () => {
    const source = graph();
    expect(await ids(source, 'FROM users AS OF 9 TRAVERSE buys')).toEqual(['o2', 'o1']);
    expect(await ids(source, 'FROM users AS OF 4 TRAVERSE buys')).toEqual(['o2']);
    expect(await ids(source, 'FROM users AS OF 3 TRAVERSE buys')).toEqual([]);
  });

  it('follows the rows in ORDER BY order and runs before LIMIT', async () => {
    const source = graph();
    source.link('users:u2', 'buys', 'orders:o2'); // 11
    expect(await ids(source, 'FROM users ORDER BY name DESC TRAVERSE buys')).toEqual(['o1', 'o2']);
    expect(await ids(source, 'FROM users ORDER BY name DESC TRAVERSE buys LIMIT 1')).toEqual(['o1']);
  });

  it('follows edges from the key, not from a user _id', async () => {
    const source = new MemorySource();
    source.put('a', 'key', { _id: 'other' });
    source.put('b', 'x', {});
    source.link('a:key', 'r', 'b:x');
    expect(await ids(source, 'FROM a TRAVERSE r')).toEqual(['x']);
  });
});

describe('TRACE', () => {
  function causes(): MemorySource {
    const source = new MemorySource();
    source.put('facts', 'f1', { text: 'sky' }); // 0
    source.put('facts', 'f2', { text: 'blue' }, { causedBy: [0] }); // 1
    source.link('facts:f1', 'r', 'facts:f2'); // 2
    source.put('facts', 'f1', { text: 'sky v2' }); // 3
    source.put('claims', 'c1', { claim: 'x' }, { causedBy: [1, 2, 99, -1] }); // 4
    source.put('claims', 'c2', { claim: 'y' }, { causedBy: [1] }); // 5
    return source;
  }

  it('follows _caused_by transitively, each seq once, emitting put docs as of the cause seq, roots excluded', async () => {
    const source = causes();
    expect(await rows(source, 'FROM claims TRACE why')).toEqual([
      { text: 'blue', _id: 'f2', _caused_by: [0], _seq: 1 },
      { text: 'sky', _id: 'f1', _seq: 0 },
    ]);
    expect(await ids(source, 'FROM claims WHERE claim = y TRACE anything')).toEqual(['f2', 'f1']);
    expect(await ids(source, 'FROM facts TRACE x')).toEqual(['f1']);
  });

  it('reads causes as they were, independent of AS OF', async () => {
    expect(await ids(causes(), 'FROM claims AS OF 4 TRACE x')).toEqual(['f2', 'f1']);
  });

  it('ends on a cycle of causes', async () => {
    const source = new MemorySource();
    source.put('c', 'a', { n: 1 }, { causedBy: [1] });
    source.put('c', 'b', { n: 2 }, { causedBy: [0] });
    expect(await ids(source, 'FROM c WHERE n = 2 TRACE x')).toEqual(['a', 'b']);
  });

  it('TRACE REVERSE walks dependents of each row latest put, breadth-first, docs at the read seq', async () => {
    const source = new MemorySource();
    source.put('r', 'root', { n: 0 }); // 0
    source.put('d', 'one', { n: 1 }, { causedBy: [0] }); // 1
    source.put('d', 'two', { n: 2 }, { causedBy: [0] }); // 2
    source.put('d', 'deep', { n: 3 }, { causedBy: [1] }); // 3
    source.put('d', 'one', { n: 11 }); // 4
    expect(await rows(source, 'FROM r TRACE x REVERSE')).toEqual([
      { n: 11, _id: 'one', _seq: 4 },
      { n: 2, _id: 'two', _caused_by: [0], _seq: 2 },
      { n: 3, _id: 'deep', _caused_by: [1], _seq: 3 },
    ]);
    expect(await ids(source, 'FROM r AS OF 2 TRACE x REVERSE')).toEqual(['one', 'two']);
  });

  it('TRACE REVERSE finds nothing once the root is put again after being cited', async () => {
    const source = new MemorySource();
    source.put('r', 'root', { n: 0 }); // 0
    source.put('d', 'one', { n: 1 }, { causedBy: [0] }); // 1
    source.put('r', 'root', { n: 5 }); // 2
    expect(await rows(source, 'FROM r TRACE x REVERSE')).toEqual([]);
  });

  it('TRACE REVERSE looks up <FROM coll>:<row._id>', async () => {
    const source = new MemorySource();
    source.put('r', 'key', { _id: 'named' }); // 0
    source.put('r', 'named', { other: true }); // 1
    source.put('d', 'x', {}, { causedBy: [0] }); // 2
    source.put('d', 'y', {}, { causedBy: [1] }); // 3
    expect(await ids(source, 'FROM r WHERE _id = named TRACE x REVERSE')).toEqual(['y']);
  });

  it('TRACE runs after TRAVERSE and before LIMIT', async () => {
    const source = causes();
    source.link('claims:c1', 'about', 'claims:c2'); // 6
    expect(await ids(source, 'FROM claims WHERE claim = x TRAVERSE about TRACE x LIMIT 1')).toEqual(['f2']);
  });
});
