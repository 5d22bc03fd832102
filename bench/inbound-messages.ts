/**
 * Signed inbound WhatsApp messages per second that one app instance acknowledges (2xx), at 50
 * keep-alive connections, against a bare node:http server that only checks the signature,
 * measured in the same run; then how fast the app processes them (stores contacts,
 * conversations, messages and leads, and announces `message.received`), followed over
 * graphql-ws: the backlog the first run left, then a sustained load at a fixed rate, with each
 * message's lag from acknowledgement to its event. Every request carries a new message id
 * (senders cycle through 200 contacts), so each 2xx must be one more stored message: afterwards
 * the messages in the database are compared, id for id, with those answered 2xx, and any
 * difference fails the benchmark. Standalone: `npx tsx bench/inbound-messages.ts`
 * (BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_INBOUND_SENDERS, BENCH_INBOUND_POOL,
 * BENCH_INBOUND_RATE, BENCH_INBOUND_SUSTAINED_SECONDS).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { verifyWebhook } from '../test/support/channel-fixtures.ts';
import { GraphQLClient } from '../test/support/client.ts';
import { signUpTenant } from '../test/support/fixtures.ts';
import { CreateSession, UpdateSession } from '../test/support/session-operations.ts';
import { followArrivals, type Arrivals } from './support/inbound-arrivals.ts';
import { CONNECTIONS, MEASURE_SECONDS, WARMUP_SECONDS } from './support/load.ts';
import { cpuSeconds, REPO_ROOT, startServer, withServer, type ServerChild } from './support/processes.ts';
import { benchMessageId, benchSender, DeliveryLedger, redeliverUnanswered, SENDERS, signedLoad, SignedPayloads } from './support/signed-whatsapp.ts';
import { fixed, ratio, table } from './support/table.ts';
import { forEachBackend, PRODUCTION_ENV, startApp } from './support/targets.ts';

const BASELINE_SCRIPT = 'bench/servers/signature-only.ts';
/** Signed before the load; an app run needing more signs the rest while measured (reported). */
const POOL_SIZE = Number(process.env.BENCH_INBOUND_POOL ?? 50_000);
const PHONE_NUMBER_ID = '106540352242922';
/** The sustained load: messages a second, for this long. */
const SUSTAINED_RATE = Number(process.env.BENCH_INBOUND_RATE ?? 1000);
const SUSTAINED_SECONDS = Number(process.env.BENCH_INBOUND_SUSTAINED_SECONDS ?? 60);
/** The longest the bench waits for acknowledged messages to be processed. */
const DRAIN_TIMEOUT_MS = 300_000;

/** Whether every 2xx is a stored message and nothing else is, read from the database with the app stopped. */
export type StorageCheck = {
  /** Distinct messages answered 2xx over warm-up, measured run and redeliveries. */
  accepted: number;
  /** Requests with no answer when the load stopped, sent again afterwards. */
  redelivered: number;
  stored: number;
  /** Answered 2xx but not stored. */
  lost: number;
  /** Stored but never answered 2xx. */
  unanswered: number;
  senders: number;
  contacts: number;
  conversations: number;
};

export type InboundRow = {
  target: string;
  /** 2xx answers in the measured run, and per second. */
  accepted: number;
  acceptedPerSecond: number;
  /** acceptedPerSecond / the baseline's; 1 for the baseline. */
  ratio: number;
  /** The baseline's server CPU per accepted request / this row's: the comparison by cost, when the load generator limits the baseline. */
  cpuRatio: number;
  latencyMs: { p50: number; p99: number; max: number };
  non2xx: number;
  /** As autocannon counts them: `errors` includes `timeouts` (no answer within 10 s). */
  errors: number;
  timeouts: number;
  /** CPU of the server process (not Postgres or Redis) in cores, and per accepted request. */
  serverCores: number;
  serverCpuMicrosPerAccepted: number;
  /** Payloads signed during the measured run because the pool ran out. */
  signedDuringMeasure: number;
  storage: StorageCheck | null;
  failures: string[];
};

/** How fast acknowledged messages became stored messages and events. */
export type ProcessingRow = {
  target: string;
  /** The closed-loop run's messages / (their last event - the run's start): processing at full backlog. */
  backlogPerSecond: number;
  /** At SUSTAINED_RATE for SUSTAINED_SECONDS. */
  sustained: {
    acknowledgedPerSecond: number;
    ackLatencyMs: { p50: number; p99: number };
    /** Events of the sustained run's messages that arrived before it ended, per second. */
    processedPerSecond: number;
    /** From each message's 2xx to its event. */
    lagMs: { p50: number; p99: number; max: number };
  };
  /** Every acknowledged message's event arrived within DRAIN_TIMEOUT_MS. */
  drained: boolean;
};

export type InboundReport = {
  connections: number;
  senders: number;
  poolSize: number;
  rows: InboundRow[];
  processing: ProcessingRow[];
  skipped: string[];
  failed: string[];
};

export async function inboundMessages(log: (line: string) => void): Promise<InboundReport> {
  const appSecret = randomBytes(24).toString('base64url');
  log(`inbound messages: signing ${POOL_SIZE} WhatsApp payloads`);
  const payloads = new SignedPayloads(appSecret, PHONE_NUMBER_ID, POOL_SIZE);
  const rows: InboundRow[] = [];
  const processing: ProcessingRow[] = [];
  const skipped: string[] = [];

  log('inbound messages, baseline: bare node:http signature check');
  const baseline = await withServer(
    () => startServer(BASELINE_SCRIPT, { BENCH_APP_SECRET: appSecret }),
    async (server) => (await measure('baseline: node:http, signature check only', server, `${server.origin}/channels/whatsapp/bench`, new DeliveryLedger(payloads, true))).row,
  );
  rows.push(baseline);

  await forEachBackend(skipped, async (backend, env) => {
    const ledger = new DeliveryLedger(payloads);
    log(`inbound messages, app (${backend.name}): signed WhatsApp messages`);
    const { row, sessionId, processed } = await withServer(
      () => startApp({ ...PRODUCTION_ENV, ...env }),
      async (app) => {
        const { sessionId, token } = await whatsappSession(app.origin, appSecret);
        const url = `${app.origin}/channels/whatsapp/${sessionId}`;
        const arrivals = await followArrivals(`${app.origin.replace(/^http/, 'ws')}/graphql`, token, sessionId);
        try {
          const { row, run } = await measure(`app ${backend.name}: POST /channels/whatsapp/:id`, app, url, ledger);
          await redeliverUnanswered(url, ledger);
          log(`inbound messages, app (${backend.name}): waiting for the backlog to be processed`);
          const backlogDrained = await arrivals.waitFor(ledger.accepted().map(benchMessageId), DRAIN_TIMEOUT_MS);
          log(`inbound messages, app (${backend.name}): ${SUSTAINED_RATE} messages/s for ${SUSTAINED_SECONDS}s`);
          const sustained = await sustain(url, ledger, arrivals);
          const drained = backlogDrained && (await arrivals.waitFor(ledger.accepted().map(benchMessageId), DRAIN_TIMEOUT_MS));
          const processed: ProcessingRow = { target: row.target, backlogPerSecond: backlogRate(ledger, arrivals, run), sustained, drained };
          return { row, sessionId, processed };
        } finally {
          await arrivals.close();
        }
      },
    );
    processing.push(processed);
    if (!processed.drained) row.failures.push(`not every acknowledged message was processed within ${DRAIN_TIMEOUT_MS / 1000}s`);
    log(`inbound messages, app (${backend.name}): comparing stored messages with 2xx answers`);
    row.ratio = row.acceptedPerSecond / baseline.acceptedPerSecond;
    row.cpuRatio = baseline.serverCpuMicrosPerAccepted / row.serverCpuMicrosPerAccepted;
    row.storage = await checkStorage(env, sessionId, ledger);
    row.failures.push(...storageFailures(row.storage), ...refusals(ledger));
    rows.push(row);
  });
  const failed = rows.filter((row) => row.failures.length).map((row) => `${row.target} (${row.failures.join(', ')})`);
  return { connections: CONNECTIONS, senders: SENDERS, poolSize: POOL_SIZE, rows, processing, skipped, failed };
}

/** Payloads [first, last) went out in a run that started at `startedAt` (performance.now()). */
type Run = { first: number; last: number; startedAt: number };

const acceptedIn = (ledger: DeliveryLedger, run: Run) => ledger.accepted().filter((index) => index >= run.first && index < run.last);

/** The closed-loop run's messages, over the time from its start to the last of their events. */
function backlogRate(ledger: DeliveryLedger, arrivals: Arrivals, run: Run): number {
  const times = acceptedIn(ledger, run).map((index) => arrivals.at.get(benchMessageId(index)) ?? Number.NaN);
  return times.length / ((Math.max(...times) - run.startedAt) / 1000);
}

/** A load at SUSTAINED_RATE for SUSTAINED_SECONDS, and how far behind acknowledgement the events came. */
async function sustain(url: string, ledger: DeliveryLedger, arrivals: Arrivals): Promise<ProcessingRow['sustained']> {
  const run: Run = { first: ledger.issued, last: 0, startedAt: performance.now() };
  const result = await signedLoad(url, ledger, SUSTAINED_SECONDS, SUSTAINED_RATE);
  const endedAt = performance.now();
  run.last = ledger.issued;
  await redeliverUnanswered(url, ledger);
  const indices = acceptedIn(ledger, run);
  await arrivals.waitFor(indices.map(benchMessageId), DRAIN_TIMEOUT_MS);
  const lags = indices
    .map((index) => (arrivals.at.get(benchMessageId(index)) ?? Number.POSITIVE_INFINITY) - ledger.acknowledgedAt.get(index)!)
    .sort((a, b) => a - b);
  const within = indices.filter((index) => (arrivals.at.get(benchMessageId(index)) ?? Number.POSITIVE_INFINITY) <= endedAt).length;
  const percentile = (p: number) => lags[Math.min(lags.length - 1, Math.floor((lags.length * p) / 100))] ?? Number.NaN;
  return {
    acknowledgedPerSecond: result['2xx'] / result.duration,
    ackLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    processedPerSecond: within / ((endedAt - run.startedAt) / 1000),
    lagMs: { p50: percentile(50), p99: percentile(99), max: lags.at(-1) ?? Number.NaN },
  };
}

/** A tenant's WhatsApp session with Meta's settings, verified by the handshake as Meta would (CONNECTED), and its admin's token. */
async function whatsappSession(origin: string, appSecret: string): Promise<{ sessionId: string; token: string }> {
  const client = new GraphQLClient(origin);
  const { token } = await signUpTenant(client, 'Bench inbound');
  const { createSession } = await client.data(CreateSession, { input: { name: 'Bench WhatsApp', channel: 'WHATSAPP' } }, { token });
  const id = createSession.session.id;
  const verifyToken = randomBytes(12).toString('hex');
  await client.data(UpdateSession, { id, input: { appSecret, verifyToken, phoneNumberId: PHONE_NUMBER_ID } }, { token });
  const handshake = await verifyWebhook(origin, 'whatsapp', id, verifyToken, '1158201444');
  if (handshake.status !== 200) throw new Error(`the webhook handshake answered ${handshake.status}`);
  return { sessionId: id, token };
}

/** Warm-up (discarded), then the measured run; the server's CPU is read around the latter. */
async function measure(target: string, server: ServerChild, url: string, ledger: DeliveryLedger): Promise<{ row: InboundRow; run: Run }> {
  await signedLoad(url, ledger, WARMUP_SECONDS);
  // The warm-up's last requests are still being served: answered again, they are done before the measured run starts.
  await redeliverUnanswered(url, ledger);
  const before = { cpu: cpuSeconds(server.pid), issued: ledger.issued, at: performance.now() };
  const result = await signedLoad(url, ledger, MEASURE_SECONDS);
  const cpu = cpuSeconds(server.pid) - before.cpu;
  const run: Run = { first: before.issued, last: ledger.issued, startedAt: before.at };
  const accepted = result['2xx'];
  // autocannon counts a timeout (no answer in 10 s) among its errors too.
  const failed = { non2xx: result.non2xx, timeouts: result.timeouts, 'other errors': result.errors - result.timeouts };
  const row: InboundRow = {
    target,
    accepted,
    acceptedPerSecond: accepted / result.duration,
    ratio: 1,
    cpuRatio: 1,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCores: cpu / ((performance.now() - before.at) / 1000),
    serverCpuMicrosPerAccepted: (cpu * 1e6) / accepted,
    signedDuringMeasure: ledger.cycle ? 0 : Math.max(0, ledger.issued - Math.max(before.issued, POOL_SIZE)),
    storage: null,
    failures: Object.entries(failed).filter(([, count]) => count > 0).map(([name, count]) => `${name}=${count}`),
  };
  return { row, run };
}

/**
 * The session's inbound messages, contacts and conversations, read on the app's database (embedded
 * or Postgres) after the app stopped: PGlite has one session, and nothing can still be writing.
 */
async function checkStorage(env: Record<string, string>, sessionId: string, ledger: DeliveryLedger): Promise<StorageCheck> {
  const db = await createDatabase({ databaseUrl: env.DATABASE_URL || undefined, dataDir: env.DATA_DIR!, logger: createLogger('warn') });
  try {
    return await db.withSession(async (session) => {
      const stored = await session.query<{ id: string }>(
        "SELECT provider_message_id AS id FROM channel_messages WHERE session_id = $1 AND direction = 'INBOUND'",
        [sessionId],
      );
      const [counts] = await session.query<{ contacts: number; conversations: number }>(
        `SELECT (SELECT count(*)::int FROM channel_contacts WHERE session_id = $1) AS contacts,
                (SELECT count(*)::int FROM channel_conversations WHERE session_id = $1) AS conversations`,
        [sessionId],
      );
      const accepted = ledger.accepted();
      const acceptedIds = new Set(accepted.map(benchMessageId));
      const storedIds = new Set(stored.map((row) => row.id));
      return {
        accepted: acceptedIds.size,
        redelivered: ledger.redelivered,
        stored: stored.length,
        lost: [...acceptedIds].filter((id) => !storedIds.has(id)).length,
        unanswered: stored.length - [...storedIds].filter((id) => acceptedIds.has(id)).length,
        senders: new Set(accepted.map(benchSender)).size,
        contacts: counts!.contacts,
        conversations: counts!.conversations,
      };
    });
  } finally {
    await db.close();
  }
}

function storageFailures(check: StorageCheck): string[] {
  const failures: string[] = [];
  if (check.lost) failures.push(`LOST ${check.lost} messages answered 2xx`);
  if (check.unanswered) failures.push(`stored ${check.unanswered} messages never answered 2xx`);
  // Senders cycle, so one contact is in flight twice only if a request outlasts SENDERS others:
  // one contact and one open conversation per sender, unless concurrent first messages race.
  if (check.contacts !== check.senders || check.conversations !== check.senders) {
    failures.push(`${check.contacts} contacts and ${check.conversations} conversations for ${check.senders} senders`);
  }
  return failures;
}

/** Non-2xx answers over warm-up, measured run and redeliveries. */
const refusals = (ledger: DeliveryLedger) => Object.entries(ledger.refused()).map(([status, count]) => `status ${status} x${count}`);

/** Two significant digits below 0.1x, where `ratio` would print 0.00x. */
const smallRatio = (value: number) => (value < 0.1 ? `${value.toPrecision(2)}x` : ratio(value));

export function inboundTables(report: InboundReport): string {
  const throughput = table(
    `Signed inbound WhatsApp messages: ${report.connections} keep-alive connections, a new message id per request, ${report.senders} senders cycling, ${MEASURE_SECONDS}s after ${WARMUP_SECONDS}s warm-up (NODE_ENV=production)`,
    ['target', 'accepted/s', 'vs baseline', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'timeouts', 'other errors', 'server cores', 'server CPU µs/msg', 'by CPU'],
    report.rows.map((row) => [
      row.target,
      fixed(row.acceptedPerSecond),
      smallRatio(row.ratio),
      fixed(row.latencyMs.p50),
      fixed(row.latencyMs.p99),
      fixed(row.latencyMs.max),
      row.non2xx,
      row.timeouts,
      row.errors - row.timeouts,
      fixed(row.serverCores, 2),
      fixed(row.serverCpuMicrosPerAccepted),
      smallRatio(row.cpuRatio),
    ]),
  );
  const processing = table(
    `Processing: the first run's backlog, then ${SUSTAINED_RATE} messages/s for ${SUSTAINED_SECONDS}s; lag = from the 2xx to the message's channelMessageReceived event`,
    ['target', 'backlog processed/s', 'sustained ack/s', 'ack p50 ms', 'ack p99 ms', 'processed/s', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'all processed'],
    report.processing.map(({ target, backlogPerSecond, sustained: s, drained }) => [
      target, fixed(backlogPerSecond), fixed(s.acknowledgedPerSecond), fixed(s.ackLatencyMs.p50), fixed(s.ackLatencyMs.p99),
      fixed(s.processedPerSecond), fixed(s.lagMs.p50), fixed(s.lagMs.p99), fixed(s.lagMs.max), drained ? 'yes' : 'NO',
    ]),
  );
  const checked = report.rows.filter((row) => row.storage);
  const storage = table(
    'Stored vs accepted, per session, read from the database after the app stopped (warm-up, measured runs and redeliveries)',
    ['target', 'accepted 2xx', 'redelivered', 'stored', 'lost', 'stored unanswered', 'senders', 'contacts', 'conversations', 'into existing'],
    checked.map(({ target, storage: s }) => [
      target, s!.accepted, s!.redelivered, s!.stored, s!.lost, s!.unanswered, s!.senders, s!.contacts, s!.conversations, s!.stored - s!.conversations,
    ]),
  );
  const notes = [
    '  accepted/s: 2xx answers of the measured run / its duration. server cores: CPU of the server process only (Postgres and Redis not',
    "  included; PGlite runs inside the app's process). by CPU: the baseline's server CPU µs per accepted message / the row's.",
    '  redelivered: requests in flight when the load generator stopped (no answer), sent again afterwards as Meta would; each must then answer 2xx.',
    '  into existing: stored messages that went into a conversation opened by an earlier one.',
    ...report.rows.filter((row) => row.signedDuringMeasure).map((row) => `  ${row.target}: ${row.signedDuringMeasure} payloads signed during the measured run (pool of ${report.poolSize} ran out).`),
    ...report.skipped.map((reason) => `  (${reason})`),
    report.failed.length ? `INBOUND MESSAGES FAILED: ${report.failed.join('; ')}` : '  every message answered 2xx is stored, once, and nothing else.',
  ];
  return [throughput, processing, storage, ...notes].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const startedAt = new Date();
  const log = (line: string) => console.error(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s] ${line}`);
  const report = await inboundMessages(log);
  console.log(inboundTables(report));
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `inbound-messages-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const settings = { warmupSeconds: WARMUP_SECONDS, measureSeconds: MEASURE_SECONDS, sustainedRate: SUSTAINED_RATE, sustainedSeconds: SUSTAINED_SECONDS };
  await writeFile(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), settings, ...report }, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
  process.exit(report.failed.length ? 1 : 0);
}
