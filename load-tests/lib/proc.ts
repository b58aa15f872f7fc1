/**
 * What a process on this machine is using, read from /proc: CPU seconds and resident memory. The
 * benches and scenarios read the processes they started this way, so a number is the process's own,
 * whatever else shares the cores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system, all threads) and the core it last ran on. */
export function procCpu(pid: number): { seconds: number; core: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { seconds: (Number(f[11]) + Number(f[12])) / CLK_TCK, core: Number(f[36]) };
}

/** Resident set size in MB (0 when /proc does not say). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The q-quantile of an ascending array (NaN when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

/** One line naming the machine a run measured: cores, CPU model, RAM, load average now. */
export function describeMachine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  return `${cpus().length} cores (${model}), ${gib(totalmem())} GiB RAM (${gib(freemem())} free), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, Node ${process.versions.node}`;
}
