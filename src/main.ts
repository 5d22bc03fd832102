import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirError } from './data-dir.ts';
import { createLogger } from './logger.ts';

let config;
try {
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
const app = buildApp(config, logger);

const shutdown = (signal: string) => {
  logger.info({ signal }, 'shutting down');
  app.stop().then(
    () => process.exit(0),
    (error) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

app.start().catch((error) => {
  if (error instanceof DataDirError) console.error(error.message);
  else logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
