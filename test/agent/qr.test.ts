// The QR encoder (agent/media/programme/qr.ts) against a decoder we did not write: each symbol is drawn as a picture
// with its quiet zone and read back by zbarimg (zbar-tools). Texts of every length a version boundary falls on, at
// both levels, in versions 1 to 40, and the addresses the technician page is shown under.
import t, { type Test } from 'tap';
import { encodeQr, type QrCode, type QrEcl } from '../../agent/media/programme/qr.js';
import { zbarReadGrey } from '../../lab/qr-read.js';
import { readCard, renderCard } from '../../agent/media/programme/card.js';

/** The symbol as a grey picture: `scale` pixels a module, four modules of quiet zone, dark modules black. */
function picture(q: QrCode, scale = 4): { grey: Uint8Array; side: number } {
  const side = (q.size + 8) * scale;
  const grey = new Uint8Array(side * side).fill(255);
  for (let y = 0; y < q.size; y++) {
    for (let x = 0; x < q.size; x++) {
      if (!q.modules[y * q.size + x]) continue;
      for (let dy = 0; dy < scale; dy++) grey.fill(0, ((y + 4) * scale + dy) * side + (x + 4) * scale, ((y + 4) * scale + dy) * side + (x + 5) * scale);
    }
  }
  return { grey, side };
}

async function roundTrip(t: Test, text: string, ecl: QrEcl): Promise<QrCode> {
  const q = encodeQr(text, ecl);
  const { grey, side } = picture(q);
  t.same(await zbarReadGrey(grey, side, side), [text], `${ecl} v${q.version} mask ${q.mask}: ${text.length} bytes read back`);
  return q;
}

t.test('the technician page addresses read back, in a small version', async (t) => {
  for (const url of ['http://192.168.1.50:8080/', 'http://10.20.30.40:8080/', 'http://[fd00::1234]:8080/', 'http://127.0.0.1:41234/']) {
    const q = await roundTrip(t, url, 'M');
    t.ok(q.version <= 3, `${url}: version ${q.version}`);
  }
});

t.test('every version boundary, levels L and M, read back by zbarimg', async (t) => {
  // Capacity in bytes of byte mode at each version (ISO/IEC 18004 table 7): the longest text of each version and one
  // byte more, which must take the next version.
  const capacity: Record<QrEcl, number[]> = {
    L: [17, 32, 53, 78, 106, 134, 154, 192, 230, 271],
    M: [14, 26, 42, 62, 84, 106, 122, 152, 180, 213],
  };
  for (const ecl of ['L', 'M'] as const) {
    capacity[ecl].forEach((n, i) => {
      t.equal(encodeQr('x'.repeat(n), ecl).version, i + 1, `${ecl}: ${n} bytes fit version ${i + 1}`);
      t.equal(encodeQr('x'.repeat(n + 1), ecl).version, i + 2, `${ecl}: ${n + 1} bytes take version ${i + 2}`);
    });
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/.-_?=&%';
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const text = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
  for (const ecl of ['L', 'M'] as const) {
    for (const n of [1, ...capacity[ecl], capacity[ecl][9] + 1]) await roundTrip(t, text(n), ecl);
  }
  // Versions 7 and up carry version information; 20 and 40 have many alignment patterns and blocks of two lengths.
  for (const n of [400, 800, 2300]) await roundTrip(t, text(n), 'M');
});

t.test('UTF-8 text, and text too long for any version', async (t) => {
  await roundTrip(t, 'Hội trường xã Hòa Bình', 'M');
  t.throws(() => encodeQr('x'.repeat(3000), 'M'), /3000 bytes do not fit a QR code at level M \(at most 2331\)/);
});

t.test('the TV card: its lines read back and its QR code read by zbarimg, 1080p down to 180p', async (t) => {
  const spec = { lines: ['DIEMCAU HALL BOX - TECHNICIAN PAGE', 'SERIAL PI4B-000123', 'OPEN http://192.168.100.200:8080/', 'NOT CLAIMED - ENTER THE INSTALL CODE ON THE PAGE'], qr: 'http://192.168.100.200:8080/' };
  for (const [w, h] of [[1920, 1080], [1280, 720], [640, 360], [320, 180]]) {
    const frame = renderCard(spec, w, h);
    t.equal(frame.length, (w * h * 3) / 2, `${w}x${h}: an I420 frame`);
    const lines = readCard(frame, w, h)!;
    // At 180p a line longer than the picture is cut: what is shown is the start of each line.
    t.ok(lines.length === 4 && lines.every((l, i) => spec.lines[i].startsWith(l) && l.length >= Math.min(30, spec.lines[i].length)), `${w}x${h}: ${JSON.stringify(lines)}`);
    t.same(await zbarReadGrey(frame.subarray(0, w * h), w, h), [spec.qr], `${w}x${h}: the QR code`);
  }
  t.same(readCard(renderCard({ lines: ['DIEMCAU', 'SERIAL X'], qr: null }, 1280, 720), 1280, 720), ['DIEMCAU', 'SERIAL X'], 'without a code');
  t.equal(readCard(new Uint8Array(1280 * 720 * 1.5).fill(90), 1280, 720), null, 'a grey frame holds no card');
});
