import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logger.ts';
import { migrate } from '../migrate.ts';
import { readMigrations } from '../migrations-dir.ts';
import { startEmbeddedServer } from './embedded-server.ts';

/** Bumped when what a template holds changes in a way its key cannot see. */
const TEMPLATE_FORMAT = 2;

/**
 * A closed, migrated PGlite data directory, made once per PGlite version and set of migrations
 * (at `npm install`, or by the first start that needs it) and copied into each fresh DATA_DIR:
 * copying takes a tenth of a second, where creating a database cluster takes several seconds.
 * It lives in node_modules/.cache, never in the repository.
 */
export async function ensureTemplate(logger: Logger): Promise<string> {
  const key = await templateKey();
  for (const root of cacheRoots()) {
    const directory = join(root, `pglite-template-${key}`);
    if (existsSync(join(directory, 'PG_VERSION'))) return directory;
    try {
      await build(directory, logger);
      await removeOlderTemplates(root, directory);
      return directory;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw error;
      logger.warn({ root, code }, 'cannot keep the embedded database template here; trying the next place');
    }
  }
  throw new Error('no writable place for the embedded database template');
}

/** Templates of earlier migrations or PGlite versions are never used again. */
async function removeOlderTemplates(root: string, current: string) {
  const entries = await readdir(root).catch(() => []);
  const older = entries.filter((name) => name.startsWith('pglite-template-') && join(root, name) !== current && !name.includes('.building-'));
  await Promise.all(older.map((name) => rm(join(root, name), { recursive: true, force: true })));
}

async function build(directory: string, logger: Logger): Promise<void> {
  const started = performance.now();
  const building = `${directory}.building-${process.pid}-${randomUUID().slice(0, 8)}`;
  await mkdir(building, { recursive: true });
  try {
    const server = await startEmbeddedServer(building, logger);
    // Imported here: opening a database from the template must not load Prisma's client first.
    const { openPool } = await import('../pool.ts');
    const database = await openPool({ host: server.socketDir, user: 'postgres', database: 'postgres', max: 1 }, 'embedded', logger, server.close);
    try {
      await migrate(database, logger);
    } finally {
      await database.close();
    }
    // Another process may have built the same template meanwhile: theirs is as good as ours.
    await rename(building, directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
    logger.info({ directory, ms: Math.round(performance.now() - started) }, 'built the embedded database template');
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/** PGlite's package folder (its package.json is not among its exports). */
const pgliteRoot = dirname(dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))));

async function templateKey(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(pgliteRoot, 'package.json'), 'utf8')) as { version: string };
  const hash = createHash('sha256').update(`${TEMPLATE_FORMAT}\n${version}\n`);
  for (const migration of await readMigrations()) hash.update(`${migration.name}\n${migration.script}\n`);
  return hash.digest('hex').slice(0, 16);
}

/** node_modules/.cache/convo-graph, else the system's temporary directory. */
function cacheRoots(): string[] {
  const nodeModules = dirname(dirname(pgliteRoot));
  return [join(nodeModules, '.cache', 'convo-graph'), join(tmpdir(), 'convo-graph-cache')];
}
