// The API's routes and the one place requests are checked before a handler runs: a session (but for login), the
// CSRF header on every non-GET request, viewers reading only; and after it: the audit line of every action and of
// every refusal, then the answer. Errors become a status and `{error: {code, message}}`, the message naming the
// thing at fault.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DiemcauError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Access, Forbidden } from '../auth/access.js';
import { COOKIE, csrfMatches, readCookie, type Session, type Sessions } from '../auth/sessions.js';
import type { Operators } from '../store/operators.js';
import type { Audit, Outcome } from '../store/audit.js';
import { Conflict, NotFound } from '../errors.js';
import { readBody, Reply, type Ctx } from './context.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Route {
  method: Method;
  path: string;
  /** The audit log's name for this action; GET routes leave it out (their refusals are audited as `read`). */
  action?: string;
  /** Needs no session (login). */
  open?: boolean;
  /** A viewer may do it (logout). */
  viewer?: boolean;
  handler(c: Ctx): unknown;
}

interface Compiled extends Route {
  re: RegExp;
  keys: string[];
}

export interface RouterDeps {
  sessions: Sessions;
  operators: Operators;
  audit: Audit;
  log: Logger;
}

function compile(r: Route): Compiled {
  const keys: string[] = [];
  const src = r.path
    .split(/(:[a-z]+)/)
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(part.slice(1));
      return part === ':id' ? '(\\d+)' : '([^/]+)';
    })
    .join('');
  return { ...r, re: new RegExp(`^${src}$`), keys };
}

function statusOf(err: unknown): [number, string] {
  if (err instanceof Forbidden) return [403, 'forbidden'];
  if (err instanceof NotFound) return [404, 'not_found'];
  if (err instanceof Conflict) return [409, 'conflict'];
  if (err instanceof DiemcauError && (err.code === 'bad_request' || err.code === 'config_invalid')) return [400, 'bad_request'];
  return [500, 'internal'];
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export class Router {
  private readonly routes: Compiled[];

  constructor(
    routes: Route[],
    private readonly deps: RouterDeps,
  ) {
    this.routes = routes.map(compile);
  }

  /** True when it handled the request (an /api/ path). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, address: string): Promise<void> {
    const path = url.pathname;
    let params: Record<string, string> = {};
    const matching = this.routes.filter((r) => r.re.test(path));
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      if (matching.length) return send(res, 405, { error: { code: 'method_not_allowed', message: `${req.method} ${path}: use ${matching.map((r) => r.method).join(' or ')}` } }, { allow: matching.map((r) => r.method).join(', ') });
      return send(res, 404, { error: { code: 'not_found', message: `${path}: no such API path` } });
    }
    const m = route.re.exec(path)!;
    route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    const action = route.action ?? 'read';
    let session: Session | null = null;
    let access: Access | null = null;
    let bodyPromise: Promise<Record<string, unknown>> | null = null;
    const ctx: Ctx = {
      req,
      res,
      url,
      params,
      address,
      session: null,
      access: null as unknown as Access,
      body: () => (bodyPromise ??= readBody(req)),
      audit: {},
    };
    const write = (outcome: Outcome, detail?: string) =>
      this.deps.audit.write({ operator: ctx.audit.operator ?? access?.username ?? null, action, scope: ctx.audit.scope, outcome, detail: detail ?? ctx.audit.detail });
    try {
      if (!route.open) {
        session = this.deps.sessions.find(readCookie(req.headers.cookie, COOKIE));
        const op = session ? this.deps.operators.get(session.username) : null;
        if (!session || !op) return send(res, 401, { error: { code: 'unauthenticated', message: 'not logged in (POST /api/login)' } });
        access = new Access({ username: op.username, role: op.role, groups: op.groups });
        ctx.session = session;
        ctx.access = access;
        if (req.method !== 'GET' && !csrfMatches(session, header(req, 'x-csrf-token'))) {
          throw new Forbidden(`${req.method} ${path}: missing or wrong X-CSRF-Token header`);
        }
        if (req.method !== 'GET' && !route.viewer) access.mustAct(`${req.method} ${path}`);
      }
      const out = await route.handler(ctx);
      if (route.action) write(ctx.audit.outcome ?? 'ok');
      if (out instanceof Reply) return send(res, out.status, out.body, out.headers);
      send(res, 200, out ?? { ok: true });
    } catch (err) {
      const [status, code] = statusOf(err);
      const message = (err as Error).message;
      if (status === 403) write('refused', message);
      else if (route.action && status !== 500) write('failed', message);
      if (status === 500) {
        this.deps.log.error('api: request failed', { method: req.method, path, err });
        if (route.action) write('failed', 'internal error');
      }
      send(res, status, { error: { code, message: status === 500 ? 'internal error (see the server log)' : message } });
    }
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
