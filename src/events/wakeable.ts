import type { Logger } from '../logger.ts';

/**
 * A background loop that works until there is nothing left, then sleeps until woken or until
 * the poll interval passes. Wakes during a run are not lost: the loop runs once more.
 */
export abstract class Wakeable {
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    private readonly pollIntervalMs: number,
    protected readonly logger: Logger,
  ) {}

  /** One unit of work; resolves true when more work is probably waiting. */
  protected abstract work(): Promise<boolean>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  wake(): void {
    this.wakeRequested = true;
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
  }

  /** Stops after the current unit of work. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  private async loop() {
    while (!this.stopped) {
      this.wakeRequested = false;
      let more = false;
      try {
        more = await this.work();
      } catch (error) {
        if (!this.stopped) this.logger.error({ err: error }, 'background work failed');
      }
      if (!more && !this.wakeRequested && !this.stopped) await this.sleep();
    }
  }

  private sleep() {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sleeper = undefined;
        resolve();
      }, this.pollIntervalMs);
      timer.unref();
      this.sleeper = {
        timer,
        resolve: () => {
          this.sleeper = undefined;
          resolve();
        },
      };
    });
  }
}
