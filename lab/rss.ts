// Memory as the kernel counts it: a process's resident set (VmRSS), and the yardstick the agent's budget is set
// against (1.5x an empty node process, docs/architecture.md "Memory"), measured in the same run.
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';

/** RSS of a process from /proc, in MB; null when it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** An empty node process (a timer and nothing else): the caller reads its RSS and kills it. */
export function emptyNode(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}
