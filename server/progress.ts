import { SingleBar } from 'cli-progress';

/**
 * A progress bar for long CLI jobs (cli-progress): redrawn in place on a TTY, a line every 2 s when
 * the output is a file or pipe.
 * @example const bar = progressBar(process.stderr, 'replaying'); bar.update(500, 1000); bar.done();
 */
export function progressBar(out: NodeJS.WriteStream, label: string) {
  const bar = new SingleBar({
    stream: out,
    format: `${label} [{bar}] {percentage}% {value}/{total} events, {rate}/s`,
    noTTYOutput: true,
    notTTYSchedule: 2_000,
    hideCursor: false,
  });
  const started = Date.now();
  let running = false;
  return {
    update(done: number, total: number): void {
      const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
      if (!running) {
        bar.start(total, done, { rate });
        running = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done, { rate });
    },
    done(): void {
      if (running) bar.stop();
      running = false;
    },
  };
}
