// The central console as operators and tests meet it: the real `diemcau-central serve` process with its own config
// and database, operators added with the real CLI, and an HTTP client (fetch, with the session cookie and the CSRF
// header) and a live-feed client (the `ws` package) that keep what the server sent, as a page would.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { stopChild } from '../core/stop-child.js';
import { spawnWithTest } from './die-with-test.js';

export const CENTRAL_CLI = fileURLToPath(new URL('../central/cli.js', import.meta.url));

export interface CentralConfigIn {
  carriers: Array<{ name: string; url: string; nodes?: string[]; username?: string; password?: string }>;
  bridge?: { janus: string | null; token?: string | null; edges?: Array<{ api: string; rtpHost?: string }>; originUplinks?: 'all' | 'watched' };
  incidentAfterS?: number;
  readinessConcurrency?: number;
  rebuildGraceS?: number;
  /** Display names of groups (relative to the config file). */
  groupsFile?: string;
  port?: number;
}

/** Writes `<dir>/central.json` (database `<dir>/central.db`, any free port unless given). */
export async function writeCentralConfig(dir: string, c: CentralConfigIn): Promise<string> {
  const path = join(dir, 'central.json');
  const { port, ...rest } = c;
  await writeFile(path, JSON.stringify({ listen: { host: '127.0.0.1', port: port ?? 0 }, db: 'central.db', ...rest }, null, 2));
  return path;
}

/** Runs the CLI to completion; resolves with its exit code and output. */
export function centralCli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CENTRAL_CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

export async function addOperator(configPath: string, username: string, role: string, password: string, groups: string[] = []): Promise<void> {
  const r = await centralCli(['user', 'add', username, '--role', role, ...(groups.length ? ['--groups', groups.join(',')] : []), '--config', configPath], password + '\n');
  if (r.code !== 0) throw new Error(`diemcau-central user add ${username}: exit ${r.code}: ${r.stderr.trim()}`);
}

export interface CentralProcess {
  proc: ChildProcess;
  url: string;
  lines: Array<Record<string, any>>;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `diemcau-central serve --config FILE`; resolves once it listens (its log says where). `nodeArgs` go to
 * node before the script (the console bench's `--cpu-prof`).
 */
export function startCentral(configPath: string, timeoutMs = 20000, nodeArgs: string[] = []): Promise<CentralProcess> {
  const proc = spawnWithTest(process.execPath, [...nodeArgs, CENTRAL_CLI, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, any>> = [];
  let err = '';
  let buf = '';
  proc.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      void stopChild(proc, 'SIGKILL', 0);
      reject(new Error(`diemcau-central: not listening within ${timeoutMs} ms: ${err.trim()}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`diemcau-central exited (${code}) at start: ${err.trim()}`));
    });
    proc.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let rec: Record<string, any>;
        try {
          rec = JSON.parse(line);
        } catch {
          rec = { raw: line };
        }
        lines.push(rec);
        if (rec.msg === 'diemcau-central listening') {
          clearTimeout(t);
          proc.removeAllListeners('exit');
          resolve({ proc, url: rec.url, lines, stderr: () => err, stop: (signal = 'SIGTERM') => stopChild(proc, signal, 10000) });
        }
      }
    });
  });
}

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One operator's HTTP session against the API. */
export class ConsoleClient {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(readonly url: string) {}

  static async login(url: string, username: string, password: string): Promise<ConsoleClient> {
    const c = new ConsoleClient(url);
    const r = await c.post('/api/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return c;
  }

  async request(method: string, path: string, body?: unknown, opts: { csrf?: string | null } = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const send = () => fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    // A kept-alive connection the server closed as idle just as this request went out fails with "other side closed"
    // (undici reuses it for 4 s, Node's server keeps it 5 s, and on a loaded machine the two clocks drift past that
    // second: stressed run 102). A browser sends an idempotent request again on a new connection then; so does this.
    // The same race may end in a reset instead, when the request reached the socket the server had just closed
    // (ECONNRESET: stressed run 122).
    const res = await send().catch((err: Error & { cause?: { code?: string } }) => {
      if (method === 'GET' && (err.cause?.code === 'UND_ERR_SOCKET' || err.cause?.code === 'ECONNRESET')) return send();
      throw err;
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const v = /^dc_session=([^;]*)/.exec(setCookie)?.[1];
      this.cookie = v ? `dc_session=${v}` : null;
    }
    const text = await res.text();
    let parsed: any = text;
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
    if (path === '/api/login' && res.status === 200) this.csrf = parsed.csrf;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get(path: string): Promise<ApiAnswer> {
    return this.request('GET', path);
  }

  post(path: string, body: unknown = {}, opts: { csrf?: string | null } = {}): Promise<ApiAnswer> {
    return this.request('POST', path, body, opts);
  }

  /** The live feed with this session's cookie. */
  live(): Promise<LiveClient> {
    return LiveClient.open(this.url.replace(/^http/, 'ws') + '/api/live', this.cookie ?? '');
  }
}

/** A page's view of the live feed: the snapshot with every diff applied, and every frame as received. */
export class LiveClient {
  readonly frames: Array<{ at: number; msg: any; bytes: number }> = [];
  readonly halls = new Map<string, any>();
  readonly groups = new Map<string, any>();
  floor: any[] = [];
  incidents: any[] = [];
  progress: Record<string, Map<number, any>> = { command: new Map(), rollcall: new Map(), readiness: new Map() };
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      const msg = JSON.parse(text);
      this.frames.push({ at: Date.now(), msg, bytes: text.length });
      this.apply(msg);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, cookie: string): Promise<LiveClient> {
    const ws = new WebSocket(url, { headers: { cookie } });
    return new Promise((resolve, reject) => {
      const c = new LiveClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`live feed refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private apply(m: any): void {
    if (m.t === 'snapshot') this.halls.clear();
    for (const h of m.halls ?? []) this.halls.set(h.box, h);
    for (const b of m.gone ?? []) this.halls.delete(b);
    for (const g of m.groups ?? []) this.groups.set(g.group, g);
    if (m.floor) this.floor = m.floor.queue;
    if (m.incidents) this.incidents = m.incidents;
    for (const kind of ['command', 'rollcall', 'readiness']) if (m[kind]) this.progress[kind].set(m[kind].id, m[kind]);
  }

  /** Resolves once `pred()` holds (checked after every frame), or rejects naming `what`. */
  until<T>(pred: () => T, what: string, timeoutMs = 10000): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`live feed: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const v = pred();
        if (v) {
          clearTimeout(t);
          resolve(v);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
