import { existsSync } from 'node:fs';

/** The settings file the server reads when it is there: `.env` in the working directory. */
export const ENV_FILE = '.env';

/**
 * Adds the settings of `.env` (in the working directory), when there is one, to `process.env`;
 * a variable already set in the environment keeps its value.
 */
export function readEnvFile(file = ENV_FILE): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
