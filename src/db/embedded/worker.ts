/**
 * The embedded database's thread: PGlite runs here, off the API's event loop, and is served over
 * the PostgreSQL wire protocol on a unix socket, so the app reaches it with `pg` and Prisma's
 * adapter-pg exactly as it reaches PostgreSQL. The thread hosts every embedded database the
 * process opens (one for the app; the tests open many), so PGlite loads and compiles once.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { Autovacuum } from './autovacuum.ts';
import { initDbStartParams, startParams } from './pglite-settings.ts';
import { SessionServer } from './session-server.ts';

export type HostRequest = { type: 'open'; id: number; directory: string; socketPath: string } | { type: 'close'; id: number };
export type HostReply =
  | { type: 'opened'; id: number; openMs: number }
  | { type: 'failed'; id: number; message: string; code?: string }
  | { type: 'closed'; id: number }
  | { type: 'error'; message: string };

const port = parentPort!;
const send = (reply: HostReply) => port.postMessage(reply);
const open = new Map<number, { pglite: PGlite; server: SessionServer; autovacuum: Autovacuum }>();
const reportError = (error: unknown) => send({ type: 'error', message: String((error as Error)?.stack ?? error) });

port.on('message', async (request: HostRequest) => {
  if (request.type === 'open') {
    try {
      const started = performance.now();
      const pglite = await PGlite.create({ dataDir: request.directory, startParams, initDbStartParams });
      const server = new SessionServer(pglite, reportError);
      await server.listen(request.socketPath);
      const autovacuum = new Autovacuum(server, reportError);
      autovacuum.start();
      open.set(request.id, { pglite, server, autovacuum });
      send({ type: 'opened', id: request.id, openMs: Math.round(performance.now() - started) });
    } catch (error) {
      send({ type: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error), code: (error as NodeJS.ErrnoException)?.code });
    }
  } else {
    const database = open.get(request.id);
    open.delete(request.id);
    await database?.autovacuum.stop();
    await database?.server.close();
    await database?.pglite.close();
    send({ type: 'closed', id: request.id });
  }
});
