import { ConfigError, loadConfig, loadSeedPassword } from './config.ts';
import { readEnvFile } from './env-file.ts';
import { createLogger } from './logger.ts';
import { seedDemo, SeedRefusedError } from './seed/demo-tenant.ts';
import { demoInstructions } from './seed/instructions.ts';

/** `npm run seed`: the demo tenant on whatever database the configuration names, then what to do next. */
async function main(): Promise<void> {
  readEnvFile();
  const config = loadConfig();
  // Info-level lines (migrations applied) would bury the instructions; problems still show.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const seed = await seedDemo(config, { port: config.port, password: loadSeedPassword(), logger });
  console.log(demoInstructions(seed, config.port));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exitCode = 78;
    return;
  }
  console.error(error instanceof SeedRefusedError ? `npm run seed: ${error.message}` : error);
  process.exitCode = 1;
});
