// Staged rollout: canary halls, then a share, then all, each stage judged before the next starts. A hall is
// `updated` when it answers `update.status` with the new version running and committed, `failed` when it refuses
// the bundle, rolls back (its boot record names the failure) or runs out of time, `offline` when it is not
// connected at its turn (a later rollout picks it up). A stage whose failure rate passes the threshold halts
// everything after it.
import { createHash } from 'node:crypto';
import type { FleetView } from './fleet-view.js';
import { RequestTimeout, type Requester } from './requests.js';
import { mapLimit } from '../core/map-limit.js';

export interface Stage {
  name: string;
  boxes: string[];
}

/** Stages in a stable pseudo-random order (by hash of the box id), so the canary is not always province 01. */
export function planStages(targets: string[], canary: number, sharePct: number): Stage[] {
  const order = [...targets].sort((a, b) => {
    const ha = createHash('sha256').update(a).digest('hex');
    const hb = createHash('sha256').update(b).digest('hex');
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  });
  const c = Math.min(canary, order.length);
  const s = Math.min(order.length - c, Math.ceil((order.length * sharePct) / 100));
  return [
    { name: 'canary', boxes: order.slice(0, c) },
    { name: `share ${sharePct}%`, boxes: order.slice(c, c + s) },
    { name: 'all', boxes: order.slice(c + s) },
  ].filter((st) => st.boxes.length > 0);
}

export type OutcomeStatus = 'updated' | 'failed' | 'offline';

export interface Outcome {
  boxId: string;
  stage: string;
  status: OutcomeStatus;
  reason?: string;
  seconds: number;
}

export interface RolloutOptions {
  requester: Requester;
  view: FleetView;
  version: string;
  url: string;
  stages: Stage[];
  maxFailurePct: number;
  timeoutMs: number;
  pollMs?: number;
  busyRetryMs?: number;
  concurrency?: number;
  onOutcome?: (o: Outcome) => void;
}

export interface StageSummary {
  stage: string;
  boxes: number;
  updated: number;
  failed: number;
  offline: number;
  failure_pct: number;
  result: 'done' | 'halted' | 'skipped';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function updateOne(o: RolloutOptions, boxId: string, stage: string): Promise<Outcome> {
  const t0 = Date.now();
  const deadline = t0 + o.timeoutMs;
  const out = (status: OutcomeStatus, reason?: string): Outcome => ({ boxId, stage, status, reason, seconds: (Date.now() - t0) / 1000 });
  if (o.view.boxes.get(boxId)?.online !== true) return out('offline', 'not connected at its turn');
  for (;;) {
    let r;
    try {
      r = await o.requester.request(boxId, 'update', { url: o.url, version: o.version }, Math.max(1000, deadline - Date.now()));
    } catch (err) {
      return out('failed', (err as Error).message);
    }
    if (r.ok) break;
    if (r.error?.code === 'busy' && Date.now() + (o.busyRetryMs ?? 5000) < deadline) {
      await sleep(o.busyRetryMs ?? 5000); // in a meeting: ask again after a while
      continue;
    }
    return out('failed', r.error ? `${r.error.code}: ${r.error.message}` : 'refused');
  }
  while (Date.now() < deadline) {
    await sleep(o.pollMs ?? 2000);
    let s;
    try {
      s = await o.requester.request(boxId, 'update.status', {}, 3000);
    } catch (err) {
      if (err instanceof RequestTimeout) continue; // restarting
      throw err;
    }
    if (!s.ok) continue;
    const st = s.result as { running: string; committed: boolean; lastFailure: { version: string; reason: string } | null };
    if (st.running === o.version && st.committed) return out('updated');
    if (st.lastFailure?.version === o.version) return out('failed', `rolled back: ${st.lastFailure.reason}`);
  }
  return out('failed', `no committed ${o.version} within ${Math.round(o.timeoutMs / 1000)} s`);
}

export async function runRollout(o: RolloutOptions): Promise<{ halted: boolean; stages: StageSummary[]; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  const stages: StageSummary[] = [];
  let halted = false;
  for (const st of o.stages) {
    if (halted) {
      stages.push({ stage: st.name, boxes: st.boxes.length, updated: 0, failed: 0, offline: 0, failure_pct: 0, result: 'skipped' });
      continue;
    }
    const res = await mapLimit(st.boxes, o.concurrency ?? 200, async (b) => {
      const r = await updateOne(o, b, st.name);
      o.onOutcome?.(r);
      return r;
    });
    outcomes.push(...res);
    const count = (s: OutcomeStatus) => res.filter((r) => r.status === s).length;
    const [updated, failed, offline] = [count('updated'), count('failed'), count('offline')];
    const tried = updated + failed;
    const pct = tried === 0 ? 0 : (100 * failed) / tried;
    halted = pct > o.maxFailurePct;
    stages.push({ stage: st.name, boxes: st.boxes.length, updated, failed, offline, failure_pct: Math.round(pct * 10) / 10, result: halted ? 'halted' : 'done' });
  }
  return { halted, stages, outcomes };
}
