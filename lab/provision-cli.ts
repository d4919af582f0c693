// Runs `diemcau-provision` as a carrier would, and keeps what it printed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROVISION_CLI = fileURLToPath(new URL('../provisioning/cli.js', import.meta.url));

export function provisionCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [PROVISION_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}
