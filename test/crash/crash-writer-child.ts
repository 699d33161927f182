// The child process of the SIGKILL crash test: writes under `sync` from several concurrent callers and reports
// on stdout (synchronous for pipes on Linux) each acknowledged write, plus S/E around every fdatasync so the
// parent can kill it while a group commit is in flight.
import { DataDirectory, nodeFileSystem, type FileSystem } from '../../core/index.js';
import type { FileHandle } from '../../core/platform/file-system.js';
import { overriding } from '../helpers/file-systems.js';

const [dir, round, writersText] = process.argv.slice(2) as [string, string, string];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const markingFs: FileSystem = overriding(nodeFileSystem, {
  open: async (path, mode) => {
    const handle = await nodeFileSystem.open(path, mode);
    const marked: FileHandle = {
      path: handle.path,
      read: (...args) => handle.read(...args),
      readSync: (...args) => handle.readSync(...args),
      write: (...args) => handle.write(...args),
      truncate: (...args) => handle.truncate(...args),
      size: () => handle.size(),
      close: () => handle.close(),
      datasync: async () => {
        say('S');
        await handle.datasync();
        say('E');
      },
    };
    return marked;
  },
});

const data = await DataDirectory.open(dir, { fs: markingFs, checkpointEveryWrites: 300, checkpointIntervalSeconds: 0 });
const db = await data.openOrCreate('crash', { partitions: 8 });
say('ready');
let counter = 0;
async function writer(writerId: number): Promise<void> {
  for (let i = 0; i < 1_000_000; i++) {
    const batch = `r${round}w${writerId}b${counter++}`;
    const size = i % 3 === 0 ? 1 + (i % 7) : 1;
    const ids = Array.from({ length: size }, (_, k) => `${batch}-${k}`);
    const result = await db.batch(ids.map((id, k) => ({ op: 'put' as const, coll: 'docs', id, doc: { n: k, batch, size } })), { durability: 'sync' });
    say(`A ${result.lastSeq} ${ids.join(',')}`);
  }
}
await Promise.all(Array.from({ length: Number(writersText) }, (_, w) => writer(w)));
