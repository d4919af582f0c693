// Stamps written into I420 frames read back exactly, survive a real VP8 encode/decode by ffmpeg (libvpx) at a low
// bitrate and a 2x scale-down, and a damaged stamp is refused by its CRC.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readStamp, readStampI420, stampAgeMs, stampCrc, writeStamp } from '../../agent/media/frames/frame-stamp.js';
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
    t.same(readStampI420(f, w), { counter: 0xdeadbeef, ts: 1_700_000_123_456 % 2 ** 24 }, `${w}x${h}`);
  }
});

t.test('a flipped bit fails the CRC', async (t) => {
  const f = grey(640, 360);
  writeStamp(f, 640, 360, 42, 1000);
  const bw = Math.floor(640 / 76);
  const x = bw * 2 + 5 * bw; // bit 5 of the counter
  for (let y = 0; y < 16; y++) f.fill(f[y * 640 + x + 1] > 128 ? 16 : 235, y * 640 + x, y * 640 + x + bw);
  t.equal(readStampI420(f, 640), null);
});

/** The 72 bits of a stamp as the reader sees them: a 152-pixel-wide picture, 2-pixel blocks from x = 4. */
function bitsOf(counter: number, ts: number): number[] {
  const check = stampCrc(counter, ts);
  return Array.from({ length: 72 }, (_, b) => (b < 32 ? (counter >>> (31 - b)) & 1 : b < 56 ? (ts >>> (55 - b)) & 1 : (check >>> (71 - b)) & 1));
}
const readBits = (bits: number[]) => readStamp((x) => (bits[(x - 4) >> 1] ? 235 : 16), 152);

t.test('every stamp with one, two or three bits read wrong is refused', async (t) => {
  const good = bitsOf(305, 769_036_119 % 2 ** 24);
  t.same(readBits(good), { counter: 305, ts: 769_036_119 % 2 ** 24 }, 'the stamp as written');
  let tried = 0;
  let passed = 0;
  for (let i = 0; i < 72; i++) {
    for (let j = i; j < 72; j++) {
      for (let k = j; k < 72; k++) {
        const bits = [...good];
        for (const n of new Set([i, j, k])) bits[n] ^= 1;
        tried++;
        if (readBits(bits) !== null) passed++;
      }
    }
  }
  t.equal(passed, 0, `${tried} damaged stamps, none read as a frame`);
  // What the XOR check byte it replaced let through: the same bit flipped in a counter byte and a timestamp byte.
  const xorBlind = [...good];
  xorBlind[29] ^= 1;
  xorBlind[53] ^= 1;
  t.equal(readBits(xorBlind), null, 'a bit of the counter and the same bit of a timestamp byte, both flipped');
});

t.test('age unwraps the 24-bit ms timestamp', async (t) => {
  t.equal(stampAgeMs({ counter: 1, ts: 0xffff00 }, 0x1000000 * 5 + 0x10), 0x110);
  t.equal(stampAgeMs({ counter: 1, ts: 1000 }, 1080), 80);
  t.equal(stampAgeMs({ counter: 1, ts: 1080 }, 0x1000000 * 3 + 1000), -80, 'a stamp from a clock slightly ahead');
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
    t.same(readStamp((x, y) => f[y * 640 + x], 640), { counter: 1000 + i, ts: (5_000_000 + i * 33) % 2 ** 24 }, `frame ${i}`);
  }
});
