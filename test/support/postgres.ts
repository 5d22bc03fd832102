/** A throwaway PostgreSQL 15 cluster for tests, tuned for speed over durability. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { halt, isRoot, launch, run, startOnFreePort, waitUntilReady } from './child-process.ts';
import { removeTempDir, removingOnFailure, tempDir } from './temp-dirs.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export type PostgresServer = {
  /** URL of a database created at start-up. */
  url: string;
  port: number;
  dir: string;
  /** Creates another empty database on the same server and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server, for an outage; `resume` starts it again on the same port and data. */
  interrupt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
};

export async function startPostgres(): Promise<PostgresServer> {
  // The cluster runs as `postgres` when we are root, so that user must own its dir.
  const dir = await tempDir('pg', isRoot() ? postgresAccount() : undefined);
  const dataDir = join(dir, 'data');
  const serve = (port: number) =>
    launch(
      join(PG_BIN, 'postgres'),
      [
        ...['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
        ...['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'],
      ],
      // SIGQUIT is Postgres's immediate shutdown: the postmaster takes its backends down too.
      { cwd: dir, deathSignal: 'SIGQUIT', asPostgresUser: true },
    );
  const probe = (port: number) => withClient(postgresUrl(port, 'postgres'), async () => {});
  const started = await removingOnFailure(dir, async () => {
    await run(
      join(PG_BIN, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { cwd: dir, deathSignal: 'SIGKILL', asPostgresUser: true },
    );
    return startOnFreePort('postgres', serve, probe);
  });
  let service = started.service;
  const { port } = started;
  const createDatabase = async (name = `test_${randomBytes(6).toString('hex')}`) => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid database name: ${name}`);
    await withClient(postgresUrl(port, 'postgres'), (client) => client.query(`CREATE DATABASE "${name}"`));
    return postgresUrl(port, name);
  };
  return {
    url: await createDatabase('test'),
    port,
    dir,
    createDatabase,
    interrupt: () => halt(service, 'SIGINT'),
    resume: async () => {
      service = serve(port);
      await waitUntilReady('postgres', service, () => probe(port));
    },
    stop: async () => {
      await halt(service, 'SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
      await removeTempDir(dir);
    },
  };
}

function postgresUrl(port: number, database: string): string {
  return `postgresql://postgres@127.0.0.1:${port}/${database}`;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // a server going away mid-probe must not crash the test process
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// os.userInfo() only describes the current user, so look the account up in /etc/passwd.
function postgresAccount(): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('No `postgres` user in /etc/passwd');
  return { uid: Number(uid), gid: Number(gid) };
}
