// A line of text drawn onto the programme the hall's TV shows ("YOU HAVE THE FLOOR"): a dark band across the bottom
// of an I420 frame with the text in white, in the built-in 5x7 font (font5x7.ts). Pure: render once per text and
// frame size, then each frame is one copy of the band's rows and two fills of its chroma.
//
// The band runs across the lower part of the frame, its text inside the title-safe area (5% in from each edge: a TV
// that overscans cuts the edges), and never reaches the frame stamp along the top (frame-stamp.ts), so the stamp
// still reads on every frame the banner is drawn on. Left-aligned like a lower third; as large as fits: the scale
// is height/240 (3 at 720p) or less when the text would not fit the width, one line, clipped at scale 1.
// `readBanner` reads a drawn banner back from a frame (the programme check in simulation reports it).
import { CELL_W, GLYPH_H, drawText, fontText, readText } from './glyphs.js';
import { stampGeometry } from '../frames/frame-stamp.js';

/** Band and text luma (BT.601 video range); chroma under the band is neutral (128). */
export const BAND_LUMA = 40;
export const TEXT_LUMA = 235;
/** Band height in glyph pixels: the glyph and two pixels above and below. */
const BAND_UNITS = GLYPH_H + 4;
/** The title-safe margin, as a share of each side. */
const SAFE = 0.05;

export interface BannerGeometry {
  scale: number;
  /** First row of the band (even). */
  y0: number;
  /** Rows of the band (even), across the whole width. */
  rows: number;
  /** Left edge of the first character. */
  x0: number;
  /** Characters that fit on the line. */
  maxChars: number;
}

/** Where a banner at `scale` goes in a width x height frame; null when it would reach the stamp's rows. */
export function bannerGeometry(width: number, height: number, scale: number): BannerGeometry | null {
  const rows = (BAND_UNITS * scale + 1) & ~1;
  const y0 = height - (Math.round(height * SAFE) & ~1) - rows;
  if (y0 < stampGeometry(width).bh) return null;
  const x0 = Math.round(width * SAFE);
  return { scale, y0, rows, x0, maxChars: Math.max(0, Math.floor((width - 2 * x0) / (CELL_W * scale))) };
}

function largestScale(height: number): number {
  return Math.max(1, Math.floor(height / 240));
}

export interface RenderedBanner {
  text: string;
  width: number;
  height: number;
  geometry: BannerGeometry;
  /** The band's luma rows, ready to copy into the Y plane at row y0. */
  luma: Uint8Array;
}

/** The text as drawn: characters outside printable ASCII become '?'. */
export const bannerText = fontText;

/** Renders `text` for a width x height frame; null when the frame has no room below its stamp. */
export function renderBanner(text: string, width: number, height: number): RenderedBanner | null {
  const shown = bannerText(text);
  let g: BannerGeometry | null = null;
  for (let s = largestScale(height); s >= 1; s--) {
    g = bannerGeometry(width, height, s);
    if (g && g.maxChars >= shown.length) break;
  }
  if (!g || g.maxChars === 0) return null;
  const line = shown.slice(0, g.maxChars);
  const luma = new Uint8Array(width * g.rows).fill(BAND_LUMA);
  drawText(luma, width, g.x0, 2 * g.scale, line, g.scale, TEXT_LUMA);
  return { text: line, width, height, geometry: g, luma };
}

/** Draws a rendered banner into an I420 frame of its size, in place. */
export function drawBanner(frame: Uint8Array, b: RenderedBanner): void {
  const { width, height, geometry: g } = b;
  frame.set(b.luma, g.y0 * width);
  const cw = width >> 1;
  const uOff = width * height;
  const vOff = uOff + cw * (height >> 1);
  const end = (g.y0 + g.rows) >> 1;
  frame.fill(128, uOff + (g.y0 >> 1) * cw, uOff + end * cw);
  frame.fill(128, vOff + (g.y0 >> 1) * cw, vOff + end * cw);
}

/**
 * The banner drawn on an I420 frame's Y plane, read back exactly (drawn after decoding, so no codec touched it);
 * null when the frame carries none. Cheap on frames without one: the first band row that is not all band luma ends it.
 */
export function readBanner(frame: Uint8Array, width: number, height: number): string | null {
  for (let s = largestScale(height); s >= 1; s--) {
    const g = bannerGeometry(width, height, s);
    if (!g) continue;
    if (!rowIsBand(frame, width, g.y0) || !rowIsBand(frame, width, g.y0 + g.rows - 1)) continue;
    const text = readText(frame, width, g.x0, g.y0 + 2 * s, s, g.maxChars, TEXT_LUMA, BAND_LUMA);
    return text ? text : null;
  }
  return null;
}

function rowIsBand(frame: Uint8Array, width: number, y: number): boolean {
  const start = y * width;
  for (let x = 0; x < width; x++) if (frame[start + x] !== BAND_LUMA) return false;
  return true;
}
