// The power-cut probe of the durable file-system layer (core/atomic-file.ts). Loaded only when DIEMCAU_FS_JOURNAL
// names a file: a box never sets it, and then the layer pays one null check per operation.
//
//   DIEMCAU_FS_JOURNAL=FILE   every operation of the layer, in every process that has the variable, is appended to
//                             FILE as one JSON line {n, pid, op, path, to?}; n counts across processes (they take
//                             turns: the launcher waits for its agent), so a dry run's last n is the scenario's N.
//   DIEMCAU_FS_CUT=K          the process about to run operation K is killed with SIGKILL instead (a crash: what
//                             it wrote before is in the page cache, and the kernel keeps it).
//   DIEMCAU_FS_CUT=K:torn     a power cut during operation K: a write at K reaches the page cache, then of every
//                             file's bytes not yet fsynced only the first half reach the disk (the others are
//                             truncated away, the last write torn), then SIGKILL. A tree filled by a child process
//                             (tar) counts as unsynced until the next sync of the whole file system. What is
//                             unsynced is kept in FILE.pagecache, shared by the processes of a run as the
//                             kernel's page cache is: an agent's unsynced write is still lost when its launcher is cut.
// What the model leaves out: a rename or unlink not yet made durable by an fsync of its directory is kept (on ext4
// a journalled rename is not reordered before later ones, and every rename of the layer is followed by that fsync).
import { appendFileSync, readFileSync, writeFileSync, truncateSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ENV_JOURNAL = 'DIEMCAU_FS_JOURNAL';
export const ENV_CUT = 'DIEMCAU_FS_CUT';

export type FsOp = 'write' | 'fsync' | 'rename' | 'fsyncdir' | 'mkdir' | 'rmtree' | 'unlink' | 'fill' | 'syncall';

export interface JournalEntry {
  n: number;
  pid: number;
  op: FsOp;
  path: string;
  to?: string;
  /** On the entry of the operation that was cut. */
  cut?: 'crash' | 'torn';
}

export interface Cut {
  at: number;
  torn: boolean;
}

/** Parses DIEMCAU_FS_CUT; throws naming the variable on anything else than `K` or `K:torn`. */
export function parseCut(v: string | undefined): Cut | null {
  if (v === undefined || v === '') return null;
  const m = /^([1-9]\d*)(:torn)?$/.exec(v);
  if (!m) throw new Error(`DIEMCAU_FS_CUT=${v}: expected K or K:torn, K a whole number from 1`);
  return { at: Number(m[1]), torn: Boolean(m[2]) };
}

export function readJournal(file: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEntry);
}

/** What the page cache holds and the disk does not yet: shared by every process of a run, as the kernel's is. */
interface PageCache {
  /** Files written and not yet fsynced: bytes fsynced, bytes written. */
  files: Record<string, { synced: number; size: number }>;
}

export class FsProbe {
  private readonly cacheFile: string;

  constructor(
    private readonly journal: string,
    private readonly cut: Cut | null,
  ) {
    this.cacheFile = `${journal}.pagecache`;
  }

  /** Called before each operation: journals it, and at the cut point kills this process. */
  before(op: FsOp, path: string, o: { to?: string; data?: string | Buffer; mode?: number } = {}): void {
    const n = countLines(this.journal) + 1;
    const entry: JournalEntry = { n, pid: process.pid, op, path, ...(o.to !== undefined ? { to: o.to } : {}) };
    if (this.cut?.at !== n) {
      appendFileSync(this.journal, JSON.stringify(entry) + '\n');
      return;
    }
    appendFileSync(this.journal, JSON.stringify({ ...entry, cut: this.cut.torn ? 'torn' : 'crash' }) + '\n');
    if (this.cut.torn) {
      if (op === 'write' && o.data !== undefined) {
        writeFileSync(path, o.data, { mode: o.mode });
        this.wrote(path, Buffer.byteLength(o.data));
      }
      this.losePageCache();
    }
    process.kill(process.pid, 'SIGKILL');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // nothing more runs while the signal lands
  }

  wrote(path: string, bytes: number): void {
    this.update((c) => (c.files[path] = { synced: 0, size: bytes }));
  }

  synced(path: string): void {
    this.update((c) => delete c.files[path]);
  }

  renamed(from: string, to: string): void {
    const moved = (p: string) => (p === from || p.startsWith(from + '/') ? to + p.slice(from.length) : p);
    this.update((c) => (c.files = Object.fromEntries(Object.entries(c.files).map(([p, e]) => [moved(p), e]))));
  }

  removed(path: string): void {
    const kept = (p: string) => p !== path && !p.startsWith(path + '/');
    this.update((c) => (c.files = Object.fromEntries(Object.entries(c.files).filter(([p]) => kept(p)))));
  }

  /** Every file another process (tar) wrote under `dir` is unsynced, whole. */
  filled(dir: string): void {
    this.update((c) => {
      for (const f of filesUnder(dir)) c.files[f] = { synced: 0, size: statSync(f).size };
    });
  }

  syncedAll(): void {
    this.update((c) => (c.files = {}));
  }

  private read(): PageCache {
    try {
      return JSON.parse(readFileSync(this.cacheFile, 'utf8')) as PageCache;
    } catch {
      return { files: {} };
    }
  }

  private update(f: (c: PageCache) => unknown): void {
    const c = this.read();
    f(c);
    writeFileSync(this.cacheFile, JSON.stringify(c));
  }

  /** The power fails: of each file's bytes not yet fsynced, the first half reached the disk. */
  private losePageCache(): void {
    const c = this.read();
    for (const [p, e] of Object.entries(c.files)) truncateIfThere(p, e.synced + Math.floor((e.size - e.synced) / 2));
  }
}

function countLines(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function truncateIfThere(path: string, size: number): void {
  try {
    truncateSync(path, size);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The probe the environment asks for, or null. */
export function probeFromEnv(env: NodeJS.ProcessEnv = process.env): FsProbe | null {
  const journal = env[ENV_JOURNAL];
  if (!journal) return null;
  return new FsProbe(journal, parseCut(env[ENV_CUT]));
}
