// One fault, one row: a fresh hall in the meeting, the load running, the fault made and taken away, then the
// numbers. "detected": seconds from the fault's start until the hall noticed (what each fault names: a log line of
// the agent or a change in its reported state). "recovered": seconds from the cause's removal until the hall is
// back (its link up, presence online, media joined, camera up, and what the fault adds). "truthful": no sample of
// the retained picture, from the fault's start until the hall was back, said something untrue past a grace (see
// presenceLie). "lost": the Load's count once the hall has settled.
import type { World, Hall, HallSpec } from './world.js';
import { startHall } from './world.js';
import { Timeline, type Sample } from './timeline.js';
import { Load, type Lost } from './load.js';
import { sleep, waitFor } from '../../lab/wait.js';
import { round } from '../report.js';

export interface FaultContext {
  world: World;
  hall: Hall;
  timeline: Timeline;
  load: Load;
  /** When the fault began (a fault that cannot know in advance, a crash, moves it). */
  start: number;
  /** When its cause was removed (set by the runner when inflict() resolves, unless the fault set it). */
  end: number;
}

export interface Fault {
  name: string;
  /** How the fault is made, in one line (the docs' table says it too). */
  how: string;
  /** What the hall needs for this fault, made before it starts; undo() after it stopped. */
  setup?(world: World, id: string): Promise<{ spec: Partial<HallSpec>; undo(): Promise<void> }>;
  /** Makes the fault; resolves when its cause is removed. */
  inflict(ctx: FaultContext): Promise<void>;
  /** When the hall noticed, or null when it never did (or there was nothing to notice: then `nothing` says so). */
  detected(ctx: FaultContext): number | null;
  /** There is nothing a hall should notice (a clock jump): detected is "n/a". */
  nothingToDetect?: boolean;
  /** What else must hold for the hall to be back. */
  back?(ctx: FaultContext, s: Sample): boolean;
  /** An untrue retained picture at sample `s`, said in a few words, or null. */
  lie?(ctx: FaultContext, s: Sample): string | null;
  /** The fault is the agent dying: a restart is what recovers it. */
  agentDies?: boolean;
  recoverTimeoutMs?: number;
}

export interface Row {
  fault: string;
  detected_s: number | 'n/a' | null;
  recovered_s: number | null;
  truthful: 'yes' | 'no';
  lost: number;
  agent_restarted: 'yes' | 'no';
}

export interface Result extends Row {
  how: string;
  lostDetail: Lost;
  commandsSent: number;
  lie: string | null;
  error?: string;
}

/** The link's last change had been at least `graceS` before sample i, and it is `up`. */
function steadyFor(samples: Sample[], i: number, up: boolean, graceMs: number): boolean {
  for (let j = i; j >= 0; j--) {
    if (samples[j].linkUp !== up) return false;
    if (samples[i].at - samples[j].at >= graceMs) return true;
  }
  return false;
}

/**
 * Presence is the first thing an operator reads. It may lag the link by the will delay (15 s: the broker says
 * `offline` only after the link has been gone that long, so a flap does not show) plus 5 s; past that, `online`
 * for a hall whose link is down is a lie, and so is `offline` for a hall that has been connected 5 s.
 */
function presenceLie(samples: Sample[], i: number): string | null {
  const s = samples[i];
  if (!s.obsUp) return null; // nothing can be read: nothing is said
  if (s.presence === 'online' && steadyFor(samples, i, false, 20_000)) return 'presence online, link down for over 20 s';
  if (s.presence === 'offline' && steadyFor(samples, i, true, 5_000)) return 'presence offline, link up for over 5 s';
  return null;
}

const isBack = (s: Sample) =>
  s.linkUp && s.obsUp && s.presence === 'online' && s.state?.media?.status === 'joined' && s.state?.devices?.camera?.health?.status === 'ok';

export async function runFault(world: World, f: Fault, id: string, log: (line: string) => void): Promise<Result> {
  const prepared = f.setup ? await f.setup(world, id) : { spec: {}, undo: async () => {} };
  let hall: Hall | null = null;
  try {
    hall = await startHall(world, { id, ...prepared.spec });
    const timeline = new Timeline(world, hall);
    const load = new Load(world, hall);
    timeline.start();
    load.start();
    try {
      await sleep(2000); // a few commands answered before the fault
      const ctx: FaultContext = { world, hall, timeline, load, start: Date.now(), end: 0 };
      log(`${f.name}: ${f.how}`);
      load.startPushes();
      await f.inflict(ctx);
      load.stopPushes();
      if (!ctx.end) ctx.end = Date.now();
      const back = await waitFor(
        `${f.name}: the hall back`,
        () => {
          const s = timeline.now();
          return isBack(s) && (f.back?.(ctx, s) ?? true) ? s : null;
        },
        { timeoutMs: f.recoverTimeoutMs ?? 180_000, everyMs: 100 },
      ).catch(() => null);
      load.stop();
      // Settle: the commands answered and the last push reported, or their time is up and they count as lost.
      await waitFor('settled', () => load.unanswered === 0 && timeline.now().state?.config?.version === load.lastVersion, { timeoutMs: 30_000 }).catch(() => {});
      const lost = await load.lost();
      const until = back?.at ?? Date.now();
      let lie: string | null = null;
      const samples = timeline.samples;
      for (let i = 0; i < samples.length && !lie; i++) {
        if (samples[i].at < ctx.start || samples[i].at > until) continue;
        lie = presenceLie(samples, i) ?? f.lie?.(ctx, samples[i]) ?? null;
        if (lie) lie = `${round((samples[i].at - ctx.start) / 1000, 1)} s in: ${lie}`;
      }
      const detectedAt = f.detected(ctx);
      const restarted = hall.agents.length > 1 || hall.agents.some((a) => a.proc.exitCode !== null || a.proc.signalCode !== null);
      return {
        fault: f.name,
        detected_s: f.nothingToDetect && detectedAt === null ? 'n/a' : detectedAt === null ? null : round((detectedAt - ctx.start) / 1000, 1),
        recovered_s: back ? round(Math.max(0, back.at - ctx.end) / 1000, 1) : null,
        truthful: lie ? 'no' : 'yes',
        lost: lost.total,
        agent_restarted: restarted ? 'yes' : 'no',
        how: f.how,
        lostDetail: lost,
        commandsSent: load.commandsSent,
        lie,
        ...(back ? {} : { error: `not back within ${(f.recoverTimeoutMs ?? 180_000) / 1000} s; last: ${JSON.stringify(summary(timeline.now()))}` }),
      };
    } finally {
      timeline.stop();
      load.close();
    }
  } finally {
    await hall?.stop().catch(() => {});
    await prepared.undo();
  }
}

function summary(s: Sample) {
  return { linkUp: s.linkUp, obsUp: s.obsUp, presence: s.presence, media: s.state?.media?.status, camera: s.state?.devices?.camera?.health?.status, config: s.state?.config };
}
