/**
 * A one-line progress bar on a TTY (redrawn in place at most every 100 ms), or a line per 10% when
 * the output is a file or pipe. A dependency would buy multi-bar layouts we do not need.
 * @example const bar = progressBar(process.stderr, 'replaying'); bar.update(500, 1000); bar.done();
 */
export function progressBar(out: NodeJS.WriteStream, label: string, width = 30) {
  const started = Date.now();
  let drawnAt = 0;
  let lastTenth = -1;
  let last = '';
  const line = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total} events, ${rate}/s`;
  };
  return {
    update(done: number, total: number): void {
      last = line(done, total);
      if (out.isTTY) {
        if (Date.now() - drawnAt < 100) return;
        drawnAt = Date.now();
        out.write(`\r${last}`);
        return;
      }
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (tenth > lastTenth) {
        lastTenth = tenth;
        out.write(`${last}\n`);
      }
    },
    done(): void {
      if (out.isTTY && last) out.write(`\r${last}\n`);
    },
  };
}
