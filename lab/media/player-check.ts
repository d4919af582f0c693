// The test sink of the programme player: it shows nothing, it checks. Each frame's counter and capture time are
// read from its pixels (frame-stamp.ts, written by the capture at the far end) and judged by FrameCheck
// (frame-check.ts: order, loss, repeats, latency), so what was really decoded is checked, with no side channel.
import { EventEmitter } from 'node:events';
import { BadRequestError } from '../../core/errors.js';
import { CHUNK_BYTES } from '../../agent/media/room-audio/pcm.js';
import { FrameCheck, type FrameCheckReport } from '../../agent/media/programme/frame-check.js';
import { readStampI420 } from '../../agent/media/frames/frame-stamp.js';
import { i420Size, type PlayerStats, type ProgrammePlayer, type VideoFrame } from '../../agent/media/programme/player.js';

export interface CheckStats extends PlayerStats {
  check: FrameCheckReport;
  /** Audio chunks that were not exactly 10 ms of s16le mono 48 kHz. */
  badAudioChunks: number;
}

export class CheckingPlayer extends EventEmitter implements ProgrammePlayer {
  readonly frames: FrameCheck;
  private readonly s = { framesIn: 0, framesShown: 0, framesDropped: 0, audioChunks: 0, width: 0, height: 0, badAudioChunks: 0 };

  constructor(private readonly now: () => number = Date.now, keepLatencies = 20000) {
    super();
    this.frames = new FrameCheck(keepLatencies);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  pushVideo(frame: VideoFrame): void {
    this.s.framesIn++;
    if (frame.data.length !== i420Size(frame.width, frame.height))
      throw new BadRequestError(`player: frame of ${frame.data.length} bytes is not I420 ${frame.width}x${frame.height}`);
    this.s.framesShown++;
    this.s.width = frame.width;
    this.s.height = frame.height;
    this.frames.add(readStampI420(frame.data, frame.width), this.now());
  }

  pushAudio(chunk: Buffer): void {
    this.s.audioChunks++;
    if (chunk.length !== CHUNK_BYTES) this.s.badAudioChunks++;
  }

  stats(): CheckStats {
    return { ...this.s, check: this.frames.report() };
  }
}
