import type { IncomingMessage, ServerResponse } from 'node:http';
import { echoGreeting, lastUserMessage, readDemoRequest, streamWords } from './demo-agent.ts';

/** The demo model's whole answer (deterministic: tests compare it). */
export function demoModelReply(lastUserMessage: string | undefined): string {
  return [
    echoGreeting(lastUserMessage),
    'I am the built-in demo model of this server, answering as an OpenAI-compatible chat-completions API does, word by word.',
    'For a real model, point this agent at OpenAI, OpenRouter, Gemini, Ollama or vLLM:',
    'updateAgent(id, input: { baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini", apiKey: "<your key>" }).',
  ].join(' ');
}

/** A rough count, for a usage that looks like a real one: about four characters a token. */
function tokensIn(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * Serves `POST /demo-agent/v1/chat/completions` as an OpenAI-compatible API streams a chat
 * completion: a chunk per word, a last chunk with `finish_reason: "stop"`, a usage chunk, [DONE].
 */
export async function serveDemoModel(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readDemoRequest(req, res, 'a chat-completions request body');
  if (!request) return;
  const model = typeof request.model === 'string' ? request.model : 'demo';
  const reply = demoModelReply(lastUserMessage(request));
  const id = `chatcmpl-demo-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const usage = { prompt_tokens: tokensIn(JSON.stringify(request.messages ?? [])), completion_tokens: tokensIn(reply) };
  streamWords(res, reply, (word) => chunk({ content: word }, null), [
    chunk({}, 'stop'),
    { id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } },
  ]);
}
