#!/usr/bin/env node
// The `warmline` command: runs the TypeScript CLI through tsx's loader (no build step to forget).
//
// Every role allocates short-lived objects per event (parsed lines, engine states, replies): with V8's
// default 16 MB semi-space a scavenge runs every few hundred events and copies whatever the batch in
// hand still holds (~25% of the scorer's CPU). The young generation size can only be set when node
// starts, so without the flag this script starts node again with it, as a thin parent: it forwards
// signals, exits with the child's status, and the child exits if this parent dies (SIGKILL included).
// Callers that spawn roles and watch their pid (tests, benches) pass the flag themselves: no parent.
import { spawn } from 'node:child_process';

const SEMI_SPACE = '--max-semi-space-size';
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(SEMI_SPACE));

if (given) {
  // Started by the parent below: the parent only dies before us when it was killed outright (it
  // forwards every other signal), so go down the same way, as one process would have.
  if (process.env.WARMLINE_REEXEC === '1' && process.channel) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../server/cli.ts');
} else {
  const child = spawn(process.execPath, [`${SEMI_SPACE}=64`, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, WARMLINE_REEXEC: '1' },
    // Its own process group, so a terminal's Ctrl-C reaches it once (forwarded), not twice.
    detached: true,
  });
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of forwarded) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    for (const s of forwarded) process.removeAllListeners(s);
    process.kill(process.pid, signal ?? 'SIGTERM');
  });
}
