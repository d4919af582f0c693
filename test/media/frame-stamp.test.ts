// Stamps written into I420 frames read back exactly, survive a real VP8 encode/decode by ffmpeg (libvpx) at a low
// bitrate and a 2x scale-down, and a damaged stamp is refused by its check byte.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readStamp, readStampI420, stampAgeMs, writeStamp } from '../../agent/media/frames/frame-stamp.js';
import { i420Bytes } from '../../agent/media/frames/capture.js';

function grey(w: number, h: number): Buffer {
  const b = Buffer.alloc(i420Bytes(w, h), 128);
  for (let i = 0; i < w * h; i++) b[i] = (i * 7) & 0xff; // texture, so the encoder has work to do
  return b;
}

t.test('round trip in raw frames at 720p, 540p, 360p', async (t) => {
  for (const [w, h] of [[1280, 720], [960, 540], [640, 360]]) {
    const f = grey(w, h);
    writeStamp(f, w, h, 0xdeadbeef, 1_700_000_123_456);
    t.same(readStampI420(f, w), { counter: 0xdeadbeef, ts: 1_700_000_123_456 % 2 ** 32 }, `${w}x${h}`);
  }
});

t.test('a flipped bit fails the check byte', async (t) => {
  const f = grey(640, 360);
  writeStamp(f, 640, 360, 42, 1000);
  const bw = Math.floor(640 / 76);
  const x = bw * 2 + 5 * bw; // bit 5 of the counter
  for (let y = 0; y < 16; y++) f.fill(f[y * 640 + x + 1] > 128 ? 16 : 235, y * 640 + x, y * 640 + x + bw);
  t.equal(readStampI420(f, 640), null);
});

t.test('age unwraps the 32-bit ms timestamp', async (t) => {
  t.equal(stampAgeMs({ counter: 1, ts: 0xffffff00 }, 0x100000000 + 0x10), 0x110);
  t.equal(stampAgeMs({ counter: 1, ts: 1000 }, 1080), 80);
});

t.test('survives libvpx at 300 kbit/s and a 2x downscale (ffmpeg)', async (t) => {
  const w = 1280, h = 720, n = 10;
  const raw = Buffer.concat(Array.from({ length: n }, (_, i) => {
    const f = grey(w, h);
    writeStamp(f, w, h, 1000 + i, 5_000_000 + i * 33);
    return f;
  }));
  const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${w}x${h}`, '-r', '30', '-i', '-',
    '-vf', 'scale=640:360', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-f', 'ivf', '-'], { input: raw, maxBuffer: 1 << 28 });
  t.equal(enc.status, 0, `ffmpeg encodes: ${enc.stderr}`);
  const dec = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'ivf', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { input: enc.stdout, maxBuffer: 1 << 28 });
  t.equal(dec.status, 0, 'ffmpeg decodes');
  const size = i420Bytes(640, 360);
  t.equal(dec.stdout.length, size * n, 'all frames back');
  for (let i = 0; i < n; i++) {
    const f = dec.stdout.subarray(i * size, (i + 1) * size);
    t.same(readStamp((x, y) => f[y * 640 + x], 640), { counter: 1000 + i, ts: 5_000_000 + i * 33 }, `frame ${i}`);
  }
});
