// Operator sessions: a random token in an HttpOnly, SameSite=Strict cookie (`dc_session`) and a CSRF token bound to
// the session, which every non-GET request must echo in `X-CSRF-Token`. The database keeps the sha256 of the token,
// so its file (or a backup) opens no session. A session ends after 8 hours idle or 24 hours in all.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/db.js';

export const COOKIE = 'dc_session';
const IDLE_MS = 8 * 3600_000;
const MAX_MS = 24 * 3600_000;
/** seen_at is written at most this often per session. */
const TOUCH_MS = 60_000;

export interface Session {
  id: string;
  username: string;
  csrf: string;
}

interface Row {
  id: string;
  username: string;
  csrf: string;
  created_at: number;
  seen_at: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class Sessions {
  constructor(private readonly db: Db) {}

  /** A new session; returns the cookie value (shown once, never stored) and the session. */
  create(username: string, address: string): { token: string; session: Session } {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = Date.now();
    const id = digest(token);
    this.db.prepare('INSERT INTO sessions (id, username, csrf, address, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, username, csrf, address, now, now);
    return { token, session: { id, username, csrf } };
  }

  /** The live session of a cookie value, or null (unknown, idle too long, too old). */
  find(token: string | undefined): Session | null {
    if (!token || token.length > 128) return null;
    const id = digest(token);
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    const now = Date.now();
    if (now - r.seen_at > IDLE_MS || now - r.created_at > MAX_MS) {
      this.end(id);
      return null;
    }
    if (now - r.seen_at > TOUCH_MS) this.db.prepare('UPDATE sessions SET seen_at = ? WHERE id = ?').run(now, id);
    return { id, username: r.username, csrf: r.csrf };
  }

  end(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  /** Removes expired sessions (called now and then). */
  sweep(): void {
    const now = Date.now();
    this.db.prepare('DELETE FROM sessions WHERE seen_at < ? OR created_at < ?').run(now - IDLE_MS, now - MAX_MS);
  }
}

/** Constant-time comparison of the header against the session's token. */
export function csrfMatches(session: Session, header: string | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cookie header → value of `name`. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** `secure`: the page came over HTTPS (a TLS proxy in front says so in X-Forwarded-Proto): the cookie never goes over plain HTTP. */
export function sessionCookie(token: string, secure = false): string {
  return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${MAX_MS / 1000}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
