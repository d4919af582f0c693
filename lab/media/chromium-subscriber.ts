// Headless Chromium (Debian's, through playwright-core; never a downloaded browser) as an independent subscriber:
// the page holds the RTCPeerConnection, this module does the Janus signalling for it (no CORS, one client), and
// the page reads the stamp of every frame it shows (frame-stamp.ts readStamp, sent in as text) from a canvas.
// Headless Chromium skips showing frames when it is busy, so what it decoded is counted from its getStats
// (inbound-rtp framesDecoded), and the shown frames only tell order, readability and lateness.
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../chromium.js';
import { JanusSignalling } from '../../agent/media/signalling/janus.js';
import { readStamp, stampCrc, type Stamp } from '../../agent/media/frames/frame-stamp.js';
import type { Negotiator } from '../../agent/media/signalling/types.js';

export interface ChromiumSubscriber {
  /** Stamps of the frames shown so far with the page's time (ms since epoch), and then forgotten. */
  drain(): Promise<Array<{ stamp: Stamp | null; at: number }>>;
  /** Frames shown (requestVideoFrameCallback), with or without a readable stamp. */
  shown(): Promise<number>;
  /** Frames decoded: inbound-rtp framesDecoded of the video track, 0 before there is one. */
  framesDecoded(): Promise<number>;
  close(): Promise<void>;
}

const PAGE_SCRIPT = `
window.frames_ = []; window.shown_ = 0;
window.framesDecoded_ = async () => {
  if (!window.pc_) return 0;
  let n = 0;
  (await window.pc_.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0; });
  return n;
};
window.subscribe_ = async (offer) => {
  const pc = new RTCPeerConnection();
  window.pc_ = pc;
  pc.ontrack = (ev) => {
    if (ev.track.kind !== 'video') return;
    const v = document.createElement('video');
    v.muted = true; v.autoplay = true; v.playsInline = true;
    v.srcObject = new MediaStream([ev.track]);
    document.body.appendChild(v);
    const c = document.createElement('canvas');
    const g = c.getContext('2d', { willReadFrequently: true });
    const onFrame = () => {
      const w = v.videoWidth, h = v.videoHeight;
      if (w && h) {
        const rows = Math.min(h, Math.max(16, Math.floor(w / 76) * 2) + 2);
        if (c.width !== w || c.height !== rows) { c.width = w; c.height = rows; }
        g.drawImage(v, 0, 0, w, rows, 0, 0, w, rows);
        const px = g.getImageData(0, 0, w, rows).data;
        const luma = (x, y) => px[(y * w + x) * 4];
        window.shown_++;
        window.frames_.push({ stamp: readStamp(luma, w), at: Date.now() });
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
    v.play().catch(() => {});
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((r) => { const t = setTimeout(r, 3000); pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); r(); } }; });
  }
  return pc.localDescription.sdp;
};
`;

export async function startChromiumSubscriber(bridge: string, room: number, display: string): Promise<ChromiumSubscriber> {
  const browser: Browser = await launchChromium();
  const sig = new JanusSignalling({ bridge, room, display: 'chromium' });
  try {
    const page: Page = await browser.newPage();
    await page.setContent('<html><body></body></html>');
    await page.evaluate(`window.stampCrc = ${stampCrc.toString()}; window.readStamp = ${readStamp.toString()};`);
    await page.evaluate(PAGE_SCRIPT);
    const neg: Negotiator = {
      createOffer: () => Promise.reject(new Error('chromium subscriber: only answers')),
      acceptAnswer: () => Promise.reject(new Error('chromium subscriber: only answers')),
      answerOffer: (sdp) => page.evaluate((o) => (window as any).subscribe_(o), sdp) as Promise<string>,
    };
    await sig.connect();
    await sig.subscribe(neg, { display });
    return {
      drain: () => page.evaluate(() => (window as any).frames_.splice(0)),
      shown: () => page.evaluate(() => (window as any).shown_),
      framesDecoded: () => page.evaluate(() => (window as any).framesDecoded_()),
      async close() {
        await sig.close();
        await browser.close();
      },
    };
  } catch (err) {
    await sig.close();
    await browser.close();
    throw err;
  }
}
