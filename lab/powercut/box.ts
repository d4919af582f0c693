// A box on disk for the power-cut runs: /etc/diemcau as `etc/` (config and identity), /opt/diemcau as `opt/` (the
// update root: slots/a, slots/b, boot.json), started as the systemd unit starts it: the launcher with the unit's
// node flags and arguments (lab/unit.ts), which runs the slot's entry, which is `diemcau run` of this build.
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile, cp, readdir, readFile, lstat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launcherArgv, unitExec } from '../unit.js';
import { writeBoot, INSTALLED } from '../../agent/update/slots.js';
import { stopChild } from '../../core/stop-child.js';
import { ENV_CUT, ENV_JOURNAL } from '../../core/fs-cut.js';
import { spawnWithTest } from '../die-with-test.js';

const LAUNCHER = fileURLToPath(new URL('../../agent/update/launcher.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../agent/cli.js', import.meta.url));
const UNIT = unitExec();

export interface Box {
  dir: string;
  /** /etc/diemcau: config.json, box.key, box.crt, ca.crt, update-key.pem. */
  etc: string;
  /** /opt/diemcau: the update root. */
  root: string;
  config: string;
  /** The probe's journal (core/fs-cut.ts), outside the state directories. */
  journal: string;
}

/** A slot tree for `version`: an entry that runs `diemcau run` of this build, and nothing else. */
export async function slotTree(dir: string, version: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'main.mjs'), `// diemcau ${version}: the slot's entry is \`diemcau run\` of this build.\nawait import(${JSON.stringify(pathToFileURL(CLI).href)});\n`);
  return dir;
}

/** A box running `tree` as 1.0.0 from slot a, committed, with `config` in etc/. */
export async function makeBox(dir: string, tree: string, config: (etc: string) => unknown): Promise<Box> {
  const etc = join(dir, 'etc');
  const root = join(dir, 'opt');
  await mkdir(etc, { recursive: true });
  await cp(tree, join(root, 'slots/a'), { recursive: true });
  await writeFile(join(root, 'slots/a', INSTALLED), JSON.stringify({ version: '1.0.0', entry: 'main.mjs' }) + '\n');
  await writeBoot(root, { committed: 'a' });
  const path = join(etc, 'config.json');
  await writeFile(path, JSON.stringify(config(etc), null, 2) + '\n');
  return { dir, etc, root, config: path, journal: join(dir, 'fs-journal.jsonl') };
}

export interface Running {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  gone(): boolean;
  stop(): Promise<void>;
}

/** The probe's variables for a run: a journal always (the count), and the cut `k` or `k:torn` when given. */
export function probeEnv(box: Box, cut?: string): Record<string, string> {
  return { [ENV_JOURNAL]: box.journal, ...(cut ? { [ENV_CUT]: cut } : {}) };
}

/** Starts the box as the unit does. `env` adds to the environment (the probe's variables). */
export function startBox(box: Box, env: Record<string, string> = {}): Running {
  const argv = launcherArgv({ launcher: LAUNCHER, root: box.root, config: box.config }, UNIT);
  const clean = { ...process.env };
  delete clean[ENV_JOURNAL];
  delete clean[ENV_CUT];
  const proc = spawnWithTest(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let l: Record<string, unknown>;
      try {
        l = JSON.parse(line);
      } catch {
        l = { raw: line };
      }
      lines.push({ ...l, _at: Date.now() }); // when this process read it, to order it against MQTT messages
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      done = true;
      if (stderr) lines.push({ stderr });
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    lines,
    exited,
    gone: () => done,
    async stop() {
      if (!done) await stopChild(proc, 'SIGTERM', 10_000);
      await exited;
    },
  };
}

export interface Start {
  slot: string;
  version: string;
  trial: boolean;
  /** When the line was read (ms). */
  at: number;
}

/** Every start of a slot the launcher logged, in order. */
export function starts(r: Running): Start[] {
  return r.lines
    .filter((l) => l.msg === 'launcher: starting')
    .map((s) => ({ slot: String(s.slot), version: String(s.version), trial: Boolean(s.trial), at: Number(s._at) }));
}

/** Every file and directory under `dirs`: relative path to a content hash (a directory: 'dir'). */
export async function snapshot(base: string, dirs: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      const p = join(d, name);
      const st = await lstat(p);
      if (st.isDirectory()) {
        out.set(relative(base, p), 'dir');
        await walk(p);
      } else out.set(relative(base, p), createHash('sha256').update(await readFile(p)).digest('hex'));
    }
  };
  for (const d of dirs) await walk(d);
  return out;
}

/** Paths added, changed or removed between two snapshots. */
export function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const [p, h] of after) if (before.get(p) !== h) out.add(p);
  for (const p of before.keys()) if (!after.has(p)) out.add(p);
  return [...out].sort();
}

/** The tree's files (relative path to hash), for comparing a slot with the tree it was made from. */
export async function treeHashes(dir: string): Promise<Map<string, string>> {
  const all = await snapshot(dir, [dir]);
  for (const [p, h] of all) if (h === 'dir' || p === INSTALLED) all.delete(p);
  return all;
}
