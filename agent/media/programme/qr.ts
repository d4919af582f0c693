// A QR code encoder (ISO/IEC 18004), small and dependency-free: byte mode, error correction L or M, every version
// the text needs (1 to 40; a technician page's URL fits version 2 or 3). The hall's TV shows the technician page's
// address with it (card.ts); test/agent/qr.test.ts reads what it makes with a real decoder (zbarimg).
//
// The steps: the bit stream (mode, length, bytes, terminator, padding), Reed-Solomon error correction per block
// over GF(256) (x^8 + x^4 + x^3 + x^2 + 1), the blocks interleaved, the function patterns (finders, timing,
// alignment, version information), the codewords placed in the two-column zigzag, and of the eight masks the one
// with the lowest penalty (the standard's four rules), with its format information.

export type QrEcl = 'L' | 'M';

export interface QrCode {
  version: number;
  /** Modules per side: 17 + 4 * version. */
  size: number;
  ecl: QrEcl;
  mask: number;
  /** size * size modules, row by row; 1 is dark. */
  modules: Uint8Array;
}

// Per version (index 1..40): error correction codewords per block, and the number of blocks.
const EC_PER_BLOCK: Record<QrEcl, number[]> = {
  L: [0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  M: [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
};
const BLOCKS: Record<QrEcl, number[]> = {
  L: [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
  M: [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
};
/** The two format bits of each level (L is 01, M is 00). */
const ECL_BITS: Record<QrEcl, number> = { L: 1, M: 0 };

/** Modules that carry codewords (everything but the function patterns and format/version information). */
function rawDataModules(ver: number): number {
  let n = (16 * ver + 128) * ver + 64;
  if (ver >= 2) {
    const align = Math.floor(ver / 7) + 2;
    n -= (25 * align - 10) * align - 55;
    if (ver >= 7) n -= 36;
  }
  return n;
}

function dataCodewords(ver: number, ecl: QrEcl): number {
  return Math.floor(rawDataModules(ver) / 8) - EC_PER_BLOCK[ecl][ver] * BLOCKS[ecl][ver];
}

function alignmentPositions(ver: number): number[] {
  if (ver === 1) return [];
  const count = Math.floor(ver / 7) + 2;
  const size = ver * 4 + 17;
  const step = ver === 32 ? 26 : Math.ceil((ver * 4 + 4) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

// --- Reed-Solomon over GF(256) ------------------------------------------------------------------------------------

function gfMul(x: number, y: number): number {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

function rsDivisor(degree: number): number[] {
  const out = new Array<number>(degree).fill(0);
  out[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < out.length; j++) {
      out[j] = gfMul(out[j], root);
      if (j + 1 < out.length) out[j] ^= out[j + 1];
    }
    root = gfMul(root, 0x02);
  }
  return out;
}

function rsRemainder(data: number[], divisor: number[]): number[] {
  const out = new Array<number>(divisor.length).fill(0);
  for (const b of data) {
    const factor = b ^ (out.shift() as number);
    out.push(0);
    divisor.forEach((coef, i) => (out[i] ^= gfMul(coef, factor)));
  }
  return out;
}

// --- the codewords -------------------------------------------------------------------------------------------------

function bitStream(bytes: Uint8Array, ver: number, capacity: number): number[] {
  const bits: number[] = [];
  const put = (v: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((v >>> i) & 1);
  };
  put(0b0100, 4); // byte mode
  put(bytes.length, ver <= 9 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  const cap = capacity * 8;
  put(0, Math.min(4, cap - bits.length)); // terminator
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < cap; pad ^= 0xec ^ 0x11) put(pad, 8);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8).join(''), 2));
  return out;
}

/** The data split into blocks, each with its error correction, interleaved as the symbol carries them. */
function interleaved(data: number[], ver: number, ecl: QrEcl): number[] {
  const blocks = BLOCKS[ecl][ver];
  const ecLen = EC_PER_BLOCK[ecl][ver];
  const total = Math.floor(rawDataModules(ver) / 8);
  const shortBlocks = blocks - (total % blocks);
  const shortLen = Math.floor(total / blocks);
  const divisor = rsDivisor(ecLen);
  const made: number[][] = [];
  for (let i = 0, k = 0; i < blocks; i++) {
    const dat = data.slice(k, k + shortLen - ecLen + (i < shortBlocks ? 0 : 1));
    k += dat.length;
    const ec = rsRemainder(dat, divisor);
    if (i < shortBlocks) dat.push(0); // a placeholder, skipped below, so all blocks have one length
    made.push(dat.concat(ec));
  }
  const out: number[] = [];
  for (let i = 0; i < made[0].length; i++) {
    made.forEach((b, j) => {
      if (i !== shortLen - ecLen || j >= shortBlocks) out.push(b[i]);
    });
  }
  return out;
}

// --- the symbol ----------------------------------------------------------------------------------------------------

class Grid {
  readonly dark: Uint8Array;
  readonly fixed: Uint8Array;
  constructor(readonly size: number) {
    this.dark = new Uint8Array(size * size);
    this.fixed = new Uint8Array(size * size);
  }
  set(x: number, y: number, dark: boolean): void {
    this.dark[y * this.size + x] = dark ? 1 : 0;
    this.fixed[y * this.size + x] = 1;
  }
}

function drawFunctionPatterns(g: Grid, ver: number): void {
  const n = g.size;
  for (let i = 0; i < n; i++) {
    g.set(6, i, i % 2 === 0);
    g.set(i, 6, i % 2 === 0);
  }
  for (const [cx, cy] of [[3, 3], [n - 4, 3], [3, n - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        const x = cx + dx;
        const y = cy + dy;
        if (x >= 0 && x < n && y >= 0 && y < n) g.set(x, y, d !== 2 && d !== 4);
      }
    }
  }
  const align = alignmentPositions(ver);
  const last = align.length - 1;
  align.forEach((ax, i) =>
    align.forEach((ay, j) => {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return; // the finders' corners
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) g.set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }),
  );
  drawFormat(g, 'M', 0); // reserves the format areas; drawn again with the chosen mask
  if (ver >= 7) {
    let rem = ver;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (ver << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const bit = ((bits >>> i) & 1) === 1;
      const a = n - 11 + (i % 3);
      const b = Math.floor(i / 3);
      g.set(a, b, bit);
      g.set(b, a, bit);
    }
  }
}

function drawFormat(g: Grid, ecl: QrEcl, mask: number): void {
  const data = (ECL_BITS[ecl] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  const n = g.size;
  for (let i = 0; i <= 5; i++) g.set(8, i, bit(i));
  g.set(8, 7, bit(6));
  g.set(8, 8, bit(7));
  g.set(7, 8, bit(8));
  for (let i = 9; i < 15; i++) g.set(14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) g.set(n - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) g.set(8, n - 15 + i, bit(i));
  g.set(8, n - 8, true); // the dark module
}

function placeCodewords(g: Grid, words: number[]): void {
  const n = g.size;
  let i = 0;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern
    const upward = ((right + 1) & 2) === 0;
    for (let v = 0; v < n; v++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = upward ? n - 1 - v : v;
        if (g.fixed[y * n + x]) continue;
        g.dark[y * n + x] = i < words.length * 8 ? (words[i >>> 3] >>> (7 - (i & 7))) & 1 : 0;
        i++;
      }
    }
  }
}

const MASKS: Array<(x: number, y: number) => boolean> = [
  (x, y) => (x + y) % 2 === 0,
  (_x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

function applyMask(g: Grid, mask: number): void {
  const n = g.size;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (!g.fixed[y * n + x] && MASKS[mask](x, y)) g.dark[y * n + x] ^= 1;
}

/** The standard's penalty: runs of five or more, 2x2 blocks, finder-like 1:1:3:1:1 patterns, and dark balance. */
function penalty(g: Grid): number {
  const n = g.size;
  const at = (x: number, y: number) => g.dark[y * n + x];
  let score = 0;
  const finderLike = ['10111010000', '00001011101'];
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < n; a++) {
      let line = '';
      for (let b = 0; b < n; b++) line += pass === 0 ? at(b, a) : at(a, b);
      for (const run of line.match(/0{5,}|1{5,}/g) ?? []) score += 3 + run.length - 5;
      for (const p of finderLike) for (let k = line.indexOf(p); k >= 0; k = line.indexOf(p, k + 1)) score += 40;
    }
  }
  let darkCount = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      darkCount += at(x, y);
      if (x < n - 1 && y < n - 1) {
        const c = at(x, y);
        if (c === at(x + 1, y) && c === at(x, y + 1) && c === at(x + 1, y + 1)) score += 3;
      }
    }
  }
  return score + 10 * Math.floor(Math.abs((darkCount * 100) / (n * n) - 50) / 5);
}

/** Encodes `text` (UTF-8) in the smallest version that holds it at `ecl`; throws when even version 40 cannot. */
export function encodeQr(text: string | Uint8Array, ecl: QrEcl = 'M'): QrCode {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  let ver = 1;
  const fits = (v: number) => 4 + (v <= 9 ? 8 : 16) + bytes.length * 8 <= dataCodewords(v, ecl) * 8;
  while (ver <= 40 && !fits(ver)) ver++;
  if (ver > 40) throw new RangeError(`qr: ${bytes.length} bytes do not fit a QR code at level ${ecl} (at most ${dataCodewords(40, ecl) - 3})`);
  const words = interleaved(bitStream(bytes, ver, dataCodewords(ver, ecl)), ver, ecl);
  const base = new Grid(ver * 4 + 17);
  drawFunctionPatterns(base, ver);
  placeCodewords(base, words);
  let best: { mask: number; grid: Grid; score: number } | null = null;
  for (let mask = 0; mask < 8; mask++) {
    const g = new Grid(base.size);
    g.dark.set(base.dark);
    g.fixed.set(base.fixed);
    applyMask(g, mask);
    drawFormat(g, ecl, mask);
    const score = penalty(g);
    if (!best || score < best.score) best = { mask, grid: g, score };
  }
  return { version: ver, size: base.size, ecl, mask: best!.mask, modules: best!.grid.dark };
}
