// Atomic file replacement: write a temp file in the same directory, fsync it, rename it over the target, fsync
// the directory. A power cut leaves either the old file or the new one, never half of either. A write that fails
// (a full disk) removes its temp file; one left by a crash is swept by sweepStaleTemps at the next start.
import { open, rename, unlink, mkdir, readdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** `.<name>.<pid>.<ms>.tmp`: the temp files writeFileAtomic makes, with the pid of the writer. */
const TEMP_NAME = /^\..+\.(\d+)\.\d+\.tmp$/;

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {}); // gone already if open or rename never made it
    throw err;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Removes the temp files of writers that are no longer running from `dir` (a crash, or a power cut, between
 * open and rename). Returns the names removed. A file of a live process (another writer now) is left alone.
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await unlink(join(dir, name)).then(
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
