// The central programme as the worker receives it: decoded frames and audio handed to a sink. On a box the sink
// is the player (the audio engineer's player*.ts: GStreamer to KMS and ALSA); until then, and in tests, the
// checking sink counts frames and reads their stamps (frame-stamp.ts) for order, loss and latency.
import wrtc from '@roamhq/wrtc';
import { FrameCheck } from '../programme/frame-check.js';
import { readStampI420 } from '../frames/frame-stamp.js';
import { readBanner } from '../programme/banner.js';

export interface VideoFrameIn {
  width: number;
  height: number;
  data: Uint8Array;
}
export interface AudioIn {
  samples: Int16Array;
  sampleRate: number;
  channelCount?: number;
}

export interface ProgrammeSink {
  video(frame: VideoFrameIn): void;
  audio(data: AudioIn): void;
  report(): Record<string, unknown>;
  close(): void;
}

export class CheckingSink implements ProgrammeSink {
  check = new FrameCheck();
  private audioSamples = 0;
  private audioLoud = 0;
  private width = 0;
  private height = 0;
  /** The banner read from the last frame's pixels (what the TV would show), and frames that carried one. */
  private bannerShown: string | null = null;
  private bannerFrames = 0;

  video(f: VideoFrameIn): void {
    this.width = f.width;
    this.height = f.height;
    this.check.add(readStampI420(f.data, f.width));
    this.bannerShown = readBanner(f.data, f.width, f.height);
    if (this.bannerShown !== null) this.bannerFrames++;
  }

  audio(a: AudioIn): void {
    this.audioSamples += a.samples.length / (a.channelCount ?? 1);
    // Peak over the chunk: enough to tell a tone from silence.
    let peak = 0;
    for (let i = 0; i < a.samples.length; i += 8) peak = Math.max(peak, Math.abs(a.samples[i]));
    if (peak > 300) this.audioLoud += a.samples.length / (a.channelCount ?? 1);
  }

  report(): Record<string, unknown> {
    return {
      ...this.check.report(),
      width: this.width,
      height: this.height,
      audioSamples: this.audioSamples,
      audioLoudSamples: this.audioLoud,
      bannerShown: this.bannerShown,
      bannerFrames: this.bannerFrames,
    };
  }

  /** Forget what was counted (the bench leaves out the first seconds of a subscription). */
  reset(): void {
    this.check = new FrameCheck();
    this.audioSamples = this.audioLoud = this.bannerFrames = 0;
  }

  close(): void {}
}

/** Feeds every track arriving on `pc` into `sink`; returns a function that stops the wrtc sinks. */
export function attachProgramme(pc: RTCPeerConnection, sink: ProgrammeSink): () => void {
  const stops: Array<() => void> = [];
  pc.addEventListener('track', (ev: RTCTrackEvent) => {
    const track = ev.track;
    if (track.kind === 'video') {
      const vs = new wrtc.nonstandard.RTCVideoSink(track);
      vs.onframe = ({ frame }: { frame: VideoFrameIn }) => sink.video(frame);
      stops.push(() => vs.stop());
    } else if (track.kind === 'audio') {
      const as = new wrtc.nonstandard.RTCAudioSink(track);
      as.ondata = (d: AudioIn) => sink.audio(d);
      stops.push(() => as.stop());
    }
  });
  return () => {
    for (const s of stops.splice(0)) s();
  };
}
