/** Temp dirs for test servers and data, removed even when a test run dies. */
import { accessSync, constants, rmSync, statfsSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Dirs carry the pid of their test process, so that a later run can remove the dirs of a run that
// was killed before it could clean up (SIGKILL, SIGTERM and Ctrl-C skip 'exit' handlers).
const NAME_PATTERN = /^convo-test-(\d+)-/;

const created = new Set<string>();
let sweep: Promise<void> | undefined;

process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(kind: string, owner?: { uid: number; gid: number }): Promise<string> {
  sweep ??= removeAbandonedDirs();
  await sweep;
  const dir = await mkdtemp(join(tempRoot(), `convo-test-${process.pid}-${kind}-`));
  created.add(dir);
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** Removes `dir` if `use` fails. */
export async function removingOnFailure<T>(dir: string, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

/**
 * Postgres and PGlite start several times faster on tmpfs than on a busy disk. /dev/shm is tmpfs
 * on Linux, but containers often cap it at 64 MB, too small for a cluster. An explicit TMPDIR wins.
 */
function tempRoot(): string {
  if (process.env.TMPDIR) return tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    const { bavail, bsize } = statfsSync('/dev/shm');
    if (bavail * bsize >= 1024 ** 3) return '/dev/shm';
  } catch {
    // no usable /dev/shm
  }
  return tmpdir();
}

async function removeAbandonedDirs(): Promise<void> {
  const root = tempRoot();
  for (const name of await readdir(root)) {
    const pid = Number(NAME_PATTERN.exec(name)?.[1]);
    // Another user's leftovers may not be ours to remove; they must not stop this run.
    if (pid && !isAlive(pid)) await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
