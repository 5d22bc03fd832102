import type { IncomingMessage } from 'node:http';
import type { OutboundRequest } from '../../../outbound/http-client.ts';

/** What an agent's webhook is sent for each reply (snake_case, as n8n workflows expect). */
export type AgentRequestBody = {
  /**
   * Oldest first; `timestamp` (ISO 8601) is when the message was written. `attachments`, only on
   * messages with files: URLs the agent fetches without credentials.
   */
  messages: {
    role: 'user' | 'assistant' | 'system';
    content: string;
    timestamp: string;
    attachments?: { url: string; name: string; mimeType: string; size: number }[];
  }[];
  system_prompt: string | null;
  config: unknown;
  chat_id: string;
  message_id: string;
};

export type AgentCall = {
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set: the webhook token, or the API key. */
  token: string | null;
  /** Set for OPENAI_COMPATIBLE agents: the call is a streamed chat completion of this model. */
  chatCompletions?: { model: string };
  body: AgentRequestBody;
  /** Aborted by `cancelMessage` or by shutdown; the outcome is then `cancelled`. */
  signal: AbortSignal;
};

/** Tokens a model reports it used for one call. */
export type TokenUsage = { promptTokens: number; completionTokens: number };

/**
 * How a reply ended. `content` is everything that arrived, also when it failed or was cancelled.
 * `reason` is written for the user who sees the failed message (no stack traces, no secrets).
 * `usage`, when the provider reported it.
 */
export type AgentReplyOutcome = (
  | { kind: 'completed'; content: string }
  | { kind: 'failed'; reason: string; content: string }
  | { kind: 'cancelled'; content: string }
) & { usage?: TokenUsage };

/** Told of every call once it ends: its outcome and how long it took (for metrics). */
export type AgentCallObserver = (outcome: AgentReplyOutcome['kind'], seconds: number) => void;

export type AgentCallerLimits = {
  /** Longest wait for the first byte of the answer, and then between two chunks. */
  idleTimeoutMs: number;
  /** Longest the whole exchange may take. */
  maxDurationMs: number;
  /** The most content a reply may have; beyond it the reply fails. */
  maxContentChars: number;
};

/** The one thing the caller needs from the HTTP client (OutboundHttp satisfies it). */
export type StreamingHttp = { open(url: string, init: OutboundRequest): Promise<IncomingMessage> };
