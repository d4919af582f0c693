// The carrier's certificate authority, by the openssl command line (node:crypto cannot sign certificates). It signs
// the broker's server certificate and each box's client certificate from the CSR the box made: the box key never
// leaves the box, and the subject is set here to the box id whatever the CSR asked for, because Mosquitto's
// `use_identity_as_username` takes the subject CN as the username that the ACL confines.
import { execFile } from 'node:child_process';
import { mkdir, writeFile, readFile, rm, access, mkdtemp, chmod } from 'node:fs/promises';
import { writeFileAtomic } from '../core/atomic-file.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../core/errors.js';

function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`openssl ${args[0]}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

export interface CaPaths {
  dir: string;
  key: string;
  cert: string;
  /** What the broker reads (its certificate and key, the CA certificate, the CRL): the database's `broker/`. */
  brokerDir: string;
  brokerCa: string;
}

export function caPaths(dbDir: string): CaPaths {
  const dir = join(dbDir, 'ca');
  return { dir, key: join(dir, 'ca.key'), cert: join(dir, 'ca.crt'), brokerDir: join(dbDir, 'broker'), brokerCa: join(dbDir, 'broker', 'ca.crt') };
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Makes the CA (EC P-256, ten years) unless it exists; returns whether it was made. */
export async function initCa(ca: CaPaths, name = 'diemcau carrier CA'): Promise<boolean> {
  if (await exists(ca.cert)) return false;
  await mkdir(ca.dir, { recursive: true, mode: 0o700 });
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key]);
  await openssl(['req', '-x509', '-new', '-key', ca.key, '-sha256', '-days', '3650', '-subj', `/CN=${name}`, '-out', ca.cert]);
  await mkdir(ca.brokerDir, { recursive: true, mode: 0o750 });
  await writeFileAtomic(ca.brokerCa, await readFile(ca.cert), 0o644);
  return true;
}

/** Signs `csrPem` with subject CN=`cn`; `server` adds the hosts as subjectAltName for a broker certificate. */
export async function signCsr(ca: CaPaths, csrPem: string, cn: string, opts: { days?: number; hosts?: string[] } = {}): Promise<string> {
  if (!/^-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----\s*$/.test(csrPem.trim() + '\n')) {
    throw new BadRequestError(`csr for ${cn}: not a PEM certificate request`);
  }
  const work = await mkdtemp(join(tmpdir(), 'diemcau-csr-'));
  try {
    const csr = join(work, 'req.csr');
    await writeFile(csr, csrPem);
    // The CSR's own signature proves the requester holds the key.
    await openssl(['req', '-in', csr, '-verify', '-noout']).catch((err: Error) => {
      throw new BadRequestError(`csr for ${cn}: does not verify: ${err.message}`);
    });
    const ext = join(work, 'ext.cnf');
    const san = (opts.hosts ?? []).map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    await writeFile(
      ext,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${opts.hosts ? 'serverAuth' : 'clientAuth'}`,
        ...(san ? [`subjectAltName=${san}`] : []),
      ].join('\n') + '\n',
    );
    return await openssl([
      'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', String(opts.days ?? 3650), '-sha256', '-subj', `/CN=${cn}`, '-extfile', ext,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The broker's key and certificate for `hosts`, in `broker/` (key 0640: the broker's group reads it). */
export async function issueServerCert(ca: CaPaths, hosts: string[]): Promise<{ key: string; cert: string }> {
  await mkdir(ca.brokerDir, { recursive: true, mode: 0o750 });
  const key = join(ca.brokerDir, 'server.key');
  const cert = join(ca.brokerDir, 'server.crt');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await chmod(key, 0o640);
  const csr = await openssl(['req', '-new', '-key', key, '-subj', `/CN=${hosts[0]}`]);
  await writeFile(cert, await signCsr(ca, csr, hosts[0], { hosts }));
  return { key, cert };
}

export function readCaCert(ca: CaPaths): Promise<string> {
  return readFile(ca.cert, 'utf8');
}
