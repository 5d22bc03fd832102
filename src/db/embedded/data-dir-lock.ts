import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError, dataDirError } from '../../data-dir.ts';

const LOCK_FILE = 'embedded.lock';

/**
 * Holds DATA_DIR for this process: the embedded database may be opened by one process at a
 * time. A lock left by a process that died (SIGKILL, power loss) is taken over; one held by a
 * live process is refused with an error naming the directory and that process.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  const file = join(dataDir, LOCK_FILE);
  const mine = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, mine);
      } finally {
        closeSync(fd);
      }
      return {
        release: () => {
          if (readLock(file) === mine) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw dataDirError(dataDir, error, 'cannot lock it');
    }
    const holder = readLock(file);
    const [pid, startTime] = (holder ?? '').trim().split(' ');
    if (holder !== undefined && pid && isAlive(Number(pid), startTime)) {
      throw new DataDirError(
        `DATA_DIR ${dataDir} is in use by process ${pid}: the embedded database opens in one process at a time (stop it, or use another DATA_DIR)`,
      );
    }
    // The holder is gone: take its lock over.
    rmSync(file, { force: true });
  }
  throw new DataDirError(`DATA_DIR ${dataDir}: cannot lock it: another process keeps taking the lock`);
}

function readLock(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Alive, and the same process that wrote the lock (a recycled pid has another start time). */
function isAlive(pid: number, startTime: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const current = processStartTime(pid);
  return !startTime || current === undefined || current === startTime;
}

/** The process's start time in clock ticks since boot (Linux), to tell a recycled pid apart. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
