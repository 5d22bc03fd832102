import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export type ServerProcess = ReturnType<typeof startServer>;

/** How the server is started: `node --import tsx src/main.ts` unless a test says otherwise (e.g. `npm start` in a build). */
export type ServerCommand = { command: string; args: string[]; cwd: string };

/**
 * The server as its own process (`src/main.ts`), for tests that kill it. `ready` resolves with
 * its GraphQL URL once it logs "ready"; `exited` with its exit code. Nothing is inherited from
 * this process's environment but PATH and HOME.
 */
export function startServer(
  env: Record<string, string>,
  { command, args, cwd }: ServerCommand = { command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'], cwd: repoRoot },
) {
  const child = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      // Every test signs up from 127.0.0.1, and suites with Redis share its counters.
      SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output.stdout += chunk;
      const line = output.stdout.split('\n').find((entry) => entry.includes('"msg":"ready"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${output.stderr}`)));
  });
  // Some cases expect the server to refuse to start: they await `exited`, not `ready`.
  ready.catch(() => {});
  return { child, output, exited, ready };
}
