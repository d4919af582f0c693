// Mosquitto's password-file format, as `mosquitto_passwd` 2.0 writes it (src/password_mosq.c, pw_sha512_pbkdf2):
//   username:$7$<iterations>$<base64 of 12 random salt bytes>$<base64 of PBKDF2-HMAC-SHA512(password, salt), 64 bytes>
// with 101 iterations, the tool's default. Checked against the real tool in test/provisioning/passwd.test.ts.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export function hashPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = PBKDF2_ITERATIONS): string {
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches a `$7$` hash; false for any other format. */
export function verifyPassword(password: string, encoded: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!m) return false;
  const want = Buffer.from(m[3], 'base64');
  const got = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), Number(m[1]), want.length, 'sha512');
  return want.length === HASH_BYTES && timingSafeEqual(want, got);
}

/** One password-file line; usernames with `:` or line breaks cannot be represented and are refused. */
export function passwdLine(username: string, encoded: string): string {
  if (/[:\r\n]/.test(username) || username === '') throw new Error(`password file: username ${JSON.stringify(username)} cannot be written`);
  return `${username}:${encoded}`;
}

export function renderPasswd(entries: Iterable<{ username: string; hash: string }>): string {
  const lines: string[] = [];
  for (const e of entries) lines.push(passwdLine(e.username, e.hash));
  return lines.join('\n') + '\n';
}
