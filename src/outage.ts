/**
 * Prisma codes for a database that cannot be reached, stopped answering, or is too busy to start
 * or finish a transaction in time (P2024, P2028).
 */
const PRISMA_OUTAGE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** Socket errors of a backing service that went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Postgres SQLSTATE classes and codes for a server shutting down or not accepting connections. */
const POSTGRES_OUTAGE = /^(08|57P0[1-3])/;
const OUTAGE_MESSAGES = [
  /Connection terminated/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Reached the max retries per request limit/i,
  /Can't reach database server/i,
  /is not currently accepting connections/i,
  /Timed out fetching a new connection/i,
];

/**
 * Whether an error means that PostgreSQL or Redis is down or unreachable, rather than a bug or
 * bad input: such a request may succeed when retried, and the client is told so (SERVICE_UNAVAILABLE).
 * Looks through `cause` chains, where drivers and Prisma keep the original error.
 */
export function isBackingServiceOutage(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current && typeof current === 'object' && !seen.has(current); ) {
    seen.add(current);
    const candidate = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (PRISMA_OUTAGE_CODES.has(code) || NETWORK_CODES.has(code) || POSTGRES_OUTAGE.test(code)) return true;
    if (candidate.name === 'MaxRetriesPerRequestError') return true;
    if (typeof candidate.message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(candidate.message as string))) return true;
    current = candidate.cause ?? candidate.originalError;
  }
  return false;
}
