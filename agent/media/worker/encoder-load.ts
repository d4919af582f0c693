// Whether this box's CPU holds the video level it sends: the adaptation ladder's (adapt.ts) second reason to step,
// beside the bridge's loss reports. A Pi-class box may not have the CPU for software VP8 at 720p30 (issue 14, "A slow
// box"); then no packet is lost, the link is fine, and yet frames are: the encoder cannot take them in time. Pure:
// from two readings of counters the worker already has, a verdict per second.
//
// Two signals, both about time, neither about the network:
// - encode load: the encoder's time per frame (outbound-rtp totalEncodeTime / framesEncoded, wall-clock time on the
//   encoder thread) over the time between frames at the level. Near 1 the encoder is busy all the time and the next
//   frame waits; on a box starved of CPU (a slow core, or a cgroup quota that stalls the process) it rises above,
//   and on a busy one it stretches too (wall-clock time) while every frame still gets through.
// - frames kept: frames encoded over frames the camera produced for the level (those handed over and those the frame
//   pool dropped because the worker was late: newest wins, see frame-pool.ts). libwebrtc drops a frame that arrives
//   while the encoder is still busy; the pool drops one the main thread could not read in time. libvpx's rate control
//   also drops frames when the bitrate is low (a new session's estimate), so a low share alone is not the CPU: it
//   counts only while the encoder is also loaded. Step down when frames are lost and the encoder is loaded.
// - audio's pace: Opus packets sent over the 50 a second its 20 ms frames make. The network does not slow them
//   (audio is not held by the bandwidth estimate) and mute sends silence, so a shortfall while video runs means the
//   process cannot keep up, and video gives way first: measured under a 25% quota, 4-20 packets a second went out
//   while the worker still tried 720p-360p.
// Stepping up needs room: the load the next level up would put on the encoder (this level's time per frame scaled by
// pixels, over that level's frame interval) must stay well under 1, or the box would step straight back down.
import { LADDER, type Level } from './adapt.js';

export interface EncoderCounters {
  at: number;
  /** Frames the camera produced: handed to the worker plus dropped by the frame pool. */
  produced: number;
  /** outbound-rtp framesEncoded. */
  encoded: number;
  /** outbound-rtp totalEncodeTime (s), null where the stats do not have it. */
  encodeTimeS: number | null;
  /** Audio outbound-rtp packetsSent (null: no audio sender). */
  audioPackets?: number | null;
}

export interface EncoderLoad {
  /** Frames encoded over frames produced for the level (after its stride), 0..1. */
  kept: number;
  /** Encode time per frame over the level's frame interval; null without encode times or frames. */
  load: number | null;
  /** Opus packets sent over the 50 a second of 20 ms frames; null without an audio count. */
  audioPace?: number | null;
}

/** Opus's packets a second (20 ms frames). */
export const OPUS_PER_S = 50;
/** Under this share of Opus's pace, audio is short: step video down. */
export const AUDIO_PACE_LOW = 0.8;
/**
 * Under this share, audio is starved: video steps down two levels at a time. Under a 25% quota one level at a time
 * took 14-25 s from 720p30 to audio-only, with Opus at 3-29 packets a second all the while (docs/media.md).
 */
export const AUDIO_PACE_STARVED = 0.5;
/** A step up needs audio at this share of its pace at least. */
export const AUDIO_PACE_HOLDING = 0.9;

/** Under this share of frames kept, with the load at LOAD_BUSY or more, frames are being lost to the CPU. */
export const KEPT_LOW = 0.8;
export const LOAD_BUSY = 0.5;
/** Step up only if the next level's predicted load stays under this. */
export const LOAD_ROOM = 0.6;

/** The load between two readings for a level sent every `stride`-th frame at `fps`; null: too little to judge. */
export function encoderLoad(prev: EncoderCounters, cur: EncoderCounters, fps: number, stride: number): EncoderLoad | null {
  const dt = (cur.at - prev.at) / 1000;
  const produced = (cur.produced - prev.produced) / Math.max(1, stride);
  const encoded = cur.encoded - prev.encoded;
  // A new session's stats start again from zero, and a gap (a recovery, when the ladder does not step) spans what
  // was not this level's work: a reading across either says nothing.
  if (dt < 0.5 || dt > 3 || produced < 2 || encoded < 0) return null;
  const kept = Math.min(1, encoded / produced);
  const intervalS = Math.max(1, stride) / fps;
  const load =
    cur.encodeTimeS !== null && prev.encodeTimeS !== null && encoded > 0 && cur.encodeTimeS >= prev.encodeTimeS
      ? (cur.encodeTimeS - prev.encodeTimeS) / encoded / intervalS
      : null;
  const a0 = prev.audioPackets;
  const a1 = cur.audioPackets;
  const audioPace = a0 != null && a1 != null && a1 >= a0 ? (a1 - a0) / dt / OPUS_PER_S : null;
  return { kept, load, audioPace };
}

/** The encoder's cost of a level relative to another: pixels per second (width follows height). */
export function costRatio(to: Level, from: Level): number {
  return ((to.height / from.height) ** 2 * to.fps) / from.fps;
}

export type CpuVerdict = 'swamped' | 'starved' | 'over' | 'room' | 'tight';

/** At this load or more the encoder is busy the whole interval: the next frame is late before it starts. */
export const LOAD_FULL = 1;

/**
 * `swamped`: audio is short (under 80% of its pace) while the encoder loses frames at full load, so the CPU is
 * short, not the process stalled: step down two levels on this one reading; `starved`: audio is going out at under
 * half its pace, step down two levels (after a second such reading: a process stalled for a second, by a slow card
 * or a busy machine, starves audio too, but then the camera's frames wait in their pipe and the encoder keeps every
 * frame it is handed);
 * `over`: step down (the box cannot hold `level`); `room`: a step up to the level above would be held; `tight`: hold
 * here. null: nothing to judge (no video sent, or no reading), and the CPU has no say.
 */
export function cpuVerdict(x: EncoderLoad | null, level: number, top: number): CpuVerdict | null {
  const here = LADDER[level];
  if (!x || !here.video) return null;
  const pace = x.audioPace ?? null;
  const losing = x.load !== null && x.kept < KEPT_LOW && x.load >= LOAD_FULL;
  if (pace !== null && pace < AUDIO_PACE_LOW && losing) return 'swamped'; // audio first
  if (pace !== null && pace < AUDIO_PACE_STARVED) return 'starved';
  if (pace !== null && pace < AUDIO_PACE_LOW) return 'over';
  if (x.load === null) return null;
  // Slow encoding alone is no reason: a busy machine stretches the encoder's wall-clock time while every frame is
  // still encoded in time. Frames lost while the encoder is loaded are.
  if (x.kept < KEPT_LOW && x.load >= LOAD_BUSY) return 'over';
  if (level <= top) return 'tight'; // nothing above to step to
  // Frames lost at a light load are not the encoder's doing, so no step down; but no step up either: the level above
  // would lose more. Under a 50% quota the throttled pacer shows as a bandwidth limit (libwebrtc drops frames for
  // its estimate), and 540p30 kept 20-27% of its frames at load 0.07 while the ladder, taking that for room, tried
  // 720p30. A new session's estimate ramping up holds the climb only until the frames flow.
  if (x.kept < KEPT_LOW) return 'tight';
  if (pace !== null && pace < AUDIO_PACE_HOLDING) return 'tight';
  return x.load * costRatio(LADDER[level - 1], here) <= LOAD_ROOM ? 'room' : 'tight';
}
