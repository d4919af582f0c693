// The room audio process: one gst-launch-1.0 child that plays the central programme and captures the hall's mic
// with the programme cancelled out of it (pipeline in audio-pipeline.ts, PCM format in audio-pcm.ts).
//
//   worker --programmeIn (fd 3)--> [probe -> loudspeaker]        [mic -> webrtcdsp] --micOut (fd 4)--> worker
//   tests: playedOut (fd 5) is what the loudspeaker played; micIn (fd 6) is what the synthetic mic hears.
//
// Every pipe carries s16le mono 48 kHz; micOut is re-cut into exact 10 ms chunks of 960 bytes.
// Events: 'playing' () once the pipeline runs; 'exit' (AudioIoExit) when the process ends, expected or not.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { DisconnectedError } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/log.js';
import { Rechunker } from './pcm.js';
import { audioPipelineArgs, FD, type Capture, type DspOptions, type Playback } from './pipeline.js';
import { stopChild } from '../../../core/stop-child.js';

export interface AudioIoOptions {
  playback: Playback;
  capture: Capture;
  dsp?: DspOptions;
  /** gst-launch-1.0 by default. */
  gstLaunch?: string;
  /** How long to wait for the pipeline to reach PLAYING before giving up, ms. */
  startTimeoutMs?: number;
  log?: Logger;
}

export interface AudioIoExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when stop() asked for it. */
  expected: boolean;
  /** The last ERROR line GStreamer printed, if any. */
  reason?: string;
}

export interface AudioIo extends EventEmitter {
  /** Programme audio to play: s16le mono 48 kHz, any write size (whole samples). */
  readonly programmeIn: Writable;
  /** Cleaned mic: s16le mono 48 kHz, chunks of exactly 960 bytes (10 ms). Ends when the process ends. */
  readonly micOut: Readable;
  /** With playback 'pipe': what the loudspeaker played, at clock pace. */
  readonly playedOut?: Readable;
  /** With capture 'pipe': what the mic hears. */
  readonly micIn?: Writable;
  readonly pid: number | undefined;
  /** Resolves once PLAYING; rejects if the process dies or does not get there in time. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** The cause in gst-launch's error report: summary plus the detail line, e.g. the device that failed to open. */
export function gstErrorReason(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('ERROR: from element'));
  if (at < 0) {
    const any = lines.find((l) => /^ERROR|CRITICAL/.test(l));
    return any || undefined;
  }
  const summary = lines[at].replace(/^ERROR: from element /, '');
  const detail = lines.slice(at + 1, at + 5).find((l) => l && !l.startsWith('Additional debug') && !l.startsWith('../'));
  return detail ? `${summary} (${detail})` : summary;
}

class GstAudioIo extends EventEmitter implements AudioIo {
  readonly programmeIn = new PassThrough();
  readonly micOut = new PassThrough();
  readonly playedOut?: PassThrough;
  readonly micIn?: PassThrough;
  private child?: ChildProcess;
  private stopping = false;
  private exited?: AudioIoExit;
  private lastError?: string;
  private readyPromise?: Promise<void>;

  constructor(private readonly opts: AudioIoOptions) {
    super();
    if (opts.playback.kind === 'pipe') this.playedOut = new PassThrough();
    if (opts.capture.kind === 'pipe') this.micIn = new PassThrough();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { opts } = this;
    const log = opts.log ?? silentLogger;
    const args = audioPipelineArgs(opts.playback, opts.capture, opts.dsp);
    const bin = opts.gstLaunch ?? 'gst-launch-1.0';
    // fds 3..6 as audio-pipeline.ts's FD table; unused ones are 'ignore' so the child sees them closed.
    const stdio: Array<'pipe' | 'ignore'> = ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore'];
    if (this.playedOut) stdio[FD.playedOut] = 'pipe';
    if (this.micIn) stdio[FD.micIn] = 'pipe';
    const child = spawn(bin, args, { stdio });
    this.child = child;
    log.info('audio io starting', { pid: child.pid, pipeline: args.join(' ') });

    const stdout = child.stdio[1] as Readable;
    const stderr = child.stdio[2] as Readable;
    const toChild = child.stdio[FD.programmeIn] as Writable;
    const fromChild = child.stdio[FD.micOut] as Readable;
    // Node types child.stdio as a 5-tuple; fds 5 and 6 are there when asked for.
    const extra = child.stdio as unknown as Array<Readable & Writable | null>;
    let playing = false;
    let startTimer: NodeJS.Timeout | undefined;

    this.readyPromise = new Promise<void>((resolve, reject) => {
      const onExit = (e: AudioIoExit) =>
        reject(new DisconnectedError(`audio io: gst-launch-1.0 exited before PLAYING: ${e.reason ?? `code ${e.code}`}`));
      this.once('exit', onExit);
      this.once('playing', () => {
        this.off('exit', onExit);
        resolve();
      });
      startTimer = setTimeout(() => {
        this.off('exit', onExit);
        // A pipeline stuck before PLAYING (a device that never delivers) is of no use: end it, report it.
        this.lastError ??= `pipeline not PLAYING after ${opts.startTimeoutMs ?? 5000} ms`;
        void stopChild(child, 'SIGKILL', 0);
        reject(new DisconnectedError(`audio io: pipeline not PLAYING after ${opts.startTimeoutMs ?? 5000} ms`));
      }, opts.startTimeoutMs ?? 5000);
    });
    this.readyPromise.catch(() => {});

    // gst-launch's progress lines: "New clock: ..." is posted as the pipeline goes to PLAYING, once the base
    // time is set. Input is held back until then: a buffer read in PAUSED gets a do-timestamp stamp from the
    // absolute clock, and audiorate (skip-to-first) would anchor the whole stream to it.
    let lineBuf = '';
    const onLine = (line: string) => {
      if (!playing && /^New clock:/.test(line)) {
        playing = true;
        clearTimeout(startTimer);
        this.programmeIn.pipe(toChild);
        if (this.micIn) this.micIn.pipe(extra[FD.micIn]!);
        log.info('audio io playing', { pid: child.pid });
        this.emit('playing');
      }
    };
    const onText = (d: Buffer) => {
      lineBuf += d.toString();
      const lines = lineBuf.split('\n');
      lineBuf = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    };
    stdout.on('data', onText);
    // gst-launch reports a failure on stderr as "ERROR: from element <path>: <summary>", then "Additional debug
    // info:", a source line, and the detail that names the device or fd; the first such error is the cause.
    let errText = '';
    stderr.on('data', (d: Buffer) => {
      errText = (errText + d.toString()).slice(-4000);
      this.lastError = gstErrorReason(errText) ?? this.lastError;
    });
    stdout.on('data', (d: Buffer) => {
      if (!this.lastError && /ERROR/.test(d.toString())) this.lastError = gstErrorReason(d.toString());
    });

    const chunks = new Rechunker();
    fromChild.on('data', (d: Buffer) => chunks.push(d, (c) => this.micOut.write(Buffer.from(c))));
    if (this.playedOut) extra[FD.playedOut]!.pipe(this.playedOut);
    // A dead child makes writes fail with EPIPE; the 'exit' event is the report, so the write errors are not.
    toChild.on('error', () => {});
    extra[FD.micIn]?.on('error', () => {});

    child.on('error', (err) => {
      this.lastError = `cannot start ${bin}: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(startTimer);
      this.programmeIn.unpipe();
      this.micIn?.unpipe();
      this.micOut.end();
      this.playedOut?.end();
      this.exited = { code, signal, expected: this.stopping, reason: this.lastError };
      (this.stopping ? log.info : log.error)('audio io exited', { ...this.exited, pid: child.pid });
      this.emit('exit', this.exited);
    });
  }

  ready(): Promise<void> {
    return this.readyPromise ?? Promise.reject(new DisconnectedError('audio io: not started'));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    this.stopping = true;
    const gone = new Promise<void>((resolve) => this.once('exit', () => resolve()));
    // SIGINT: gst-launch sets the pipeline to NULL, which closes the ALSA devices cleanly.
    await stopChild(child, 'SIGINT', 2000);
    await gone;
  }
}

/** Starts the room audio process. Await `ready()` before relying on the mic. */
export function startAudioIo(opts: AudioIoOptions): AudioIo {
  const io = new GstAudioIo(opts);
  io.start();
  return io;
}
