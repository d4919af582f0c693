// The capture process: ffmpeg reads the camera and microphone (V4L2 + ALSA on a box; a test pattern and a tone in
// tests and the demo) and writes raw I420 frames and 48 kHz mono s16le PCM into two FIFOs that the worker reads
// with FrameReader (frame-pool.ts). A separate process, so a camera that hangs never blocks the encoder, and so
// the device can be reopened by restarting it.
import { EventEmitter } from 'node:events';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { openSync, closeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FrameReader, type ReaderStats } from './frame-pool.js';
import { stopChild } from '../../../core/stop-child.js';

export const AUDIO_RATE = 48000;
/** 10 ms of mono s16le: the chunk RTCAudioSource.onData takes. */
export const AUDIO_CHUNK_BYTES = (AUDIO_RATE / 100) * 2;

export interface CaptureOptions {
  width: number;
  height: number;
  fps: number;
  simulate: boolean;
  videoDevice: string;
  videoFormat: string;
  audioDevice: string;
  /** Camera only: on a box the room audio process (worker-room.ts) owns the mic, so ffmpeg must not open it. */
  videoOnly?: boolean;
}

export function i420Bytes(width: number, height: number): number {
  return width * height + 2 * (width >> 1) * (height >> 1);
}

/**
 * The simulated room: a 440 Hz tone whose level rises and falls between -30 and -18 dBFS (peak) every 4 s, so that a
 * level meter moves with it (the technician page), while every 10 ms of it stays loud enough to count as heard.
 */
export const SIMULATED_ROOM = 'aevalsrc=0.125*(0.625+0.375*sin(2*PI*0.25*t))*sin(2*PI*440*t)';

/** ffmpeg's input arguments: the test pattern and the simulated room, or the devices; both paced in real time. */
export function captureInputArgs(o: CaptureOptions): string[] {
  if (o.simulate) {
    return [
      '-re', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
      '-re', '-f', 'lavfi', '-i', `${SIMULATED_ROOM}:s=${AUDIO_RATE}:c=mono`,
    ];
  }
  return [
    '-f', 'v4l2', '-input_format', o.videoFormat, '-framerate', String(o.fps), '-video_size', `${o.width}x${o.height}`, '-i', o.videoDevice,
    ...(o.videoOnly ? [] : ['-f', 'alsa', '-ac', '1', '-ar', String(AUDIO_RATE), '-i', o.audioDevice]),
  ];
}

/**
 * Events: 'exit' (code, signal) when ffmpeg ended without stop(); 'error' (err).
 * onVideo/onAudio get a pool buffer that is valid only during the call.
 */
export class Capture extends EventEmitter {
  private proc: ChildProcess | null = null;
  private dir: string | null = null;
  private video: FrameReader | null = null;
  private audio: FrameReader | null = null;
  private stopping = false;
  private stderr = '';

  constructor(
    readonly opts: CaptureOptions,
    private readonly onVideo: (frame: Buffer, arrivedMs: number) => void,
    private readonly onAudio: (pcm: Buffer) => void,
  ) {
    super();
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.stopping = false;
    this.dir = await mkdtemp(join(tmpdir(), 'diemcau-cap-'));
    const vPath = join(this.dir, 'video.i420');
    const aPath = join(this.dir, 'audio.pcm');
    await promisify(execFile)('mkfifo', [vPath, aPath]);
    this.video = new FrameReader(vPath, i420Bytes(o.width, o.height), this.onVideo, { slots: 3, latest: true });
    const withAudio = o.simulate || !o.videoOnly;
    this.audio = withAudio ? new FrameReader(aPath, AUDIO_CHUNK_BYTES, (b) => this.onAudio(b), { slots: 2, latest: false }) : null;
    for (const r of [this.video, this.audio]) r?.on('error', (e) => this.emit('error', e));
    this.video.start();
    this.audio?.start();
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      ...captureInputArgs(o),
      '-map', '0:v', '-vf', `scale=${o.width}:${o.height},fps=${o.fps}`, '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-y', vPath,
      ...(withAudio ? ['-map', '1:a', '-ac', '1', '-ar', String(AUDIO_RATE), '-f', 's16le', '-y', aPath] : []),
    ];
    const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    proc.once('error', (e) => this.emit('error', new Error(`capture: cannot start ffmpeg: ${e.message}`)));
    proc.once('exit', (code, signal) => {
      this.proc = null;
      if (!this.stopping) this.emit('exit', code, signal, this.stderr.trim());
    });
  }

  /** ffmpeg's pid (for CPU accounting in the bench). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  stats(): { video: ReaderStats; audio: ReaderStats } {
    return {
      video: this.video?.stats() ?? { frames: 0, dropped: 0 },
      audio: this.audio?.stats() ?? { frames: 0, dropped: 0 },
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    if (proc) await stopChild(proc, 'SIGTERM', 2000);
    // The writer is gone, so reads blocked on the FIFOs have returned. If ffmpeg never opened them, a reader is
    // still blocked in open(): open the write side once (non-blocking) so that it returns.
    for (const f of ['video.i420', 'audio.pcm']) {
      try {
        closeSync(openSync(join(this.dir ?? '', f), constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: no reader waiting, which is what we want.
      }
    }
    this.video?.stop();
    this.audio?.stop();
    this.video = this.audio = null;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
