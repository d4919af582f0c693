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

/**
 * An empty node process (a timer and nothing else): the caller reads its RSS and kills it. Without what a test runner
 * or a developer's shell adds (tap's NODE_OPTIONS preload, coverage, an extra CA bundle: each weighs megabytes, and
 * a box has none of them); give the process measured against it the same environment (BARE_ENV).
 */
export function emptyNode(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: bareEnv() });
}

/** What to lay over this process's environment to take a test runner's additions away (spawn skips undefined). */
export const BARE_ENV: NodeJS.ProcessEnv = { NODE_OPTIONS: undefined, NODE_V8_COVERAGE: undefined, NODE_EXTRA_CA_CERTS: undefined };

function bareEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...BARE_ENV };
}
