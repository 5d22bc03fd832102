import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

import { afterFirstReadyForQuery, batchKey, endsIdle, endsInTransaction, isBareBegin, PARSE_COMPLETE, preparedName, queryMessage, SYNC, TERMINATE } from './wire-messages.ts';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const ROLLBACK = queryMessage('ROLLBACK');

/** How long a connection may hold the session idle inside a transaction before it is cut off. */
const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * Serves one PGlite over the PostgreSQL wire protocol to the connections of a `pg` pool.
 *
 * PGlite is a single backend session, so connections take turns: a connection owns the session
 * from its first message until the backend is idle again (ReadyForQuery with status `I`). A
 * transaction, or a Parse..Sync batch however the socket splits it, therefore never interleaves
 * with another connection's messages, and transactions run one at a time. A connection that goes
 * away while it owns the session has its batch ended and its transaction rolled back before the
 * next one gets a turn.
 *
 * What one session cannot give: session-level advisory locks, SET and LISTEN are shared by every
 * connection. The app relies on none of them across connections. Named prepared statements are
 * shared too, on purpose: a name stands for one text (the client names statements by a hash of
 * their SQL), so a connection preparing a name the session already holds, with the same Parse
 * message, is answered ParseComplete without parsing again (see `skipKnownParse`).
 */
export class SessionServer {
  private readonly server: Server;
  private readonly connections = new Set<WireConnection>();
  private owner: SessionHolder | null = null;
  private readonly waiting: { holder: SessionHolder; grant: (granted: boolean) => void }[] = [];
  /** The session's named prepared statements: name → the Parse message that prepared it. */
  readonly preparedStatements = new Map<string, Buffer>();
  /** What the backend answered to each form of a bare BEGIN seen so far, to answer the next ones without it. */
  readonly beginAnswers = new Map<string, Buffer>();

  constructor(
    readonly pglite: PGlite,
    private readonly onError: (error: unknown) => void,
  ) {
    this.server = createServer((socket) => this.connections.add(new WireConnection(this, socket)));
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
  }

  /** Closes every connection, waits for a dying owner's rollback, and stops listening. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    await closed;
    while (this.owner) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Resolves true when `holder` owns the session, false if it went away while waiting. */
  acquire(holder: SessionHolder): Promise<boolean> {
    if (this.owner === null || this.owner === holder) {
      this.owner = holder;
      return Promise.resolve(true);
    }
    return new Promise((grant) => this.waiting.push({ holder, grant }));
  }

  release(holder: SessionHolder): void {
    if (this.owner !== holder) return;
    const next = this.waiting.shift();
    this.owner = next?.holder ?? null;
    next?.grant(true);
  }

  /**
   * Runs `task` on the session between two connections' turns, never inside their transactions.
   * The task uses PGlite's own `query` and `exec`, which take its lock themselves.
   */
  async betweenTurns<T>(task: (pglite: PGlite) => Promise<T>): Promise<T> {
    const holder = {};
    await this.acquire(holder);
    try {
      return await task(this.pglite);
    } finally {
      this.release(holder);
    }
  }

  forget(connection: WireConnection): void {
    this.connections.delete(connection);
    const index = this.waiting.findIndex((waiter) => waiter.holder === connection);
    if (index >= 0) this.waiting.splice(index, 1)[0]!.grant(false);
  }

  reportError(error: unknown): void {
    this.onError(error);
  }
}

/** A connection, or a task of the server's own that takes a turn between connections. */
type SessionHolder = object;

class WireConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private running = false;
  private closed = false;
  private owns = false;
  /** A bare BEGIN answered without the session, sent to it with the batch that follows. */
  private deferredBegin: Buffer[] | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: SessionServer,
    private readonly socket: Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      void this.pump();
    });
    socket.on('error', () => {});
    socket.on('close', () => void this.onClose());
  }

  destroy() {
    this.socket.destroy();
  }

  /** Runs every complete message that has arrived, in order, while owning the session. */
  private async pump() {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      for (let messages = this.take(); messages.length > 0 && !this.closed; messages = this.take()) {
        clearTimeout(this.idleTimer);
        const terminate = messages.findIndex((message) => message[0] === TERMINATE);
        if (terminate >= 0) messages = messages.slice(0, terminate);
        if (messages.length > 0) await this.run(messages);
        if (terminate >= 0) {
          this.socket.end();
          break;
        }
      }
    } catch (error) {
      this.server.reportError(error);
      this.socket.destroy();
    } finally {
      this.running = false;
      if (this.closed) await this.cleanUp();
    }
  }

  private async run(messages: Buffer[]) {
    const outsideTransaction = !this.owns && !this.deferredBegin;
    if (outsideTransaction && this.deferBegin(messages)) return;
    if (!this.owns) {
      if (!(await this.server.acquire(this))) return;
      this.owns = true;
      if (this.closed) return;
    }
    // Only while owning the session: another connection may be preparing the same statement.
    const knownParse = this.skipKnownParse(messages);
    if (knownParse) messages = messages.slice(1);
    const { pglite } = this.server;
    const output: Buffer[] = [];
    const deferred = this.deferredBegin ?? [];
    this.deferredBegin = undefined;
    const sent = [...deferred, ...messages];
    if (sent.length > 0) {
      // PGlite reads every message of a batch in one call: one entry into Postgres per batch, not per message.
      const batch = sent.length === 1 ? sent[0]! : Buffer.concat(sent);
      await pglite.runExclusive(() => pglite.execProtocolRawStream(batch, { onRawData: (data) => output.push(Buffer.from(data)) }));
    }
    const whole = output.length === 1 ? output[0]! : Buffer.concat(output);
    const cut = deferred.length > 0 ? afterFirstReadyForQuery(whole) : 0;
    if (deferred.length > 0 && !endsInTransaction(whole.subarray(0, cut))) {
      // The BEGIN answered ahead did not open a transaction here: the client cannot be told, so it loses the connection.
      this.server.reportError(new Error('a deferred BEGIN did not open a transaction'));
      this.socket.destroy();
      return;
    }
    const ownAnswer = whole.subarray(cut);
    if (outsideTransaction && endsInTransaction(ownAnswer) && isBareBegin(messages, this.server.preparedStatements)) this.learnBegin(messages, ownAnswer);
    const answer = knownParse ? Buffer.concat([PARSE_COMPLETE, ownAnswer]) : ownAnswer;
    if (!knownParse) this.rememberPrepared(messages[0]!, answer);
    if (answer.length > 0 && this.socket.writable) this.socket.write(answer);
    if (endsIdle(answer)) this.releaseSession();
    else this.idleTimer = setTimeout(() => this.socket.destroy(), IDLE_IN_TRANSACTION_MS);
  }

  /**
   * A bare BEGIN takes no snapshot and no lock, so it need not hold the session: it is answered
   * as the backend answered the same batch before, and sent with the batch that follows, which
   * saves every transaction one round trip of holding up the other connections.
   */
  private deferBegin(messages: Buffer[]): boolean {
    // A BEGIN's statement the session prepared already: it stays prepared, whoever owns the session.
    const knownParse = this.skipKnownParse(messages);
    const batch = knownParse ? messages.slice(1) : messages;
    const answer = this.server.beginAnswers.get(batchKey(batch));
    if (!answer) return false;
    this.deferredBegin = batch.map((message) => Buffer.from(message));
    if (this.socket.writable) this.socket.write(knownParse ? Buffer.concat([PARSE_COMPLETE, answer]) : answer);
    this.idleTimer = setTimeout(() => this.socket.destroy(), IDLE_IN_TRANSACTION_MS);
    return true;
  }

  /** Remembers the answer to a bare BEGIN; one that prepared its statement teaches the form that follows, without the Parse. */
  private learnBegin(messages: Buffer[], answer: Buffer) {
    const prepares = preparedName(messages[0]!) !== null && answer.subarray(0, PARSE_COMPLETE.length).equals(PARSE_COMPLETE);
    const [batch, reply] = prepares ? [messages.slice(1), answer.subarray(PARSE_COMPLETE.length)] : [messages, answer];
    this.server.beginAnswers.set(batchKey(batch), Buffer.from(reply));
  }

  /**
   * Whether the batch opens by preparing a statement the session already holds under that name
   * with the same text. A client sends a query's messages together and waits for its answer, so
   * a Parse is first in its batch, and its ParseComplete is the first message of the answer.
   */
  private skipKnownParse(messages: Buffer[]): boolean {
    const name = preparedName(messages[0]!);
    return name !== null && this.server.preparedStatements.get(name)?.equals(messages[0]!) === true;
  }

  private rememberPrepared(first: Buffer, answer: Buffer) {
    const name = preparedName(first);
    if (name !== null && answer.subarray(0, PARSE_COMPLETE.length).equals(PARSE_COMPLETE)) {
      this.server.preparedStatements.set(name, Buffer.from(first));
    }
  }

  /** Splits the complete messages off the buffer; the startup phase has untyped packets. */
  private take(): Buffer[] {
    const messages: Buffer[] = [];
    let offset = 0;
    const buffer = this.buffer;
    for (;;) {
      if (!this.started) {
        if (buffer.length - offset < 8) break;
        const length = buffer.readInt32BE(offset);
        if (buffer.length - offset < length) break;
        const code = buffer.readInt32BE(offset + 4);
        const packet = buffer.subarray(offset, offset + length);
        offset += length;
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) continue;
        this.started = true;
        messages.push(packet);
        continue;
      }
      if (buffer.length - offset < 5) break;
      const length = buffer.readInt32BE(offset + 1) + 1;
      if (buffer.length - offset < length) break;
      messages.push(buffer.subarray(offset, offset + length));
      offset += length;
    }
    this.buffer = offset === buffer.length ? Buffer.alloc(0) : buffer.subarray(offset);
    return messages;
  }

  private releaseSession() {
    if (!this.owns) return;
    this.owns = false;
    this.server.release(this);
  }

  private async onClose() {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.server.forget(this);
    if (!this.running) await this.cleanUp();
  }

  /** The owner went away mid-batch or mid-transaction: end the batch, roll back, hand over. */
  private async cleanUp() {
    if (!this.owns) return;
    const { pglite } = this.server;
    try {
      if (!pglite.closed) {
        await pglite.runExclusive(async () => {
          await pglite.execProtocolRawStream(SYNC, { onRawData: () => {} });
          if (pglite.isInTransaction()) await pglite.execProtocolRawStream(ROLLBACK, { onRawData: () => {} });
        });
      }
    } catch (error) {
      this.server.reportError(error);
    }
    this.releaseSession();
  }
}
