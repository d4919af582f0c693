// The box's programme player: a gst-launch-1.0 process that puts decoded I420 frames on the hall's display.
//
//   worker --I420 frames (fd 3)--> rawvideoparse -> queue (1 frame, leaky) -> videoconvert -> kmssink
//   tests and the demo: the same, ending in fdsink (fd 4), so the frames the process really passed come back
//
// A process serves one frame size (rawvideoparse needs it up front); a programme that changes size (the bridge's
// simulcast or the sender's adaptation) gets a new process. Newest frame wins: while the process has not taken
// the previous frame, a new one is dropped and counted, never queued. Audio is not played here: it goes to the
// room audio process (audio-io.ts), whose loudspeaker branch is the echo canceller's reference.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { silentLogger, type Logger } from '../../../core/log.js';
import { gstErrorReason } from '../room-audio/audio-io.js';
import { i420Size, type PlayerExit, type PlayerStats, type ProgrammePlayer, type VideoFrame } from './player.js';
import { stopChild } from '../../../core/stop-child.js';

export type Display =
  /** DRM/KMS: the box's HDMI output, no X or Wayland. */
  | { kind: 'kms'; connectorId?: number }
  /** Frames out on `shownOut` as raw I420 (tests, demo). */
  | { kind: 'pipe' }
  | { kind: 'fake' };

export interface GstPlayerOptions {
  display: Display;
  /** The room audio process's programmeIn; without it audio is counted and dropped. */
  audioOut?: Writable;
  gstLaunch?: string;
  log?: Logger;
}

export function playerPipelineArgs(display: Display, width: number, height: number): string[] {
  const sink =
    display.kind === 'kms'
      ? ['videoconvert', '!', 'kmssink', ...(display.connectorId ? [`connector-id=${display.connectorId}`] : []), 'sync=false']
      : display.kind === 'pipe'
        ? ['fdsink', 'fd=4', 'sync=false']
        : ['fakesink', 'sync=false'];
  return [
    'fdsrc', 'fd=3', `blocksize=${i420Size(width, height)}`, '!',
    'rawvideoparse', `width=${width}`, `height=${height}`, 'format=i420', 'framerate=30/1', '!',
    'queue', 'max-size-buffers=1', 'max-size-bytes=0', 'max-size-time=0', 'leaky=downstream', '!',
    ...sink,
  ];
}

export class GstPlayer extends EventEmitter implements ProgrammePlayer {
  /** With display 'pipe': the I420 frames the process passed to its sink, back to back. */
  readonly shownOut?: PassThrough;
  private child?: ChildProcess;
  private input?: Writable;
  private busy = false;
  private warnedBadFrame = false;
  private running = false;
  /** Processes this player ended on purpose (a size change, stop()): their exit is expected. */
  private readonly ended = new WeakSet<ChildProcess>();
  private readonly s: PlayerStats & { restarts: number } = {
    framesIn: 0, framesShown: 0, framesDropped: 0, audioChunks: 0, width: 0, height: 0, restarts: 0,
  };

  constructor(private readonly opts: GstPlayerOptions) {
    super();
    if (opts.display.kind === 'pipe') this.shownOut = new PassThrough();
  }

  async start(): Promise<void> {
    this.running = true;
  }

  pushVideo(frame: VideoFrame): void {
    const s = this.s;
    s.framesIn++;
    if (!this.running) return void s.framesDropped++;
    if (frame.width % 2 || frame.height % 2 || frame.data.length !== (frame.width * frame.height * 3) / 2) {
      // Called from wrtc's frame callback: a throw there would take the worker down, so count and say it once.
      if (!this.warnedBadFrame) (this.opts.log ?? silentLogger).warn('player: frame is not I420 of its size, dropped', { bytes: frame.data.length, width: frame.width, height: frame.height });
      this.warnedBadFrame = true;
      return void s.framesDropped++;
    }
    if (!this.child || frame.width !== s.width || frame.height !== s.height) {
      this.spawnFor(frame.width, frame.height);
    }
    if (this.busy || !this.input) return void s.framesDropped++;
    this.busy = true;
    s.framesShown++;
    // The callback fires when the kernel took the bytes: only then may the next frame go.
    this.input.write(frame.data, () => (this.busy = false));
  }

  pushAudio(chunk: Buffer): void {
    this.s.audioChunks++;
    this.opts.audioOut?.write(chunk);
  }

  stats(): PlayerStats & { restarts: number } {
    return { ...this.s };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.kill();
    this.shownOut?.end();
  }

  private spawnFor(width: number, height: number): void {
    const log = this.opts.log ?? silentLogger;
    if (this.child) {
      this.s.restarts++;
      void this.kill();
    }
    this.s.width = width;
    this.s.height = height;
    const args = playerPipelineArgs(this.opts.display, width, height);
    const child = spawn(this.opts.gstLaunch ?? 'gst-launch-1.0', args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', this.shownOut ? 'pipe' : 'ignore'],
    });
    this.child = child;
    this.busy = false;
    const input = child.stdio[3] as Writable;
    input.on('error', () => {});
    this.input = input;
    if (this.shownOut) (child.stdio[4] as Readable).on('data', (d: Buffer) => this.shownOut!.write(d));
    let errText = '';
    let reason: string | undefined;
    child.stderr!.on('data', (d: Buffer) => {
      errText = (errText + d.toString()).slice(-4000);
      reason = gstErrorReason(errText) ?? reason;
    });
    child.on('error', (e) => (reason = `cannot start gst-launch-1.0: ${e.message}`));
    log.info('player starting', { pid: child.pid, width, height });
    child.on('close', (code, signal) => {
      const expected = this.ended.has(child);
      if (this.child === child) {
        this.child = undefined;
        this.input = undefined;
      }
      const e: PlayerExit = { code, signal, expected, reason };
      (expected ? log.info : log.error)('player exited', { ...e, pid: child.pid });
      this.emit('exit', e);
    });
  }

  private kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.ended.add(child);
    this.child = undefined;
    this.input = undefined;
    // End of input first: fdsrc sends EOS and the sink shows the last frame it has; then make sure.
    (child.stdio[3] as Writable).end();
    return stopChild(child, 'SIGINT', 1500);
  }
}
