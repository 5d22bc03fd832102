import { INBOUND_PAYLOAD_CONSUMER } from '../../src/modules/channels/webhook-intake.ts';
import type { RunningApp } from './app.ts';
import { eventually } from './fixtures.ts';

/**
 * Resolves once every channel payload the app accepted is processed: the provider's POST is
 * answered as soon as the payload is stored, before its messages are. Throws with the error of
 * a payload whose processing failed for good.
 */
export async function inboundProcessed(app: Pick<RunningApp, 'prisma'>, timeoutMs = 10_000): Promise<void> {
  const jobs = app.prisma().consumerJob;
  await eventually(
    async () => ((await jobs.count({ where: { consumer: INBOUND_PAYLOAD_CONSUMER, status: 'PENDING' } })) === 0 ? true : undefined),
    timeoutMs,
    'the accepted payloads to be processed',
  );
  const failed = await jobs.findFirst({ where: { consumer: INBOUND_PAYLOAD_CONSUMER, status: 'FAILED' }, select: { key: true, lastError: true } });
  if (failed) throw new Error(`processing the payload ${failed.key} failed: ${failed.lastError}`);
}
