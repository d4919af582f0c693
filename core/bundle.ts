// Update bundles: one file that is verified completely before a byte of it is written anywhere.
//
//   line 1   `diemcau-bundle/1`
//   line 2   the manifest, one line of JSON (product, version, createdAt, expiresAt, keyId, payload sha256 + size)
//   line 3   base64 ed25519 signature (RFC 8032) over the exact bytes of line 2
//   rest     the payload: a gzip tar of the agent tree (the slot's content)
//
// The signature covers the manifest and the manifest covers the payload by hash, so a changed byte anywhere is
// caught; the signature is over bytes as sent, so no JSON canonicalisation is needed.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Type, type Static } from './schema/type.js';
import { Value } from './schema/value.js';
import { DiemcauError } from './errors.js';

export const MAGIC = 'diemcau-bundle/1';
const HEADER_MAX = 16 * 1024;

export const Manifest = Type.Object(
  {
    product: Type.Literal('diemcau'),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' }),
    createdAt: Type.String(),
    expiresAt: Type.String(),
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    entry: Type.String({ default: 'dist/agent/cli.js', description: 'File the launcher runs, inside the slot.' }),
    payload: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), size: Type.Integer({ minimum: 1 }) }),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

export type RefusalReason = 'malformed' | 'unsigned' | 'untrusted_key' | 'bad_signature' | 'tampered' | 'expired' | 'not_newer' | 'wrong_product';

/**
 * A bundle that must not be installed. Every refusal answers `bad_request`, one of the documented error codes
 * (docs/mqtt.md), and says why in `details.reason`, which is stable for state, rollout reports and a carrier's tools.
 */
export class BundleRefusedError extends DiemcauError {
  readonly reason: RefusalReason;
  constructor(file: string, reason: RefusalReason, message: string) {
    super('bad_request', `bundle ${file}: refused (${reason}): ${message}`, { reason });
    this.reason = reason;
  }
}

/** Key id: the first 8 bytes of SHA-256 over the raw public key, hex. */
export function keyId(pub: KeyObject): string {
  const raw = pub.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

export function publicKeyFromPem(pem: string): KeyObject {
  const k = createPublicKey(pem);
  if (k.asymmetricKeyType !== 'ed25519') throw new DiemcauError('config_invalid', 'update key: not an ed25519 public key');
  return k;
}

/** -1, 0, 1 by semantic version precedence (a pre-release is below its release). */
export function compareVersions(a: string, b: string): number {
  const [ma, pa = ''] = a.split('-', 2);
  const [mb, pb = ''] = b.split('-', 2);
  const na = ma.split('.').map(Number);
  const nb = mb.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((na[i] ?? 0) !== (nb[i] ?? 0)) return (na[i] ?? 0) < (nb[i] ?? 0) ? -1 : 1;
  if (pa === pb) return 0;
  if (pa === '') return 1;
  if (pb === '') return -1;
  return pa < pb ? -1 : 1;
}

export interface Verified {
  manifest: Manifest;
  /** Byte offset of the payload in the file. */
  offset: number;
}

export interface VerifyOptions {
  trustedKeys: KeyObject[];
  installedVersion: string;
  now?: Date;
}

/** Checks everything about a bundle file; writes nothing. Throws BundleRefusedError with the reason. */
export async function verifyBundle(file: string, o: VerifyOptions): Promise<Verified> {
  const refuse = (r: RefusalReason, m: string) => new BundleRefusedError(file, r, m);
  const fh = await open(file, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(HEADER_MAX);
    const { bytesRead } = await fh.read(buf, 0, HEADER_MAX, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const nl1 = head.indexOf(0x0a);
  const nl2 = nl1 < 0 ? -1 : head.indexOf(0x0a, nl1 + 1);
  const nl3 = nl2 < 0 ? -1 : head.indexOf(0x0a, nl2 + 1);
  if (nl1 < 0 || head.subarray(0, nl1).toString() !== MAGIC) throw refuse('malformed', `does not start with ${MAGIC}`);
  if (nl2 < 0) throw refuse('malformed', 'no manifest line');
  const manifestBytes = head.subarray(nl1 + 1, nl2);
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw refuse('malformed', 'manifest is not JSON');
  }
  manifest = Value.Default(Manifest, manifest);
  if (!Value.Check(Manifest, manifest)) {
    const first = [...Value.Errors(Manifest, manifest)][0];
    if (first?.path === 'product') throw refuse('wrong_product', 'not a diemcau bundle');
    throw refuse('malformed', `manifest ${first?.path}: ${first?.message}`);
  }
  const m = manifest as Manifest;
  const sigLine = nl3 < 0 ? '' : head.subarray(nl2 + 1, nl3).toString().trim();
  if (sigLine === '') throw refuse('unsigned', 'no signature line');
  const key = o.trustedKeys.find((k) => keyId(k) === m.keyId);
  if (!key) throw refuse('untrusted_key', `signed by key ${m.keyId}, which this box does not trust`);
  // Node's base64 decoder skips what is not base64, so `…Bw\xff=` decoded to the same 64 bytes as `…Bw==`: only the
  // canonical text of a signature is one (found by test/core/fuzz-bundle.test.ts: a changed file verified).
  const sig = Buffer.from(sigLine, 'base64');
  if (sig.length !== 64 || sig.toString('base64') !== sigLine || !verify(null, manifestBytes, key, sig)) throw refuse('bad_signature', 'the manifest signature does not verify');
  const now = o.now ?? new Date();
  if (!(Date.parse(m.expiresAt) > now.getTime())) throw refuse('expired', `expired at ${m.expiresAt}`);
  if (compareVersions(m.version, o.installedVersion) <= 0) {
    throw refuse('not_newer', `version ${m.version} is not newer than the installed ${o.installedVersion}`);
  }
  const offset = nl3 + 1;
  const size = (await stat(file)).size - offset;
  if (size !== m.payload.size) throw refuse('tampered', `payload is ${size} bytes, the manifest says ${m.payload.size}`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start: offset })) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== m.payload.sha256) throw refuse('tampered', 'payload hash differs from the signed manifest');
  return { manifest: m, offset };
}
