// Import progress on stderr, drawn only when stderr is a terminal: scripts and tests that capture stderr get
// the messages and nothing else. With a known file size the bar shows bytes read of the total; reading
// stdin it shows bytes and documents so far.
import { SingleBar } from 'cli-progress';

export interface Progress {
  update(bytesRead: number, docs: number): void;
  stop(): void;
}

const noProgress: Progress = { update: () => {}, stop: () => {} };

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]!}`;
}

/** A progress bar over `bytesTotal` (undefined when unknown, as for stdin); a no-op when stderr is no TTY. */
export function startProgress(bytesTotal: number | undefined): Progress {
  if (process.stderr.isTTY !== true) return noProgress;
  const known = bytesTotal !== undefined && bytesTotal > 0;
  const bar = new SingleBar({
    stream: process.stderr,
    format: known ? 'importing {bar} {percentage}% | {readText} of {totalText} | {docs} docs | eta {eta_formatted}' : 'importing | {readText} read | {docs} docs',
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  const totalText = known ? formatBytes(bytesTotal) : '';
  bar.start(known ? bytesTotal : 1, 0, { readText: formatBytes(0), totalText, docs: 0 });
  return {
    update(bytesRead, docs) {
      bar.update(known ? bytesRead : 0, { readText: formatBytes(bytesRead), totalText, docs });
    },
    stop() {
      bar.stop();
    },
  };
}
