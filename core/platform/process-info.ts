// Facts about processes for the data directory lock: whether a pid is alive, when it started, and which boot
// this is. A pid alone is not enough: after a reboot or a pid wrap-around, another process may hold the
// number, so the lock also records the start time (Linux /proc) and the boot id.
import { readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid(): number;
  isAlive(pid: number): boolean;
  /** An opaque start-time token, or null where the platform cannot tell. */
  startTime(pid: number): string | null;
  bootId(): string | null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export const systemProcessInfo: ProcessInfo = {
  pid: () => process.pid,
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  startTime(pid) {
    const stat = readText(`/proc/${pid}/stat`);
    if (stat === null) return null;
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count from its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  },
  bootId() {
    return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
  },
};
