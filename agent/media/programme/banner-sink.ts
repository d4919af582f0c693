// The banner between the programme and whatever shows it: each decoded frame gets the banner drawn in (banner.ts)
// before it reaches the sink (the player on a box, the checking sink in simulation). The worker sets the text when
// the controller sends `banner` (meeting.ts decides it: the floor, a call, a roll call).
import type { AudioIn, ProgrammeSink, VideoFrameIn } from '../worker/programme.js';
import { drawBanner, renderBanner, type RenderedBanner } from './banner.js';

export class BannerSink implements ProgrammeSink {
  private text: string | null = null;
  /** Rendered for one frame size (`renderedFor`); again when the size changes (simulcast, adaptation). */
  private rendered: RenderedBanner | null = null;
  private renderedFor = '';

  constructor(private readonly inner: ProgrammeSink) {}

  set(text: string | null): void {
    this.text = text;
    this.renderedFor = '';
  }

  video(frame: VideoFrameIn): void {
    if (this.text !== null) {
      const size = `${frame.width}x${frame.height}`;
      if (this.renderedFor !== size) {
        this.rendered = renderBanner(this.text, frame.width, frame.height);
        this.renderedFor = size;
      }
      // A frame that is not I420 of its size is the sink's to refuse (the player counts it); drawing would overrun.
      if (this.rendered && frame.data.length === (frame.width * frame.height * 3) / 2) drawBanner(frame.data, this.rendered);
    }
    this.inner.video(frame);
  }

  audio(a: AudioIn): void {
    this.inner.audio(a);
  }

  report(): Record<string, unknown> {
    return { ...this.inner.report(), banner: this.text };
  }

  close(): void {
    this.inner.close();
  }
}
