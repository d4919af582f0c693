// Encoder adaptation to what the bridge reports (RTCP receiver reports) and to what the box's CPU holds
// (encoder-load.ts: the encoder's time per frame and the frames it could not take): a ladder of levels, audio first. Pure: `nextLevel` turns (current level, one stats sample, history) into the next level;
// the worker applies a level with levelOutput (capture size, frame stride, b=AS ceiling). Issue 5: "on a poor link keep audio
// first, lower video resolution and frame rate before audio suffers, and fall to audio-only when even that fails".
import type { Quality } from './protocol.js';
import type { CpuVerdict } from './encoder-load.js';

export interface Level {
  name: string;
  /** Output height for a 720p capture; scaleResolutionDownBy = captureHeight / height. */
  height: number;
  fps: number;
  /** Share of the configured bitrate ceiling. */
  bitrateShare: number;
  video: boolean;
}

export const LADDER: readonly Level[] = [
  { name: '720p30', height: 720, fps: 30, bitrateShare: 1, video: true },
  { name: '540p30', height: 540, fps: 30, bitrateShare: 0.6, video: true },
  { name: '360p30', height: 360, fps: 30, bitrateShare: 0.35, video: true },
  { name: '360p15', height: 360, fps: 15, bitrateShare: 0.2, video: true },
  { name: 'audio-only', height: 0, fps: 0, bitrateShare: 0, video: false },
];
export const AUDIO_ONLY = LADDER.length - 1;

/** The highest level allowed: the `quality` cap and the capture size (no upscaling). */
export function topLevel(max: Quality, captureHeight: number): number {
  const cap = Number.parseInt(max, 10);
  const i = LADDER.findIndex((l) => l.video && l.height <= Math.min(cap, captureHeight));
  return i < 0 ? AUDIO_ONLY - 1 : i;
}

export interface AdaptSample {
  /** fractionLost the bridge reported for our audio / video (0..1), null if no report yet. */
  audioLoss: number | null;
  videoLoss: number | null;
  /** encoder-load.ts's verdict on the CPU at the current level; null or absent: the CPU has no say. */
  cpu?: CpuVerdict | null;
}

export interface AdaptState {
  level: number;
  /** Consecutive samples that asked for a step down / allowed a step up. */
  bad: number;
  good: number;
  /** Samples since the last step up, while no step down has followed it (absent: none pending). */
  sinceUp?: number;
  /** The climb's wait, times GOOD_SAMPLES (absent: 1). */
  upWait?: number;
}

export const AUDIO_LOSS_BAD = 0.05;
export const VIDEO_LOSS_BAD = 0.1;
const LOSS_GOOD = 0.02;
const BAD_SAMPLES = 2;
/**
 * Clean samples before a step up (twice as many from audio-only). A join may set fewer (JoinRequest.adaptGoodSamples):
 * the tests that prove the climb, which would otherwise wait 24 s from audio-only to 360p30.
 */
export const GOOD_SAMPLES = 8;
// A step up that the CPU could not hold (stepped down again on CPU within TRIAL_SAMPLES) doubles the wait before the
// next one, up to MAX_UP_WAIT times; one that holds for HELD_SAMPLES resets it. From audio-only the ladder has no CPU
// reading to judge by and can only try: on a box too slow for any video, each try costs two overloaded seconds
// that audio shares, so they get rarer (16 s, 32 s, ... 128 s) instead of coming every 18 s.
const TRIAL_SAMPLES = 10;
const HELD_SAMPLES = 30;
const MAX_UP_WAIT = 8;

export function initialAdapt(top: number): AdaptState {
  return { level: top, bad: 0, good: 0 };
}

/**
 * One step of the ladder per decision (two down when audio is starved); never above `top`, never below audio-only.
 * `goodSamples`: see GOOD_SAMPLES.
 */
export function nextLevel(s: AdaptState, x: AdaptSample, top: number, goodSamples = GOOD_SAMPLES): AdaptState {
  const level = Math.max(s.level, top);
  const audioBad = x.audioLoss !== null && x.audioLoss > AUDIO_LOSS_BAD;
  const videoBad = LADDER[level].video && x.videoLoss !== null && x.videoLoss > VIDEO_LOSS_BAD;
  // The bandwidth estimate is not a reason to step down: it starts low and only grows with what is sent, so it
  // would pull every new session down. Loss in the bridge's receiver reports is the evidence.
  // A box too slow for the level loses frames before any packet is sent: the same step down as loss, video first.
  // Audio starved (under half its pace): two levels at a time, so audio gets its CPU back in half the steps; and
  // swamped (audio short while the encoder loses frames at full load, encoder-load.ts) on this one reading, without
  // waiting for a second: under a 25% quota one second of the two the ladder waited was not heard (docs/media.md).
  const cpuOver = (x.cpu === 'over' || x.cpu === 'starved' || x.cpu === 'swamped') && LADDER[level].video;
  const down = x.cpu === 'starved' || x.cpu === 'swamped' ? 2 : 1;
  const now = x.cpu === 'swamped';
  const sinceUp = s.sinceUp === undefined ? undefined : s.sinceUp + 1;
  const upWait = sinceUp === HELD_SAMPLES ? 1 : (s.upWait ?? 1);
  const keep = { sinceUp, upWait };
  if (audioBad || videoBad || cpuOver) {
    const bad = s.bad + 1;
    if ((bad >= BAD_SAMPLES || now) && level < AUDIO_ONLY) {
      const failedTry = cpuOver && sinceUp !== undefined && sinceUp <= TRIAL_SAMPLES;
      return { level: Math.min(AUDIO_ONLY, level + down), bad: 0, good: 0, upWait: failedTry ? Math.min(MAX_UP_WAIT, upWait * 2) : upWait };
    }
    return { level, bad, good: 0, ...keep };
  }
  const clean = (x.audioLoss ?? 0) <= LOSS_GOOD && (x.videoLoss ?? 0) <= LOSS_GOOD;
  // Step up only after a run of clean seconds (longer from audio-only); if the link cannot carry the level, loss
  // brings it back down within two seconds.
  // Up only where the CPU has room for the level above (or no say: audio-only encodes nothing, so it probes).
  if (clean && level > top && (x.cpu == null || x.cpu === 'room')) {
    const good = s.good + 1;
    const wait = (level === AUDIO_ONLY ? goodSamples * 2 : goodSamples) * upWait;
    if (good >= wait) return { level: level - 1, bad: 0, good: 0, sinceUp: 0, upWait };
    return { level, bad: 0, good, ...keep };
  }
  return { level, bad: 0, good: 0, ...keep };
}

export interface LevelOutput {
  video: boolean;
  /** Capture size for this level (the capture process is restarted at it: scaling in ffmpeg, not in JS). */
  width: number;
  height: number;
  /** Send every `stride`-th captured frame. */
  stride: number;
  /** Video ceiling, kbit/s (b=AS on the answer; worker-peer.ts says why not setParameters). */
  kbps: number;
}

/**
 * What the worker does for a level, given the configured capture size, rate and ceiling (kbit/s). The ceiling
 * belongs to the highest level the capture allows; lower levels get their share relative to it.
 */
export function levelOutput(level: number, cap: { width: number; height: number; fps: number }, maxKbps: number): LevelOutput {
  const l = LADDER[level];
  const top = LADDER[topLevel('720p', cap.height)];
  if (!l.video) return { video: false, width: cap.width, height: cap.height, stride: 1, kbps: 0 };
  const height = Math.min(cap.height, l.height);
  const width = Math.round((cap.width * height) / cap.height / 2) * 2;
  return {
    video: true,
    width,
    height,
    stride: Math.max(1, Math.round(cap.fps / Math.min(cap.fps, l.fps))),
    kbps: Math.max(64, Math.round((Math.min(l.bitrateShare, top.bitrateShare) / top.bitrateShare) * maxKbps)),
  };
}

/** The bandwidth estimate over the last seconds while joined: what to restart it from after an outage. */
export class EstimateMemory {
  private readings: Array<{ at: number; kbps: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  note(at: number, kbps: number): void {
    this.readings.push({ at, kbps });
    while (this.readings[0].at < at - this.windowMs) this.readings.shift();
  }

  /** The highest reading of the window before `at`, or null. */
  best(at: number): number | null {
    const r = this.readings.filter((x) => x.at >= at - this.windowMs);
    return r.length ? Math.max(...r.map((x) => x.kbps)) : null;
  }
}
