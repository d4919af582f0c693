// The synthetic room's DSP: the FFT, the partitioned convolver against a direct convolution, the impulse
// response's shape, and the room's mixing (pure logic, no processes).
import t from 'tap';
import { Fft } from '../../lab/media/audio-fft.js';
import { CHUNK_SAMPLES, dbfs, floatToS16, Rechunker, rtcAudioData, s16ToFloat } from '../../agent/media/room-audio/pcm.js';
import { makeRoomImpulse, PartitionedConvolver, SyntheticRoom } from '../../lab/media/audio-room.js';
import { seededRandom } from '../../agent/media/room-audio/noise.js';

t.test('FFT of an impulse is flat; forward then inverse is the identity', async (t) => {
  const f = new Fft(16);
  const re = new Float64Array(16);
  const im = new Float64Array(16);
  re[0] = 1;
  f.transform(re, im);
  t.ok(re.every((v) => Math.abs(v - 1) < 1e-12) && im.every((v) => Math.abs(v) < 1e-12), 'flat spectrum');
  const rand = seededRandom(3);
  const x = Float64Array.from({ length: 64 }, () => rand() - 0.5);
  const g = new Fft(64);
  const r2 = Float64Array.from(x);
  const i2 = new Float64Array(64);
  g.transform(r2, i2);
  // Bin 5 of a 64-point DFT, computed by definition.
  let dr = 0, di = 0;
  for (let n = 0; n < 64; n++) {
    dr += x[n] * Math.cos((-2 * Math.PI * 5 * n) / 64);
    di += x[n] * Math.sin((-2 * Math.PI * 5 * n) / 64);
  }
  t.ok(Math.abs(r2[5] - dr) < 1e-9 && Math.abs(i2[5] - di) < 1e-9, 'bin 5 matches the DFT sum');
  g.transform(r2, i2, true);
  t.ok(r2.every((v, k) => Math.abs(v - x[k]) < 1e-12), 'round trip');
  t.throws(() => new Fft(100), /not a power of two/);
});

t.test('partitioned convolution equals direct convolution across partitions and blocks', async (t) => {
  const rand = seededRandom(9);
  const h = Float64Array.from({ length: 1300 }, () => rand() - 0.5); // 3 partitions of 480
  const blocks = 5;
  const x = Float64Array.from({ length: blocks * CHUNK_SAMPLES }, () => rand() - 0.5);
  const conv = new PartitionedConvolver(h);
  const y = new Float64Array(x.length);
  for (let b = 0; b < blocks; b++) y.set(conv.process(x.subarray(b * CHUNK_SAMPLES, (b + 1) * CHUNK_SAMPLES)), b * CHUNK_SAMPLES);
  let worst = 0;
  for (let n = 0; n < x.length; n++) {
    let d = 0;
    for (let k = 0; k < h.length && k <= n; k++) d += h[k] * x[n - k];
    worst = Math.max(worst, Math.abs(d - y[n]));
  }
  t.ok(worst < 1e-9, `max error ${worst}`);
  t.throws(() => conv.process(new Float64Array(10)), /block of 10 samples/);
});

t.test('room impulse: direct path at the delay, reflections after it, 60 dB decay over RT60', async (t) => {
  const h = makeRoomImpulse({ delayMs: 40, rt60Ms: 300, gain: 0.5 });
  const d0 = 40 * 48;
  t.equal(h.length, d0 + 300 * 48);
  t.ok(h.subarray(0, d0).every((v) => v === 0), 'nothing before the direct path');
  t.ok(Math.abs(h[d0]) >= 0.5 * 0.9, 'direct path');
  const early = dbfs(h, d0 + 240, d0 + 240 + 2400);
  const late = dbfs(h, h.length - 2400, h.length);
  t.ok(early - late > 35, `tail decays: early ${early.toFixed(1)} dB, late ${late.toFixed(1)} dB`);
});

t.test('room mixes echo, talker and noise per 10 ms block', async (t) => {
  const impulse = new Float64Array(481);
  impulse[480] = 0.5; // a pure 10 ms delay at half amplitude
  const talk = [{ at: 960, samples: new Float32Array(480).fill(0.25) }];
  const room = new SyntheticRoom({ impulse, talk, noiseDbfs: -200 });
  const ones = new Float32Array(CHUNK_SAMPLES).fill(0.8);
  const b0 = room.hear(ones);
  const b1 = room.hear(new Float32Array(CHUNK_SAMPLES));
  const b2 = room.hear(new Float32Array(CHUNK_SAMPLES));
  t.ok(b0.echo.every((v) => Math.abs(v) < 1e-6), 'block 0: echo not yet arrived');
  t.ok(b1.echo.every((v) => Math.abs(v - 0.4) < 1e-6), 'block 1: echo of block 0 at half amplitude');
  t.ok(b2.near.every((v) => v === 0.25) && b2.mic.every((v) => Math.abs(v - 0.25) < 1e-6), 'block 2: the talker');
});

t.test('PCM helpers: s16 round trip with clipping, rechunking to exact 960-byte chunks', async (t) => {
  const x = Float32Array.from([0, 0.5, -0.5, 1.5, -1.5]);
  const y = s16ToFloat(floatToS16(x));
  t.same(Array.from(y), [0, 0.5, -0.5, 32767 / 32768, -1]);
  const r = new Rechunker();
  const got: number[] = [];
  const src = Buffer.alloc(960 * 3 + 100);
  for (let i = 0; i < src.length; i++) src[i] = i & 0xff;
  for (let off = 0; off < src.length; off += 77) r.push(src.subarray(off, off + 77), (c) => got.push(c.length, c[0]));
  t.same(got, [960, 0, 960, 960 & 0xff, 960, 1920 & 0xff], 'three whole chunks in order, remainder held');
  const chunk = Buffer.alloc(961).subarray(1); // odd offset
  chunk.writeInt16LE(-1234, 2);
  const d = rtcAudioData(chunk);
  t.same([d.samples.length, d.samples[1], d.sampleRate, d.channelCount, d.numberOfFrames], [480, -1234, 48000, 1, 480]);
  t.throws(() => rtcAudioData(Buffer.alloc(100)), /chunk of 100 bytes, want 960/);
});
