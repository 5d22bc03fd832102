import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const run = promisify(execFile);

/** Starts the server as `npm start` does and answers how it exited; these cases end before it listens. */
async function start(dataDir: string): Promise<{ code: number; stderr: string }> {
  const result = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    timeout: 30_000,
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  return result;
}

/** A tmpfs of `size` bytes mounted on a fresh directory (the tests run as root, here and in CI). */
function mountTmpfs(dir: string, options: string) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return () => execFileSync('umount', [dir]);
}

describe('an unusable DATA_DIR', () => {
  let root: string;
  const unmounts: (() => void)[] = [];
  before(async () => {
    root = await tempDir('data-dir');
  });
  after(async () => {
    for (const unmount of unmounts) unmount();
    await removeTempDir(root);
  });

  const assertOneLine = (result: { code: number; stderr: string }, directory: string, cause: RegExp) => {
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0]!.includes(directory), lines[0]);
    assert.match(lines[0]!, cause);
  };

  it('says so in one line and exits 1 when DATA_DIR is a file', async () => {
    const file = join(root, 'not-a-directory');
    writeFileSync(file, 'x');
    assertOneLine(await start(file), file, /is a file, not a directory/);
  });

  it('says so when the disk is full, leaves no partial secret behind, and starts once there is room', async () => {
    const mountPoint = join(root, 'full');
    mkdirSync(mountPoint);
    unmounts.push(mountTmpfs(mountPoint, 'size=64k'));
    const filler = join(mountPoint, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: the file system is now full.
    }
    const dataDir = join(mountPoint, 'data');
    mkdirSync(dataDir);
    assertOneLine(await start(dataDir), dataDir, /no space left on the device/);
    assert.deepEqual(readdirSync(dataDir), [], 'no jwt-secret, empty or temporary, is left');

    rmSync(filler);
    const config = loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test' });
    assert.ok(config.jwtSecret.length >= 32);
    assert.equal(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim(), config.jwtSecret);
  });

  it('says so when DATA_DIR is on a read-only file system', async () => {
    const mountPoint = join(root, 'read-only');
    mkdirSync(mountPoint);
    unmounts.push(mountTmpfs(mountPoint, 'size=1m,ro'));
    assertOneLine(await start(mountPoint), mountPoint, /read-only/);
  });

  it('checks a secret read from disk as it checks JWT_SECRET', async () => {
    const dataDir = join(root, 'empty-secret');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'jwt-secret'), '');
    assertOneLine(await start(dataDir), dataDir, /holds no usable secret \(0 characters, at least 32 needed\): delete it/);
  });
});
