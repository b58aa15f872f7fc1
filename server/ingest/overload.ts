/**
 * How far behind the event loop is, right now. A timer due every `intervalMs` notes when it last
 * ran; `lagMs()` is how overdue it is at this moment — i.e. how long the current loop iteration has
 * kept it waiting. A CPU-bound collector never fills its in-flight bound (requests wait in the
 * kernel, not in the process), but every readable socket's request lands in one long iteration:
 * checking the lag as each request arrives caps that iteration, so the ones past the bound are
 * refused (cheaply, before their body is read) instead of queueing behind seconds of work.
 * The timer is unref'd, so it never keeps a process alive.
 */
export class EventLoopLag {
  private lastTick = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly intervalMs = 10) {
    this.timer = setInterval(() => {
      this.lastTick = performance.now();
    }, intervalMs);
    this.timer.unref();
  }

  /** Milliseconds the timer is overdue now (0 while the loop keeps up). */
  lagMs(now = performance.now()): number {
    return Math.max(0, now - this.lastTick - this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
