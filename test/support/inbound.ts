import { INBOUND_PAYLOAD_CONSUMER } from '../../src/modules/channels/webhook-intake.ts';
import type { RunningApp } from './app.ts';
import { eventually } from './fixtures.ts';

/**
 * Resolves once every channel payload the app accepted is processed: the provider's POST is
 * answered as soon as the payload is stored, before its messages are.
 */
export async function inboundProcessed(app: Pick<RunningApp, 'prisma'>, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => ((await app.prisma().consumerJob.count({ where: { consumer: INBOUND_PAYLOAD_CONSUMER, status: 'PENDING' } })) === 0 ? true : undefined),
    timeoutMs,
    'the accepted payloads to be processed',
  );
}
