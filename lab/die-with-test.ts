// A process a test starts must not outlive the test. A test file that throws at its top level (a browser that would
// not open, a broker that would not start) ends without its teardowns, and whatever it started kept running: on a
// 2-core CI machine a leaked console server or broker slowed every file after it. The one 'exit' listener is added
// when the first process is registered, never at import: the test process's exit (a normal end, or an uncaught
// error) kills what is still running.
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const proc of running) proc.kill('SIGKILL');
}

/** Kills `proc` with SIGKILL when this process exits, unless it has exited by then. Returns `proc`. */
export function dieWithTest<P extends ChildProcess>(proc: P): P {
  if (running.size === 0) process.once('exit', killAll);
  running.add(proc);
  proc.once('exit', () => {
    running.delete(proc);
    if (running.size === 0) process.off('exit', killAll);
  });
  return proc;
}
