// A process a test starts must not outlive the test. A test file that throws at its top level (a browser that would
// not open, a broker that would not start) ends without its teardowns, and whatever it started kept running: on a
// 2-core CI machine a leaked console server or broker slowed every file after it. Two guards:
// - the test process's 'exit' (a normal end, or an uncaught error) kills what is still running; the one listener is
//   added when the first process starts, never at import;
// - a signal that ends the test process never reaches 'exit' (tap's SIGTERM at a file's timeout, a SIGKILL): each
//   process starts under `setpriv --pdeathsig KILL` (util-linux), so the kernel kills it when its parent dies. A
//   process it forks does not inherit that; the agent's media worker leaves when its channel to the agent closes.
//   Before this, busy lanes stopped with SIGTERM left five `diemcau run` agents running for an hour and a half.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const proc of running) proc.kill('SIGKILL');
}

/** Kills `proc` with SIGKILL when this process exits, unless it has exited by then. Returns `proc`. */
function dieWithTest<P extends ChildProcess>(proc: P): P {
  if (running.size === 0) process.once('exit', killAll);
  running.add(proc);
  proc.once('exit', () => {
    running.delete(proc);
    if (running.size === 0) process.off('exit', killAll);
  });
  return proc;
}

/**
 * `spawn(cmd, args, options)` for a process that must die with this one, however this one ends. setpriv execs
 * `cmd` in its own place: the pid, signals and exit code are `cmd`'s (127 and a line on stderr if it is missing).
 */
export function spawnWithTest(cmd: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  // By its path: a test may give the process a PATH of its own (a box without socat: desired-reconcile.test.ts).
  return dieWithTest(spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', cmd, ...args], options));
}
