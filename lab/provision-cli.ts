// Runs `diemcau-provision` as a carrier would, and keeps what it printed: to the end (`provisionCli`), or as a
// service that runs until stopped (`startProvisionCli`, for `serve`), its JSON log lines kept as they come.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../core/stop-child.js';
import { jsonLines, type JsonLines } from './json-lines.js';
import { spawnWithTest } from './die-with-test.js';

export const PROVISION_CLI = fileURLToPath(new URL('../provisioning/cli.js', import.meta.url));

export function provisionCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [PROVISION_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => res({ code, out, err })); // 'close': after the pipes are drained, not just the exit
  });
}

export interface ProvisionProcess extends JsonLines {
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startProvisionCli(args: string[], env: NodeJS.ProcessEnv = {}): ProvisionProcess {
  const proc = spawnWithTest(process.execPath, [PROVISION_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    ...jsonLines(proc.stdout!, `diemcau-provision ${args[0]}`, () => `stderr: ${err}`),
    stderr: () => err,
    async stop() {
      await stopChild(proc, 'SIGTERM', 10_000);
      return exited;
    },
  };
}
