import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import type { HostReply, HostRequest } from './worker.ts';

/** The embedded PostgreSQL server: PGlite in the database thread, on a unix socket in a private directory. */
export type EmbeddedServer = {
  /** The socket's directory: `pg`'s `host` for a unix socket (port 5432). */
  socketDir: string;
  openMs: number;
  close(): Promise<void>;
};

type Pending = { resolve(reply: HostReply): void; reject(error: Error): void };

type Host = { worker: Worker; pending: Map<number, Pending>; nextId: number; open: number; onReply(reply: HostReply): void };

/**
 * The thread hosting this process's embedded databases, started on first use. While none is
 * open it neither listens nor keeps the process alive (a `message` listener alone would).
 */
let host: Host | undefined;

/** Opens the PGlite data directory `directory` in the database thread and serves it. */
export async function startEmbeddedServer(directory: string, logger: Logger): Promise<EmbeddedServer> {
  // mkdtemp makes the directory 0700: the socket takes no password, so only this user may reach it.
  const socketDir = await mkdtemp(join(tmpdir(), 'convo-graph-db-'));
  try {
    const thread = databaseThread(logger);
    const id = thread.nextId++;
    wake(thread);
    thread.open += 1;
    const opened = await ask(thread, { type: 'open', id, directory, socketPath: join(socketDir, '.s.PGSQL.5432') }).catch((error: unknown) => {
      thread.open -= 1;
      throw error;
    });
    if (opened.type === 'failed') {
      thread.open -= 1;
      idleUnlessBusy(thread);
      throw Object.assign(new Error(opened.message), { code: opened.code });
    }
    return {
      socketDir,
      openMs: opened.type === 'opened' ? opened.openMs : 0,
      async close() {
        if (host === thread) await ask(thread, { type: 'close', id }).catch(() => {});
        thread.open -= 1;
        idleUnlessBusy(thread);
        await rm(socketDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(socketDir, { recursive: true, force: true });
    throw error;
  }
}

function ask(thread: Host, request: HostRequest): Promise<HostReply> {
  return new Promise((resolve, reject) => {
    thread.pending.set(request.id, { resolve, reject });
    thread.worker.postMessage(request);
  });
}

/** Listens to the thread and keeps the process alive while a database is open or opening. */
function wake(thread: Host) {
  if (thread.open > 0) return;
  thread.worker.ref();
  thread.worker.on('message', thread.onReply);
}

function idleUnlessBusy(thread: Host) {
  if (thread.open > 0) return;
  thread.worker.off('message', thread.onReply);
  thread.worker.unref();
}

function databaseThread(logger: Logger): Host {
  if (host) return host;
  const worker = spawnWorker(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const thread: Host = {
    worker,
    pending: new Map(),
    nextId: 1,
    open: 0,
    onReply: (reply) => {
      if (reply.type === 'error') return logger.error({ detail: reply.message }, 'embedded database thread reported an error');
      thread.pending.get(reply.id)?.resolve(reply);
      thread.pending.delete(reply.id);
    },
  };
  const fail = (error: Error) => {
    if (host === thread) host = undefined;
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
  };
  worker.on('error', (error) => {
    logger.fatal({ err: error }, 'the embedded database thread failed');
    fail(error);
  });
  worker.on('exit', (code) => fail(new Error(`the embedded database thread exited with code ${code}`)));
  host = thread;
  return thread;
}

/**
 * A worker on `url`. Run from the TypeScript sources (tsx), the worker registers tsx's loader
 * itself before importing its entry: loader hooks of the main thread do not reach workers.
 */
function spawnWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { execArgv: [] });
}
