/**
 * Runs `task` every `intervalMs` on this instance, one run at a time, from `start` until `stop`,
 * which waits for a run under way. `task` handles its own failures.
 */
export function periodic(intervalMs: number, task: () => Promise<void>) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  return {
    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        running ??= task().finally(() => (running = undefined));
      }, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
