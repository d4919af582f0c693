// The technician page's HTTP server (node:http): the page itself (page.ts: no secret in it), the login, and a small
// JSON API the page calls. Listens on the hall LAN's address only and drops every connection from a peer that is
// not on that LAN or is the broker (lan.ts), before reading a byte of it. Every API call but the login needs the
// session cookie; every post also the CSRF token, as JSON from the page's own origin (gate.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiemcauError, errorToWire } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Gate, sessionCookie, type Session } from './gate.js';
import { peerRefusal, type LanSide } from './lan.js';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page.js';

/** What the page's API does; technician.ts implements it on the running agent. */
export interface PageApi {
  status(): Promise<unknown>;
  level(): unknown;
  camera(by: string): Promise<{ jpeg: string }>;
  tv(): Promise<{ jpeg: string }>;
  selftest(): Promise<unknown>;
  ledTest(): Promise<unknown>;
  relay(name: string, on: boolean): Promise<unknown>;
  displayInput(): Promise<unknown>;
  claim(code: string): Promise<unknown>;
  done(name: string, notes: string | undefined, address: string): Promise<unknown>;
}

const MAX_BODY = 4096;
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const HTTP_STATUS: Record<string, number> = { bad_request: 400, unknown_command: 404, busy: 409, device_refused: 409, device_timeout: 504, disconnected: 503, config_invalid: 400 };

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class PageServer {
  private server: Server | null = null;
  private readonly refusedPeers = new Set<string>();

  constructor(
    private readonly api: PageApi,
    readonly gate: Gate,
    private readonly lan: LanSide,
    private readonly port: number,
    /** The broker's addresses now (the page never answers them). */
    private readonly brokers: () => readonly string[],
    private readonly log: Logger,
  ) {}

  get url(): string {
    const port = (this.server?.address() as AddressInfo | null)?.port ?? this.port;
    return `http://${this.lan.address}:${port}/`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      const why = peerRefusal(socket.remoteAddress, this.lan, this.brokers());
      if (!why) return;
      // Logged once per address: a scan must not fill the journal.
      if (!this.refusedPeers.has(socket.remoteAddress ?? '?') && this.refusedPeers.size < 256) {
        this.refusedPeers.add(socket.remoteAddress ?? '?');
        this.log.warn('technician page: connection refused', { peer: socket.remoteAddress, why });
      }
      socket.destroy();
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.lan.address, port: this.port, exclusive: true }, () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.gate.clear();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = req.socket.remoteAddress ?? '?';
    const path = (req.url ?? '/').split('?')[0];
    try {
      // Only requests for this address: a page elsewhere that rebinds its own name to the box's address gets nothing.
      if (req.headers.host !== new URL(this.url).host) throw new HttpError(421, `this page answers for ${new URL(this.url).host} only`);
      if (req.method === 'GET' && (path === '/' || path === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      if (req.method === 'GET' && path === '/page.js') return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
      if (req.method === 'GET' && path === '/page.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
      if (req.method === 'POST' && path === '/api/login') return await this.login(req, res, address);
      if (!path.startsWith('/api/')) throw new HttpError(404, `no page at ${path}`);
      const s = this.gate.session(req.headers, address);
      if (!s) throw new HttpError(401, 'log in with the password on the box label');
      if (req.method === 'GET') return await this.get(path, s, res, address);
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not used here`);
      const refusal = this.gate.postRefusal(s, req.headers);
      if (refusal) throw new HttpError(403, refusal);
      return await this.post(path, await body(req), s, res, address);
    } catch (err) {
      if (err instanceof HttpError) return json(res, err.status, { error: { code: 'http', message: err.message } });
      const w = errorToWire(err);
      if (!(err instanceof DiemcauError)) this.log.error('technician page: failed', { path, err });
      return json(res, HTTP_STATUS[w.code] ?? 500, { error: w });
    }
  }

  private async login(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    // JSON only: a form on another site cannot post JSON without the browser asking this server first (CORS).
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'the login is JSON');
    const b = await body(req);
    if (typeof b.password !== 'string' || b.password.length > 256) throw new HttpError(400, 'send {"password": "…"}');
    const r = this.gate.login(address, b.password);
    if (r.ok) {
      res.setHeader('set-cookie', sessionCookie(r.session.id, 1800));
      return json(res, 200, { csrf: r.session.csrf });
    }
    const message =
      r.code === 'locked' ? `Too many wrong passwords from this phone: wait ${r.retryS} s.`
      : r.code === 'wrong' ? `Wrong password (${r.triesLeft} more tries before a pause). It is on the label under the box.`
      : 'This box has no label password in its config: the page cannot open.';
    return json(res, r.code === 'locked' ? 429 : 401, { error: { code: r.code, message } });
  }

  private async get(path: string, s: Session, res: ServerResponse, address: string): Promise<void> {
    const a = this.api;
    // The token is read by the page's own script (no other origin can read this answer): a reload keeps working.
    if (path === '/api/session') return json(res, 200, { csrf: s.csrf });
    if (path === '/api/status') return json(res, 200, await a.status());
    if (path === '/api/level') return json(res, 200, a.level());
    if (path === '/api/camera.jpg') return jpeg(res, await a.camera(`technician page (${address})`));
    if (path === '/api/tv.jpg') return jpeg(res, await a.tv());
    throw new HttpError(404, `no ${path}`);
  }

  private async post(path: string, b: Record<string, unknown>, s: Session, res: ServerResponse, address: string): Promise<void> {
    const a = this.api;
    const str = (k: string, max: number): string => {
      const v = b[k];
      if (typeof v !== 'string' || v.trim().length === 0 || v.length > max) throw new HttpError(400, `${k}: a text of 1 to ${max} characters`);
      return v.trim();
    };
    if (path === '/api/logout') {
      this.gate.logout(s);
      res.setHeader('set-cookie', sessionCookie('', 0));
      return json(res, 200, { ok: true });
    }
    if (path === '/api/selftest') return json(res, 200, await a.selftest());
    if (path === '/api/led-test') return json(res, 200, await a.ledTest());
    if (path === '/api/display-input') return json(res, 200, await a.displayInput());
    if (path === '/api/relay') {
      if (typeof b.on !== 'boolean') throw new HttpError(400, 'on: true or false');
      return json(res, 200, await a.relay(str('name', 64), b.on));
    }
    if (path === '/api/claim') return json(res, 200, await a.claim(str('code', 16)));
    if (path === '/api/done') {
      const notes = typeof b.notes === 'string' && b.notes.trim() ? b.notes.trim().slice(0, 1000) : undefined;
      return json(res, 200, await a.done(str('name', 100), notes, address));
    }
    throw new HttpError(404, `no ${path}`);
  }
}

function send(res: ServerResponse, status: number, type: string, content: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(content) });
  res.end(content);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function jpeg(res: ServerResponse, still: { jpeg: string }): void {
  send(res, 200, 'image/jpeg', Buffer.from(still.jpeg, 'base64'));
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `a post is at most ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // below
  }
  throw new HttpError(400, 'the body is not a JSON object');
}
