import { loadConfig } from '../config.ts';
import { readEnvFile } from '../env-file.ts';
import { createDatabase } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { Outbox } from '../events/outbox.ts';
import { createLogger, type Logger } from '../logger.ts';
import { AuditService } from '../modules/audit/service.ts';
import type { AppEvents } from '../modules/events.ts';
import { TeamOperator } from '../modules/tenants/operator.ts';
import { TeamLimits } from '../modules/tenants/team-limits.ts';
import { createMemoryPubSub } from '../pubsub/memory.ts';
import { INSTANCE_WIDE, type PubSub } from '../pubsub/pubsub.ts';

/**
 * Opens the configured database (and Redis, when configured) for one operator command, hands
 * `act` a TeamOperator on them, and closes them after.
 */
export async function withTeamOperator<T>(act: (operator: TeamOperator) => Promise<T>): Promise<T> {
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
    return await act(
      new TeamOperator({
        prisma,
        outbox,
        audit: new AuditService(prisma, outbox, createMemoryPubSub()),
        limits: new TeamLimits(config.teamLimits),
        announce: (tenantId, suspended) => pubsub.publish('teamSuspension', INSTANCE_WIDE, { tenantId, suspended }),
      }),
    );
  } finally {
    await announcer?.close();
    await database.close();
  }
}

/**
 * Running instances hear a suspension over Redis when there is one, at once; otherwise they
 * read it from the database within a few seconds (and the embedded database is not shared anyway).
 */
async function suspensionAnnouncer(redisUrl: string | undefined, logger: Logger): Promise<{ pubsub: PubSub; close(): Promise<void> }> {
  if (!redisUrl) {
    const pubsub = createMemoryPubSub();
    return { pubsub, close: () => pubsub.close() };
  }
  const [{ connectRedis }, { createRedisPubSub }] = await Promise.all([import('../redis.ts'), import('../pubsub/redis.ts')]);
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
