import type { AgentCallerLimits } from './types.ts';
import { failed, type Ending } from './parser.ts';

/**
 * The clocks and the cancel button of one call. Whichever stops the call first is its `stop`;
 * `signal` then aborts the request, which destroys the connection.
 */
export class Watchdog {
  stop: Ending | undefined;
  private readonly controller = new AbortController();
  private readonly idle: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;
  private answering = false;
  private over = false;

  constructor(
    private readonly limits: AgentCallerLimits,
    private readonly callSignal: AbortSignal,
  ) {
    this.idle = setTimeout(() => this.halt(this.idleFailure()), limits.idleTimeoutMs);
    this.deadline = setTimeout(() => this.halt(tookTooLong(limits.maxDurationMs)), limits.maxDurationMs);
    if (callSignal.aborted) this.cancel();
    else callSignal.addEventListener('abort', this.cancel, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The agent sent headers (`body: false`) or a piece of its body: the idle clock starts again. */
  heard(body: boolean): void {
    if (this.over) return;
    this.answering ||= body;
    this.idle.refresh();
  }

  /** Clears the clocks; call it however the call ended. */
  dispose(): void {
    this.over = true;
    clearTimeout(this.idle);
    clearTimeout(this.deadline);
    this.callSignal.removeEventListener('abort', this.cancel);
  }

  private readonly cancel = (): void => this.halt({ kind: 'cancelled' });

  private halt(stop: Ending): void {
    if (this.stop) return;
    this.stop = stop;
    this.dispose();
    this.controller.abort();
  }

  private idleFailure(): Ending {
    const idle = seconds(this.limits.idleTimeoutMs);
    return failed(this.answering ? `The agent stopped sending for ${idle}` : `The agent did not answer within ${idle}`);
  }
}

export function tookTooLong(maxDurationMs: number): Ending {
  return failed(`The agent did not finish within ${seconds(maxDurationMs)}`);
}

/** 300 -> "0.3 s", 30000 -> "30 s". */
function seconds(ms: number): string {
  const tenths = Math.round(ms / 100) / 10;
  return `${tenths > 0 ? tenths : ms / 1000} s`;
}
