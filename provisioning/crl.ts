// Certificate revocation for replaced boxes: `reset` of a certificate box adds its certificate to the carrier's
// CRL, which the broker's client-certificate listener loads (`crlfile`, mosquitto.conf(5)). The CRL is made by
// `openssl ca -gencrl` from an index rebuilt each time from `ca/revoked.json` (index format: openssl-ca(1),
// "R <expiry> <revocation> <serial> unknown <subject>", times as UTCTime YYMMDDHHMMSSZ).
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { CaPaths } from './ca.js';

export interface Revoked {
  serial: string;
  cn: string;
  notAfter: string;
  revokedAt: string;
}

export const crlPath = (ca: CaPaths) => join(ca.brokerDir, 'crl.pem');
const revokedPath = (ca: CaPaths) => join(ca.dir, 'revoked.json');

function utcTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export async function readRevoked(ca: CaPaths): Promise<Revoked[]> {
  try {
    return JSON.parse(await readFile(revokedPath(ca), 'utf8')) as Revoked[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Rewrites the CRL from the revoked list (an empty list gives an empty CRL, so the broker can always load one). */
export async function writeCrl(ca: CaPaths, revoked: Revoked[]): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'diemcau-crl-'));
  try {
    const index = revoked
      .map((r) => `R\t${utcTime(new Date(r.notAfter))}\t${utcTime(new Date(r.revokedAt))}\t${r.serial}\tunknown\t/CN=${r.cn}\n`)
      .join('');
    await writeFile(join(work, 'index.txt'), index);
    await writeFile(join(work, 'crlnumber'), `${(revoked.length + 1).toString(16).padStart(2, '0')}\n`);
    const cnf = join(work, 'ca.cnf');
    await writeFile(cnf, `[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = ${join(work, 'index.txt')}\ncrlnumber = ${join(work, 'crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 3650\n`);
    const out = join(work, 'crl.pem');
    await new Promise<void>((resolve, reject) =>
      execFile('openssl', ['ca', '-gencrl', '-config', cnf, '-keyfile', ca.key, '-cert', ca.cert, '-out', out], (err, _o, stderr) =>
        err ? reject(new Error(`openssl ca -gencrl: ${stderr.trim() || err.message}`)) : resolve(),
      ),
    );
    await writeFileAtomic(crlPath(ca), await readFile(out), 0o644);
    return crlPath(ca);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Adds a box certificate to the revoked list and rewrites the CRL. */
export async function revoke(ca: CaPaths, certPem: string, cn: string, at = new Date()): Promise<Revoked> {
  const cert = new X509Certificate(certPem);
  const r: Revoked = { serial: cert.serialNumber.toUpperCase(), cn, notAfter: new Date(cert.validTo).toISOString(), revokedAt: at.toISOString() };
  const list = (await readRevoked(ca)).filter((x) => x.serial !== r.serial);
  list.push(r);
  await writeFileAtomic(revokedPath(ca), JSON.stringify(list, null, 2) + '\n', 0o600);
  await writeCrl(ca, list);
  return r;
}
