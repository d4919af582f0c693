// Text in the built-in 5x7 font (font5x7.ts) drawn into, and read back from, a luma plane: the banner on the
// programme (banner.ts) and the card on the hall's TV (card.ts). Drawn after decoding, so reading back is exact.
import { FONT_FIRST, FONT_LAST, GLYPHS, GLYPH_H, GLYPH_W } from './font5x7.js';

/** A character cell is the glyph and one column of space. */
export const CELL_W = GLYPH_W + 1;
export { GLYPH_H, GLYPH_W };

/** The text as drawn: characters outside printable ASCII become '?'. */
export function fontText(text: string): string {
  return [...text].map((ch) => (ch.length === 1 && ch.charCodeAt(0) >= FONT_FIRST && ch.charCodeAt(0) <= FONT_LAST ? ch : '?')).join('');
}

/** Draws `text` (already fontText) with its top-left at (x, y), `scale` pixels a font pixel, in `luma`. */
export function drawText(plane: Uint8Array, stride: number, x: number, y: number, text: string, scale: number, luma: number): void {
  for (let i = 0; i < text.length; i++) {
    const glyph = GLYPHS[text.charCodeAt(i) - FONT_FIRST];
    for (let c = 0; c < GLYPH_W; c++) {
      const px = x + (i * CELL_W + c) * scale;
      for (let r = 0; r < GLYPH_H; r++) {
        if (!((glyph[c] >> r) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) plane.fill(luma, (y + r * scale + dy) * stride + px, (y + r * scale + dy) * stride + px + scale);
      }
    }
  }
}

const byBitmap = new Map<string, string>(GLYPHS.map((g, i) => [g.join(','), String.fromCharCode(FONT_FIRST + i)]));

/**
 * Reads up to `maxChars` characters drawn by drawText at (x, y), trailing spaces dropped; null when a cell holds a
 * value other than `fg` and `bg` or a bitmap that is no glyph (no text of this scale there).
 */
export function readText(plane: Uint8Array, stride: number, x: number, y: number, scale: number, maxChars: number, fg: number, bg: number): string | null {
  let text = '';
  for (let i = 0; i < maxChars; i++) {
    const cols: number[] = [];
    for (let c = 0; c < GLYPH_W; c++) {
      let bits = 0;
      for (let r = 0; r < GLYPH_H; r++) {
        // The middle of the font pixel.
        const v = plane[(y + r * scale + (scale >> 1)) * stride + x + (i * CELL_W + c) * scale + (scale >> 1)];
        if (v === fg) bits |= 1 << r;
        else if (v !== bg) return null;
      }
      cols.push(bits);
    }
    const ch = byBitmap.get(cols.join(','));
    if (ch === undefined) return null;
    text += ch;
  }
  return text.trimEnd();
}
