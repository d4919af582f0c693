// The live feed, `GET /api/live` (WebSocket, same session cookie): first a snapshot of everything the operator may
// see, then at most one diff every 100 ms per page, only when something changed, holding every change since the
// last one (a hall that changed five times is sent once, as it is now). Each page is filtered by its operator's
// access: a provincial page receives only its halls, its groups, its part of the floor queue and of the incidents,
// and the progress of operations whose every hall it may see. A page that connects (a reload, or its feed dropped and
// came back) finds in its snapshot the newest operation of each kind it may follow, as it stands: progress is only
// sent when it changes, and a sweep that ended while the page was away would otherwise stay "pending" on it for good.
// Page → server: nothing but pings.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { Access } from '../auth/access.js';
import { COOKIE, readCookie } from '../auth/sessions.js';
import type { LiveSink, ProgressKind } from '../ops/live-sink.js';
import type { Central } from '../app.js';

export const DIFF_EVERY_MS = 100;
/** A page that has not taken this much yet gets no more until it does (its changes wait, merged). */
const MAX_BUFFERED = 8 * 1024 * 1024;
const PING_MS = 30_000;
/** Operations of each kind whose latest progress is kept for pages yet to connect (each holds its halls' set). */
const KEEP_PER_KIND = 4;
const KINDS: readonly ProgressKind[] = ['command', 'rollcall', 'readiness'];

interface Client {
  ws: WebSocket;
  access: Access;
  seq: number;
  halls: Set<string>;
  groups: Set<string>;
  floor: boolean;
  incidents: boolean;
  meeting: boolean;
  carriers: boolean;
  progress: Set<string>;
  /** Whether an operation's progress may go to this page, decided once per operation. */
  mayFollow: Map<string, boolean>;
  /** Halls sent to a limited page, to tell it when one leaves its groups. */
  sent: Set<string> | null;
  alive: boolean;
}

export class LiveHub implements LiveSink {
  private readonly clients = new Set<Client>();
  private readonly latest = new Map<string, { kind: ProgressKind; id: number; body: Record<string, unknown>; boxes: ReadonlySet<string> }>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private tickTimer: NodeJS.Timeout | null = null;
  /** Every row joined, as UTF-8, for unlimited pages: 20 pages opening at once share one buffer (4 MB at 10,400). */
  private allRows: { version: number; bytes: Buffer } | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(private readonly app: Central) {}

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.tickTimer = setInterval(() => this.tick(), DIFF_EVERY_MS);
    this.pingTimer = setInterval(() => {
      for (const c of this.clients) {
        if (!c.alive) c.ws.terminate();
        c.alive = false;
        c.ws.ping();
      }
    }, PING_MS);
    this.app.fleet.on('carriers', () => this.each((c) => (c.carriers = true)));
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.wss.close();
  }

  get pages(): number {
    return this.clients.size;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://console');
    if (url.pathname !== '/api/live') return refuse('404 Not Found');
    // A page of another site cannot open our feed with the operator's cookie.
    const origin = req.headers.origin;
    if (origin && new URL(origin).host !== req.headers.host) return refuse('403 Forbidden');
    const session = this.app.sessions.find(readCookie(req.headers.cookie, COOKIE));
    const op = session ? this.app.operators.get(session.username) : null;
    if (!op) return refuse('401 Unauthorized');
    const access = new Access({ username: op.username, role: op.role, groups: op.groups });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, access));
  }

  private open(ws: WebSocket, access: Access): void {
    const c: Client = {
      ws,
      access,
      seq: 0,
      halls: new Set(),
      groups: new Set(),
      floor: false,
      incidents: false,
      meeting: false,
      carriers: false,
      progress: new Set(),
      mayFollow: new Map(),
      sent: access.limited ? new Set() : null,
      alive: true,
    };
    this.clients.add(c);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', () => (c.alive = true)); // pings from the page; nothing else is read
    ws.on('close', () => this.clients.delete(c));
    ws.on('error', () => this.clients.delete(c));
    this.sendSnapshot(c);
  }

  private visible(c: Client): (box: string) => boolean {
    return (box) => c.access.seesHall(this.app.picture.get(box)?.groups);
  }

  /**
   * The snapshot, one text message sent in three fragments: the head, every row (for an unlimited page the buffer
   * shared by all such pages, not a copy each), the rest.
   */
  private sendSnapshot(c: Client): void {
    const { picture } = this.app;
    let halls: Buffer;
    if (!c.access.limited) {
      if (this.allRows?.version !== picture.version) {
        this.allRows = { version: picture.version, bytes: Buffer.from(picture.list().map((h) => h.rowJson).join(','), 'utf8') };
      }
      halls = this.allRows.bytes;
    } else {
      const rows: string[] = [];
      for (const h of picture.list()) {
        if (!c.access.seesHall(h.groups)) continue;
        rows.push(h.rowJson);
        c.sent?.add(h.box);
      }
      halls = Buffer.from(rows.join(','), 'utf8');
    }
    const groups = picture.groups().filter((g) => c.access.seesGroup(g)).map((g) => picture.groupRow(g));
    const rest = {
      groups,
      floor: { queue: this.app.floor.list(this.visible(c)) },
      incidents: this.app.incidents.list(this.visible(c)),
      meeting: this.app.meetings.current(),
      carriers: this.app.fleet.status(),
      ...this.newestProgress(c),
    };
    c.ws.send(`{"t":"snapshot","seq":${++c.seq},"halls":[`, { fin: false });
    c.ws.send(halls, { binary: false, fin: false });
    c.ws.send(`],${JSON.stringify(rest).slice(1)}`, { fin: true });
  }

  private each(fn: (c: Client) => void): void {
    for (const c of this.clients) fn(c);
  }

  private mayFollow(c: Client, key: string, boxes: ReadonlySet<string>): boolean {
    let may = c.mayFollow.get(key);
    if (may === undefined) {
      may = !c.access.limited || [...boxes].every(this.visible(c));
      c.mayFollow.set(key, may);
    }
    return may;
  }

  /** For a snapshot: per kind, the latest progress of the newest operation this page may follow. */
  private newestProgress(c: Client): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const kind of KINDS) {
      let best: { id: number; body: Record<string, unknown> } | null = null;
      for (const [key, p] of this.latest) {
        if (p.kind === kind && (!best || p.id > best.id) && this.mayFollow(c, key, p.boxes)) best = p;
      }
      if (best) out[kind] = best.body;
    }
    return out;
  }

  progress(kind: ProgressKind, id: number, body: Record<string, unknown>, boxes: ReadonlySet<string>): void {
    const key = `${kind}:${id}`;
    this.latest.set(key, { kind, id, body, boxes });
    for (const c of this.clients) if (this.mayFollow(c, key, boxes)) c.progress.add(key);
  }

  floorChanged(): void {
    this.each((c) => (c.floor = true));
  }

  incidentsChanged(): void {
    this.each((c) => (c.incidents = true));
  }

  meetingChanged(): void {
    this.each((c) => (c.meeting = true));
  }

  private tick(): void {
    const { halls, groups } = this.app.picture.drain();
    for (const c of this.clients) {
      for (const b of halls) if (!c.sent || c.sent.has(b) || c.access.seesHall(this.app.picture.get(b)?.groups)) c.halls.add(b);
      for (const g of groups) if (c.access.seesGroup(g)) c.groups.add(g);
      const pending = c.halls.size || c.groups.size || c.floor || c.incidents || c.meeting || c.carriers || c.progress.size;
      if (!pending || c.ws.readyState !== WebSocket.OPEN || c.ws.bufferedAmount > MAX_BUFFERED) continue;
      c.ws.send(this.diff(c));
    }
    // Progress can go once no page still has to receive it and newer operations of its kind are kept.
    for (const kind of KINDS) {
      const keys = [...this.latest].filter(([, p]) => p.kind === kind).sort((a, b) => b[1].id - a[1].id).map(([k]) => k);
      for (const key of keys.slice(KEEP_PER_KIND)) {
        if ([...this.clients].some((c) => c.progress.has(key))) continue;
        this.latest.delete(key);
        for (const c of this.clients) c.mayFollow.delete(key);
      }
    }
  }

  private diff(c: Client): string {
    const { picture } = this.app;
    const rows: string[] = [];
    const gone: string[] = [];
    for (const b of c.halls) {
      const h = picture.get(b);
      if (!h) continue;
      if (c.access.seesHall(h.groups)) {
        rows.push(h.rowJson);
        c.sent?.add(b);
      } else if (c.sent?.delete(b)) gone.push(b);
    }
    c.halls.clear();
    const out: Record<string, unknown> = { groups: [...c.groups].map((g) => picture.groupRow(g)) };
    c.groups.clear();
    if (gone.length) out.gone = gone;
    if (c.floor) out.floor = { queue: this.app.floor.list(this.visible(c)) };
    if (c.incidents) out.incidents = this.app.incidents.list(this.visible(c));
    if (c.meeting) out.meeting = this.app.meetings.current();
    if (c.carriers) out.carriers = this.app.fleet.status();
    c.floor = c.incidents = c.meeting = c.carriers = false;
    // One of each kind per diff (the spec's shape); any other waits for the next one, 100 ms later.
    for (const key of [...c.progress]) {
      const p = this.latest.get(key);
      c.progress.delete(key);
      if (!p) continue;
      if (out[p.kind] !== undefined) {
        c.progress.add(key);
        continue;
      }
      out[p.kind] = p.body;
    }
    return `{"t":"diff","seq":${++c.seq},"halls":[${rows.join(',')}],${JSON.stringify(out).slice(1)}`;
  }
}
