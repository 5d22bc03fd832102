import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, loadConfig } from './config.ts';
import { readEnvFile } from './env-file.ts';
import { DataDirError } from './data-dir.ts';
import { openEmbedded } from './db/embedded/open.ts';
import { createLogger } from './logger.ts';

/** How long the last spans may take to go out at shutdown. */
const TRACES_FLUSH_MS = 3_000;

let config;
try {
  readEnvFile();
  config = loadConfig();
} catch (error) {
  if (error instanceof DataDirError) {
    console.error(error.message);
    process.exit(1);
  }
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(78);
}

const logger = createLogger(config.logLevel);
// Before the app loads, so that its database client and its spans find the tracer provider.
const tracing = config.tracing.enabled ? (await import('./tracing/setup.ts')).startTracing(config.tracing) : undefined;
if (tracing) logger.info({ serviceName: config.tracing.serviceName }, 'tracing: spans go out over OTLP');
// The embedded database opens in its own thread while the rest of the app loads; a failure to
// open it is reported by app.start() below.
const embedded = config.databaseUrl ? undefined : openEmbedded(config.dataDir, logger);
embedded?.catch(() => {});
const { buildApp } = await import('./app.ts');
const app = buildApp(config, logger, { embedded });

const shutdown = async (signal: string) => {
  logger.info({ signal }, 'shutting down');
  try {
    await app.stop();
    // The last spans go out before the process ends, unless the collector takes longer than that.
    if (tracing) await Promise.race([tracing.shutdown(), delay(TRACES_FLUSH_MS)]);
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

app.start().catch((error) => {
  if (error instanceof DataDirError) console.error(error.message);
  else logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
