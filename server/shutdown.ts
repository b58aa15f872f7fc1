import type { Logger } from './logger.ts';

export interface ShutdownStep {
  name: string;
  run(): Promise<void> | void;
}

/**
 * Runs the steps once, in order, each guarded on its own (a failing step never skips the next),
 * under a hard deadline that does not keep the process alive.
 */
export function gracefulShutdown(log: Logger, steps: ShutdownStep[], deadlineMs = 15_000): (reason: string) => Promise<void> {
  let running: Promise<void> | undefined;
  return (reason) => {
    running ??= (async () => {
      log.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        log.error({ deadlineMs }, 'shutdown deadline passed: exiting');
        process.exit(1);
      }, deadlineMs);
      timer.unref();
      for (const step of steps) {
        try {
          await step.run();
          log.debug({ step: step.name }, 'shutdown step done');
        } catch (err) {
          log.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      log.info('shut down');
    })();
    return running;
  };
}
