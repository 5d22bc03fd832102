import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** DATA_DIR cannot be used; the message is one line naming the directory and the cause. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const MIN_SECRET_LENGTH = 32;

/**
 * The JWT secret kept in DATA_DIR when JWT_SECRET is not set: read and checked as JWT_SECRET is,
 * or generated and written atomically, so that a failed write never leaves a file behind.
 */
export function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  let stored: string | undefined;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw dataDirError(dataDir, error, `cannot read ${file}`);
  }
  if (stored !== undefined) {
    if (stored.length < MIN_SECRET_LENGTH) {
      throw new DataDirError(
        `DATA_DIR ${dataDir}: ${file} holds no usable secret (${stored.length} characters, at least ${MIN_SECRET_LENGTH} needed): delete it to have one generated, or set JWT_SECRET`,
      );
    }
    return stored;
  }
  const secret = randomBytes(48).toString('base64url');
  writeAtomically(dataDir, 'jwt-secret', `${secret}\n`);
  return secret;
}

/** Fails with a DataDirError unless DATA_DIR is a directory this process can write to. */
export function assertWritableDataDir(dataDir: string): void {
  writeAtomically(dataDir, '.write-check', 'ok\n');
  rmSync(join(dataDir, '.write-check'), { force: true });
}

/** Writes `name` in `dataDir` through a temporary file, fsync and rename: readers see all of it or none. */
export function writeAtomically(dataDir: string, name: string, content: string): void {
  ensureDirectory(dataDir);
  const target = join(dataDir, name);
  const temporary = join(dataDir, `.${name}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
    const directory = openSync(dataDir, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw dataDirError(dataDir, error, `cannot write ${target}`);
  }
}

function ensureDirectory(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw dataDirError(dataDir, error, 'cannot create it');
  }
  if (!statSync(dataDir).isDirectory()) throw new DataDirError(`DATA_DIR ${dataDir} is a file, not a directory`);
}

/** Turns a file-system error into one line that says what is wrong with DATA_DIR. */
export function dataDirError(dataDir: string, error: unknown, action: string): DataDirError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const causes: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EEXIST: 'it is a file, not a directory',
  };
  const cause = (code && causes[code]) ?? (error instanceof Error ? error.message : String(error));
  return new DataDirError(`DATA_DIR ${dataDir}: ${action}: ${cause}`);
}
