// Who may use the technician page. The label password (printed on the box) is compared in constant time; each
// address has five tries, then is locked out for 30 s, doubling with every wrong try after that up to 15 min (a
// right password resets it; other addresses are not affected). A login gives a session cookie (HttpOnly,
// SameSite=Strict, bound to the address that logged in, forgotten after 30 min idle or when the page closes) and
// a CSRF token: every post must carry it in a header and come as JSON from the page's own origin, which a page of
// another site can neither read nor send. Nothing secret is logged: addresses and counts only.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '../../core/log.js';

export const COOKIE = 'diemcau_tech';
const TRIES = 5;
const FIRST_LOCK_S = 30;
const MAX_LOCK_S = 900;
const IDLE_MS = 30 * 60_000;
const MAX_SESSIONS = 16;
const MAX_ADDRESSES = 1024;

export interface Session {
  id: string;
  csrf: string;
  address: string;
  seen: number;
}

export type LoginOutcome =
  | { ok: true; session: Session }
  | { ok: false; code: 'locked'; retryS: number }
  | { ok: false; code: 'wrong'; triesLeft: number }
  | { ok: false; code: 'no_password' };

interface Tries {
  fails: number;
  lockedUntil: number;
  lockS: number;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class Gate {
  private readonly sessions = new Map<string, Session>();
  private readonly tries = new Map<string, Tries>();

  constructor(
    private readonly password: () => string | undefined,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  login(address: string, given: string): LoginOutcome {
    const t = this.now();
    const rec = this.tries.get(address);
    if (rec && rec.lockedUntil > t) return { ok: false, code: 'locked', retryS: Math.ceil((rec.lockedUntil - t) / 1000) };
    const want = this.password();
    if (want === undefined) return { ok: false, code: 'no_password' };
    if (!timingSafeEqual(digest(given), digest(want))) return this.failed(address, rec, t);
    this.tries.delete(address);
    const session: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), address, seen: t };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(session.id, session);
    this.log.info('technician page: logged in', { address });
    return { ok: true, session };
  }

  private failed(address: string, rec: Tries | undefined, t: number): LoginOutcome {
    const r = rec ?? { fails: 0, lockedUntil: 0, lockS: 0 };
    r.fails++;
    if (r.fails >= TRIES) {
      r.lockS = r.lockS ? Math.min(MAX_LOCK_S, r.lockS * 2) : FIRST_LOCK_S;
      r.lockedUntil = t + r.lockS * 1000;
      r.fails = TRIES - 1; // after a lock, the next wrong try locks again (for twice as long)
      this.log.warn('technician page: wrong password; address locked out', { address, seconds: r.lockS });
    } else this.log.warn('technician page: wrong password', { address, triesLeft: TRIES - r.fails });
    this.tries.delete(address);
    this.tries.set(address, r); // most recent last: the oldest go first when there are too many
    if (this.tries.size > MAX_ADDRESSES) this.tries.delete(this.tries.keys().next().value!);
    return r.lockedUntil > t ? { ok: false, code: 'locked', retryS: r.lockS } : { ok: false, code: 'wrong', triesLeft: TRIES - r.fails };
  }

  /** The session of a request's cookie, from the address that logged in, not idle too long; null otherwise. */
  session(headers: IncomingHttpHeaders, address: string): Session | null {
    const id = cookie(headers.cookie, COOKIE);
    const s = id ? this.sessions.get(id) : undefined;
    if (!s) return null;
    const t = this.now();
    if (s.address !== address || t - s.seen > IDLE_MS) {
      if (t - s.seen > IDLE_MS) this.sessions.delete(s.id);
      return null;
    }
    s.seen = t;
    return s;
  }

  /** Why a post may not act for this session (null: it may): the CSRF token, a JSON body, the page's own origin. */
  postRefusal(s: Session, headers: IncomingHttpHeaders): string | null {
    const token = headers['x-csrf-token'];
    if (typeof token !== 'string' || token.length !== s.csrf.length || !timingSafeEqual(Buffer.from(token), Buffer.from(s.csrf))) {
      return 'the form is stale (no valid CSRF token): reload the page';
    }
    if (!(headers['content-type'] ?? '').startsWith('application/json')) return 'posts are JSON';
    const origin = headers.origin;
    if (origin !== undefined && origin !== `http://${headers.host}`) return `posts come from the page itself, not ${origin}`;
    return null;
  }

  logout(s: Session): void {
    this.sessions.delete(s.id);
  }

  /** The page closed: every session ends. */
  clear(): void {
    this.sessions.clear();
  }
}

/** The Set-Cookie value of a session (or of its end, with `maxAgeS` 0). */
export function sessionCookie(id: string, maxAgeS: number): string {
  return `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}`;
}

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}
