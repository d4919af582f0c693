// Operator passwords, hashed with scrypt (node:crypto): `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`. The cost is
// in the string, so it can be raised later without breaking older hashes. Async: a login does not stall the
// event loop that serves every other page.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;

function derive(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...o, maxmem: 256 * o.N! * o.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** The one-line reason a password cannot be used, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD) return `password: must be at least ${MIN_PASSWORD} characters`;
  if (password.length > MAX_PASSWORD) return `password: must be at most ${MAX_PASSWORD} characters`;
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `encoded`; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!m || password.length > MAX_PASSWORD) return false;
  const want = Buffer.from(m[5], 'base64');
  const got = await derive(password, Buffer.from(m[4], 'base64'), { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return want.length === got.length && timingSafeEqual(want, got);
}

/** A hash of a random password: logins for unknown names take as long as real ones. */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  return (decoy ??= hashPassword(randomBytes(12).toString('hex')));
}
