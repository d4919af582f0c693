// A frame counter and a capture timestamp written into the pixels of test-pattern frames, so that whoever decodes
// the stream (a wrtc subscriber, Chromium) can check order, loss and latency from what it sees, with no side
// channel. 72 bits along the top of the picture: 32-bit counter, low 32 bits of the ms timestamp, an 8-bit check.
// Each bit is a block of flat luma (16 black / 235 white, BT.601 video range) with neutral chroma, `width/76`
// pixels wide and at least 16 rows high: flat blocks aligned to VP8's 16x16 macroblocks at 720p survive
// compression and 2x/4x scale-down (a decoder recomputes the block size from the width it receives).
export const STAMP_BITS = 72;
const CHECK_SALT = 0xa5;

export function stampGeometry(width: number): { bw: number; bh: number; x0: number } {
  const bw = Math.max(2, Math.floor(width / (STAMP_BITS + 4)));
  return { bw, bh: Math.max(16, bw * 2) & ~1, x0: bw * 2 };
}

function checkByte(counter: number, ts: number): number {
  let c = CHECK_SALT;
  for (let i = 0; i < 4; i++) c ^= ((counter >>> (8 * i)) & 0xff) ^ ((ts >>> (8 * i)) & 0xff);
  return c;
}

/** Writes the stamp into an I420 frame in place (Y plane and the chroma under it). */
export function writeStamp(frame: Uint8Array, width: number, height: number, counter: number, tsMs: number): void {
  const { bw, bh, x0 } = stampGeometry(width);
  const ts = tsMs % 0x100000000 >>> 0;
  const bytes = [counter >>> 0, ts];
  const check = checkByte(counter >>> 0, ts);
  const ySize = width * height;
  const cw = width >> 1;
  const uOff = ySize;
  const vOff = ySize + cw * (height >> 1);
  // The first row of blocks bit by bit, then copied down; the chroma under the stamp is one run per row. About a
  // hundred calls a frame rather than a fill per bit and row (this runs on every frame of a test pattern).
  for (let bit = 0; bit < STAMP_BITS; bit++) {
    const word = bit < 32 ? bytes[0] : bit < 64 ? bytes[1] : check;
    const shift = bit < 64 ? 31 - (bit % 32) : 7 - (bit - 64);
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
  /** Low 32 bits of the capture time in ms since the epoch. */
  ts: number;
}

/**
 * Reads a stamp from any picture given a luma getter; null when the check byte does not match (a frame that is
 * not stamped, or too damaged to trust). Self-contained (no closures over module state) so that the same code
 * can be sent into a browser page as text.
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
    else if (bit < 64) ts = ((ts << 1) | on) >>> 0;
    else check = ((check << 1) | on) & 0xff;
  }
  let c = 0xa5;
  for (let i = 0; i < 4; i++) c ^= ((counter >>> (8 * i)) & 0xff) ^ ((ts >>> (8 * i)) & 0xff);
  return c === check ? { counter, ts } : null;
}

/** Reads a stamp from the Y plane of an I420 frame. */
export function readStampI420(frame: Uint8Array, width: number): Stamp | null {
  return readStamp((x, y) => frame[y * width + x], width);
}

/** Latency in ms from a stamp's 32-bit timestamp to `nowMs`, unwrapping the 2^32 ms (49-day) wrap. */
export function stampAgeMs(stamp: Stamp, nowMs: number): number {
  const now32 = nowMs % 0x100000000;
  let d = now32 - stamp.ts;
  if (d < -0x80000000) d += 0x100000000;
  return d;
}
