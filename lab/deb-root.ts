// Debian 12 roots for the package checks (test/package/): a pristine root per recipe is made once with mmdebstrap
// and cached outside the repo (scripts/deb/root.sh, $DIEMCAU_ROOTS or /var/tmp/diemcau-roots); each check works
// on its own copy. Commands run in a copy with systemd-nspawn (arm64 ones under qemu-user-static), or in a copy
// booted with systemd as PID 1 (`systemd-nspawn -b`, its own network namespace) through nsenter.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopChild } from '../core/stop-child.js';
import { waitFor } from './wait.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const ROOTS = process.env.DIEMCAU_ROOTS ?? '/var/tmp/diemcau-roots';
const run = promisify(execFile);

export interface Ran {
  code: number | null;
  /** What the command wrote on stdout. */
  out: string;
  /** Its stderr, and nspawn's own words. */
  err: string;
}

function collect(cmd: string, argv: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((done) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      err += `\n(killed after ${timeoutMs} ms)`;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      // nspawn's farewell on a host whose /run is not a tmpfs: noise in every message that quotes stderr.
      done({ code, out, err: err.replace(/^Attempted to remove disk file system under .*\n?/gm, '') });
    });
  });
}

/** The pristine root for a recipe, made on first use (minutes; arm64 under qemu much longer). */
export async function cachedRoot(name: string, arch: 'amd64' | 'arm64', packages: readonly string[]): Promise<string> {
  const { stdout } = await run('bash', [join(REPO, 'scripts/deb/root.sh'), name, arch, packages.join(',')], { maxBuffer: 16 << 20, timeout: 3_600_000 });
  return stdout.trim().split('\n').pop()!;
}

export interface Root {
  dir: string;
  /** Runs argv in the root (not booted), with this machine's network and `binds` (host path -> path in the root). */
  run(argv: string[], o?: { timeoutMs?: number; env?: Record<string, string> }): Promise<Ran>;
  remove(): Promise<void>;
}

/** A copy of `pristine` that the caller may change; `binds` are mounted read-only at every run. */
export async function copyRoot(pristine: string, binds: Record<string, string> = {}): Promise<Root> {
  await mkdir(join(ROOTS, 'scratch'), { recursive: true });
  const parent = await mkdtemp(join(ROOTS, 'scratch', 'root-'));
  const dir = join(parent, 'root');
  await run('cp', ['-a', '--reflink=auto', pristine, dir], { timeout: 600_000 });
  const bindArgs = Object.entries(binds).map(([host, inRoot]) => `--bind-ro=${host}:${inRoot}`);
  for (const inRoot of Object.values(binds)) await mkdir(join(dir, inRoot), { recursive: true });
  return {
    dir,
    run(argv, o = {}) {
      const env = Object.entries(o.env ?? {}).map(([k, v]) => `--setenv=${k}=${v}`);
      // --console=pipe: the command's own stdout and stderr (a pty would turn every \n into \r\n).
      const nspawn = ['--quiet', '--register=no', '--keep-unit', '--console=pipe', '--resolv-conf=replace-host', '--timezone=off', '-D', dir, ...bindArgs, ...env, '--', ...argv];
      return collect('systemd-nspawn', nspawn, o.timeoutMs ?? 600_000);
    },
    remove: () => rm(parent, { recursive: true, force: true }),
  };
}

export interface Booted {
  /** The container's PID 1 (systemd), as this machine sees it. */
  leader: number;
  /** Runs argv inside the booted container (all its namespaces). */
  exec(argv: string[], timeoutMs?: number): Promise<Ran>;
  /** Powers the container off (SIGTERM to nspawn: systemd's shutdown), SIGKILL after 60 s. */
  stop(): Promise<void>;
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    out.push(...text.split(/\s+/).filter(Boolean).map(Number));
  }
  return out;
}

/** Boots `dir` with systemd as PID 1 in its own network namespace, and waits until the system is up. */
export async function bootRoot(dir: string, machine: string): Promise<Booted> {
  const nspawn = spawn(
    'systemd-nspawn',
    ['--quiet', '--register=no', '--keep-unit', '--private-network', '--timezone=off', `--machine=${machine}`, '-D', dir, '-b'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  nspawn.stderr!.on('data', (d) => (stderr += d));
  const stop = async () => {
    await stopChild(nspawn, 'SIGTERM', 60_000);
  };
  try {
    const leader = await waitFor(
      `the container's systemd (nspawn stderr: ${stderr})`,
      async () => {
        if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited ${nspawn.exitCode}: ${stderr}`);
        for (const c of await childrenOf(nspawn.pid!)) {
          if ((await readFile(`/proc/${c}/comm`, 'utf8').catch(() => '')).trim() === 'systemd') return c;
        }
        return 0;
      },
      { timeoutMs: 60_000, everyMs: 200 },
    );
    const exec = (argv: string[], timeoutMs = 120_000) => collect('nsenter', ['-t', String(leader), '-m', '-u', '-i', '-n', '-p', '-C', '--', ...argv], timeoutMs);
    await waitFor(
      'the container to finish booting',
      async () => (await exec(['systemctl', 'is-system-running'], 10_000)).out.trim(),
      { until: (s) => s === 'running' || s === 'degraded', timeoutMs: 120_000, everyMs: 500 },
    );
    return { leader, exec, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
