// What the media worker does outside a meeting, for the person in front of the box (the technician, docs/
// commissioning.md): the card on the hall's TV (programme/card.ts) once a second while no meeting shows the
// programme; the camera and mic kept running without a meeting ("monitor"), so that the technician page has a mic
// level and a picture; the room's level every 200 ms while monitored (in a meeting too); and stills: the camera
// now, or what the TV is given now, as JPEG (frames/still.ts).
//
// A meeting needs the camera, the mic and the TV: the worker pauses this when a join runs and resumes it after the
// leave, in the order of its message queue, so the two never hold the capture device or the room audio at once.
import { Capture } from '../frames/capture.js';
import { captureOne, stillJpeg, STILL } from '../frames/still.js';
import { renderCard, type CardSpec } from '../programme/card.js';
import type { BannerSink } from '../programme/banner-sink.js';
import type { MediaFeed, CapturedFrame } from './feed.js';
import type { RoomPath } from './room.js';
import type { FromWorker, StillResult, WorkerLog } from './protocol.js';
import type { MediaConfig } from '../../../core/config/media.js';
import { DisconnectedError } from '../../../core/errors.js';

export interface LocalHost {
  cfg: MediaConfig;
  feed: MediaFeed;
  /** Everything the TV is given passes here (the banner sink before the player or the checking sink). */
  tv: BannerSink;
  room: RoomPath | null;
  /** The meeting's capture runs (its frames reach the feed). */
  capturing(): boolean;
  send(m: FromWorker): void;
  /** Sends the worker's report (what the programme sink saw: the card too). */
  report(): void;
  log: WorkerLog;
}

const CARD_EVERY_MS = 1000;
/** The card is drawn at 720p whatever the capture size: the TV scales it, and its text stays large. */
const CARD_SIZE = { width: 1280, height: 720 };
const LEVEL_EVERY_MS = 200;
const MONITOR_RESTART_MS = 2000;
/** How long a still waits for the next frame. */
const FRAME_WAIT_MS = 3000;

export class LocalView {
  private card: { spec: CardSpec; frame: Uint8Array } | null = null;
  private monitor = false;
  private paused = false;
  private stopped = false;
  private capture: Capture | null = null;
  private roomOn = false;
  private cardTimer: NodeJS.Timeout | null = null;
  private levelTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: LocalHost) {}

  async setCard(spec: CardSpec | null): Promise<void> {
    this.card = spec ? { spec, frame: renderCard(spec, CARD_SIZE.width, CARD_SIZE.height) } : null;
    await this.apply();
  }

  async setMonitor(on: boolean): Promise<void> {
    this.monitor = on;
    await this.apply();
  }

  /** A meeting starts: give it the camera, the mic and the TV. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.apply();
  }

  /** The meeting ended. */
  async resume(): Promise<void> {
    this.paused = false;
    await this.apply();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.apply();
  }

  /** The camera now (through the running capture, or one frame captured for it), or what the TV is given now. */
  async still(what: 'camera' | 'tv'): Promise<StillResult> {
    let frame: CapturedFrame | null;
    if (what === 'tv') {
      frame = await this.host.tv.nextShown(FRAME_WAIT_MS);
      if (!frame) throw new DisconnectedError(`tv: nothing was given to the TV in ${FRAME_WAIT_MS} ms (no programme, no card)`);
    } else if (this.host.capturing() || this.capture) {
      frame = await this.host.feed.nextFrame(FRAME_WAIT_MS);
      if (!frame) throw new DisconnectedError(`camera: the capture gave no frame in ${FRAME_WAIT_MS} ms`);
    } else frame = await captureOne(this.captureOptions());
    const jpeg = await stillJpeg(frame);
    return { jpeg: jpeg.toString('base64'), width: STILL.width, height: STILL.height, bytes: jpeg.length, at: new Date().toISOString() };
  }

  private captureOptions() {
    const { cfg } = this.host;
    const videoOnly = this.host.room !== null; // on a box the room audio process owns the mic
    return { width: cfg.width, height: cfg.height, fps: cfg.fps, simulate: cfg.simulate, videoDevice: cfg.devices.video, videoFormat: cfg.devices.videoFormat, audioDevice: cfg.devices.audio, videoOnly };
  }

  /** Starts and stops each part to match what is wanted now. */
  private async apply(): Promise<void> {
    const idle = !this.paused && !this.stopped;
    const wantCapture = idle && this.monitor;
    const wantRoom = idle && this.host.room !== null && (this.monitor || this.card !== null);
    this.timer('level', !this.stopped && this.monitor, LEVEL_EVERY_MS, () => this.sendLevel());
    this.timer('card', idle && this.card !== null, CARD_EVERY_MS, () => this.showCard());
    if (!wantCapture && this.capture) await this.stopCapture();
    if (!wantRoom && this.roomOn) {
      this.roomOn = false;
      await this.host.room!.stop();
    }
    if (wantRoom && !this.roomOn) {
      this.roomOn = true;
      await this.host.room!.start();
    }
    if (wantCapture && !this.capture) await this.startCapture();
    if (idle && this.card) this.showCard();
  }

  private timer(which: 'level' | 'card', on: boolean, ms: number, fn: () => void): void {
    const key = which === 'level' ? 'levelTimer' : 'cardTimer';
    if (on && !this[key]) this[key] = setInterval(fn, ms);
    if (!on && this[key]) {
      clearInterval(this[key]!);
      this[key] = null;
    }
  }

  private showCard(): void {
    if (!this.card) return;
    // The sink may draw on the frame (a banner): it gets a copy, the card stays as rendered.
    this.host.tv.video({ ...CARD_SIZE, data: Buffer.from(this.card.frame) });
    this.host.report();
  }

  private sendLevel(): void {
    const { rmsDbfs, peakDbfs } = this.host.feed.takeMeter();
    // JSON has no -Infinity: null is silence, or no mic at all.
    const finite = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
    this.host.send({ type: 'level', rmsDbfs: finite(rmsDbfs), peakDbfs: finite(peakDbfs) });
  }

  private async startCapture(): Promise<void> {
    const opts = this.captureOptions();
    const { feed } = this.host;
    feed.width = opts.width;
    feed.height = opts.height;
    feed.stamp = opts.simulate;
    const c = new Capture(opts, feed.onVideo, feed.onAudio);
    this.capture = c;
    c.on('exit', (code, signal, stderr) => {
      if (this.capture !== c) return;
      this.capture = null;
      this.host.log('warn', `media: monitor capture ended; restarting it in ${MONITOR_RESTART_MS / 1000} s`, { code, signal, stderr });
      this.restartTimer = setTimeout(() => void this.apply(), MONITOR_RESTART_MS);
    });
    c.on('error', (err: Error) => this.host.log('warn', 'media: monitor capture', { err: err.message }));
    await c.start();
    this.host.log('info', 'media: camera and mic monitored outside a meeting');
  }

  private async stopCapture(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const c = this.capture;
    this.capture = null;
    await c?.stop();
  }
}
