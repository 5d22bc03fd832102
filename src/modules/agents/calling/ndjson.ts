import { LineParser } from './lines.ts';
import { completed, failed, type Ending } from './parser.ts';
import { agentErrorReason, isRecord } from './payloads.ts';

/** The chunk types of n8n's streaming response mode. */
export const ndjsonTypes = ['begin', 'item', 'end', 'error'] as const;

/**
 * n8n's streaming response: one JSON object a line, `begin`, `item`s with `content`, `end`.
 * Every streaming node of the workflow sends its own begin..end, so the reply is complete when
 * the body ends after an `end`, not at the first one.
 */
export class NdjsonParser extends LineParser {
  private lastMarker: 'begin' | 'end' | undefined;

  end(): Ending {
    const ending = this.line(this.lines.rest());
    if (ending) return ending;
    return this.lastMarker === 'end' ? completed : failed("The agent's stream ended before its end marker");
  }

  protected line(line: string): Ending | undefined {
    if (line.trim() === '') return undefined;
    let chunk: unknown;
    try {
      chunk = JSON.parse(line);
    } catch {
      return failed('The agent sent a malformed line (it is not JSON)');
    }
    if (!isRecord(chunk)) return failed('The agent sent a malformed line (it is not a JSON object)');
    switch (chunk.type) {
      case 'begin':
      case 'end':
        this.lastMarker = chunk.type;
        return undefined;
      case 'item':
        if (typeof chunk.content === 'string') this.emit(chunk.content);
        return undefined;
      case 'error':
        return failed(agentErrorReason(chunk));
      default:
        return undefined;
    }
  }
}
