import { LineParser } from './lines.ts';
import { completed, failed, type Ending } from './parser.ts';
import { agentErrorReason, deltaOf, isErrorEvent, isRecord } from './payloads.ts';

/**
 * Server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html): each
 * event's `data:` is a JSON piece of the reply, and `data: [DONE]` ends it. Subclasses read
 * another dialect by overriding `event` and `cutOff`.
 */
export class SseParser extends LineParser {
  private data: string[] = [];

  end(): Ending {
    // Lenient with a last event that lacks its closing blank line.
    return this.line(this.lines.rest()) ?? this.dispatch() ?? this.cutOff();
  }

  /** How the reply ends when the body ended without ending it. */
  protected cutOff(): Ending {
    return failed("The agent's stream ended before [DONE]");
  }

  protected line(line: string): Ending | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return undefined;
    const value = colon === -1 ? '' : line.slice(colon + 1);
    this.data.push(value.startsWith(' ') ? value.slice(1) : value);
    return undefined;
  }

  private dispatch(): Ending | undefined {
    if (this.data.length === 0) return undefined;
    const payload = this.data.join('\n');
    this.data = [];
    return this.event(payload);
  }

  /** Reads one event's data. */
  protected event(payload: string): Ending | undefined {
    if (payload.trim() === '[DONE]') return completed;
    let event: unknown;
    try {
      event = JSON.parse(payload);
    } catch {
      return failed('The agent sent a malformed event (its data is not JSON)');
    }
    if (!isRecord(event)) return undefined;
    if (isErrorEvent(event)) return failed(agentErrorReason(event));
    const delta = deltaOf(event);
    if (delta !== undefined) this.emit(delta);
    return undefined;
  }
}
