// `npm run demo` as a person runs it, for tests: the real demo process (no terminal: a table every 5 s), its output
// kept, and what its header prints read back from it: the broker, the console's address and the demo login.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../core/stop-child.js';
import { waitFor } from './wait.js';
import { spawnWithTest } from './die-with-test.js';

const DEMO = fileURLToPath(new URL('./demo/cli.js', import.meta.url));

export interface DemoHeader {
  broker: string;
  console: string;
  username: string;
  password: string;
}

export interface DemoProcess {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the header once the demo has printed its console line. */
  header(timeoutMs?: number): Promise<DemoHeader>;
  /** Resolves with the exit code once the demo has stopped by itself (--duration), or rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

export function startDemo(args: string[]): DemoProcess {
  const proc = spawnWithTest(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    output: () => out,
    header: (timeoutMs = 60000) =>
      waitFor<DemoHeader | null>(
        'the demo to print its console line',
        () => {
          const b = /broker (mqtt:\/\/\S+)/.exec(out);
          const c = /console: (http:\/\/\S+)\s+login: (\S+) \/ (\S+)/.exec(out);
          return b && c ? { broker: b[1], console: c[1], username: c[2], password: c[3] } : null;
        },
        { timeoutMs, everyMs: 100 },
      ).then((h) => h!, (err: Error) => {
        throw new Error(`${err.message}; it printed: ${out.slice(-2000)}`);
      }),
    exited: (timeoutMs) =>
      Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`demo: still running after ${timeoutMs} ms`)), timeoutMs).unref())]),
    stop: () => stopChild(proc, 'SIGTERM', 15000),
  };
}
