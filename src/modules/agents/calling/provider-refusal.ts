import { providerMessage } from './chat-completions.ts';
import { isRecord } from './payloads.ts';

/**
 * Why an OpenAI-compatible API refused a request, in words for the user (or their admin) to act
 * on: the status, the wait a 429 asks for, and the provider's own message where it helps, never
 * showing `token` (the API key) or anything like a key.
 */
export function providerRefusal(status: number, retryAfter: string | undefined, body: string, token: string | null): string {
  const message = errorMessageIn(body);
  const shown = token && message ? message.replaceAll(token, '[redacted]') : message;
  const saying = shown ? `: ${shown}` : '';
  if (status === 401 || status === 403) return `The provider refused the API key (HTTP ${status}); an admin can set another with updateAgent`;
  if (status === 429) {
    const wait = retryAfterSeconds(retryAfter);
    return `The provider is rate limiting this agent (HTTP 429); try again ${wait === undefined ? 'later' : `in ${wait} s`}`;
  }
  if (status >= 500) return `The provider failed (HTTP ${status})${saying}`;
  if (status === 404) return `The provider does not know this model or URL (HTTP 404)${saying}`;
  return `The provider refused the request (HTTP ${status})${saying}`;
}

/** Retry-After as delay-seconds or an HTTP date, in whole seconds from now. */
export function retryAfterSeconds(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The error message of a JSON refusal: OpenAI's {"error": {"message"}}, or Ollama's {"error": "..."}. */
function errorMessageIn(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = isRecord(parsed) ? parsed.error : undefined;
    return providerMessage(Array.isArray(error) ? error[0] : error);
  } catch {
    return undefined;
  }
}
