import { completed, failed, bufferLimit, tooLarge, type Emit, type Ending } from './parser.ts';
import { isRecord } from './payloads.ts';
import { SseParser } from './sse.ts';
import type { AgentRequestBody, TokenUsage } from './types.ts';

/** Parameters the server sets itself, or that would make an answer it cannot read (several choices): config cannot set them. */
const RESERVED_PARAMETERS = new Set(['model', 'messages', 'stream', 'n']);

/**
 * The chat-completions request for a conversation: the system prompt first, then the history;
 * the agent's config adds parameters (temperature, max_tokens, even stream_options). Images go
 * as `image_url` parts and other files as links, so that vision models see what was sent.
 */
export function chatCompletionsRequest(model: string, body: AgentRequestBody): Record<string, unknown> {
  const extra = isRecord(body.config) ? Object.fromEntries(Object.entries(body.config).filter(([name]) => !RESERVED_PARAMETERS.has(name))) : {};
  const system = body.system_prompt ? [{ role: 'system', content: body.system_prompt }] : [];
  return {
    stream_options: { include_usage: true },
    ...extra,
    model,
    stream: true,
    messages: [...system, ...body.messages.map(chatMessageOf)],
  };
}

function chatMessageOf({ role, content, attachments = [] }: AgentRequestBody['messages'][number]) {
  if (attachments.length === 0) return { role, content };
  const isImage = (file: (typeof attachments)[number]) => file.mimeType.startsWith('image/');
  const links = attachments.filter((file) => !isImage(file)).map((file) => `[${file.name}](${file.url})`);
  const text = [content, ...links].filter(Boolean).join('\n');
  const images = attachments.filter(isImage).map((file) => ({ type: 'image_url', image_url: { url: file.url } }));
  return { role, content: [{ type: 'text', text }, ...images] };
}

/** The reply's end as its last `finish_reason` says: `stop` (or none) completes it. */
function endingOf(finishReason: string | undefined): Ending {
  if (finishReason === 'length') return failed('The reply was cut off: the model reached its token limit (finish_reason: length)');
  if (finishReason === 'content_filter') return failed("The provider's content filter stopped the reply (finish_reason: content_filter)");
  if (finishReason === 'tool_calls' || finishReason === 'function_call') {
    return failed(`The model asked to call a tool (finish_reason: ${finishReason}); agents offer none`);
  }
  return completed;
}

/** What a response reports of its tokens, when it has a well-formed `usage`. */
function usageOf(response: Record<string, unknown>): TokenUsage | undefined {
  const { usage } = response;
  if (!isRecord(usage)) return undefined;
  const { prompt_tokens: prompt, completion_tokens: completion } = usage;
  if (!Number.isSafeInteger(prompt) || !Number.isSafeInteger(completion) || (prompt as number) < 0 || (completion as number) < 0) return undefined;
  return { promptTokens: prompt as number, completionTokens: completion as number };
}

/** The first choice of a response or chunk, if any. */
function firstChoice(response: Record<string, unknown>): Record<string, unknown> | undefined {
  const [choice] = Array.isArray(response.choices) ? response.choices : [];
  return isRecord(choice) ? choice : undefined;
}

/** What looks like an API key in a provider's words: never shown to a chat's members. */
const KEY_LIKE = /\b(?:sk|pk|rk|key)[-_][A-Za-z0-9_*.-]{4,}/gi;

/** The provider's own words for an error object, when they are short enough to show, with anything like a key cut out. */
export function providerMessage(error: unknown): string | undefined {
  const message = isRecord(error) ? error.message : error;
  if (typeof message !== 'string') return undefined;
  const words = message.replace(KEY_LIKE, '[redacted]').replace(/\s+/g, ' ').trim();
  return words && words.length <= 200 ? words : undefined;
}

/**
 * A streamed chat completion (`stream: true`): `choices[0].delta.content` pieces, a
 * `finish_reason`, the `usage` of the last chunk, then `data: [DONE]`. A stream that ends after
 * its finish_reason but without [DONE] is complete; one that ends before is cut off.
 */
export class ChatCompletionsStream extends SseParser {
  usage: TokenUsage | undefined;
  private finishReason: string | undefined;

  protected override event(payload: string): Ending | undefined {
    if (payload.trim() === '[DONE]') return endingOf(this.finishReason);
    let chunk: unknown;
    try {
      chunk = JSON.parse(payload);
    } catch {
      return failed('The provider sent a malformed event (its data is not JSON)');
    }
    if (!isRecord(chunk)) return undefined;
    if (chunk.error) {
      const message = providerMessage(chunk.error);
      return failed(message ? `The provider reported an error: ${message}` : 'The provider reported an error');
    }
    this.usage = usageOf(chunk) ?? this.usage;
    const choice = firstChoice(chunk);
    if (isRecord(choice?.delta) && typeof choice.delta.content === 'string') this.emit(choice.delta.content);
    if (typeof choice?.finish_reason === 'string') this.finishReason = choice.finish_reason;
    return undefined;
  }

  protected override cutOff(): Ending {
    if (this.finishReason !== undefined) return endingOf(this.finishReason);
    return failed("The provider's stream was cut off before the reply finished");
  }
}

/** A chat completion answered whole (a provider that does not stream): `choices[0].message.content`. */
export class ChatCompletionBody {
  usage: TokenUsage | undefined;
  private body = '';

  constructor(
    private readonly emit: Emit,
    private readonly maxContentChars: number,
  ) {}

  push(text: string): Ending | undefined {
    this.body += text;
    return this.body.length > bufferLimit(this.maxContentChars) ? tooLarge : undefined;
  }

  end(): Ending {
    let response: unknown;
    try {
      response = JSON.parse(this.body);
    } catch {
      return failed("The provider's answer is not valid JSON");
    }
    if (!isRecord(response)) return failed("The provider's answer is not a chat completion");
    this.usage = usageOf(response);
    const choice = firstChoice(response);
    const content = isRecord(choice?.message) ? choice.message.content : undefined;
    const ending = endingOf(typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined);
    if (typeof content === 'string') this.emit(content);
    else if (ending.kind === 'completed') return failed("The provider's answer has no choices[0].message.content");
    return ending;
  }
}
