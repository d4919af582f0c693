// Janus VideoRoom over Janus's HTTP transport with long polling (Janus docs: "RESTful, HTTP long poll" and
// "VideoRoom plugin", Janus 1.x API). One Janus session per Signalling; one plugin handle for the publisher and one
// per subscription. Requests that Janus answers asynchronously (`ack`) resolve on the event with the same
// transaction. Non-trickle: our SDPs carry every candidate, so no `trickle` requests are needed.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { DeviceRefusedError, DeviceTimeoutError, DisconnectedError, ProtocolError } from '../../../core/errors.js';
import type { FeedSelector, JoinOptions, Negotiator, Signalling, SubscribeOptions } from './types.js';
import { http } from './http.js';

const PLUGIN = 'janus.plugin.videoroom';
const REQUEST_TIMEOUT_MS = 5000;
/** Janus answers a long poll with a keepalive after 30 s; give it a little more. */
const POLL_TIMEOUT_MS = 35000;

type Json = Record<string, any>;

/**
 * A field of the bridge's answer as it goes into a message: text (at most 200 characters) or a number, else
 * `fallback`. A reply is outside input: `reason: [[[…]]]` 5,000 deep overflowed the stack when put into a template
 * string (found by test/agent/fuzz-janus.test.ts).
 */
function said(v: unknown, fallback: string): string {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 200)}…` : v;
  return typeof v === 'number' ? String(v) : fallback;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Waiter {
  resolve(ev: Json): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class JanusSignalling extends EventEmitter implements Signalling {
  readonly kind = 'janus' as const;
  private session: number | null = null;
  private publisher: number | null = null;
  /** The subscription's handle (one at a time: a new one replaces it). */
  private subscriber: number | null = null;
  private waiters = new Map<string, Waiter>();
  private polling = false;
  private closed = false;
  private pollAbort: AbortController | null = null;
  private pollFailures = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly opts: JoinOptions) {
    super();
  }

  private get base(): string {
    return this.opts.bridge.replace(/\/+$/, '');
  }

  private async post(path: string, body: Json, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Json> {
    const msg: Json = { ...body, transaction: body.transaction ?? randomBytes(6).toString('hex') };
    if (this.opts.token) msg.token = this.opts.token;
    let res;
    try {
      res = await http('POST', this.base + path, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(msg), timeoutMs });
    } catch (err) {
      // The long poll is likely stuck on the same broken path: start it again on a fresh connection.
      this.pollAbort?.abort();
      throw new DisconnectedError(`janus ${this.base}: ${body.janus} request failed: ${(err as Error).message}`);
    }
    const text = res.text;
    let reply: Json;
    try {
      reply = JSON.parse(text);
    } catch {
      throw new ProtocolError(`janus ${this.base}: ${body.janus}: reply is not JSON (HTTP ${res.status}): ${text.slice(0, 80)}`);
    }
    if (!isObject(reply)) throw new ProtocolError(`janus ${this.base}: ${body.janus}: reply is not a JSON object (HTTP ${res.status})`);
    if (reply.janus === 'error') {
      if (reply.error?.code === 458) this.gone();
      throw new DeviceRefusedError(`janus ${this.base}: ${body.janus}: ${said(reply.error?.reason, 'error')}`, `janus:${said(reply.error?.code, '?')}`);
    }
    return reply;
  }

  /** A plugin message; resolves with the plugin's data (and jsep) whether Janus answers at once or later. */
  private async message(handle: number, body: Json, jsep?: Json): Promise<{ data: Json; jsep?: Json }> {
    const transaction = randomBytes(6).toString('hex');
    const pending = new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(transaction);
        reject(new DeviceTimeoutError(`janus ${this.base}: no answer to videoroom ${body.request} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.waiters.set(transaction, { resolve, reject, timer });
    });
    // Handled from the start: close() (a leave right behind a join) rejects it while the POST below is still under
    // way, before anything awaits it, and an unhandled rejection ends the worker. Awaited below, it still throws.
    pending.catch(() => {});
    let reply: Json;
    try {
      reply = await this.post(`/${this.session}/${handle}`, { janus: 'message', body, jsep, transaction });
    } catch (err) {
      const w = this.waiters.get(transaction);
      if (w) clearTimeout(w.timer);
      this.waiters.delete(transaction);
      throw err;
    }
    let ev: Json = reply;
    if (reply.janus === 'ack') ev = await pending;
    else {
      const w = this.waiters.get(transaction);
      if (w) clearTimeout(w.timer);
      this.waiters.delete(transaction);
    }
    const data = ev.plugindata?.data ?? {};
    if (data.error) throw new DeviceRefusedError(`janus ${this.base}: videoroom ${body.request}: ${said(data.error, 'error')}`, `videoroom:${said(data.error_code, '?')}`);
    return { data, jsep: ev.jsep };
  }

  async connect(): Promise<void> {
    const r = await this.post('', { janus: 'create' });
    const id = r.data?.id;
    if (typeof id !== 'number') throw new ProtocolError(`janus ${this.base}: create: no session id`);
    this.session = id;
    if (this.closed) {
      // Closed while the session was being created (a leave during a join): close() could not destroy it.
      await this.post(`/${this.session}`, { janus: 'destroy' }).catch(() => {});
      throw new DisconnectedError(`janus ${this.base}: closed while connecting`);
    }
    this.polling = true;
    void this.poll();
  }

  private async attach(): Promise<number> {
    const r = await this.post(`/${this.session}`, { janus: 'attach', plugin: PLUGIN });
    const id = r.data?.id;
    if (typeof id !== 'number') throw new ProtocolError(`janus ${this.base}: attach: no handle id`);
    return id;
  }

  private async poll(): Promise<void> {
    while (this.polling && !this.closed) {
      this.pollAbort = new AbortController();
      try {
        const res = await http('GET', `${this.base}/${this.session}?maxev=10&rid=${Date.now()}`, { timeoutMs: POLL_TIMEOUT_MS, signal: this.pollAbort.signal });
        // Janus's HTTP transport answers a long poll on a session it does not know with 404 and no body (a Janus
        // restarted, or the session timed out).
        if (res.status === 404) return this.gone();
        const body = JSON.parse(res.text);
        this.pollFailures = 0;
        for (const ev of Array.isArray(body) ? body : [body]) this.dispatch(ev);
      } catch (err) {
        if (!this.polling || this.closed) break;
        this.pollFailures++;
        // A link that is down fails each poll at once; back off (1 s at most, so a returning link is seen soon).
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(1000, 100 * 2 ** this.pollFailures));
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wake = null;
      }
    }
  }

  private dispatch(ev: unknown): void {
    if (!isObject(ev)) return; // not an event: nothing to act on
    if (ev.janus === 'error' && ev.error?.code === 458) return this.gone();
    const w = ev.transaction ? this.waiters.get(ev.transaction) : undefined;
    if (w && ev.janus !== 'ack') {
      clearTimeout(w.timer);
      this.waiters.delete(ev.transaction);
      w.resolve(ev);
      return;
    }
    if (ev.janus === 'hangup') {
      // A handle we have already replaced (a renewed subscription) says nothing about the current ones.
      const who = ev.sender === this.publisher ? 'publisher' : ev.sender === this.subscriber ? 'subscriber' : null;
      if (who) this.emit('hangup', `${who}: ${said(ev.reason, 'no reason given')}`);
    }
    else if (ev.janus === 'media') this.emit('media', { publisher: ev.sender === this.publisher, type: ev.type, receiving: ev.receiving });
    else if (ev.janus === 'webrtcup') this.emit('webrtcup', ev.sender === this.publisher);
  }

  /** 458, no such session: it timed out in Janus while the link was down, or Janus restarted. Said once. */
  private gone(): void {
    if (this.closed || !this.polling) return;
    this.polling = false;
    this.emit('lost', new DisconnectedError(`janus ${this.base}: session ${this.session} is gone`));
  }

  residue(): string[] {
    return this.session === null || this.closed ? [] : [`${this.base}/${this.session}`];
  }

  async ping(timeoutMs: number): Promise<void> {
    await this.post(`/${this.session}`, { janus: 'keepalive' }, timeoutMs);
    if (this.pollFailures > 0) {
      // The path is back: restart the long poll now on a fresh connection instead of after its backoff.
      this.pollAbort?.abort();
      this.wake?.();
    }
  }

  async publish(pc: Negotiator): Promise<void> {
    this.publisher = await this.attach();
    await this.message(this.publisher, {
      request: 'join',
      ptype: 'publisher',
      room: Number(this.opts.room),
      display: this.opts.display ?? 'hall',
    });
    const offer = await pc.createOffer();
    const { jsep } = await this.message(this.publisher, { request: 'publish' }, { type: 'offer', sdp: offer });
    if (!jsep?.sdp) throw new ProtocolError(`janus ${this.base}: publish: no SDP answer`);
    await pc.acceptAnswer(jsep.sdp);
  }

  async republish(pc: Negotiator, opts: { iceRestart: boolean }): Promise<void> {
    if (this.publisher === null) throw new DisconnectedError(`janus ${this.base}: republish before publish`);
    const offer = await pc.createOffer({ iceRestart: opts.iceRestart });
    const { jsep } = await this.message(this.publisher, { request: 'configure' }, { type: 'offer', sdp: offer });
    if (!jsep?.sdp) throw new ProtocolError(`janus ${this.base}: configure: no SDP answer`);
    await pc.acceptAnswer(jsep.sdp);
  }

  /** Feed id of a publisher in the room, waiting up to `timeoutMs` for it to appear. */
  async findFeed(handle: number, sel: FeedSelector, timeoutMs = 15000): Promise<number> {
    if ('feed' in sel) return Number(sel.feed);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { data } = await this.message(handle, { request: 'listparticipants', room: Number(this.opts.room) });
      const p = (data.participants ?? []).find((x: Json) => x.display === sel.display && x.publisher);
      if (p) return p.id as number;
      if (Date.now() > deadline) throw new DeviceTimeoutError(`janus ${this.base}: no publisher "${sel.display}" in room ${this.opts.room}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async subscribe(pc: Negotiator, sel: FeedSelector, opts: SubscribeOptions = {}): Promise<void> {
    // The subscription this one replaces is given back, or Janus keeps it (feeding a closed PeerConnection, were its
    // publisher still there) until the session ends. Not waited for: a broken path must not hold up the new one.
    const old = this.subscriber;
    this.subscriber = null;
    if (old !== null) void this.post(`/${this.session}/${old}`, { janus: 'detach' }).catch(() => {});
    const handle = await this.attach();
    this.subscriber = handle;
    const feed = await this.findFeed(handle, sel);
    const { jsep } = await this.message(handle, { request: 'join', ptype: 'subscriber', room: Number(this.opts.room), streams: [{ feed }] });
    if (!jsep?.sdp) throw new ProtocolError(`janus ${this.base}: subscribe to feed ${feed}: no SDP offer`);
    const answer = await pc.answerOffer(jsep.sdp);
    await this.message(handle, { request: 'start' }, { type: 'answer', sdp: answer });
    if (opts.maxDelayMs !== undefined) {
      const mids = [...jsep.sdp.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
      await this.message(handle, { request: 'configure', streams: mids.map((mid) => ({ mid, min_delay: 0, max_delay: opts.maxDelayMs })) });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.polling = false;
    this.pollAbort?.abort();
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(new DisconnectedError(`janus ${this.base}: session closed`));
    }
    this.waiters.clear();
    if (this.session !== null) await this.post(`/${this.session}`, { janus: 'destroy' }).catch(() => {});
  }
}
