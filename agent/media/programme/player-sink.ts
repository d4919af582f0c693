// Adapter from the worker's programme hand-off (worker/programme.ts: ProgrammeSink, fed by wrtc's RTCVideoSink and
// RTCAudioSink) to a ProgrammePlayer. wrtc's audio sink gives 10 ms of the decoder's output, 48 kHz for Opus,
// mono or stereo; the room audio path takes 48 kHz mono s16le (audio-pcm.ts), so stereo is averaged down.
import type { AudioIn, ProgrammeSink, VideoFrameIn } from '../worker/programme.js';
import { PCM_RATE, Rechunker } from '../room-audio/pcm.js';
import type { ProgrammePlayer } from './player.js';

export class PlayerSink implements ProgrammeSink {
  private wrongRate = 0;
  private readonly chunks = new Rechunker();

  constructor(private readonly player: ProgrammePlayer) {}

  video(frame: VideoFrameIn): void {
    this.player.pushVideo(frame);
  }

  audio(a: AudioIn): void {
    if (a.sampleRate !== PCM_RATE) {
      // Opus always decodes at 48 kHz in wrtc; another rate means a codec the bridge should not have chosen.
      this.wrongRate++;
      return;
    }
    const ch = a.channelCount ?? 1;
    const frames = Math.floor(a.samples.length / ch);
    const mono = Buffer.alloc(frames * 2);
    for (let i = 0; i < frames; i++) {
      let v = 0;
      for (let c = 0; c < ch; c++) v += a.samples[i * ch + c];
      mono.writeInt16LE(Math.round(v / ch), i * 2);
    }
    // Re-cut to exact 10 ms chunks: a sink that delivers other sizes still feeds whole chunks.
    this.chunks.push(mono, (c) => this.player.pushAudio(c));
  }

  report(): Record<string, unknown> {
    return { ...this.player.stats(), audioWrongRate: this.wrongRate };
  }

  close(): void {
    void this.player.stop();
  }
}
