/** What the JSON pieces of an agent's answer may look like, whatever their framing. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The text one streamed event carries: n8n's `{"type":"item","content"}`, a bare `{"content"}`,
 * or an OpenAI chunk `{"choices":[{"delta":{"content"}}]}`. Undefined for events without text.
 */
export function deltaOf(event: Record<string, unknown>): string | undefined {
  if (typeof event.content === 'string') return event.content;
  const [choice] = Array.isArray(event.choices) ? event.choices : [];
  if (isRecord(choice) && isRecord(choice.delta) && typeof choice.delta.content === 'string') return choice.delta.content;
  return undefined;
}

/** Whether the event reports an error: n8n's `{"type":"error"}` or OpenAI's `{"error":{...}}`. */
export function isErrorEvent(event: Record<string, unknown>): boolean {
  return event.type === 'error' || Boolean(event.error);
}

const shortMessage = 200;

/** The reason shown for an error event: the agent's own words when they are a short string. */
export function agentErrorReason(event: Record<string, unknown>): string {
  const candidates = [event.content, event.message, event.error, isRecord(event.error) ? event.error.message : undefined];
  const message = candidates
    .find((candidate): candidate is string => typeof candidate === 'string' && candidate.trim() !== '')
    ?.replace(/\s+/g, ' ')
    .trim();
  return message && message.length <= shortMessage ? `The agent reported an error: ${message}` : 'The agent reported an error';
}
