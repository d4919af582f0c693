// A Janus VideoRoom subscriber over Janus's HTTP API (Janus 1.x, "RESTful, HTTP long poll"), negotiated by the
// server on a page's behalf: the bridge's offer goes to the page, the page's answer comes back, the media flows
// between the bridge and the page. The subscriber finds the hall's feed by listing the room's publishers and
// taking the one whose display name is the box id (the console joins a hall addressed alone with display = box id).
// Requests Janus acknowledges (`ack`) resolve when the event with the same transaction arrives on the long poll.
import { randomBytes } from 'node:crypto';

const REQUEST_MS = 5000;
const POLL_MS = 35_000;
const KEEPALIVE_MS = 25_000;

type Json = Record<string, any>;

export class JanusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JanusError';
  }
}

export class JanusSubscriber {
  private session: number | null = null;
  private handle: number | null = null;
  private closed = false;
  private readonly waiting = new Map<string, { resolve(ev: Json): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private keepalive: NodeJS.Timeout | null = null;
  private poller: AbortController | null = null;

  constructor(
    private readonly base: string,
    private readonly token: string | null,
    private readonly room: number,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  private async post(path: string, body: Json): Promise<Json> {
    const msg = { ...body, transaction: body.transaction ?? randomBytes(6).toString('hex'), ...(this.token ? { token: this.token } : {}) };
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(REQUEST_MS),
      });
    } catch (err) {
      throw new JanusError(`bridge ${this.base}: ${body.janus}: ${(err as Error).message}`);
    }
    const reply = (await res.json().catch(() => null)) as Json | null;
    if (!reply) throw new JanusError(`bridge ${this.base}: ${body.janus}: answer is not JSON (HTTP ${res.status})`);
    if (reply.janus === 'error') throw new JanusError(`bridge ${this.base}: ${body.janus}: ${reply.error?.reason ?? 'error'} (${reply.error?.code})`);
    return reply;
  }

  /** A VideoRoom request: its data (and jsep), whether Janus answers in the reply or later on the long poll. */
  private async request(body: Json, jsep?: Json): Promise<{ data: Json; jsep?: Json }> {
    const transaction = randomBytes(6).toString('hex');
    const later = new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(transaction);
        reject(new JanusError(`bridge ${this.base}: no answer to videoroom ${body.request} within ${REQUEST_MS} ms`));
      }, REQUEST_MS);
      this.waiting.set(transaction, { resolve, reject, timer });
    });
    later.catch(() => {});
    const settle = () => {
      const w = this.waiting.get(transaction);
      if (w) clearTimeout(w.timer);
      this.waiting.delete(transaction);
    };
    let reply: Json;
    try {
      reply = await this.post(`/${this.session}/${this.handle}`, { janus: 'message', body, jsep, transaction });
    } catch (err) {
      settle();
      throw err;
    }
    const ev = reply.janus === 'ack' ? await later : (settle(), reply);
    const data = ev.plugindata?.data ?? {};
    if (data.error) throw new JanusError(`bridge ${this.base}: videoroom ${body.request}: ${data.error} (${data.error_code})`);
    return { data, jsep: ev.jsep };
  }

  private async poll(): Promise<void> {
    while (!this.closed) {
      this.poller = new AbortController();
      const timeout = setTimeout(() => this.poller?.abort(), POLL_MS);
      try {
        const res = await fetch(`${this.base}/${this.session}?maxev=10&rid=${Date.now()}`, { signal: this.poller.signal });
        const body = await res.json();
        for (const ev of Array.isArray(body) ? body : [body]) {
          const w = ev.transaction ? this.waiting.get(ev.transaction) : undefined;
          if (w && ev.janus !== 'ack') {
            clearTimeout(w.timer);
            this.waiting.delete(ev.transaction);
            w.resolve(ev);
          }
        }
      } catch {
        if (!this.closed) await new Promise((r) => setTimeout(r, 500));
      } finally {
        clearTimeout(timeout);
      }
    }
  }

  /** Opens a session, finds the publisher named `display` and asks to subscribe: the bridge's SDP offer. */
  async offer(display: string): Promise<string> {
    const created = await this.post('', { janus: 'create' });
    this.session = created.data?.id;
    if (typeof this.session !== 'number') throw new JanusError(`bridge ${this.base}: create: no session id`);
    void this.poll();
    this.keepalive = setInterval(() => void this.post(`/${this.session}`, { janus: 'keepalive' }).catch(() => {}), KEEPALIVE_MS);
    const attached = await this.post(`/${this.session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
    this.handle = attached.data?.id;
    const { data } = await this.request({ request: 'listparticipants', room: this.room });
    const feed = (data.participants ?? []).find((p: Json) => p.display === display && p.publisher);
    if (!feed) throw new JanusError(`bridge ${this.base}: no publisher "${display}" in room ${this.room}`);
    const { jsep } = await this.request({ request: 'join', ptype: 'subscriber', room: this.room, streams: [{ feed: feed.id }] });
    if (!jsep?.sdp) throw new JanusError(`bridge ${this.base}: subscribe to ${display}: no SDP offer`);
    return jsep.sdp as string;
  }

  /** The page's answer: the media starts. */
  async answer(sdp: string): Promise<void> {
    await this.request({ request: 'start' }, { type: 'answer', sdp });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.poller?.abort();
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new JanusError(`bridge ${this.base}: preview closed`));
    }
    this.waiting.clear();
    if (this.session !== null) await this.post(`/${this.session}`, { janus: 'destroy' }).catch(() => {});
  }
}
