import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, whatever logs them. */
const redactedPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'webhookToken',
  '*.webhookToken',
  'apiKey',
  '*.apiKey',
  'appSecret',
  '*.appSecret',
  'verifyToken',
  '*.verifyToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'variables.input.password',
  'variables.input.webhookToken',
  'variables.input.apiKey',
  'variables.password',
  'variables.refreshToken',
];

/** JSON lines to stdout, or to `destination` (tests read what was logged). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
