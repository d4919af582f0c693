// The card: a still picture the hall's TV shows when no meeting runs and the box has something to tell the person
// in front of it (while unclaimed: its serial, the technician page's address as text and as a QR code, and the
// claim state). An I420 frame, drawn once per card and frame size; the media worker hands it to the programme sink
// (the player on a box, the checking sink in simulation) once a second (worker/local.ts).
//
// Layout: a dark picture; the lines of text across the top inside the title-safe area (5% in from each edge), in the
// built-in font at the largest whole scale up to height/180 at which the longest line fits; below them the QR code,
// black on a white square with its four-module quiet zone, as large as the rest of the safe area allows.
import { CELL_W, GLYPH_H, drawText, fontText, readText } from './glyphs.js';
import { encodeQr } from './qr.js';

export interface CardSpec {
  lines: string[];
  /** Text of the QR code (the page's URL); null: none. */
  qr: string | null;
}

export const CARD_BG = 16;
export const CARD_TEXT = 235;
const QR_LIGHT = 235;
const QR_DARK = 16;
const SAFE = 0.05;
/** Line pitch in font pixels: the glyph and four pixels of space. */
const LINE_UNITS = GLYPH_H + 4;

interface CardLayout {
  scale: number;
  x0: number;
  y0: number;
  maxChars: number;
  /** The QR square: left, top, side, and module size; null without a code. */
  qr: { x: number; y: number; module: number; quiet: number } | null;
}

function layout(width: number, height: number, qrSize: number | null, lines: number, longest: number): CardLayout {
  const x0 = Math.round(width * SAFE);
  const y0 = Math.round(height * SAFE) & ~1;
  const cells = (s: number) => Math.max(0, Math.floor((width - 2 * x0) / (CELL_W * s)));
  let scale = Math.max(1, Math.floor(height / 180));
  while (scale > 1 && cells(scale) < longest) scale--;
  let qr: CardLayout['qr'] = null;
  if (qrSize !== null) {
    const top = y0 + (lines + 1) * LINE_UNITS * scale;
    const units = qrSize + 8;
    const module = Math.max(1, Math.floor(Math.min(height - y0 - top, width - 2 * x0) / units));
    qr = { x: x0, y: top, module, quiet: 4 * module };
  }
  return { scale, x0, y0, maxChars: cells(scale), qr };
}

/** The card as an I420 frame of width x height (even sizes). */
export function renderCard(spec: CardSpec, width: number, height: number): Uint8Array {
  const frame = new Uint8Array(width * height + 2 * (width >> 1) * (height >> 1));
  frame.fill(CARD_BG, 0, width * height);
  frame.fill(128, width * height); // neutral chroma: grey levels only
  const code = spec.qr ? encodeQr(spec.qr, 'M') : null;
  const lines = spec.lines.map(fontText);
  const g = layout(width, height, code?.size ?? null, lines.length, Math.max(0, ...lines.map((l) => l.length)));
  lines.forEach((line, i) => {
    const y = g.y0 + i * LINE_UNITS * g.scale;
    if (y + GLYPH_H * g.scale <= height) drawText(frame, width, g.x0, y, line.slice(0, g.maxChars), g.scale, CARD_TEXT);
  });
  if (code && g.qr) {
    const { x, y, module, quiet } = g.qr;
    const side = code.size * module + 2 * quiet;
    for (let r = 0; r < side && y + r < height; r++) frame.fill(QR_LIGHT, (y + r) * width + x, (y + r) * width + x + side);
    for (let my = 0; my < code.size; my++) {
      for (let mx = 0; mx < code.size; mx++) {
        if (!code.modules[my * code.size + mx]) continue;
        const px = x + quiet + mx * module;
        for (let dy = 0; dy < module && y + quiet + my * module + dy < height; dy++) {
          frame.fill(QR_DARK, (y + quiet + my * module + dy) * width + px, (y + quiet + my * module + dy) * width + px + module);
        }
      }
    }
  }
  return frame;
}

/**
 * The card's lines read back from a frame's Y plane (what the TV was given), at whichever scale they were drawn;
 * null when the frame holds no card. The QR code is read by a real decoder in the tests (zbarimg).
 */
export function readCard(frame: Uint8Array, width: number, height: number): string[] | null {
  const x0 = Math.round(width * SAFE);
  const y0 = Math.round(height * SAFE) & ~1;
  for (let s = Math.max(1, Math.floor(height / 180)); s >= 1; s--) {
    const maxChars = Math.floor((width - 2 * x0) / (CELL_W * s));
    const lines: string[] = [];
    for (let i = 0; ; i++) {
      const y = y0 + i * LINE_UNITS * s;
      if (y + GLYPH_H * s > height) break;
      // The cells up to the first that is neither text nor background (the edge of the picture).
      let k = 0;
      while (k < maxChars && readText(frame, width, x0 + k * CELL_W * s, y, s, 1, CARD_TEXT, CARD_BG) !== null) k++;
      const line = k ? readText(frame, width, x0, y, s, k, CARD_TEXT, CARD_BG) : null;
      if (!line) break;
      lines.push(line);
    }
    // At a scale larger than the one drawn, the samples can land on a glyph's pixels: a card's first line is words.
    if (lines.length && /[A-Z]{3}/.test(lines[0])) return lines;
  }
  return null;
}
