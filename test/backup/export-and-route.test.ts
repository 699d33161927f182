// `nedb export` then `nedb import` round trip at an --as-of seq; POST /v1/databases/{db}/backup; and the
// backup, restore and export commands driven through their command functions (local and --url).
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataDirectory, restoreBackup, type Database, type StoredDocument } from '../../core/index.js';
import { importDocuments, type ImportStats } from '../../cli/import/importer.js';
import { exportCollection, exportCommand } from '../../cli/commands/export.js';
import { backupCommand } from '../../cli/commands/backup.js';
import { restoreCommand } from '../../cli/commands/restore.js';
import type { CommandContext } from '../../cli/options.js';
import { CliError } from '../../cli/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

async function all(db: Database, coll: string, asOf?: number): Promise<StoredDocument[]> {
  const rows: StoredDocument[] = [];
  for await (const page of db.scan(coll, asOf === undefined ? {} : { asOf })) rows.push(...page);
  return rows;
}

function collect(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function importText(db: Database, coll: string, text: string): Promise<ImportStats> {
  const stats: ImportStats = { format: 'empty', bytesRead: 0, docsParsed: 0, docsCommitted: 0, lastCommittedLine: 0 };
  async function* chunks() {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096);
  }
  await importDocuments(chunks(), { coll, idField: '_id', commit: (ops) => db.batch(ops) }, stats);
  return stats;
}

function context(args: string[]): CommandContext {
  return { rawArgs: ['node', 'nedb', ...args], options: {} };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('export', () => {
  it('round-trips through import at an --as-of seq, ids and documents as stored', async () => {
    const data = await DataDirectory.open(tempDir(), { checkpointIntervalSeconds: 0 });
    const db = await data.create('shop', { partitions: 4 });
    for (let i = 0; i < 1500; i++) await db.put('users', `u${i}`, { n: i, tags: ['a', { deep: i % 3 }], ok: i % 2 === 0 }, { durability: 'async' });
    await db.put('users', 'with-own-id', { _id: 'with-own-id', text: 'ünïcödé ✓ 𝄞', nothing: null });
    await db.checkpoint();
    for (let i = 0; i < 100; i++) await db.delete('users', `u${i * 3}`);
    const asOf = db.seq;
    for (let i = 0; i < 200; i++) await db.put('users', `u${i}`, { changed: true }); // after the export seq
    await db.delete('users', 'with-own-id');
    await db.put('other', 'x', { not: 'exported' });

    const { out, text } = collect();
    expect(await exportCollection(db, 'users', asOf, out)).toEqual({ seq: asOf, documents: 1401 });
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(1401);
    expect(JSON.parse(lines[0]!)).toEqual({ _id: 'u1', n: 1, tags: ['a', { deep: 1 }], ok: false });

    const copy = await (await DataDirectory.open(tempDir())).create('copy');
    const stats = await importText(copy, 'users', text());
    expect(stats.docsCommitted).toBe(1401);
    const expected = (await all(db, 'users', asOf)).map((row) => ({ id: row.id, doc: { _id: row.id, ...row.doc } }));
    expect((await all(copy, 'users')).map((row) => ({ id: row.id, doc: row.doc }))).toEqual(expected);
    await data.close();
  });

  it('the command writes NDJSON of the newest seq, from a data directory and through --url', async () => {
    const server = await startTestServer();
    try {
      await server.request('POST', '/v1/databases', { name: 'shop' });
      for (let i = 0; i < 5; i++) await server.request('POST', '/v1/databases/shop/put', { coll: 'users', id: `u${i}`, doc: { n: i } });
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const remote = collect();
      expect(await exportCommand(context(['export', '--url', server.url, '--db', 'shop', '--coll', 'users']), remote.out)).toBe(0);
      const remoteLines = remote.text().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(remoteLines.map((doc) => [doc._id, doc.n])).toEqual([['u0', 0], ['u1', 1], ['u2', 2], ['u3', 3], ['u4', 4]]);
      // The data directory is held by the server: the command asks the server named in the lock file.
      await server.data.setAddress(server.url);
      const local = collect();
      expect(await exportCommand(context(['export', '--data', server.dir, '--db', 'shop', '--coll', 'users', '--as-of', '2']), local.out)).toBe(0);
      expect(local.text().trimEnd().split('\n')).toHaveLength(3);
      expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toMatch(/exported 5 documents of shop\/users at seq 4/);
    } finally {
      await server.close();
    }
  });
});

describe('POST /v1/databases/{db}/backup', () => {
  it('backs up on the server while it serves; the backup restores; a relative or missing dir is a 400', async () => {
    const server = await startTestServer();
    try {
      await server.request('POST', '/v1/databases', { name: 'shop' });
      for (let i = 0; i < 40; i++) await server.request('POST', '/v1/databases/shop/put', { coll: 'users', id: `u${i}`, doc: { n: i } });
      const target = tempDir('nedb-backup-');
      const writes = Promise.all(Array.from({ length: 20 }, (_, i) => server.request('POST', '/v1/databases/shop/put', { coll: 'users', id: `w${i}`, doc: { w: i } })));
      const reply = await server.request('POST', '/v1/databases/shop/backup', { dir: target });
      await writes;
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ ok: true, database: 'shop', dir: `${target}/shop` });
      expect(reply.body.seq).toBeGreaterThanOrEqual(39);
      expect((await server.request('POST', '/v1/databases/shop/backup', { dir: 'relative/dir' })).status).toBe(400);
      expect((await server.request('POST', '/v1/databases/shop/backup', {})).status).toBe(400);
      expect((await server.request('POST', '/v1/databases/shop/backup', { dir: target })).status).toBe(400); // not empty
      expect((await server.request('POST', '/v1/databases/nope/backup', { dir: target })).status).toBe(404);

      const restoredDir = tempDir();
      await restoreBackup(target, restoredDir);
      const copy = await DataDirectory.open(restoredDir);
      const copyDb = await copy.open('shop');
      const source = await server.data.open('shop');
      expect(copyDb.seq).toBe(reply.body.seq);
      expect(await all(copyDb, 'users')).toEqual(await all(source, 'users', reply.body.seq as number));
      await copy.close();
    } finally {
      await server.close();
    }
  });
});

describe('backup and restore commands', () => {
  it('back up every database (locally and through --url) and restore them', async () => {
    const dir = tempDir();
    const data = await DataDirectory.open(dir, { checkpointIntervalSeconds: 0 });
    for (const name of ['alpha', 'beta']) {
      const db = await data.create(name);
      for (let i = 0; i < 10; i++) await db.put('c', `${name}${i}`, { i });
    }
    await data.close();
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const target = tempDir('nedb-backup-');
    expect(await backupCommand(context(['backup', target, '--data', dir]), target)).toBe(0);
    const restored = tempDir();
    expect(await restoreCommand(context(['restore', target, '--data', restored]), target)).toBe(0);
    const printed = stdout.mock.calls.map((call) => String(call[0])).join('');
    expect(printed).toMatch(/alpha: backup at seq 9 in .*\/alpha: \d+ files/);
    expect(printed).toMatch(/beta: restored at seq 9 into .*\/beta: .*every checksum verified/);
    // A second restore into the same directory is refused.
    await expect(restoreCommand(context(['restore', target, '--data', restored]), target)).rejects.toThrow(/already exists/);
    // An unfinished backup is a CLI error that says what to do.
    await expect(restoreCommand(context(['restore', dir, '--data', tempDir()]), dir)).rejects.toThrow(CliError);

    const server = await startTestServer({}, restored);
    try {
      await server.data.open('beta');
      const remoteTarget = tempDir('nedb-backup-');
      expect(await backupCommand(context(['backup', remoteTarget, '--url', server.url, '--db', 'beta']), remoteTarget)).toBe(0);
      expect(stdout.mock.calls.map((call) => String(call[0])).join('')).toMatch(/beta: backup at seq 9 in .*\(on http/);
      await expect(backupCommand(context(['backup', 'rel', '--url', server.url]), 'rel')).rejects.toThrow(/must be absolute/);
    } finally {
      await server.close();
    }
  });
});
