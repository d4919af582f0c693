// The one PCM format of the room audio path, and the small pure helpers around it.
//
// Format on every pipe of agent/media/room-audio/audio-io.ts (programme in, mic out, and the test taps):
//   signed 16-bit little-endian, interleaved, 1 channel, 48 000 Hz, in chunks of 10 ms = 480 samples = 960 bytes.
// 10 ms is the frame the WebRTC audio processing library works on (webrtcdsp and webrtcechoprobe cut their input
// into rate/100 samples) and the frame RTCAudioSource.onData takes, so a chunk passes from GStreamer to wrtc whole.

export const PCM_RATE = 48000;
export const PCM_CHANNELS = 1;
export const CHUNK_MS = 10;
export const CHUNK_SAMPLES = (PCM_RATE / 1000) * CHUNK_MS;
export const CHUNK_BYTES = CHUNK_SAMPLES * 2 * PCM_CHANNELS;
/** GStreamer caps of that format, for capsfilters. */
export const PCM_CAPS = `audio/x-raw,format=S16LE,layout=interleaved,rate=${PCM_RATE},channels=${PCM_CHANNELS}`;

/** s16le bytes -> float samples in [-1, 1). */
export function s16ToFloat(buf: Uint8Array): Float32Array {
  const n = buf.length >> 1;
  const out = new Float32Array(n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true) / 32768;
  return out;
}

/** Float samples -> s16le bytes, clipped (a room louder than full scale clips, as an ADC would). */
export function floatToS16(x: Float32Array | Float64Array, out: Buffer = Buffer.alloc(x.length * 2)): Buffer {
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i] * 32768);
    out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, i * 2);
  }
  return out;
}

/** Sum of squares over [from, to). */
export function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e;
}

/** RMS level in dBFS (a full-scale square wave is 0 dBFS); -Infinity for silence. */
export function dbfs(x: ArrayLike<number>, from = 0, to = x.length): number {
  const n = to - from;
  return n > 0 ? 10 * Math.log10(energy(x, from, to) / n) : -Infinity;
}

/**
 * Cuts a byte stream into exact chunks of `size` bytes: pipes deliver whatever the kernel had, and a reader of
 * PCM must never see half a sample or half a 10 ms frame.
 */
export class Rechunker {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly size: number = CHUNK_BYTES) {}

  push(data: Buffer, onChunk: (chunk: Buffer) => void): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    while (buf.length >= this.size) {
      onChunk(buf.subarray(0, this.size));
      buf = buf.subarray(this.size);
    }
    this.pending = Buffer.from(buf);
  }
}

/** What `RTCAudioSource.onData` (@roamhq/wrtc) takes for one 10 ms chunk of micOut; shares the chunk's memory. */
export function rtcAudioData(chunk: Buffer): {
  samples: Int16Array;
  sampleRate: number;
  bitsPerSample: 16;
  channelCount: number;
  numberOfFrames: number;
} {
  if (chunk.length !== CHUNK_BYTES) throw new RangeError(`rtcAudioData: chunk of ${chunk.length} bytes, want ${CHUNK_BYTES}`);
  // Int16Array needs 2-byte alignment; a Buffer slice from a pool may sit on an odd offset, so copy only then.
  const c = chunk.byteOffset % 2 === 0 ? chunk : Buffer.from(chunk);
  return {
    samples: new Int16Array(c.buffer, c.byteOffset, CHUNK_SAMPLES * PCM_CHANNELS),
    sampleRate: PCM_RATE,
    bitsPerSample: 16,
    channelCount: PCM_CHANNELS,
    numberOfFrames: CHUNK_SAMPLES,
  };
}
