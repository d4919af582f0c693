// The media bench's `slow_box` rows (issue 14, "A slow box"): the hall's media worker at 720p30 under a CPU quota of
// 50% and then 25% of what 720p30 takes here (measured first, in the same run), through the real Janus with a centre
// decoding it. Per quota: the level the adaptation reaches by itself and when, the frame rate it holds, the Opus
// packets' pace and loss (the bridge's receiver reports), "heard" every second, frames dropped newest-wins by the
// frame pool and the capture-to-centre latency (stamped pixels: a queue would grow it), then the seconds to climb
// back to 720p30 once the quota is lifted. The quota is a cgroup v1 cpu group (lab/cpu-quota.ts) holding the worker
// only: the simulated camera (ffmpeg's test pattern, a child of the worker) is moved out, because a camera costs a
// box next to nothing and the pattern's generation would eat the quota.
import { childrenOf, createCpuQuota, type CpuQuota } from '../lab/cpu-quota.js';
import { nextReport, programme, sleep, startCentre, startHall } from '../lab/media/fixture.js';
import { waitFor } from '../lab/wait.js';
import { cpuSeconds } from './cpu-share.js';
import { round } from './report.js';
import type { JanusLab } from '../lab/janus.js';
import type { MediaController } from '../agent/media/controller.js';

export interface SlowBoxRow {
  quota_pct: number;
  quota_cpus: number;
  level_reached: string;
  level_at_end: string;
  s_to_reach: number | null;
  fps_held: number;
  audio_pkts_per_s: number;
  audio_packets_lost: number | null;
  heard_all_seconds: boolean;
  pool_dropped: number;
  latency_p95_ms: number | null;
  s_to_climb_back: number | null;
}

export interface SlowBox {
  /** Worker CPU s/s at 720p30 with no quota. */
  full_cpu_s_per_s: number | null;
  rows: SlowBoxRow[];
  /** Every second under each quota and after it: level, fps, heard, the encoder's load and frames kept. */
  timeline: Array<Record<string, unknown>>;
  skipped?: string;
}

const TOP = '720p30';
/** A level counts as reached when it has not changed for this long. */
const SETTLED_S = 20;
const GIVE_UP_S = 90;

interface Second {
  t: number;
  level: string;
  fps: number;
  heard: boolean;
  audioSent: number;
  audioLost: number | null;
  dropped: number;
}

async function second(hall: MediaController, t0: number, timeline: SlowBox['timeline'], phase: string): Promise<Second> {
  const x = await nextReport(hall, 15_000); // a worker starved of CPU may report late
  const r = hall.report();
  const s = {
    t: round((Date.now() - t0) / 1000, 1),
    level: x.level ?? '?',
    fps: r.stats?.fps ?? 0,
    heard: r.heard,
    audioSent: x.audioPackets?.sent ?? 0,
    audioLost: x.audioPackets?.lost ?? null,
    dropped: x.capture?.dropped ?? 0,
  };
  timeline.push({ phase, ...s, load: x.encoder?.load != null ? round(x.encoder.load, 2) : null, kept: x.encoder?.kept != null ? round(x.encoder.kept, 2) : null, verdict: x.encoder?.verdict ?? null, libwebrtc: x.encoder?.qualityLimitation ?? null });
  return s;
}

/** Keeps the worker's children (the capture process, restarted at each level) out of the quota. */
function keepCaptureOut(q: CpuQuota, pid: number): () => void {
  let on = true;
  void (async () => {
    while (on) {
      for (const c of await childrenOf(pid)) await q.release(c).catch(() => {});
      await sleep(200);
    }
  })();
  return () => void (on = false);
}

async function underQuota(hall: MediaController, centre: MediaController, q: CpuQuota, pct: number, cpus: number, timeline: SlowBox['timeline']): Promise<SlowBoxRow> {
  const phase = `${pct}%`;
  await q.set(cpus);
  const t0 = Date.now();
  const seen: Second[] = [];
  let changedAt = 0;
  while ((seen.at(-1)?.t ?? 0) < GIVE_UP_S) {
    const s = await second(hall, t0, timeline, phase);
    if (seen.length && s.level !== seen.at(-1)!.level) changedAt = s.t;
    seen.push(s);
    if (s.t - changedAt >= SETTLED_S && s.level !== TOP) break;
  }
  // The hold: the last SETTLED_S seconds at the level reached, the centre's latency over them too.
  centre.resetProgrammeCheck();
  const hold0 = seen.at(-1)!;
  const held: Second[] = [];
  for (let i = 0; i < SETTLED_S; i++) held.push(await second(hall, t0, timeline, phase));
  const end = held.at(-1)!;
  const dt = end.t - hold0.t;
  // The level that settled; a try up during the hold shows as the level at its end.
  const level = hold0.level;
  const row: SlowBoxRow = {
    quota_pct: pct,
    quota_cpus: round(cpus, 3),
    level_reached: level,
    level_at_end: end.level,
    s_to_reach: level === TOP ? null : changedAt,
    fps_held: round(held.reduce((a, s) => a + s.fps, 0) / held.length, 1),
    audio_pkts_per_s: round((end.audioSent - hold0.audioSent) / dt, 1),
    audio_packets_lost: end.audioLost !== null && seen[0].audioLost !== null ? end.audioLost - seen[0].audioLost : null,
    heard_all_seconds: [...seen, ...held].every((s) => s.heard),
    pool_dropped: end.dropped,
    latency_p95_ms: programme(centre).latencyP95Ms,
    s_to_climb_back: null,
  };
  await q.set(null);
  const t1 = Date.now();
  while ((Date.now() - t1) / 1000 < GIVE_UP_S) {
    const s = await second(hall, t0, timeline, `${phase} lifted`);
    if (s.level === TOP) {
      row.s_to_climb_back = round((Date.now() - t1) / 1000, 1);
      break;
    }
  }
  return row;
}

export async function slowBox(lab: JanusLab, quotas = [50, 25]): Promise<SlowBox> {
  const timeline: SlowBox['timeline'] = [];
  const q = await createCpuQuota('slowbox');
  if ('reason' in q) return { full_cpu_s_per_s: null, rows: [], timeline, skipped: q.reason };
  const hall = await startHall(lab, { width: 1280, height: 720, fps: 30 });
  let centre: MediaController | null = null;
  let stopCapture = () => {};
  try {
    centre = await startCentre(lab);
    await waitFor('the centre decoding the hall', () => programme(centre!), { until: (p) => p.frames > 30, timeoutMs: 30_000 });
    const pid = hall.workerPid()!;
    await q.add(pid);
    stopCapture = keepCaptureOut(q, pid);
    // What 720p30 takes here: the worker alone, after the bandwidth estimate has ramped up, at 720p30 throughout.
    await sleep(10_000);
    const c0 = await cpuSeconds(pid);
    const t0 = Date.now();
    const levels = new Set<string>();
    for (let i = 0; i < 15; i++) levels.add((await second(hall, t0, timeline, 'full')).level);
    const full = (await cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000);
    if (levels.size !== 1 || !levels.has(TOP)) console.error(`slow box: without a quota the hall was at ${[...levels].join(', ')}, not only ${TOP}`);
    const rows: SlowBoxRow[] = [];
    for (const pct of quotas) {
      console.log(`media: slow box, quota ${pct}% of ${round(full, 3)} CPU s/s`);
      rows.push(await underQuota(hall, centre, q, pct, (full * pct) / 100, timeline));
    }
    return { full_cpu_s_per_s: round(full, 3), rows, timeline };
  } finally {
    stopCapture();
    await q.close();
    await centre?.stop();
    await hall.stop();
  }
}
