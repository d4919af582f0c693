// The worker's sources: captured frames and mic chunks into RTCVideoSource/RTCAudioSource. Frame-rate steps and
// audio-only happen here (frames not handed over cost no encoding); test-pattern frames get their stamp
// (frame-stamp.ts); mute writes silence (packets keep flowing, so the bridge's reports keep coming); the
// selftest tone replaces the mic; the mic level is measured for heard.ts, and the room's own level (before mute and
// tone) for the technician page's meter; a snapshot takes a copy of the next frame.
import wrtc from '@roamhq/wrtc';
import { writeStamp } from '../frames/frame-stamp.js';

export interface CapturedFrame {
  data: Buffer;
  width: number;
  height: number;
}

export class MediaFeed {
  private readonly videoSource: InstanceType<typeof wrtc.nonstandard.RTCVideoSource>;
  private readonly audioSource = new wrtc.nonstandard.RTCAudioSource();
  readonly tracks: { video: MediaStreamTrack; audio: MediaStreamTrack };
  /** Captured frames (all of them, sent or not): the stamp counter. */
  frames = 0;
  audioChunks = 0;
  width = 0;
  height = 0;
  /** Send every `stride`-th frame; 0: send none (audio-only). */
  stride = 1;
  muted = false;
  stamp = false;
  private toneUntil = 0;
  private tonePhase = 0;
  private sumSq = 0;
  private n = 0;
  private readonly views = new WeakMap<Buffer, Int16Array>();
  /** The room as the mic hears it (before mute and tone), for the meter: sum of squares, samples, peak. */
  private meter = { sumSq: 0, n: 0, peak: 0 };
  private taps: Array<(f: CapturedFrame) => void> = [];

  /** `denoise`: libwebrtc turns libvpx's denoiser on for camera sources unless told otherwise (config.ts). */
  constructor(denoise: boolean) {
    this.videoSource = new wrtc.nonstandard.RTCVideoSource({ isScreencast: false, needsDenoising: denoise });
    this.tracks = { video: this.videoSource.createTrack(), audio: this.audioSource.createTrack() };
  }

  /** Capture's video callback: `buf` is a pool buffer, valid only during the call. */
  readonly onVideo = (buf: Buffer, arrivedMs: number): void => {
    this.frames++;
    const send = this.stride !== 0 && this.frames % this.stride === 0;
    if (!send && this.taps.length === 0) return;
    if (this.stamp) writeStamp(buf, this.width, this.height, this.frames, arrivedMs);
    if (this.taps.length) {
      const frame = { data: Buffer.from(buf), width: this.width, height: this.height };
      for (const tap of this.taps.splice(0)) tap(frame);
    }
    if (send) this.videoSource.onFrame({ width: this.width, height: this.height, data: buf });
  };

  /** A copy of the next captured frame (stamped in simulation); null when none comes within `ms`. */
  nextFrame(ms: number): Promise<CapturedFrame | null> {
    return new Promise((resolve) => {
      const tap = (f: CapturedFrame) => {
        clearTimeout(timer);
        resolve(f);
      };
      const timer = setTimeout(() => {
        this.taps = this.taps.filter((t) => t !== tap);
        resolve(null);
      }, ms);
      this.taps.push(tap);
    });
  }

  /** Capture's audio callback: 10 ms of mono s16le at 48 kHz. */
  readonly onAudio = (buf: Buffer): void => {
    let s = this.views.get(buf);
    if (!s) {
      // One view per pool buffer, made once: no allocation per chunk.
      s = new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
      this.views.set(buf, s);
    }
    this.audioChunks++;
    const m = this.meter;
    for (let i = 0; i < s.length; i += 2) {
      m.sumSq += s[i] * s[i];
      m.peak = Math.max(m.peak, Math.abs(s[i]));
    }
    m.n += s.length >> 1;
    if (Date.now() < this.toneUntil) {
      // Selftest: a 1 kHz tone at -12 dBFS, so the check does not depend on the room being loud.
      for (let i = 0; i < s.length; i++) s[i] = Math.round(8192 * Math.sin((2 * Math.PI * 1000 * this.tonePhase++) / 48000));
    } else if (this.muted) s.fill(0);
    for (let i = 0; i < s.length; i += 4) this.sumSq += s[i] * s[i];
    this.n += s.length >> 2;
    this.audioSource.onData({ samples: s, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: s.length });
  };

  tone(ms: number): void {
    this.toneUntil = Date.now() + ms;
  }

  /** Mic level since the last call, dBFS (-Infinity: silence or nothing captured). */
  takeLevelDbfs(): number {
    const db = this.n ? 10 * Math.log10(this.sumSq / this.n / (32768 * 32768)) : -Infinity;
    this.sumSq = this.n = 0;
    return db;
  }

  /** The room's level since the last call (before mute and the selftest tone), dBFS; -Infinity: silence or no mic. */
  takeMeter(): { rmsDbfs: number; peakDbfs: number } {
    const { sumSq, n, peak } = this.meter;
    this.meter = { sumSq: 0, n: 0, peak: 0 };
    return { rmsDbfs: n ? 10 * Math.log10(sumSq / n / (32768 * 32768)) : -Infinity, peakDbfs: 20 * Math.log10(peak / 32768) };
  }

  stop(): void {
    this.tracks.video.stop();
    this.tracks.audio.stop();
  }
}
