import { badInput } from '../errors.ts';
import { OutboundError, type OutboundHttp } from './http-client.ts';

/** A URL a user gave for us to call, normalised; BAD_USER_INPUT on `field` when it is unusable or private. */
export async function reachableUserUrl(outbound: OutboundHttp, field: string, raw: string): Promise<string> {
  try {
    return (await outbound.assertReachable(raw)).href;
  } catch (error) {
    if (error instanceof OutboundError) throw badInput(field, `${field}: ${error.message}`);
    throw error;
  }
}
