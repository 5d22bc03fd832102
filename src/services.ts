import { AccessTokens } from './auth/access-token.ts';
import { CredentialResolver } from './auth/credentials.ts';
import type { FailureCounter } from './auth/rate-limiter.ts';
import { Revocations } from './auth/revocations.ts';
import type { Config } from './config.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import type { Outbox } from './events/outbox.ts';
import type { Logger } from './logger.ts';
import { ApiKeysService } from './modules/api-keys/service.ts';
import { AuditService } from './modules/audit/service.ts';
import { RefreshTokens } from './modules/auth/refresh-tokens.ts';
import { AuthService } from './modules/auth/service.ts';
import { TenantsService } from './modules/tenants/service.ts';
import { UsersService } from './modules/users/service.ts';
import type { PubSub } from './pubsub/pubsub.ts';

export type Services = ReturnType<typeof createServices>;

/** Wires every domain service from the infrastructure the app was given. */
export function createServices(deps: {
  config: Config;
  prisma: PrismaClient;
  pubsub: PubSub;
  outbox: Outbox;
  loginFailures: FailureCounter;
  logger: Logger;
}) {
  const { config, prisma, pubsub, outbox, loginFailures, logger } = deps;
  const accessTokens = new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  const audit = new AuditService(prisma, outbox);
  const tenants = new TenantsService(prisma);
  const users = new UsersService(prisma, outbox, audit);
  const revocations = new Revocations(pubsub, logger.child({ service: 'revocations' }));
  const apiKeys = new ApiKeysService(prisma, outbox, audit, revocations);
  const auth = new AuthService({
    prisma,
    accessTokens,
    refreshTokens: new RefreshTokens(prisma, config.refreshTokenTtlDays),
    loginFailures,
    maxLoginFailures: config.loginMaxFailuresPerMinute,
    tenants,
    users,
    outbox,
    audit,
    revocations,
  });
  return {
    pubsub,
    credentials: new CredentialResolver(accessTokens, apiKeys),
    revocations,
    audit,
    tenants,
    users,
    apiKeys,
    auth,
  };
}
