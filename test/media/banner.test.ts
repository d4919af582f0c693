// The programme banner (agent/media/programme/banner.ts): glyphs land on known pixels, the band's chroma is neutral,
// nothing above the band changes (the frame stamp along the top still reads), every text the hall shows fits and
// reads back at the sizes the programme comes in, and what cannot be drawn is said plainly (clipped, '?', null).
import t from 'tap';
import { BAND_LUMA, TEXT_LUMA, bannerGeometry, drawBanner, readBanner, renderBanner } from '../../agent/media/programme/banner.js';
import { FONT_FIRST, FONT_LAST, GLYPHS } from '../../agent/media/programme/font5x7.js';
import { readStampI420, stampGeometry, writeStamp } from '../../agent/media/frames/frame-stamp.js';
import { BANNERS } from '../../agent/meeting.js';

/** An I420 frame with texture in every plane, so an untouched byte and a drawn one can be told apart. */
function textured(w: number, h: number): Uint8Array {
  const f = new Uint8Array((w * h * 3) / 2);
  for (let i = 0; i < f.length; i++) f[i] = 60 + ((i * 13) % 120);
  return f;
}

/** The glyph cell `i` of a drawn banner as a picture ('#' text, '.' band), sampled at each glyph pixel's centre. */
function cell(f: Uint8Array, w: number, h: number, scale: number, i: number): string[] {
  const g = bannerGeometry(w, h, scale)!;
  const rows: string[] = [];
  for (let r = 0; r < 7; r++) {
    let line = '';
    for (let c = 0; c < 5; c++) {
      const v = f[(g.y0 + 2 * scale + r * scale + (scale >> 1)) * w + g.x0 + (i * 6 + c) * scale + (scale >> 1)];
      line += v === TEXT_LUMA ? '#' : v === BAND_LUMA ? '.' : '?';
    }
    rows.push(line);
  }
  return rows;
}

t.test('the font: printable ASCII, 5x7, every glyph different', async (t) => {
  t.equal(GLYPHS.length, FONT_LAST - FONT_FIRST + 1);
  t.ok(GLYPHS.every((g) => g.length === 5 && g.every((col) => col < 0x80)), 'five columns of seven rows each');
  t.equal(new Set(GLYPHS.map((g) => g.join(','))).size, GLYPHS.length, 'no two glyphs alike, so a banner reads back');
  t.same([...GLYPHS[0]], [0, 0, 0, 0, 0], 'space is blank');
});

t.test('known pixels: "AV" at 320x180 (scale 1) and at 1280x720 (scale 3)', async (t) => {
  for (const [w, h, scale] of [[320, 180, 1], [1280, 720, 3]]) {
    const f = textured(w, h);
    const b = renderBanner('AV', w, h)!;
    t.equal(b.geometry.scale, scale, `${w}x${h}: scale ${scale}`);
    drawBanner(f, b);
    t.same(cell(f, w, h, scale, 0), ['.###.', '#...#', '#...#', '#...#', '#####', '#...#', '#...#'], `${w}x${h}: A`);
    t.same(cell(f, w, h, scale, 1), ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'], `${w}x${h}: V`);
    const g = b.geometry;
    // A lit glyph pixel is a whole scale x scale block: the top-left pixel of A's second row, column 0.
    const y = g.y0 + 2 * scale + scale;
    for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) t.equal(f[(y + dy) * w + g.x0 + dx], TEXT_LUMA);
    t.equal(f[g.y0 * w], BAND_LUMA, 'the band runs from the left edge');
    t.equal(f[(g.y0 + g.rows - 1) * w + w - 1], BAND_LUMA, 'to the right edge');
    t.ok(g.x0 >= w * 0.05 - 1 && g.y0 + g.rows <= h * 0.95 + 1, 'its text inside the title-safe area');
    const cw = w / 2;
    const u = w * h;
    const v = u + cw * (h / 2);
    const band = (plane: number) => f.subarray(plane + (g.y0 / 2) * cw, plane + ((g.y0 + g.rows) / 2) * cw);
    t.ok(band(u).every((x) => x === 128) && band(v).every((x) => x === 128), 'chroma neutral under the band');
  }
  // The same, as literal coordinates at 320x180: band rows 160-171 (8 rows of margin below), text from x 16.
  const f = textured(320, 180);
  drawBanner(f, renderBanner('AV', 320, 180)!);
  const at = (x: number, y: number) => f[y * 320 + x];
  t.same([at(16, 162), at(17, 162), at(16, 163)], [BAND_LUMA, TEXT_LUMA, TEXT_LUMA], "A's top row starts .#, its second #");
  t.same([at(0, 160), at(319, 171)], [BAND_LUMA, BAND_LUMA], 'band corners');
  t.not(at(0, 159), BAND_LUMA, 'the row above the band untouched');
  t.not(at(0, 172), BAND_LUMA, 'the row below the band untouched');
});

t.test('nothing above the band changes, and the frame stamp still reads', async (t) => {
  for (const [w, h] of [[1280, 720], [960, 540], [640, 360], [320, 180]]) {
    const f = textured(w, h);
    writeStamp(f, w, h, 123456, 1_700_000_000_123);
    const before = f.slice();
    const b = renderBanner(BANNERS.called, w, h)!;
    drawBanner(f, b);
    const cw = w / 2;
    const y0 = b.geometry.y0;
    t.ok(y0 >= stampGeometry(w).bh, `${w}x${h}: the band (from row ${y0}) is below the stamp (rows 0-${stampGeometry(w).bh - 1})`);
    const same = (a: number, z: number) => f.subarray(a, z).every((x, i) => x === before[a + i]);
    t.ok(same(0, y0 * w), `${w}x${h}: Y above the band untouched`);
    t.ok(same(w * h, w * h + (y0 / 2) * cw), 'U above the band untouched');
    t.ok(same(w * h + cw * (h / 2), w * h + cw * (h / 2) + (y0 / 2) * cw), 'V above the band untouched');
    t.same(readStampI420(f, w), { counter: 123456, ts: 1_700_000_000_123 % 2 ** 24 }, `${w}x${h}: stamp reads`);
  }
});

t.test("every text the hall's TV shows fits one line and reads back, at the programme's sizes", async (t) => {
  const texts = [BANNERS.granted, BANNERS.called, BANNERS.rollcall(25), BANNERS.rollcall(300)];
  for (const [w, h] of [[1920, 1080], [1280, 720], [960, 540], [640, 360], [640, 480]]) {
    for (const text of texts) {
      const f = textured(w, h);
      const b = renderBanner(text, w, h)!;
      t.equal(b.text, text, `${w}x${h}: "${text}" fits whole (scale ${b.geometry.scale})`);
      drawBanner(f, b);
      t.equal(readBanner(f, w, h), text, `${w}x${h}: reads back`);
    }
  }
  // The call does not fit 640x480 at that height's scale (2): the scale steps down rather than clip.
  t.equal(renderBanner(BANNERS.called, 640, 480)!.geometry.scale, 1);
  t.equal(renderBanner(BANNERS.granted, 640, 480)!.geometry.scale, 2);
  // 180p (a simulcast's lowest layer) holds 48 characters: the call is clipped there, the others fit.
  t.equal(renderBanner(BANNERS.called, 320, 180)!.text, BANNERS.called.slice(0, 48));
  t.equal(renderBanner(BANNERS.rollcall(25), 320, 180)!.text, BANNERS.rollcall(25));
});

t.test('what cannot be drawn: clipped at scale 1, "?" for other characters, null without room', async (t) => {
  const long = 'X'.repeat(100);
  const b = renderBanner(long, 320, 180)!;
  t.equal(b.geometry.scale, 1);
  t.equal(b.text, 'X'.repeat(b.geometry.maxChars), `clipped to the ${b.geometry.maxChars} characters that fit`);
  t.equal(renderBanner('Hội trường', 640, 360)!.text, 'H?i tr??ng', 'letters outside ASCII show as ?');
  t.equal(renderBanner('HI', 160, 24), null, 'a frame with no room below its stamp gets no banner');
  t.equal(readBanner(textured(640, 360), 640, 360), null, 'a frame without a banner reads as none');
  const blank = new Uint8Array((640 * 360 * 3) / 2).fill(BAND_LUMA);
  t.equal(readBanner(blank, 640, 360), null, 'an empty band is no banner');
});
