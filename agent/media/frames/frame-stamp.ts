// A frame counter and a capture timestamp written into the pixels of test-pattern frames, so that whoever decodes
// the stream (a wrtc subscriber, Chromium) can check order, loss and latency from what it sees, with no side
// channel. 72 bits along the top of the picture: 32-bit counter, low 24 bits of the ms timestamp, a CRC-16 of both.
// Each bit is a block of flat luma (16 black / 235 white, BT.601 video range) with neutral chroma, `width/76`
// pixels wide and at least 16 rows high: flat blocks aligned to VP8's 16x16 macroblocks at 720p survive
// compression and 2x/4x scale-down (a decoder recomputes the block size from the width it receives).
export const STAMP_BITS = 72;

export function stampGeometry(width: number): { bw: number; bh: number; x0: number } {
  const bw = Math.max(2, Math.floor(width / (STAMP_BITS + 4)));
  return { bw, bh: Math.max(16, bw * 2) & ~1, x0: bw * 2 };
}

/** The timestamp's bits: 2^24 ms wraps every 4.7 hours, far beyond any latency measured. */
const TS_BITS = 24;
const TS_WRAP = 2 ** TS_BITS;

/** Writes the stamp into an I420 frame in place (Y plane and the chroma under it). */
export function writeStamp(frame: Uint8Array, width: number, height: number, counter: number, tsMs: number): void {
  const { bw, bh, x0 } = stampGeometry(width);
  const ts = tsMs % TS_WRAP;
  const check = stampCrc(counter >>> 0, ts);
  const ySize = width * height;
  const cw = width >> 1;
  const uOff = ySize;
  const vOff = ySize + cw * (height >> 1);
  // The first row of blocks bit by bit, then copied down; the chroma under the stamp is one run per row. About a
  // hundred calls a frame rather than a fill per bit and row (this runs on every frame of a test pattern).
  for (let bit = 0; bit < STAMP_BITS; bit++) {
    const word = bit < 32 ? counter >>> 0 : bit < 56 ? ts : check;
    const shift = bit < 32 ? 31 - bit : bit < 56 ? 55 - bit : 71 - bit;
    const x = x0 + bit * bw;
    frame.fill((word >>> shift) & 1 ? 235 : 16, x, x + bw);
  }
  const end = x0 + STAMP_BITS * bw;
  for (let y = 1; y < bh; y++) frame.copyWithin(y * width + x0, x0, end);
  for (let y = 0; y < bh >> 1; y++) {
    frame.fill(128, uOff + y * cw + (x0 >> 1), uOff + y * cw + (end >> 1));
    frame.fill(128, vOff + y * cw + (x0 >> 1), vOff + y * cw + (end >> 1));
  }
}

export interface Stamp {
  counter: number;
  /** Low 24 bits of the capture time in ms since the epoch. */
  ts: number;
}

/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, start 0xffff) of the counter's 4 bytes and the timestamp's 3, high byte
 * first. It refuses every stamp with up to three bits read wrong, and other damage but once in 65,536; the 8-bit XOR
 * it replaced let any two bits flipped at the same place in two bytes through, and a frame misread that way counts as
 * hundreds of frames missing. Self-contained, like readStamp, which a page calls too.
 */
export function stampCrc(counter: number, ts: number): number {
  let crc = 0xffff;
  for (let i = 0; i < 7; i++) {
    const byte = i < 4 ? (counter >>> (8 * (3 - i))) & 0xff : (ts >>> (8 * (6 - i))) & 0xff;
    crc ^= byte << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * Reads a stamp from any picture given a luma getter; null when the CRC does not match (a frame that is not
 * stamped, or too damaged to trust). Self-contained but for stampCrc (no other module state), so that the two can
 * be sent into a browser page as text.
 */
export function readStamp(luma: (x: number, y: number) => number, width: number): Stamp | null {
  const bw = Math.max(2, Math.floor(width / 76));
  const bh = Math.max(16, bw * 2) & ~1;
  const x0 = bw * 2;
  let counter = 0;
  let ts = 0;
  let check = 0;
  for (let bit = 0; bit < 72; bit++) {
    const cx = x0 + bit * bw + (bw >> 1);
    const cy = bh >> 1;
    const v = (luma(cx, cy) + luma(cx - (bw >> 2), cy) + luma(cx, cy - (bh >> 2))) / 3;
    const on = v > 128 ? 1 : 0;
    if (bit < 32) counter = ((counter << 1) | on) >>> 0;
    else if (bit < 56) ts = (ts << 1) | on;
    else check = ((check << 1) | on) & 0xffff;
  }
  return stampCrc(counter, ts) === check ? { counter, ts } : null;
}

/** Reads a stamp from the Y plane of an I420 frame. */
export function readStampI420(frame: Uint8Array, width: number): Stamp | null {
  return readStamp((x, y) => frame[y * width + x], width);
}

/** Latency in ms from a stamp's 24-bit timestamp to `nowMs`, unwrapping its wrap (every 2^24 ms, 4.7 hours). */
export function stampAgeMs(stamp: Stamp, nowMs: number): number {
  let d = (nowMs % TS_WRAP) - stamp.ts;
  if (d < -TS_WRAP / 2) d += TS_WRAP;
  else if (d >= TS_WRAP / 2) d -= TS_WRAP;
  return d;
}
