import { parseArgs } from 'node:util';
import type { LimitsChange, TeamOperator, TeamReport } from './modules/tenants/operator.ts';

const usage = `usage: npm run admin -- <command> <team> [options]   (team: its slug or id)

  show <team>                      the team's limits, what it holds, and whether it is suspended
  limits <team> [--users N] [--sessions N] [--api-keys N]
                                   sets the team's own limits; "default" goes back to the server's setting
  suspend <team> [--reason TEXT]   refuses every sign-in, token and API key of the team at once
  resume <team>                    lets the team in again`;

class UsageError extends Error {}

/** The names of the errors the code throws for what an operator can put right (see each class). */
const EXPECTED_FAILURES = new Set(['ConfigError', 'DataDirError', 'AppError', 'TeamNotFoundError']);

/** `npm run admin`: what an operator does to a team, against the configured database. */
async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const [command, team, ...extra] = positionals;
  if (values.help) return void console.log(usage);
  if (!command || !team || extra.length > 0 || !Object.hasOwn(optionsOf, command)) throw new UsageError(usage);
  const allowed: readonly string[] = optionsOf[command as Command];
  const stray = Object.keys(values).filter((option) => !allowed.includes(option));
  if (stray.length > 0) throw new UsageError(`${command} takes no --${stray.join(', --')}\n\n${usage}`);

  const act = commandOf(command as Command, team, values);
  // Loaded once the command line is good: a usage error answers without loading the database's modules.
  const { withTeamOperator } = await import('./admin/team-operator-session.ts');
  console.log(describe(await withTeamOperator(act)));
}

const optionsOf = { show: [], limits: ['users', 'sessions', 'api-keys'], suspend: ['reason'], resume: [] } as const satisfies Record<string, readonly string[]>;

type Command = keyof typeof optionsOf;

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        users: { type: 'string' },
        sessions: { type: 'string' },
        'api-keys': { type: 'string' },
        reason: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** What the command does with the operator; its arguments are checked here, before anything is opened. */
function commandOf(command: Command, team: string, values: { users?: string; sessions?: string; 'api-keys'?: string; reason?: string }): (operator: TeamOperator) => Promise<TeamReport> {
  if (command === 'limits') {
    const change: LimitsChange = { users: limitArg(values.users), channelSessions: limitArg(values.sessions), apiKeys: limitArg(values['api-keys']) };
    if (Object.values(change).every((value) => value === undefined)) throw new UsageError('limits: give at least one of --users, --sessions, --api-keys');
    return (operator) => operator.setLimits(team, change);
  }
  if (command === 'suspend') return (operator) => operator.suspend(team, values.reason?.trim() || null);
  if (command === 'resume') return (operator) => operator.resume(team);
  return (operator) => operator.report(team);
}

function limitArg(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default') return null;
  if (!/^\d+$/.test(value)) throw new UsageError(`"${value}" is not a whole number or "default"`);
  return Number(value);
}

/** Names and reasons are the teams' own text: control characters (terminal escapes) are shown, not obeyed. */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

function describe(report: TeamReport): string {
  const limit = (name: keyof TeamReport['limits']) =>
    `${report.holds[name]} of ${report.limits[name]}${report.ownLimits[name] === null ? ' (server default)' : ''}`;
  return [
    `team ${report.slug} (${report.id}): ${printable(report.name)}`,
    `status: ${report.suspendedAt ? `SUSPENDED since ${report.suspendedAt}${report.suspendedReason ? ` (${printable(report.suspendedReason)})` : ''}` : 'active'}`,
    `users: ${limit('users')}`,
    `channel sessions: ${limit('channelSessions')}`,
    `api keys: ${limit('apiKeys')}`,
  ].join('\n');
}

// The wasm engine leaves a timer running, so end explicitly.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    // Expected failures (a bad setting, an unknown team, a refused value, a busy DATA_DIR) are told in a line; anything else in full.
    const known = error instanceof UsageError || (error instanceof Error && EXPECTED_FAILURES.has(error.name));
    console.error(known ? `npm run admin: ${(error as Error).message}` : error);
    process.exit(error instanceof UsageError ? 64 : 1);
  },
);
