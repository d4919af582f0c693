// Power cut at every write (issue 14): a dry run of a scenario with the file-system probe journalling (core/fs-cut.ts)
// counts its operations N and checks that every file that changed under the state directories was written through
// the layer; then for each chosen k (every k, or every `stride`-th from N down), on a fresh box, the scenario runs
// again with the process cut at operation k, once as a crash and once as a power cut (the last write torn), a few
// such boxes at a time when asked, and each box is checked as it was left and after a restart (check.ts).
import { mkdtemp } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readJournal, type JournalEntry } from '../../core/fs-cut.js';
import { mapLimit } from '../../core/map-limit.js';
import { probeEnv, snapshot, changed, startBox, type Running } from './box.js';
import { checkAfterCut, type Verdict } from './check.js';
import type { Prepared, Scenario } from './scenarios.js';
import type { World } from './world.js';

export interface CutRun {
  k: number;
  torn: boolean;
  /** The operation cut: `write etc/.config.json…tmp`. */
  op: string;
  verdict: Verdict;
}

export interface SweepResult {
  scenario: string;
  what: string;
  /** Operations in the dry run, in order: `op path[ -> to]`, relative to the box. */
  ops: string[];
  /** Files changed under the state directories that no operation of the layer named (must be none). */
  unrecorded: string[];
  runs: CutRun[];
  tried: number;
  survived: number;
}

/** k = N, N-stride, … down to 1: the last operation is always cut. */
export function cutPoints(n: number, stride: number): number[] {
  const out: number[] = [];
  for (let k = n; k >= 1; k -= stride) out.push(k);
  return out.reverse();
}

/** Whether the layer named `path` (absolute): written, renamed or removed, or under a tree it filled, moved or removed. */
function covered(path: string, ops: JournalEntry[]): boolean {
  return ops.some((o) => {
    if (o.op === 'fsync' || o.op === 'fsyncdir' || o.op === 'syncall') return false; // these change no name or byte
    const names = o.to ? [o.path, o.to] : [o.path];
    const tree = o.op === 'rename' || o.op === 'rmtree' || o.op === 'fill';
    return names.some((n) => n === path || (tree && path.startsWith(n + '/')));
  });
}

/** Runs the scenario on a started box until it completes, or until the box process exits (cut). */
async function runUntil(s: Scenario, p: Prepared, run: Running, since: number): Promise<'completed' | 'exited' | string> {
  const ac = new AbortController();
  const driven = s.drive(p, run, since, ac.signal).then(
    () => 'completed',
    (err: Error) => `the scenario stopped: ${err.message}`,
  );
  const out = await Promise.race([driven, run.exited.then(() => 'exited')]);
  ac.abort();
  await driven;
  return out;
}

export interface SweepOptions {
  /** Where the boxes are made. */
  base: string;
  /** Cut every stride(N)-th operation (1: every one). */
  stride: (n: number) => number;
  /** Hands out a hall per box (each run claims, or is claimed on, a hall of its own). */
  nextHall: () => number;
  /** Cut runs at a time (default 1): each is a box of its own, two node processes and a broker session. */
  concurrency?: number;
  /** Told of each run as it ends. */
  onRun?: (r: CutRun) => void;
}

export async function sweep(w: World, s: Scenario, o: SweepOptions): Promise<SweepResult> {
  const fresh = async () => s.prepare(await mkdtemp(join(o.base, 'box-')), o.nextHall());
  const dry = await fresh();
  const dirs = [dry.box.etc, dry.box.root];
  const before = await snapshot(dry.box.dir, dirs);
  const since = Date.now();
  const run = startBox(dry.box, probeEnv(dry.box));
  let outcome: string;
  try {
    outcome = await runUntil(s, dry, run, since);
  } finally {
    await run.stop();
  }
  if (outcome !== 'completed') throw new Error(`${s.name}: the dry run did not complete (${outcome}); last lines: ${JSON.stringify(run.lines.slice(-5))}`);
  const journal = readJournal(dry.box.journal);
  const name = (p: string) => (p.startsWith(dry.box.dir + '/') ? relative(dry.box.dir, p) : p);
  const rel = (e: JournalEntry) => `${e.op} ${name(e.path)}${e.to ? ` -> ${name(e.to)}` : ''}`;
  const after = await snapshot(dry.box.dir, dirs);
  const unrecorded = changed(before, after).filter((f) => !covered(join(dry.box.dir, f), journal));

  // Each cut run is a fresh box on a hall of its own, so runs overlap freely; onRun hears them as they end.
  const cuts = cutPoints(journal.length, o.stride(journal.length)).flatMap((k) => [false, true].map((torn) => ({ k, torn })));
  const runs = await mapLimit(cuts, o.concurrency ?? 1, async ({ k, torn }): Promise<CutRun> => {
    const p = await fresh();
    const r = startBox(p.box, probeEnv(p.box, torn ? `${k}:torn` : String(k)));
    let out: string;
    try {
      out = await runUntil(s, p, r, Date.now());
    } finally {
      await r.stop();
    }
    const cut = readJournal(p.box.journal).find((e) => e.cut);
    const verdict = await checkAfterCut(w, p);
    if (out !== 'exited') verdict.problems.unshift(`the cut run did not end with the process cut: ${out}`);
    if (cut?.n !== k) verdict.problems.unshift(`operation ${k} was never reached (the cut ${cut ? `fired at ${cut.n}` : 'never fired'})`);
    else if (cut.op !== journal[k - 1].op) verdict.problems.unshift(`operation ${k} was ${cut.op} here and ${journal[k - 1].op} in the dry run`);
    const cr: CutRun = { k, torn, op: rel(journal[k - 1]), verdict };
    o.onRun?.(cr);
    return cr;
  });
  return {
    scenario: s.name,
    what: s.what,
    ops: journal.map(rel),
    unrecorded,
    runs,
    tried: runs.length,
    survived: runs.filter((r) => r.verdict.problems.length === 0).length,
  };
}
