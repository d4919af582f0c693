// What the media tests share: a media config with defaults, and the two ends of a meeting in the lab (netns.ts):
// the hall's media path (controller + worker) inside the hall namespace, and a centre that only receives (a
// second worker, a real wrtc subscriber in its own process) on the host.
import { withDefaults } from '../../core/schema/value.js';
import { MediaConfig } from '../../core/config/media.js';
import { createMediaPath, type MediaController } from '../../agent/media/controller.js';
import { createLogger, type Logger } from '../../core/log.js';
import type { JanusLab } from '../janus.js';
import type { JoinRequest, WorkerExtra } from '../../agent/media/worker/protocol.js';
import { sleep, waitFor, WaitTimeout } from '../wait.js';
import type { Writable } from 'node:stream';
import { CHUNK_BYTES } from '../../agent/media/room-audio/pcm.js';

export const ROOM = 1234;

export function mediaConfig(over: Partial<MediaConfig> = {}): MediaConfig {
  return withDefaults(MediaConfig, { enabled: true, simulate: true, ...over }) as MediaConfig;
}

/** Log lines kept in memory (printed by tests when something fails). */
export function memoryLogger(tag: string): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const level = (process.env.DIEMCAU_LOG_LEVEL as 'debug' | 'info') || 'info';
  return { log: createLogger({ who: tag }, level, (l) => lines.push(l)), lines };
}

export async function startHall(lab: JanusLab, over: Partial<MediaConfig> = {}, log?: Logger): Promise<MediaController> {
  const hall = createMediaPath(mediaConfig({ receiveProgramme: false, ...over }), log ?? memoryLogger('hall').log, {
    spawnPrefix: lab.hall.prefix,
  });
  await hall.start();
  await hall.join(hallJoin(lab));
  return hall;
}

/** How startHall joins the hall to the lab's room (a test may join it again with more). */
export function hallJoin(lab: JanusLab): JoinRequest {
  return { bridge: lab.hallUrl, room: ROOM, display: 'hall' };
}

/** A receive-only centre watching the hall; `join` adds to its join (the programme's playout delay, stale time). */
export async function startCentre(
  lab: JanusLab,
  log?: Logger,
  join: Pick<JoinRequest, 'programmeMaxDelayMs' | 'programmeStaleMs'> = {},
): Promise<MediaController> {
  // In a namespace of its own, with one link to the bridge (netns.ts MediaLab says why).
  const centre = createMediaPath(mediaConfig(), log ?? memoryLogger('centre').log, { spawnPrefix: lab.centre.prefix });
  await centre.start();
  await centre.join({ bridge: lab.centreUrl, room: ROOM, display: 'centre', publish: false, programme: { display: 'hall' }, reportMs: 100, ...join });
  return centre;
}

export { sleep };

/**
 * The controller's next report, just arrived: numbers taken right after it are as fresh as the worker's own. A
 * hall reports once a second, so a window measured between two of these is aligned to its reports.
 */
export function nextReport(c: MediaController, timeoutMs = 5000): Promise<WorkerExtra> {
  const last = c.extra();
  return waitFor('the next report from the media worker', () => c.extra(), { until: (x) => x !== last, timeoutMs, everyMs: 5 });
}

export interface ProgrammeView {
  frames: number;
  missing: number;
  outOfOrder: number;
  repeats: number;
  unreadable: number;
  lastCounter: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  audioLoudSamples: number;
  width: number;
  height: number;
}

export function programme(c: MediaController): ProgrammeView {
  return (c.extra().programme ?? {}) as unknown as ProgrammeView;
}

/**
 * Cuts the hall link for `downMs` and restores it. Returns the seconds from the link's return until the centre
 * hears the hall's tone again (100 ms of loud samples more than at the moment of return), and until it decodes
 * the hall's video at `fps` or more over a whole second; null for either if not within `giveUpMs`. `whileDown`
 * runs while the link is down (a test's checks of the outage), within `downMs` if it returns in time.
 */
export async function linkCutRecovery(
  lab: JanusLab,
  centre: MediaController,
  downMs: number,
  fps = 20,
  giveUpMs = 20000,
  whileDown: () => Promise<void> = async () => {},
): Promise<{ audioS: number | null; videoS: number | null }> {
  await lab.hallLink.down();
  const downAt = Date.now();
  await whileDown();
  await sleep(Math.max(0, downMs - (Date.now() - downAt)));
  const base = programme(centre).audioLoudSamples;
  await lab.hallLink.up();
  const t0 = Date.now();
  const since = () => (Date.now() - t0) / 1000;
  // A restarted centre worker counts from zero again: then any 100 ms of tone counts.
  const audio = waitFor('the tone at the centre again', () => programme(centre).audioLoudSamples, {
    until: (loud) => loud > base + 4800 || (loud < base && loud > 4800),
    timeoutMs: giveUpMs,
    everyMs: 50,
  }).then(
    () => since(),
    (err: unknown) => {
      if (err instanceof WaitTimeout) return null;
      throw err;
    },
  );
  const video = (async () => {
    const seen: Array<{ at: number; frames: number }> = [];
    while (Date.now() - t0 < giveUpMs) {
      const now = { at: Date.now(), frames: programme(centre).frames };
      seen.push(now);
      const first = seen.find((x) => x.at >= now.at - 1000)!;
      if (now.at - first.at >= 900 && (now.frames - first.frames) * 1000 >= fps * (now.at - first.at)) return since();
      await sleep(100);
    }
    return null;
  })();
  return { audioS: await audio, videoS: await video };
}

/** Writes `data` in 10 ms chunks at clock pace, as the worker does with decoded programme audio. */
export function paced(w: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.min(data.length, (Math.floor((performance.now() - start) / 10) + 1) * CHUNK_BYTES);
      if (due > sent) w.write(data.subarray(sent, due));
      sent = due;
      if (sent >= data.length) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}
