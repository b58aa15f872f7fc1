import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RoleProcess {
  child: ChildProcess;
  /** The last 4 KB it printed, for failure messages. */
  output: () => string;
}

/** Runs `warmline <role>` as its own process with `env` over this one's (minus CLICKHOUSE_URL). */
export function startRole(role: string, env: Record<string, string>, children: ChildProcess[]): RoleProcess {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!env.CLICKHOUSE_URL) delete full.CLICKHOUSE_URL;
  const child = spawn(process.execPath, ['--max-semi-space-size=64', 'bin/warmline.mjs', role], { cwd: ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output.slice(-4_000) };
}

/** SIGKILLs every child still running (test teardown). */
export function killAll(children: ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
