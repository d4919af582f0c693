// Shared by the power-cut tests (powercut-*.test.ts): runs a scenario's sweep (lab/powercut/sweep.ts) and holds
// the box to what issue 14 asks: every write went through the layer, and after a cut at every operation tried (a
// crash, and a power cut with the last write torn) the box runs a good version with a valid config and identity.
// In the suite a scenario of more than 10 operations is cut at every 3rd; `npm run check:powercut` cuts them all
// (POWERCUT_STRIDE=1) and writes each scenario's result to POWERCUT_JSON (a directory) for docs/reliability.md.
import type { Test } from 'tap';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep, type SweepResult } from '../../lab/powercut/sweep.js';
import type { Scenario } from '../../lab/powercut/scenarios.js';
import type { World } from '../../lab/powercut/world.js';

const forced = process.env.POWERCUT_STRIDE ? Number(process.env.POWERCUT_STRIDE) : null;
// In the suite about three cut points per scenario, the last always among them (each costs a fresh box, ~5 s);
// `npm run check:powercut` cuts at every one.
export const stride = (n: number) => forced ?? Math.max(1, Math.ceil(n / 3));
// Cut runs of one scenario at a time (each a fresh box: the launcher, `diemcau run`, a broker session); the test
// files also sweep their scenarios side by side (t.jobs). Runs are independent: a hall and a directory of their own.
export const concurrency = Number(process.env.POWERCUT_JOBS ?? 3);
/** Halls a world needs for scenarios of up to `maxOps` operations cut at every one (dry runs included). */
export const hallsFor = (scenarios: number, maxOps = 30) => scenarios * (2 * maxOps + 1);

export function hallCounter(): () => number {
  let i = 0;
  return () => i++;
}

/** Sweeps `s` and asserts on it; `mustWrite` are operations (as the journal names them, relative) the dry run must hold. */
export async function sweepAndCheck(t: Test, w: World, s: Scenario, nextHall: () => number, mustWrite: RegExp[]): Promise<SweepResult> {
  const base = await mkdtemp(join(tmpdir(), 'diemcau-powercut-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const r = await sweep(w, s, {
    base,
    stride,
    nextHall,
    concurrency,
    onRun: (run) => {
      const at = `${s.name}: cut at ${run.k} (${run.op})${run.torn ? ', torn' : ''}`;
      t.same(run.verdict.problems, [], `${at}: left config ${run.verdict.left.config}, ran ${run.verdict.left.version} (unit started ${run.verdict.left.unitStarts}x)`);
      t.same(run.verdict.debris, [], `${at}: nothing left behind after the restart`);
    },
  });
  t.comment(`${s.name}: ${r.ops.length} operations:\n  ${r.ops.join('\n  ')}`);
  for (const re of mustWrite) t.ok(r.ops.some((o) => re.test(o)), `${s.name}: the layer saw ${re}`);
  t.same(r.unrecorded, [], `${s.name}: every file changed under etc/ and opt/ was written through the layer`);
  t.ok(r.tried > 0, `${s.name}: cut points were tried`);
  t.equal(r.survived, r.tried, `${s.name}: N=${r.ops.length}, cut points tried ${r.tried} (stride ${stride(r.ops.length)}, crash and torn), survived ${r.survived}`);
  if (process.env.POWERCUT_JSON) {
    await mkdir(process.env.POWERCUT_JSON, { recursive: true });
    await writeFile(join(process.env.POWERCUT_JSON, `${s.name.replace(/\W+/g, '-')}.json`), JSON.stringify(r, null, 2));
  }
  return r;
}
