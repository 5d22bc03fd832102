import { NdjsonParser, ndjsonTypes } from './ndjson.ts';
import { bufferLimit, type Emit, type Ending, type ReplyParser } from './parser.ts';
import { isRecord } from './payloads.ts';
import { SseParser } from './sse.ts';
import { WholeBodyParser } from './whole-body.ts';

/**
 * The parser for an answer. `text/event-stream` is SSE. Any other answer is sniffed on its first
 * non-blank line, because n8n labels its streamed NDJSON `application/json` and proxies relabel
 * SSE: see `formatOf`.
 */
export function replyParser(contentType: string, emit: Emit, maxContentChars: number): ReplyParser {
  const limit = bufferLimit(maxContentChars);
  if (contentType === 'text/event-stream') return new SseParser(emit, limit);
  return new SniffingParser((format) => {
    if (format === 'sse') return new SseParser(emit, limit);
    if (format === 'ndjson') return new NdjsonParser(emit, limit);
    return new WholeBodyParser(emit, contentType === 'text/plain', maxContentChars);
  }, contentType, limit);
}

type Format = 'sse' | 'ndjson' | 'whole-body';

/**
 * NDJSON when the first line is a JSON object whose `type` is one of n8n's chunk types; SSE when
 * it is an SSE field or comment (never in `text/plain`, where it may be the reply's first
 * words); otherwise the whole body is the answer.
 */
function formatOf(firstLine: string, contentType: string): Format {
  if (contentType !== 'text/plain' && /^(data|event|id|retry):|^:/.test(firstLine)) return 'sse';
  try {
    const chunk: unknown = JSON.parse(firstLine);
    if (isRecord(chunk) && ndjsonTypes.some((type) => chunk.type === type)) return 'ndjson';
  } catch {
    // Not a line of JSON: a pretty-printed JSON body or text.
  }
  return 'whole-body';
}

/** Holds the answer back until its format is known, then hands all of it to that format's parser. */
class SniffingParser implements ReplyParser {
  private pending = '';
  private parser: ReplyParser | undefined;

  constructor(
    private readonly parserFor: (format: Format) => ReplyParser,
    private readonly contentType: string,
    private readonly limit: number,
  ) {}

  push(text: string): Ending | undefined {
    if (this.parser) return this.parser.push(text);
    this.pending += text;
    // Until now every line was blank, so only a line break in `text` can complete the first line.
    const firstLine = text.includes('\n') ? /^\s*(\S[^\n]*)\n/.exec(this.pending)?.[1] : undefined;
    if (firstLine !== undefined) return this.choose(formatOf(firstLine.trim(), this.contentType)).push(this.pending);
    // One huge line: a whole body, which fails there for its size.
    if (this.pending.length > this.limit) return this.choose('whole-body').push(this.pending);
    return undefined;
  }

  end(): Ending {
    if (this.parser) return this.parser.end();
    const parser = this.choose(formatOf(this.pending.trim(), this.contentType));
    return parser.push(this.pending) ?? parser.end();
  }

  private choose(format: Format): ReplyParser {
    this.parser = this.parserFor(format);
    return this.parser;
  }
}
