import { isRecord } from './payloads.ts';

const replyFields = ['content', 'output', 'text'] as const;

/**
 * The reply in a whole JSON body: `{"content"}`, `{"output"}` or `{"text"}`, or n8n's list of
 * items `[{"output"}]` (the first item answers).
 */
export function replyOfJson(body: string): { reply: string } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { reason: "The agent's answer is not valid JSON" };
  }
  const answer = Array.isArray(value) ? value[0] : value;
  if (isRecord(answer)) {
    for (const field of replyFields) {
      const reply = answer[field];
      if (typeof reply === 'string') return { reply };
    }
  }
  return { reason: "The agent's answer has no content, output or text field" };
}
