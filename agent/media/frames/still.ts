// Still pictures from the media path: a JPEG of an I420 frame (what the camera captured, or what the hall's TV is
// given) for the camera snapshot and the technician page, and one frame captured on purpose when no capture runs.
// The JPEG is ffmpeg's MJPEG encoder at 640x360 (the frame scaled to fit, letterboxed), at the best quality that
// stays under the byte limit.
import { spawn } from 'node:child_process';
import { Capture, type CaptureOptions } from './capture.js';
import { writeStamp } from './frame-stamp.js';
import { DeviceTimeoutError, DisconnectedError } from '../../../core/errors.js';
import type { CapturedFrame } from '../worker/feed.js';

export const STILL = { width: 640, height: 360, maxBytes: 60_000 } as const;
/** ffmpeg's MJPEG quantiser scale, best first: a busy picture steps down until it fits. */
const QUALITIES = [3, 5, 8, 12, 18, 31];

function ffmpegJpeg(f: CapturedFrame, q: number): Promise<Buffer> {
  const { width: w, height: h } = STILL;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${f.width}x${f.height}`, '-i', 'pipe:0',
    '-vf', `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`,
    '-frames:v', '1', '-q:v', String(q), '-f', 'mjpeg', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d) => (err = (err + d).slice(-500)));
    p.once('error', (e) => reject(new Error(`still: cannot run ffmpeg: ${e.message}`)));
    p.once('exit', (code, signal) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 0) resolve(jpeg);
      else reject(new Error(`still: ffmpeg ended (${signal ?? code}) without a JPEG: ${err.trim() || 'no output'}`));
    });
    p.stdin.on('error', () => {}); // an ffmpeg that died early: its exit says why
    p.stdin.end(f.data);
  });
}

/** The frame as a JPEG of STILL's size, at the best quality under STILL.maxBytes. */
export async function stillJpeg(f: CapturedFrame): Promise<Buffer> {
  let jpeg: Buffer | null = null;
  for (const q of QUALITIES) {
    jpeg = await ffmpegJpeg(f, q);
    if (jpeg.length <= STILL.maxBytes) return jpeg;
  }
  throw new Error(`still: the picture is ${jpeg!.length} bytes even at the lowest quality, over ${STILL.maxBytes}`);
}

/**
 * One frame from the camera (the stamped test pattern in simulation), through the capture process as a meeting
 * runs it, for a snapshot taken while nothing captures.
 */
export async function captureOne(opts: CaptureOptions, timeoutMs = 8000): Promise<CapturedFrame> {
  let got: (f: CapturedFrame) => void = () => {};
  const first = new Promise<CapturedFrame>((r) => (got = r));
  let n = 0;
  const capture = new Capture(
    opts,
    (buf, arrivedMs) => {
      if (n++ > 0) return;
      if (opts.simulate) writeStamp(buf, opts.width, opts.height, 1, arrivedMs);
      got({ data: Buffer.from(buf), width: opts.width, height: opts.height });
    },
    () => {},
  );
  let ended: (why: string) => void = () => {};
  const exited = new Promise<never>((_, reject) => (ended = (why) => reject(new DisconnectedError(`camera: the capture ended before a frame: ${why}`))));
  capture.on('exit', (code, signal, stderr: string) => ended(stderr || `code ${code} signal ${signal}`));
  capture.on('error', (e: Error) => ended(e.message));
  let timer: NodeJS.Timeout | undefined;
  try {
    await capture.start();
    return await Promise.race([
      first,
      exited,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeviceTimeoutError(`camera: no frame within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    await capture.stop();
  }
}
