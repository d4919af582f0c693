// Runs `diemcau run` as a separate process, exactly as on a box, and keeps its JSON log lines for assertions.
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../agent/node-flags.js';
import { stopChild } from '../core/stop-child.js';
import { jsonLines } from './json-lines.js';
import { spawnWithTest } from './die-with-test.js';

export const CLI = fileURLToPath(new URL('../agent/cli.js', import.meta.url));

export interface AgentProcess {
  proc: ChildProcess;
  configPath: string;
  lines: Array<Record<string, unknown>>;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that matches, or rejects after timeoutMs naming what it waited for. */
  waitLog(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes config.json in `dir`, the caller's (a scratchDir(t, ...), so that it goes when the test does). */
export async function writeConfig(config: unknown, dir: string): Promise<string> {
  const p = join(dir, 'config.json');
  await writeFile(p, JSON.stringify(config, null, 2));
  return p;
}

/** `prefix` runs the agent under another program (a mount namespace, a wrapper), as `prefix... node ...`. */
export function startAgent(configPath: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, prefix: string[] = []): AgentProcess {
  const argv = [...prefix, process.execPath, ...AGENT_NODE_FLAGS, CLI, 'run', '--config', configPath, ...extraArgs];
  const proc = spawnWithTest(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const log = jsonLines(proc.stdout!, 'agent', () => `stderr: ${ap.stderr}`);
  const ap: AgentProcess = {
    proc,
    configPath,
    lines: log.lines,
    stderr: '',
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    waitLog: log.waitLog,
    async stop(signal = 'SIGTERM') {
      await stopChild(proc, signal, 10_000);
      return ap.exited;
    },
  };
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (ap.stderr += d));
  return ap;
}
