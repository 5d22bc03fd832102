import { existsSync } from 'node:fs';
import { cp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { assertWritableDataDir, dataDirError } from '../../data-dir.ts';
import type { Logger } from '../../logger.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { startEmbeddedServer } from './embedded-server.ts';
import { ensureTemplate } from './template.ts';

/**
 * Pool connections to the embedded server. It runs one transaction at a time, but a connection
 * waiting for its turn holds its place in the pool: with four, the delivery worker's claims
 * queued for a connection behind the dispatcher, the recorder and requests' transactions, out of
 * the server's sight. A connection costs the server a socket.
 */
const POOL_SIZE = 16;

/**
 * Opens the embedded database of DATA_DIR: locks the directory for this process, fills a fresh
 * one from the migrated template, and starts the server thread. Answers how to connect, and how
 * to stop the server and release the directory.
 */
export type OpenedEmbedded = { poolConfig: pg.PoolConfig; close(): Promise<void> };

export async function openEmbedded(dataDir: string, logger: Logger): Promise<OpenedEmbedded> {
  assertWritableDataDir(dataDir);
  const lock = lockDataDir(dataDir);
  try {
    const directory = join(dataDir, 'pglite');
    if (!existsSync(join(directory, 'PG_VERSION'))) await fillFromTemplate(directory, dataDir, logger);
    const server = await startEmbeddedServer(directory, logger).catch((error: unknown) => {
      throw dataDirError(dataDir, error, 'cannot open the embedded database');
    });
    logger.info({ directory, openMs: server.openMs }, 'opened the embedded database in its own thread');
    return {
      poolConfig: { host: server.socketDir, user: 'postgres', database: 'postgres', max: POOL_SIZE },
      async close() {
        await server.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Copies the template beside `directory`, then renames it in place: a copy cut short is never taken for a database. */
async function fillFromTemplate(directory: string, dataDir: string, logger: Logger) {
  const template = await ensureTemplate(logger);
  const copying = `${directory}.copying`;
  try {
    await rm(copying, { recursive: true, force: true });
    await rm(directory, { recursive: true, force: true });
    await cp(template, copying, { recursive: true });
    await rename(copying, directory);
  } catch (error) {
    await rm(copying, { recursive: true, force: true });
    throw dataDirError(dataDir, error, 'cannot create the embedded database');
  }
}
