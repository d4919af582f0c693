// Reads QR codes the way a phone would, with a decoder we did not write: zbarimg (Debian's zbar-tools). Takes an
// image file (PNG, JPEG) or a grey picture (rendered here as a PGM), and answers every code's text.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The texts zbarimg finds in `file` (none: an empty list; zbarimg exits 4 then). */
export function zbarRead(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('zbarimg', ['--quiet', '--raw', '-Sbinary', file], { encoding: 'buffer', timeout: 20000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (err && code !== 4) return reject(new Error(`zbarimg ${file}: ${stderr.toString().trim() || err.message} (apt install zbar-tools)`));
      // -Sbinary gives each code's bytes as they are; codes are separated by a newline.
      const text = stdout.toString('utf8');
      resolve(text.length ? text.replace(/\n$/, '').split('\n') : []);
    });
  });
}

/** A grey picture (one byte per pixel, 0 black) as a binary PGM file, read by zbarimg. */
export async function zbarReadGrey(grey: Uint8Array, width: number, height: number): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-qr-'));
  try {
    const file = join(dir, 'code.pgm');
    await writeFile(file, Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), grey]));
    return await zbarRead(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
