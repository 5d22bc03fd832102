import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { OutboundError } from '../../../outbound/http-client.ts';
import { inSpan, SpanKind, SpanStatusCode } from '../../../tracing/spans.ts';
import { ReplyContent } from './content.ts';
import { failed, type Ending } from './parser.ts';
import { chatCompletionsProtocol, webhookProtocol, type UsageParser } from './protocols.ts';
import type { AgentCall, AgentCallerLimits, AgentCallObserver, AgentReplyOutcome, StreamingHttp } from './types.ts';
import { tookTooLong, Watchdog } from './watchdog.ts';

/**
 * Calls an agent, its webhook or its chat-completions API, and turns the answer (SSE, n8n's
 * NDJSON, a JSON or text body, chat-completion chunks) into deltas and one outcome.
 */
export class AgentCaller {
  constructor(
    private readonly http: StreamingHttp,
    private readonly limits: AgentCallerLimits,
    private readonly observe: AgentCallObserver = () => {},
  ) {}

  /** Reports each piece of the reply to `onDelta` as it arrives. Never rejects: every failure is an outcome. */
  call(call: AgentCall, onDelta: (delta: string) => void): Promise<AgentReplyOutcome> {
    return inSpan('agent.call', { kind: SpanKind.CLIENT, attributes: serverOf(call.url) }, async (span) => {
      const outcome = await this.callAgent(call, onDelta);
      span.setAttribute('agent.outcome', outcome.kind);
      if (outcome.kind === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      return outcome;
    });
  }

  private async callAgent(call: AgentCall, onDelta: (delta: string) => void): Promise<AgentReplyOutcome> {
    const startedAt = performance.now();
    const content = new ReplyContent(this.limits.maxContentChars, onDelta);
    const watchdog = new Watchdog(this.limits, call.signal);
    const protocol = call.chatCompletions ? chatCompletionsProtocol(call.chatCompletions.model) : webhookProtocol;
    let response: IncomingMessage | undefined;
    let parser: UsageParser | undefined;
    let ending: Ending;
    try {
      response = await this.http.open(call.url, {
        method: 'POST',
        headers: protocol.headers(call.token),
        body: protocol.body(call),
        timeoutMs: this.limits.maxDurationMs,
        signal: watchdog.signal,
      });
      const opened = response;
      // OutboundHttp destroys the answer on abort itself; this covers any other StreamingHttp.
      watchdog.signal.addEventListener('abort', () => opened.destroy(), { once: true });
      watchdog.heard(false);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        ending = await protocol.refusal(response, call.token);
      } else {
        parser = protocol.parser(mediaType(response.headers['content-type']), content.add, this.limits.maxContentChars);
        ending = await this.read(response, parser, watchdog, content);
      }
      // Whatever the body said after the watchdog stopped the call, the stop is why it ended.
      ending = watchdog.stop ?? ending;
    } catch (error) {
      ending = watchdog.stop ?? endingOf(error, this.limits.maxDurationMs);
    } finally {
      watchdog.dispose();
      response?.destroy();
    }
    this.observe(ending.kind, (performance.now() - startedAt) / 1000);
    return { ...ending, content: content.text, ...(parser?.usage ? { usage: parser.usage } : {}) };
  }

  private async read(response: IncomingMessage, parser: UsageParser, watchdog: Watchdog, content: ReplyContent): Promise<Ending> {
    const exceeded = failed(`The reply exceeded ${this.limits.maxContentChars} characters`);
    const decoder = new StringDecoder('utf8');
    for await (const chunk of response as AsyncIterable<Buffer>) {
      watchdog.heard(true);
      const ending = parser.push(decoder.write(chunk));
      if (content.exceeded) return exceeded;
      if (ending) return ending;
    }
    // A body destroyed by the watchdog may end quietly instead of with an error.
    if (watchdog.stop) return watchdog.stop;
    const ending = parser.push(decoder.end()) ?? parser.end();
    return content.exceeded ? exceeded : ending;
  }
}

/** The host only: an n8n webhook's path is as good as a secret. */
function serverOf(url: string): Record<string, string | number> {
  if (!URL.canParse(url)) return {};
  const { hostname, port } = new URL(url);
  return { 'server.address': hostname, ...(port ? { 'server.port': Number(port) } : {}) };
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Why a call broke off without the watchdog stopping it. OutboundError messages are safe to show. */
function endingOf(error: unknown, maxDurationMs: number): Ending {
  if (!(error instanceof OutboundError)) return failed('The connection to the agent broke off');
  switch (error.kind) {
    case 'aborted':
      return { kind: 'cancelled' };
    case 'timeout':
      return tookTooLong(maxDurationMs);
    case 'blocked_address':
      return failed(`The agent's URL is not allowed: ${error.message}`);
    case 'invalid_url':
      return failed(`The agent's URL ${error.message}`);
    default:
      return failed(`The agent could not be reached: ${error.message}`);
  }
}

/** A caller with the server's agent clocks (AGENT_IDLE_TIMEOUT_MS, AGENT_MAX_DURATION_MS) and the most content its use takes. */
export function agentCaller(
  http: StreamingHttp,
  clocks: { idleTimeoutMs: number; maxDurationMs: number },
  maxContentChars: number,
  observe?: AgentCallObserver,
): AgentCaller {
  return new AgentCaller(http, { idleTimeoutMs: clocks.idleTimeoutMs, maxDurationMs: clocks.maxDurationMs, maxContentChars }, observe);
}
