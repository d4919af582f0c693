// The durable file-system layer: every write of the state a box must never lose or half-write (config, identity,
// claim state, A/B slot markers and slot trees) goes through these functions, and nothing else writes it
// (test/agent/powercut-*.test.ts record a claim, a config push, an update and a rollback and check that every file
// that changed under the state directories was named by an operation here).
//
// writeFileAtomic replaces a file: a temp file in the same directory, fsync, rename over the target, fsync the
// directory. A power cut leaves either the old file or the new one, never half of either. A write that fails (a full
// disk) removes its temp file; one left by a crash is swept by sweepStaleTemps at the next start.
//
// Each function is one or more counted operations (write, fsync, rename, fsyncdir, mkdir, rmtree, unlink, fill,
// syncall). With DIEMCAU_FS_JOURNAL set, core/fs-cut.ts journals them and can cut the process at any one of them,
// as a crash or as a power cut (docs/reliability.md, "Power cut at every write"). Without it, `probe` is null.
import { open, rename, unlink, mkdir, readdir, rm, access } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, basename, join } from 'node:path';
import type { FsProbe } from './fs-cut.js';

const probe: FsProbe | null = process.env.DIEMCAU_FS_JOURNAL ? (await import('./fs-cut.js')).probeFromEnv() : null;

/**
 * `.<name>.<pid>.<ms>.b<boot>.tmp`: the temp files writeFileAtomic makes, with the writer's pid and the first 8 hex
 * digits of this boot's id (pids start over after a power cut; the boot tells a writer of an earlier boot whose
 * pid is in use again). Names without the boot part are those of earlier versions.
 */
const TEMP_NAME = /^\..+\.(\d+)\.\d+(?:\.b([0-9a-f]{8}))?\.tmp$/;
const BOOT = bootId();

/** Whether `name` is a temp file of writeFileAtomic (of this version or an earlier one). */
export const isTempName = (name: string) => TEMP_NAME.test(name);

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replace(/-/g, '').slice(0, 8);
  } catch {
    return ''; // not Linux: temp files carry the pid only
  }
}

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await access(dir).catch(() => makeDir(dir));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}${BOOT ? `.b${BOOT}` : ''}.tmp`);
  try {
    probe?.before('write', tmp, { data, mode });
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      probe?.wrote(tmp, Buffer.byteLength(data));
      probe?.before('fsync', tmp);
      await fh.sync();
      probe?.synced(tmp);
    } finally {
      await fh.close();
    }
    await renameOver(tmp, path);
  } catch (err) {
    await removeFile(tmp).catch(() => {}); // gone already if open or rename never made it
    throw err;
  }
  await fsyncDir(dir);
}

/** Renames `from` over `to` (a file, or a directory onto a missing name). Durable once its directory is fsynced. */
export async function renameOver(from: string, to: string): Promise<void> {
  probe?.before('rename', from, { to });
  await rename(from, to);
  probe?.renamed(from, to);
}

export async function fsyncDir(dir: string): Promise<void> {
  probe?.before('fsyncdir', dir);
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function makeDir(dir: string): Promise<void> {
  probe?.before('mkdir', dir);
  await mkdir(dir, { recursive: true });
}

/** `rm -rf path`. */
export async function removeTree(path: string): Promise<void> {
  probe?.before('rmtree', path);
  await rm(path, { recursive: true, force: true });
  probe?.removed(path);
}

export async function removeFile(path: string): Promise<void> {
  probe?.before('unlink', path);
  await unlink(path);
  probe?.removed(path);
}

/**
 * Lets another process fill `dir` (tar extracting a slot): one operation, and what it wrote is not durable until
 * syncAll. Resolves with what `fill` resolves with.
 */
export async function fillDir<T>(dir: string, fill: () => Promise<T>): Promise<T> {
  probe?.before('fill', dir);
  const r = await fill();
  probe?.filled(dir);
  return r;
}

/** sync(1): flushes every file system (a tree tar wrote, which fsyncs nothing). Resolves even where sync is missing. */
export async function syncAll(): Promise<void> {
  probe?.before('syncall', '/');
  await new Promise<void>((resolve) => spawn('sync', [], { stdio: 'ignore' }).on('exit', () => resolve()).on('error', () => resolve()));
  probe?.syncedAll();
}

/**
 * Removes the temp files of writers that are no longer running from `dir` (a crash, or a power cut, between open
 * and rename): those of an earlier boot, and those whose pid is gone. Returns the names removed. A file of a live
 * process of this boot (another writer now) is left alone.
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || ((m[2] === undefined || m[2] === BOOT) && alive(Number(m[1])))) continue;
    await removeFile(join(dir, name)).then(
      () => removed.push(name),
      () => {},
    );
  }
  return removed;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
