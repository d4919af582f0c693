// A synthetic commune hall for echo-cancellation tests: what the hall's microphone hears is the near-end talker,
// plus the programme as the loudspeaker plays it, carried through a room impulse response (RIR), plus noise.
// Pure DSP, no I/O: audio-erle.ts feeds it the samples the pipeline really played and sends back the mic samples.
//
// The RIR follows the usual image-source picture (Kuttruff, "Room Acoustics", ch. 4): a direct path after the
// loudspeaker-to-mic distance, a few discrete early reflections, then a diffuse tail of Gaussian noise whose
// amplitude decays by 60 dB over RT60.
import { Fft } from './audio-fft.js';
import { CHUNK_SAMPLES, PCM_RATE } from '../../agent/media/room-audio/pcm.js';
import { gaussian, seededRandom } from '../../agent/media/room-audio/noise.js';

export interface RoomImpulseOptions {
  /** Loudspeaker-to-mic delay of the direct path, ms (a hall: 20-60 ms, i.e. 7-20 m). */
  delayMs?: number;
  /** Reverberation time, ms. */
  rt60Ms?: number;
  /** Discrete early reflections after the direct path. */
  reflections?: number;
  /** Amplitude of the direct path (the acoustic coupling from loudspeaker to mic). */
  gain?: number;
  seed?: number;
}

export function makeRoomImpulse(opts: RoomImpulseOptions = {}): Float64Array {
  const { delayMs = 30, rt60Ms = 250, reflections = 5, gain = 0.5, seed = 7 } = opts;
  const rand = seededRandom(seed);
  const norm = gaussian(rand);
  const d0 = Math.round((delayMs / 1000) * PCM_RATE);
  const tail = Math.round((rt60Ms / 1000) * PCM_RATE);
  const h = new Float64Array(d0 + tail);
  h[d0] = gain;
  // Early reflections 2-25 ms after the direct path, each weaker (longer path, absorbing walls), random sign.
  for (let r = 0; r < reflections; r++) {
    const at = d0 + Math.round(((2 + rand() * 23) / 1000) * PCM_RATE);
    h[at] += gain * (0.6 - 0.08 * r) * (rand() < 0.5 ? -1 : 1);
  }
  // Diffuse tail from 5 ms after the direct path: -60 dB at RT60.
  const start = d0 + Math.round(0.005 * PCM_RATE);
  const decay = Math.log(1000) / tail;
  for (let i = start; i < h.length; i++) h[i] += gain * 0.15 * norm() * Math.exp(-decay * (i - d0));
  return h;
}

/**
 * Streaming convolution with a long impulse response, one 10 ms block at a time with no added latency:
 * uniformly partitioned overlap-save (the impulse response cut into blocks of 480 taps, each transformed once;
 * per block one forward and one inverse FFT of 1024 points and one spectral multiply-add per partition).
 */
export class PartitionedConvolver {
  private readonly fft = new Fft(1024);
  private readonly n = 1024;
  private readonly p = CHUNK_SAMPLES;
  private readonly parts: Array<{ re: Float64Array; im: Float64Array }> = [];
  /** Spectra of the last input windows, newest first (a frequency-domain delay line). */
  private readonly history: Array<{ re: Float64Array; im: Float64Array }> = [];
  private readonly window = new Float64Array(1024);
  private readonly accRe = new Float64Array(1024);
  private readonly accIm = new Float64Array(1024);

  constructor(impulse: Float64Array) {
    for (let off = 0; off < impulse.length; off += this.p) {
      const re = new Float64Array(this.n);
      const im = new Float64Array(this.n);
      re.set(impulse.subarray(off, Math.min(off + this.p, impulse.length)));
      this.fft.transform(re, im);
      this.parts.push({ re, im });
      this.history.push({ re: new Float64Array(this.n), im: new Float64Array(this.n) });
    }
  }

  /** Convolves the next block of exactly 480 samples; returns the next 480 output samples. */
  process(block: ArrayLike<number>): Float64Array {
    const { n, p, window } = this;
    if (block.length !== p) throw new RangeError(`PartitionedConvolver: block of ${block.length} samples, want ${p}`);
    window.copyWithin(0, p);
    for (let i = 0; i < p; i++) window[n - p + i] = block[i];
    const newest = this.history.pop()!;
    newest.re.set(window);
    newest.im.fill(0);
    this.fft.transform(newest.re, newest.im);
    this.history.unshift(newest);
    const { accRe, accIm } = this;
    accRe.fill(0);
    accIm.fill(0);
    for (let k = 0; k < this.parts.length; k++) {
      const x = this.history[k];
      const h = this.parts[k];
      for (let i = 0; i < n; i++) {
        accRe[i] += x.re[i] * h.re[i] - x.im[i] * h.im[i];
        accIm[i] += x.re[i] * h.im[i] + x.im[i] * h.re[i];
      }
    }
    this.fft.transform(accRe, accIm, true);
    return accRe.slice(n - p);
  }
}

export interface RoomOptions {
  impulse?: Float64Array;
  /** Near-end talker: samples and the sample index at which each utterance starts. */
  talk?: Array<{ at: number; samples: Float32Array }>;
  /** White noise level at the mic, dBFS RMS (a quiet hall with a fan: about -60). */
  noiseDbfs?: number;
  seed?: number;
}

/** One 10 ms block of what the mic hears, by component (so the caller can measure each). */
export interface MicBlock {
  mic: Float32Array;
  echo: Float32Array;
  near: Float32Array;
}

export class SyntheticRoom {
  private readonly conv: PartitionedConvolver;
  private readonly noise: () => number;
  private readonly noiseAmp: number;
  private readonly talk: Array<{ at: number; samples: Float32Array }>;
  /** Index of the first sample of the next block. */
  position = 0;

  constructor(opts: RoomOptions = {}) {
    this.conv = new PartitionedConvolver(opts.impulse ?? makeRoomImpulse());
    this.noise = gaussian(seededRandom(opts.seed ?? 11));
    this.noiseAmp = Math.pow(10, (opts.noiseDbfs ?? -60) / 20);
    this.talk = opts.talk ?? [];
  }

  /** Takes the next 10 ms the loudspeaker played and returns the next 10 ms at the mic. */
  hear(played: Float32Array): MicBlock {
    const echo = Float32Array.from(this.conv.process(played));
    const near = new Float32Array(CHUNK_SAMPLES);
    for (const u of this.talk) {
      const from = Math.max(this.position, u.at);
      const to = Math.min(this.position + CHUNK_SAMPLES, u.at + u.samples.length);
      for (let i = from; i < to; i++) near[i - this.position] += u.samples[i - u.at];
    }
    const mic = new Float32Array(CHUNK_SAMPLES);
    for (let i = 0; i < CHUNK_SAMPLES; i++) mic[i] = echo[i] + near[i] + this.noiseAmp * this.noise();
    this.position += CHUNK_SAMPLES;
    return { mic, echo, near };
  }
}
