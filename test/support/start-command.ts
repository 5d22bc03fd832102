import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What `npm start` runs, read from package.json so that tests and benchmarks run the same:
 * `[NAME=value ...] exec node [flags ...] script` (`exec`, so that npm's signals reach Node).
 */
export function startCommand(): { env: Record<string, string>; nodeArgs: string[]; script: string } {
  const words = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  const isSetting = (word: string) => /^[A-Z_]+=/.test(word);
  const env = Object.fromEntries(words.filter(isSetting).map((word) => word.split('=', 2) as [string, string]));
  const command = words.filter((word) => !isSetting(word) && word !== 'exec');
  if (command[0] !== 'node') throw new Error(`npm start does not run node: ${words.join(' ')}`);
  return { env, nodeArgs: command.slice(1, -1), script: command.at(-1)! };
}
