// The programme player: the media worker subscribes to the central programme and hands each decoded frame and
// each 10 ms of decoded audio to a player. Two implementations side by side:
//   player-gst.ts    a GStreamer process: frames to the display (kmssink on a box), audio to the room audio
//                    process (audio-io.ts), whose loudspeaker branch is the echo canceller's reference;
//   player-check.ts  a test sink that counts frames and checks their order from the counter stamped in their
//                    pixels (frame-stamp.ts), and counts audio.
// Audio does not get a process of its own: webrtcechoprobe must sit in the same process as the mic's webrtcdsp.
import type { EventEmitter } from 'node:events';

/** One decoded picture, I420 (Y plane, then U and V at half size): width*height*3/2 bytes. */
export interface VideoFrame {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface PlayerStats {
  /** Frames handed to pushVideo. */
  framesIn: number;
  /** Frames passed on to the display (or checked). */
  framesShown: number;
  /** Frames dropped because the display was still busy with an earlier one: the newest frame wins. */
  framesDropped: number;
  /** 10 ms audio chunks handed to pushAudio. */
  audioChunks: number;
  width: number;
  height: number;
}

/** How a player process ended: `expected` when the player ended it (size change, stop()). */
export interface PlayerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  /** GStreamer's error text, if it printed one. */
  reason?: string;
}

/** Events: 'exit' (PlayerExit) when a player process ends. */
export interface ProgrammePlayer extends EventEmitter {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Never blocks and never queues more than one frame: a frame the display cannot take now is dropped. */
  pushVideo(frame: VideoFrame): void;
  /** 10 ms of s16le mono 48 kHz (audio-pcm.ts). */
  pushAudio(chunk: Buffer): void;
  stats(): PlayerStats;
}

/** Bytes of an I420 frame; throws on odd sizes, which I420 cannot carry. */
export function i420Size(width: number, height: number): number {
  if (width % 2 || height % 2 || width <= 0 || height <= 0) throw new RangeError(`I420 frame ${width}x${height}: sides must be even and positive`);
  return (width * height * 3) / 2;
}
