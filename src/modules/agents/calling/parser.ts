/** How a reply ends, before the content is attached (see AgentReplyOutcome). */
export type Ending = { kind: 'completed' } | { kind: 'failed'; reason: string } | { kind: 'cancelled' };

export const completed: Ending = { kind: 'completed' };

export function failed(reason: string): Ending {
  return { kind: 'failed', reason };
}

/**
 * Reads one answer format. Text arrives decoded, in pieces cut anywhere; each piece of the
 * reply is handed to the `emit` callback the parser was built with, as soon as it is parsed.
 */
export interface ReplyParser {
  /** Takes the next piece of the body; returns an ending when the reply is over before the body is. */
  push(text: string): Ending | undefined;
  /** The body ended: how the reply ends. */
  end(): Ending;
}

export type Emit = (delta: string) => void;

/**
 * The most answer text a parser keeps in memory before a reply could be read from it (a whole
 * JSON body, or one line). Generous, because a JSON body also carries escapes and metadata.
 */
export function bufferLimit(maxContentChars: number): number {
  return maxContentChars * 6 + 64 * 1024;
}

export const tooLarge = failed("The agent's answer was too large");
