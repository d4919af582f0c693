// Ending a child process, the one way the project does it: ask it to end (a signal, or a function that asks in the
// child's own terms: an IPC message, end of its input), then SIGKILL if it has not exited after `graceMs`.
// Two places signal children otherwise, for reasons: the A/B launcher forwards systemd's signals to the agent it
// runs (agent/update/launcher.ts: it is passing a stop on, not stopping), and lab/janus.ts's synchronous exit hook
// SIGKILLs a Janus left running when a test process exits (an exit hook cannot wait). drivers/sim-pty.ts, after
// stopChild, kills what is left of the pty keeper's process group (socat, which its shell runs as a job).
import type { ChildProcess } from 'node:child_process';

/** Resolves once `proc` has exited: at once if it already had. */
export function stopChild(proc: ChildProcess, ask: NodeJS.Signals | (() => void), graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    if (typeof ask === 'function') {
      try {
        ask();
      } catch {
        proc.kill('SIGTERM'); // it could not be asked (its channel is gone): the signal asks instead
      }
    } else proc.kill(ask);
  });
}
