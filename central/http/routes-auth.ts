// Login, logout, who am I. A login answers the same "wrong username or password" whether the name exists or not
// (an unknown name is checked against a decoy hash, so it takes as long), and is throttled per username and address.
import { BadRequestError } from '../../core/errors.js';
import { decoyHash, verifyPassword } from '../auth/passwords.js';
import { clearedCookie, sessionCookie } from '../auth/sessions.js';
import type { Central } from '../app.js';
import { Reply } from './context.js';
import { header, type Route } from './router.js';

export function authRoutes(app: Central): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/login',
      action: 'login',
      open: true,
      async handler(c) {
        const b = await c.body();
        if (typeof b.username !== 'string' || b.username.length === 0 || b.username.length > 64) throw new BadRequestError('username: must be a string of 1 to 64 characters');
        if (typeof b.password !== 'string' || b.password.length > 1024) throw new BadRequestError('password: must be a string of at most 1024 characters');
        const username = b.username;
        c.audit.operator = username;
        const wait = app.limiter.retryAfterS(username, c.address);
        if (wait > 0) {
          c.audit.outcome = 'refused';
          c.audit.detail = `too many failed logins from ${c.address}; retry in ${wait} s`;
          return new Reply(429, { error: { code: 'rate_limited', message: `too many failed logins: try again in ${wait} s` } }, { 'retry-after': String(wait) });
        }
        const op = app.operators.get(username);
        const ok = await verifyPassword(b.password, op?.hash ?? (await decoyHash()));
        if (!op || !ok) {
          app.limiter.failed(username, c.address);
          c.audit.outcome = 'failed';
          c.audit.detail = `wrong username or password (from ${c.address})`;
          return new Reply(401, { error: { code: 'unauthenticated', message: 'wrong username or password' } });
        }
        app.limiter.succeeded(username, c.address);
        const { token, session } = app.sessions.create(username, c.address);
        c.audit.detail = `from ${c.address}`;
        return new Reply(200, { operator: { username: op.username, role: op.role, groups: op.groups }, csrf: session.csrf }, { 'set-cookie': sessionCookie(token, header(c.req, 'x-forwarded-proto') === 'https') });
      },
    },
    {
      method: 'POST',
      path: '/api/logout',
      action: 'logout',
      viewer: true,
      handler(c) {
        app.sessions.end(c.session!.id);
        return new Reply(200, { ok: true }, { 'set-cookie': clearedCookie() });
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      handler: (c) => ({ operator: { ...c.access.operator }, csrf: c.session!.csrf }),
    },
  ];
}
