/** How an agent frames streamed tokens, as n8n and OpenAI-compatible servers do. */

export type StreamFormat = 'sse' | 'openai' | 'ndjson';

type Framing = { contentType: string; begin: string; token(text: string): string; end: string };

/** What n8n attaches to each chunk of its streaming response mode. */
const n8nMetadata = () => ({ nodeId: 'agent-1', nodeName: 'AI Agent', itemIndex: 0, runIndex: 0, timestamp: Date.now() });
const ndjsonLine = (chunk: object) => `${JSON.stringify(chunk)}\n`;

export const framings: Record<StreamFormat, Framing> = {
  sse: {
    contentType: 'text/event-stream',
    begin: '',
    token: (text) => `data: ${JSON.stringify({ content: text })}\n\n`,
    end: 'data: [DONE]\n\n',
  },
  openai: {
    contentType: 'text/event-stream',
    begin: `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' } }] })}\n\n`,
    token: (text) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`,
    end: `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
  },
  ndjson: {
    contentType: 'application/x-ndjson',
    begin: ndjsonLine({ type: 'begin', metadata: n8nMetadata() }),
    token: (text) => ndjsonLine({ type: 'item', content: text, metadata: n8nMetadata() }),
    end: ndjsonLine({ type: 'end', metadata: n8nMetadata() }),
  },
};
