// Ending a child process the one way the project does it: ask with `signal`, then SIGKILL after `graceMs`.
import type { ChildProcess } from 'node:child_process';

/** Resolves once `proc` has exited: at once if it already had. */
export function stopChild(proc: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}
