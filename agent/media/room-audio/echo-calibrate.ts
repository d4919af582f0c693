// Finds the echo delay to tell the canceller (media.roomAudio.echoDelayMs) by trying it in the hall, so that a
// technician does not have to guess the amplifier, the display and the distance from loudspeaker to mic.
//
// The canceller converges when told a delay between the real lag and about 30 ms less, and fails when told more
// than the lag (docs/media.md, the table in "Audio in the room"). So: play the same broadband probe (seeded noise)
// through the room audio process once with the canceller off (how loud the echo is at the mic) and once per
// candidate delay with it on; what is left at the output after the canceller has had time to converge is the
// residual. The candidates within `toleranceDb` of the best form a run (the band where it converges, about the lag
// and 30 ms below it); the middle of that run is chosen, the shorter one on a tie, so a later drift either way
// (another display, a moved loudspeaker) stays inside the band. Noise suppression and gain control are off during
// the trials: they would change the levels being compared.
//
// `roomProbe` runs one trial on the room audio process (audio-io.ts): ALSA on a box; in tests the pipe variant with
// the synthetic room (audio-room.ts) closing the loop through `attach`.
import { DeviceRefusedError, DeviceTimeoutError } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/log.js';
import { startAudioIo, type AudioIo, type AudioIoOptions } from './audio-io.js';
import { CHUNK_SAMPLES, dbfs, floatToS16, PCM_RATE, s16ToFloat } from './pcm.js';
import type { DspOptions } from './pipeline.js';
import type { RoomAudioConfig } from '../../../core/config/room-audio.js';
import { audioIoOptions } from './options.js';
import { gaussian, seededRandom } from './noise.js';

/** Delays tried, ms: 0 to 160 covers a display's audio path plus up to 20 m of hall; 10 ms apart where most
 *  halls are, so the band where the canceller converges (about 30 ms wide) holds several of them. */
export const CANDIDATES_MS: readonly number[] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 130, 160];

export interface DelayTrial {
  delayMs: number;
  /** What the canceller left at the output over the measured window, dBFS. */
  residualDbfs: number;
}

export interface EchoCalibration {
  /** The delay to configure as media.roomAudio.echoDelayMs. */
  echoDelayMs: number;
  /** Echo at the output with the canceller off, dBFS. */
  echoDbfs: number;
  /** Echo removed at the chosen delay, dB (echo minus residual). */
  erleDb: number;
  trials: DelayTrial[];
}

/** One trial: the output level after convergence with these canceller settings, dBFS. */
export type ResidualProbe = (dsp: DspOptions) => Promise<number>;

/** The middle (shorter on a tie) of the run of candidates, in delay order, within `toleranceDb` of the best. */
export function chooseEchoDelay(trials: readonly DelayTrial[], toleranceDb = 1.5): number {
  if (trials.length === 0) throw new RangeError('echo calibration: no trials');
  const byDelay = [...trials].sort((a, b) => a.delayMs - b.delayMs);
  const r = byDelay.map((t) => t.residualDbfs);
  const best = r.indexOf(Math.min(...r));
  const near = (i: number) => i >= 0 && i < r.length && r[i] <= r[best] + toleranceDb;
  let lo = best;
  let hi = best;
  while (near(lo - 1)) lo--;
  while (near(hi + 1)) hi++;
  return byDelay[Math.floor((lo + hi) / 2)].delayMs;
}

/** How much worse than both neighbours a trial must be to count as a glitch, dB. */
export const GLITCH_DB = 12;

/** Indexes (in `trials`, taken in delay order) of trials more than GLITCH_DB worse than both their neighbours. */
export function glitches(trials: readonly DelayTrial[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < trials.length - 1; i++) {
    const r = trials[i].residualDbfs;
    if (r > Math.max(trials[i - 1].residualDbfs, trials[i + 1].residualDbfs) + GLITCH_DB) out.push(i);
  }
  return out;
}

/** Below this the mic hears too little of the loudspeaker for the trials to mean anything, dBFS. */
const MIN_ECHO_DBFS = -55;

export async function calibrateEchoDelay(probe: ResidualProbe, candidates: readonly number[] = CANDIDATES_MS, log: Logger = silentLogger): Promise<EchoCalibration> {
  const quiet = { noiseSuppression: false, gainControl: false };
  const echoDbfs = await probe({ ...quiet, echoCancel: false, echoDelayMs: 0 });
  if (!(echoDbfs > MIN_ECHO_DBFS)) {
    throw new DeviceRefusedError(
      `echo calibration: the mic hears the loudspeaker at ${echoDbfs.toFixed(1)} dBFS, below ${MIN_ECHO_DBFS}: is the loudspeaker on and the mic live?`,
      'no_echo',
    );
  }
  const trials: DelayTrial[] = [];
  for (const delayMs of candidates) {
    const residualDbfs = await probe({ ...quiet, echoCancel: true, echoDelayMs: delayMs });
    trials.push({ delayMs, residualDbfs });
    log.info('media: echo calibration trial', { delayMs, residualDbfs: Math.round(residualDbfs * 10) / 10, echoDbfs: Math.round(echoDbfs * 10) / 10 });
  }
  // A trial far worse than both its neighbours is a glitch (someone spoke, a door, the box stalled): tried once more.
  // Beside a CPU hog a stall made the right delay (70 ms) leave -21 dBFS between neighbours at -53 and -58 (run 55).
  for (const i of glitches(trials)) {
    const again = await probe({ ...quiet, echoCancel: true, echoDelayMs: trials[i].delayMs });
    log.info('media: echo calibration trial again', { delayMs: trials[i].delayMs, first: Math.round(trials[i].residualDbfs * 10) / 10, again: Math.round(again * 10) / 10 });
    trials[i] = { delayMs: trials[i].delayMs, residualDbfs: Math.min(trials[i].residualDbfs, again) };
  }
  const echoDelayMs = chooseEchoDelay(trials);
  const chosen = trials.find((t) => t.delayMs === echoDelayMs)!;
  return { echoDelayMs, echoDbfs, erleDb: echoDbfs - chosen.residualDbfs, trials };
}

export interface RoomProbeOptions {
  /** The room audio process's devices (audioIoOptions(cfg.roomAudio, false) on a box); dsp is set per trial. */
  audio: Omit<AudioIoOptions, 'dsp' | 'log'>;
  /** Seconds of probe per trial; the residual is measured over the last `measureS`. */
  seconds?: number;
  measureS?: number;
  /** Probe level, dBFS (RMS of the noise). */
  levelDbfs?: number;
  /** Called once the process plays, just before the first probe block is written: tests close the loop here. */
  attach?: (io: AudioIo) => void;
  log?: Logger;
}

/** A probe gives up when the mic has sent no block for this long after the last probe block went out... */
const STALL_MS = 3000;
/** ...or when the mic is this far behind the probe's end, however steadily the blocks come. */
const MAX_LATE_MS = 10_000;

/** A ResidualProbe on the room audio process: plays seeded noise at clock pace, measures the mic output. */
export function roomProbe(o: RoomProbeOptions): ResidualProbe {
  const { seconds = 4, measureS = 1.5, levelDbfs = -20 } = o;
  const blocks = Math.round((seconds * PCM_RATE) / CHUNK_SAMPLES);
  const from = blocks - Math.round((measureS * PCM_RATE) / CHUNK_SAMPLES);
  return async (dsp) => {
    const noise = gaussian(seededRandom(1234));
    const amp = 10 ** (levelDbfs / 20);
    const probe = new Float32Array(blocks * CHUNK_SAMPLES);
    for (let i = 0; i < probe.length; i++) probe[i] = Math.max(-1, Math.min(1, amp * noise()));
    const io = startAudioIo({ ...o.audio, dsp, log: o.log });
    const out: Float32Array[] = [];
    try {
      await io.ready();
      io.micOut.on('data', (c: Buffer) => out.push(s16ToFloat(c)));
      o.attach?.(io);
      const start = performance.now();
      let sent = 0;
      // Clock-paced, as the programme arrives in a meeting: every due 10 ms block, so a late timer catches up.
      // It waits for the mic's blocks as long as they keep coming: a pipeline that fell behind on a busy box (run 94:
      // 357 of 400 blocks 3 s after the last was sent) is slow, not broken. It gives up after STALL_MS without a new
      // block once every block was sent, or MAX_LATE_MS after the probe's end.
      await new Promise<void>((resolve, reject) => {
        const failed = (e: { reason?: string; code: number | null }) => reject(new DeviceRefusedError(`echo calibration: room audio ended: ${e.reason ?? `code ${e.code}`}`, 'room_audio'));
        io.once('exit', failed);
        let seen = 0;
        let seenAt = start;
        const timer = setInterval(() => {
          const now = performance.now();
          const due = Math.min(blocks, Math.floor((now - start) / 10) + 1);
          for (; sent < due; sent++) io.programmeIn.write(floatToS16(probe.subarray(sent * CHUNK_SAMPLES, (sent + 1) * CHUNK_SAMPLES)));
          if (out.length > seen) [seen, seenAt] = [out.length, now];
          const stalled = sent >= blocks && now - Math.max(seenAt, start + seconds * 1000) > STALL_MS;
          if (sent >= blocks && out.length >= blocks) {
            clearInterval(timer);
            io.off('exit', failed);
            resolve();
          } else if (stalled || now - start > seconds * 1000 + MAX_LATE_MS) {
            clearInterval(timer);
            io.off('exit', failed);
            const why = stalled ? `none for ${STALL_MS / 1000} s` : `after ${Math.round((now - start) / 1000)} s`;
            reject(new DeviceTimeoutError(`echo calibration: ${out.length} of ${blocks} mic blocks, ${why}`));
          }
        }, 5);
      });
    } finally {
      await io.stop();
    }
    const window = new Float32Array((blocks - from) * CHUNK_SAMPLES);
    for (let k = from; k < blocks; k++) window.set(out[k], (k - from) * CHUNK_SAMPLES);
    return dbfs(window);
  };
}

/** The box's calibration: the hall's own loudspeaker and mic (media.roomAudio devices), every candidate delay. */
export function calibrateRoom(cfg: RoomAudioConfig, log: Logger = silentLogger): Promise<EchoCalibration> {
  const { playback, capture } = audioIoOptions(cfg, false);
  return calibrateEchoDelay(roomProbe({ audio: { playback, capture }, log }), CANDIDATES_MS, log);
}
