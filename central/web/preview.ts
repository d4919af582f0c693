// "See and hear" one hall: the server asks the bridge (Janus VideoRoom) to subscribe to the hall's feed and hands
// the page the bridge's offer (POST /api/preview/:box); the page answers it (all its ICE candidates in the answer:
// the server relays no trickle) and plays the hall in a <video>. Sound starts muted (browsers play muted media
// without a click); a button turns it on. The line under the picture says how many frames were decoded.
import { L } from './labels.js';
import { fmt, h } from './dom.js';
import type { Api } from './api.js';

const ICE_WAIT_MS = 3000;

export class Preview {
  readonly el: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly line: HTMLElement;
  private pc: RTCPeerConnection | null = null;
  private id: string | null = null;
  private timer: number | null = null;
  private lastBytes = 0;
  private lastAt = 0;

  constructor(
    private readonly api: Api,
    readonly box: string,
  ) {
    this.video = h('video', { autoplay: true, playsinline: true, class: 'preview-video' });
    this.video.muted = true;
    this.line = h('div', { class: 'preview-stats' }, L.preview.opening);
    const sound = h('button', { class: 'preview-sound' }, L.preview.unmute);
    sound.addEventListener('click', () => {
      this.video.muted = !this.video.muted;
      sound.textContent = this.video.muted ? L.preview.unmute : L.preview.mute;
    });
    const close = h('button', { class: 'preview-close' }, L.preview.close);
    close.addEventListener('click', () => void this.close());
    this.el = h('div', { class: 'preview', 'data-box': box }, this.video, this.line, h('div', { class: 'row' }, sound, close));
  }

  /** The page's peer connection (its getStats is what the stats line reads). */
  get peer(): RTCPeerConnection | null {
    return this.pc;
  }

  async start(): Promise<void> {
    try {
      const offer = await this.api.post<{ id: string; sdp: string }>(`/api/preview/${encodeURIComponent(this.box)}`);
      this.id = offer.id;
      const pc = new RTCPeerConnection();
      this.pc = pc;
      pc.ontrack = (ev) => {
        const stream = this.video.srcObject instanceof MediaStream ? this.video.srcObject : new MediaStream();
        stream.addTrack(ev.track);
        this.video.srcObject = stream;
        void this.video.play().catch(() => {});
      };
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      await this.api.post(`/api/preview/${encodeURIComponent(offer.id)}/answer`, { sdp: pc.localDescription!.sdp });
      this.timer = window.setInterval(() => void this.stats(), 1000);
    } catch (err) {
      this.line.textContent = L.preview.failed((err as Error).message);
      this.line.classList.add('error');
      await this.close(false);
    }
  }

  private async stats(): Promise<void> {
    if (!this.pc) return;
    const report = await this.pc.getStats();
    let frames = 0;
    let bytes = 0;
    report.forEach((s: any) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') frames += s.framesDecoded ?? 0;
      bytes += s.bytesReceived ?? 0;
    });
    const now = performance.now();
    const kbps = this.lastAt ? ((bytes - this.lastBytes) * 8) / (now - this.lastAt) : 0;
    this.lastBytes = bytes;
    this.lastAt = now;
    this.line.textContent = L.preview.stats(fmt(frames), this.video.videoWidth, this.video.videoHeight, fmt(Math.round(kbps)));
    this.line.dataset.frames = String(frames);
  }

  /** Ends the preview here and on the server. */
  async close(removeEl = true): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.pc?.close();
    this.pc = null;
    this.video.srcObject = null;
    const id = this.id;
    this.id = null;
    if (removeEl) this.el.remove();
    if (id) await this.api.del(`/api/preview/${encodeURIComponent(id)}`).catch(() => {});
  }
}

/** Waits until the answer holds every local candidate (or ICE_WAIT_MS, then sends what there is). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ICE_WAIT_MS);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    });
  });
}
