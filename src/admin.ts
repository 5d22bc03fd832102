import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, readEnvFile } from './config.ts';
import { DataDirError } from './data-dir.ts';
import { createDatabase } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { AppError } from './errors.ts';
import { Outbox } from './events/outbox.ts';
import { createLogger } from './logger.ts';
import { AuditService } from './modules/audit/service.ts';
import type { AppEvents } from './modules/events.ts';
import { TeamNotFoundError, TeamOperator, type LimitsChange, type TeamReport } from './modules/tenants/operator.ts';
import { TeamLimits } from './modules/tenants/team-limits.ts';
import { createMemoryPubSub } from './pubsub/memory.ts';
import { INSTANCE_WIDE, type PubSub } from './pubsub/pubsub.ts';

const usage = `usage: npm run admin -- <command> <team> [options]   (team: its slug or id)

  show <team>                      the team's limits, what it holds, and whether it is suspended
  limits <team> [--users N] [--sessions N] [--api-keys N]
                                   sets the team's own limits; "default" goes back to the server's setting
  suspend <team> [--reason TEXT]   refuses every sign-in, token and API key of the team at once
  resume <team>                    lets the team in again`;

class UsageError extends Error {}

/** `npm run admin`: what an operator does to a team, against the configured database. */
async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const [command, team, ...extra] = positionals;
  if (values.help) return void console.log(usage);
  if (!command || !team || extra.length > 0 || !Object.hasOwn(optionsOf, command)) throw new UsageError(usage);
  const allowed: readonly string[] = optionsOf[command as Command];
  const stray = Object.keys(values).filter((option) => !allowed.includes(option));
  if (stray.length > 0) throw new UsageError(`${command} takes no --${stray.join(', --')}\n\n${usage}`);

  readEnvFile();
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  let announcer: Awaited<ReturnType<typeof suspensionAnnouncer>> | undefined;
  try {
    announcer = await suspensionAnnouncer(config.redisUrl, logger);
    const { pubsub } = announcer;
    await migrate(database, logger);
    const { prisma } = database;
    const outbox = new Outbox<AppEvents>(prisma, () => {});
    const operator = new TeamOperator({
      prisma,
      outbox,
      audit: new AuditService(prisma, outbox, createMemoryPubSub()),
      limits: new TeamLimits(config.teamLimits),
      announce: (tenantId, suspended) => pubsub.publish('teamSuspension', INSTANCE_WIDE, { tenantId, suspended }),
    });
    const report = await run(operator, command, team, values);
    console.log(describe(report));
  } finally {
    await announcer?.close();
    await database.close();
  }
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

function run(operator: TeamOperator, command: string, team: string, values: { users?: string; sessions?: string; 'api-keys'?: string; reason?: string }) {
  if (command === 'limits') {
    const change: LimitsChange = { users: limitArg(values.users), channelSessions: limitArg(values.sessions), apiKeys: limitArg(values['api-keys']) };
    if (Object.values(change).every((value) => value === undefined)) throw new UsageError('limits: give at least one of --users, --sessions, --api-keys');
    return operator.setLimits(team, change);
  }
  if (command === 'suspend') return operator.suspend(team, values.reason?.trim() || null);
  if (command === 'resume') return operator.resume(team);
  return operator.report(team);
}

function limitArg(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default') return null;
  if (!/^\d+$/.test(value)) throw new UsageError(`"${value}" is not a whole number or "default"`);
  return Number(value);
}

/**
 * Running instances hear a suspension over Redis when there is one, at once; otherwise they
 * read it from the database within a few seconds (and the embedded database is not shared anyway).
 */
async function suspensionAnnouncer(redisUrl: string | undefined, logger: ReturnType<typeof createLogger>): Promise<{ pubsub: PubSub; close(): Promise<void> }> {
  if (!redisUrl) {
    const pubsub = createMemoryPubSub();
    return { pubsub, close: () => pubsub.close() };
  }
  const [{ connectRedis }, { createRedisPubSub }] = await Promise.all([import('./redis.ts'), import('./pubsub/redis.ts')]);
  const redis = await connectRedis(redisUrl, logger);
  const pubsub = createRedisPubSub({ publisher: redis.commands, subscriber: redis.subscriber });
  return {
    pubsub,
    async close() {
      await pubsub.close();
      await redis.close();
    },
  };
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
    const known = error instanceof UsageError || error instanceof TeamNotFoundError || error instanceof ConfigError || error instanceof DataDirError || error instanceof AppError;
    console.error(known ? `npm run admin: ${(error as Error).message}` : error);
    process.exit(error instanceof UsageError ? 64 : 1);
  },
);
