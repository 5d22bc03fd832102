import type { Redis } from 'ioredis';
import type { Config } from '../../../config.ts';
import type { Outbox } from '../../events.ts';
import type { PrismaClient } from '../../../generated/prisma/client.ts';
import type { Logger } from '../../../logger.ts';
import type { OutboundHttp } from '../../../outbound/http-client.ts';
import type { PubSub } from '../../../pubsub/pubsub.ts';
import { agentCaller } from '../../agents/calling/caller.ts';
import type { AgentCallObserver } from '../../agents/calling/types.ts';
import { ConversationService } from '../conversation-service.ts';
import { MessageStreams } from './message-streams.ts';
import { ReplyEndings } from './reply-endings.ts';
import { ReplyGenerator } from './reply-generator.ts';
import { ReplyStore } from './reply-store.ts';
import { MemoryStreamLog, RedisStreamLog } from './stream-log.ts';

/** A reply's most content, in characters. */
const MAX_REPLY_CHARS = 200_000;
/** How long a finished stream stays replayable from the log (then from its row). */
const FINISHED_STREAM_RETENTION_MS = 15 * 60_000;

/** Wires sending, streaming and following chat messages, on Redis when there is one. */
export function createConversations(deps: {
  config: Config;
  prisma: PrismaClient;
  outbox: Outbox;
  pubsub: PubSub;
  redis?: Redis;
  logger: Logger;
  /** The client agents are called with. */
  agentHttp: OutboundHttp;
  observeAgentCall?: AgentCallObserver;
}) {
  const { config, prisma, outbox, pubsub, logger } = deps;
  const retention = { activeMs: config.agents.maxDurationMs + 5 * 60_000, finishedMs: FINISHED_STREAM_RETENTION_MS };
  const log = deps.redis ? new RedisStreamLog(deps.redis, retention) : new MemoryStreamLog(retention);
  const streams = new MessageStreams(pubsub, log);
  const store = new ReplyStore(prisma, outbox, config.publicUrl);
  const replyLogger = logger.child({ service: 'replies' });
  const endings = new ReplyEndings({ streams, store, logger: replyLogger, maxReplyMs: config.agents.maxDurationMs });
  const caller = agentCaller(deps.agentHttp, config.agents, MAX_REPLY_CHARS, deps.observeAgentCall);
  const generator = new ReplyGenerator({ caller, streams, endings, pubsub, logger: replyLogger });
  const conversations = new ConversationService({
    prisma,
    outbox,
    pubsub,
    streams,
    store,
    generator,
    endings,
    historyMessages: config.agents.historyMessages,
  });
  return {
    conversations,
    lifecycle: {
      /**
       * Sweeps replies left streaming by a crashed instance. Without Redis this is the only
       * instance, so every reply still streaming at start-up was left by its predecessor.
       */
      start: () => {
        endings.startSweeping();
        void endings.sweep(deps.redis ? undefined : new Date());
      },
      /** Lets this instance's running replies finish by themselves, for `graceMs` at the most. */
      settle: (graceMs: number) => generator.settle(graceMs),
      /** Ends this instance's running replies (as FAILED) and stops sweeping; safe to call again. */
      stop: async () => {
        endings.stopSweeping();
        await generator.stop();
      },
    },
  };
}
