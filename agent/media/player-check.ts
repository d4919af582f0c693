// The test sink of the programme player: it shows nothing, it checks. Each frame's counter and capture time are
// read from its pixels (frame-stamp.ts, written by the capture at the far end), so order, loss and latency are
// judged from what was really decoded, with no side channel.
import { EventEmitter } from 'node:events';
import { BadRequestError } from '../errors.js';
import { CHUNK_BYTES } from './audio-pcm.js';
import { readStampI420, stampAgeMs } from './frame-stamp.js';
import { i420Size, type PlayerStats, type ProgrammePlayer, type VideoFrame } from './player.js';

export interface CheckStats extends PlayerStats {
  /** Frames whose stamp could not be read (check byte wrong): damaged or unstamped. */
  unreadable: number;
  /** Counters skipped between consecutive frames (frames lost before the player). */
  missing: number;
  /** Frames whose counter is lower than one already seen. */
  outOfOrder: number;
  /** Frames whose counter equals the previous one. */
  duplicates: number;
  firstCounter?: number;
  lastCounter?: number;
  /** Stamp-to-player latency of each frame, ms (needs the sender's clock: same host or synchronised). */
  latenciesMs: number[];
  /** Audio chunks that were not exactly 10 ms. */
  badAudioChunks: number;
}

export class CheckingPlayer extends EventEmitter implements ProgrammePlayer {
  private readonly s: CheckStats = {
    framesIn: 0, framesShown: 0, framesDropped: 0, audioChunks: 0, width: 0, height: 0,
    unreadable: 0, missing: 0, outOfOrder: 0, duplicates: 0, latenciesMs: [], badAudioChunks: 0,
  };
  private highest = -1;
  private previous = -1;

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  pushVideo(frame: VideoFrame): void {
    const s = this.s;
    s.framesIn++;
    if (frame.data.length !== i420Size(frame.width, frame.height))
      throw new BadRequestError(`player: frame of ${frame.data.length} bytes is not I420 ${frame.width}x${frame.height}`);
    s.framesShown++;
    s.width = frame.width;
    s.height = frame.height;
    const stamp = readStampI420(frame.data, frame.width);
    if (!stamp) {
      s.unreadable++;
      return;
    }
    const c = stamp.counter;
    s.firstCounter ??= c;
    s.lastCounter = c;
    s.latenciesMs.push(stampAgeMs(stamp, this.now()));
    if (c === this.previous) s.duplicates++;
    else if (c < this.highest) s.outOfOrder++;
    else if (this.highest >= 0 && c > this.highest + 1) s.missing += c - this.highest - 1;
    if (c > this.highest) this.highest = c;
    this.previous = c;
  }

  pushAudio(chunk: Buffer): void {
    this.s.audioChunks++;
    if (chunk.length !== CHUNK_BYTES) this.s.badAudioChunks++;
  }

  stats(): CheckStats {
    return { ...this.s, latenciesMs: this.s.latenciesMs.slice() };
  }
}
