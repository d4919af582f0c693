// A JPEG read back the way a viewer would: decoded by ffmpeg (not by the code that made it) into an I420 frame, so a
// test can look at its pixels: the frame stamp of the test pattern, how much the picture varies (a blank one does not).
import { spawn } from 'node:child_process';

export interface DecodedJpeg {
  width: number;
  height: number;
  /** I420. */
  data: Buffer;
}

export function decodeJpeg(jpeg: Buffer): Promise<DecodedJpeg> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'mjpeg', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d) => (err += d));
    p.stdin.on('error', () => {});
    p.once('exit', (code) => {
      const data = Buffer.concat(out);
      // JPEG's own header says the size; ffmpeg gives I420 of it: width * height * 1.5 bytes.
      const probe = /(\d+)x(\d+)/.exec(err);
      if (code !== 0 || data.length === 0) return reject(new Error(`ffmpeg could not decode the JPEG: ${err.trim() || `exit ${code}`}`));
      const sof = sofSize(jpeg);
      if (!sof) return reject(new Error(`not a JPEG with a frame header${probe ? ` (${probe[0]})` : ''}`));
      resolve({ width: sof.width, height: sof.height, data });
    });
    p.stdin.end(jpeg);
  });
}

/** The size in a JPEG's start-of-frame marker (SOF0..SOF2). */
function sofSize(jpeg: Buffer): { width: number; height: number } | null {
  for (let i = 2; i + 9 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1];
    const len = jpeg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

/** The standard deviation of the luma plane: a few units for a blank picture, tens for a real one. */
export function lumaSpread(f: DecodedJpeg): number {
  const n = f.width * f.height;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    sum += f.data[i];
    sq += f.data[i] * f.data[i];
  }
  const mean = sum / n;
  return Math.sqrt(sq / n - mean * mean);
}
