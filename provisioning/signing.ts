// `diemcau-provision keys` and `bundle`: the carrier's ed25519 update key pair (private half never leaves the
// database directory) and signed bundles in the format agent/update/bundle.ts verifies.
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, createHash, type KeyObject } from 'node:crypto';
import { readFile, mkdir, access, rm, mkdtemp, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { writeFileAtomic } from '../core/atomic-file.js';
import { BadRequestError, DiemcauError } from '../core/errors.js';
import { MAGIC, keyId, type Manifest } from '../core/bundle.js';

export function keyPaths(dbDir: string): { priv: string; pub: string } {
  return { priv: join(dbDir, 'keys', 'update.key'), pub: join(dbDir, 'keys', 'update.pub') };
}

/** Makes the key pair unless it exists; returns the public key and whether it was made. */
export async function initKeys(dbDir: string): Promise<{ pub: KeyObject; created: boolean }> {
  const p = keyPaths(dbDir);
  if (await access(p.priv).then(() => true, () => false)) return { pub: createPublicKey(await readFile(p.pub, 'utf8')), created: false };
  await mkdir(dirname(p.priv), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFileAtomic(p.priv, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  await writeFileAtomic(p.pub, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  return { pub: publicKey, created: true };
}

export async function loadPrivateKey(dbDir: string): Promise<KeyObject> {
  const p = keyPaths(dbDir).priv;
  const pem = await readFile(p, 'utf8').catch(() => {
    throw new DiemcauError('config_invalid', `${p}: no update key; run \`diemcau-provision keys --db ${dbDir}\``);
  });
  return createPrivateKey(pem);
}

function tarGz(dir: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Sorted names and fixed owner/mtime: the same tree gives the same payload bytes.
    const tar = spawn('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', out, '-C', dir, '.'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    tar.stderr!.on('data', (d) => (err += d));
    tar.on('error', reject);
    tar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar: exit ${code}: ${err.trim()}`))));
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

export interface BundleOptions {
  dir: string;
  version: string;
  out: string;
  key: KeyObject;
  expiresAt: Date;
  entry?: string;
}

export async function makeBundle(o: BundleOptions): Promise<Manifest> {
  if (!(await stat(o.dir).then((s) => s.isDirectory(), () => false))) throw new BadRequestError(`bundle: ${o.dir} is not a directory`);
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(o.version)) throw new BadRequestError(`bundle: version ${o.version} is not x.y.z`);
  const work = await mkdtemp(join(tmpdir(), 'diemcau-bundle-'));
  try {
    const payload = join(work, 'payload.tgz');
    await tarGz(o.dir, payload);
    const manifest: Manifest = {
      product: 'diemcau',
      version: o.version,
      createdAt: new Date().toISOString(),
      expiresAt: o.expiresAt.toISOString(),
      keyId: keyId(createPublicKey(o.key)),
      entry: o.entry ?? 'dist/agent/cli.js',
      payload: { sha256: await sha256File(payload), size: (await stat(payload)).size },
    };
    const line = Buffer.from(JSON.stringify(manifest));
    const sig = sign(null, line, o.key).toString('base64');
    const head = Buffer.concat([Buffer.from(`${MAGIC}\n`), line, Buffer.from(`\n${sig}\n`)]);
    await writeFileAtomic(o.out, Buffer.concat([head, await readFile(payload)]), 0o644);
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `30d`, `12h`, or an ISO date. */
export function parseExpiry(s: string, now = new Date()): Date {
  const m = /^(\d+)([dh])$/.exec(s);
  if (m) return new Date(now.getTime() + Number(m[1]) * (m[2] === 'd' ? 86400000 : 3600000));
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new BadRequestError(`--expires ${s}: give 30d, 12h or an ISO date`);
  return new Date(t);
}
