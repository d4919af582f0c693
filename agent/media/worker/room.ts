// The box's room path, as the media worker runs it when not simulating (issue 5): one room audio process
// (audio-io.ts) owns the hall's mic and loudspeaker, so the programme it plays is the echo canceller's far-end
// reference; its cleaned mic feeds the uplink; programme video goes to the display (player-gst.ts).
//
//   programme (wrtc sinks) -> RoomPath (ProgrammeSink) -> PlayerSink -> GstPlayer -> kmssink
//                                                                    \-> audio -> io.programmeIn -> loudspeaker
//   mic -> webrtcdsp -> io.micOut (960-byte chunks) -> onMic (MediaFeed.onAudio)
//
// The room audio process is started again when it dies (a USB sound card unplugged, a device busy), as capture is.
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { silentLogger, type Logger } from '../../../core/log.js';
import { startAudioIo, type AudioIo, type AudioIoExit, type AudioIoOptions } from '../room-audio/audio-io.js';
import { audioIoOptions } from '../room-audio/options.js';
import type { MediaConfig } from '../../../core/config/media.js';
import { CHUNK_BYTES } from '../room-audio/pcm.js';
import { GstPlayer, type Display } from '../programme/player-gst.js';
import { PlayerSink } from '../programme/player-sink.js';
import type { AudioIn, ProgrammeSink, VideoFrameIn } from './programme.js';
import type { WorkerLog } from './protocol.js';

export interface RoomPathOptions {
  /** From audioIoOptions(cfg.roomAudio, false) on a box; tests give pipe kinds. */
  audio: Omit<AudioIoOptions, 'log'>;
  display: Display;
  /** Each 10 ms chunk of cleaned mic (960 bytes); valid only during the call. */
  onMic: (chunk: Buffer) => void;
  /** Wait before starting a dead room audio process again, ms. */
  restartMs?: number;
  gstLaunch?: string;
  log?: Logger;
}

/** Events: 'audio-started' (AudioIo) each time a room audio process reaches PLAYING; 'audio-exit' (AudioIoExit). */
export class RoomPath extends EventEmitter implements ProgrammeSink {
  /** Room audio processes that died without stop(). */
  audioRestarts = 0;
  private ioNow: AudioIo | null = null;
  private running = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly player: GstPlayer;
  private readonly sink: PlayerSink;
  readonly log: Logger;
  /** Stable target for the player's audio across room audio restarts; drops audio while no process runs. */
  private readonly programmeOut: Writable;
  private readonly micChunk = Buffer.alloc(CHUNK_BYTES);

  constructor(readonly opts: RoomPathOptions) {
    super();
    this.log = opts.log ?? silentLogger;
    this.programmeOut = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.ioNow?.programmeIn.write(chunk);
        done();
      },
    });
    this.player = new GstPlayer({ display: opts.display, audioOut: this.programmeOut, gstLaunch: opts.gstLaunch, log: this.log });
    this.sink = new PlayerSink(this.player);
  }

  /** The running room audio process (tests reach its pipe ends through it). */
  get io(): AudioIo | null {
    return this.ioNow;
  }

  /** The display player (tests read shownOut with display 'pipe'). */
  get display(): GstPlayer {
    return this.player;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.player.start();
    await this.startAudio();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const io = this.ioNow;
    this.ioNow = null;
    await Promise.all([io?.stop(), this.player.stop()]);
  }

  video(frame: VideoFrameIn): void {
    this.sink.video(frame);
  }

  audio(a: AudioIn): void {
    this.sink.audio(a);
  }

  report(): Record<string, unknown> {
    return { ...this.sink.report(), roomAudio: this.ioNow ? 'running' : 'down', roomAudioRestarts: this.audioRestarts };
  }

  close(): void {
    void this.stop();
  }

  private async startAudio(): Promise<void> {
    const io = startAudioIo({ ...this.opts.audio, gstLaunch: this.opts.gstLaunch ?? this.opts.audio.gstLaunch, log: this.log });
    this.ioNow = io;
    io.micOut.on('data', (c: Buffer) => {
      // wrtc's RTCAudioSource wants samples that fill their whole ArrayBuffer, and micOut's chunks sit in Node's
      // shared 8 KiB pool: copy into one buffer of our own, which (as capture's pool buffers) lives for the call.
      c.copy(this.micChunk);
      this.opts.onMic(this.micChunk);
    });
    io.once('exit', (e: AudioIoExit) => this.onAudioExit(io, e));
    try {
      await io.ready();
      this.emit('audio-started', io);
    } catch (err) {
      // Its 'exit' follows (or came first) and schedules the restart; the meeting goes on without room audio.
      if (this.running && this.ioNow === io) this.log.error('media: room audio did not start', { err: (err as Error).message });
    }
  }

  private onAudioExit(io: AudioIo, e: AudioIoExit): void {
    this.emit('audio-exit', e);
    if (e.expected || this.ioNow !== io || !this.running) return;
    this.ioNow = null;
    this.audioRestarts++;
    const ms = this.opts.restartMs ?? 2000;
    this.log.error(`media: room audio ended (${e.reason ?? `code ${e.code} signal ${e.signal}`}); restarting it in ${ms} ms`, { ...e });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.running) void this.startAudio();
    }, ms);
  }
}

/** The worker's room path: null when simulating (ffmpeg's tone is the mic and the checking sink the programme). */
export function roomPathFor(cfg: MediaConfig, onMic: (chunk: Buffer) => void, logFn: WorkerLog): RoomPath | null {
  if (cfg.simulate) return null;
  const log: Logger = {
    debug: (m, f) => logFn('debug', m, f),
    info: (m, f) => logFn('info', m, f),
    warn: (m, f) => logFn('warn', m, f),
    error: (m, f) => logFn('error', m, f),
    child: () => log,
  };
  return new RoomPath({ audio: audioIoOptions(cfg.roomAudio, false), display: { kind: 'kms' }, onMic, log });
}
