// WHIP (RFC 9725) for publishing and WHEP (IETF draft-ietf-wish-whep) for receiving: one HTTP POST of an SDP
// offer (Content-Type application/sdp, RFC 9725 §4.2), `201 Created` with the answer and a Location header naming
// the session resource, and DELETE of that resource to end it (§4.3). Bearer token per §4.5. ICE restart is a PATCH
// with an `application/trickle-ice-sdpfrag` body carrying the new ufrag/pwd (§4.4.1, RFC 8840); the server answers
// 200 with its own.
import { EventEmitter } from 'node:events';
import { DeviceRefusedError, DisconnectedError, ProtocolError, BadRequestError } from '../../../core/errors.js';
import type { FeedSelector, JoinOptions, Negotiator, Signalling, SubscribeOptions } from './types.js';
import { http, type HttpReply } from './http.js';

const TIMEOUT_MS = 5000;

function header(res: HttpReply, name: string): string | null {
  const v = res.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

interface Resource {
  url: string;
  etag: string | null;
  answer: string;
}

/** `a=ice-ufrag`/`a=ice-pwd` lines of an SDP (the first of each: bundle puts one set on every m-line). */
export function iceCredentials(sdp: string): { ufrag: string; pwd: string } | null {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1];
  return ufrag && pwd ? { ufrag, pwd } : null;
}

/** The previous answer with the server's new ICE credentials (and candidates, when the fragment has any). */
export function applySdpFrag(answer: string, frag: string): string {
  const cred = iceCredentials(frag);
  if (!cred) throw new ProtocolError('whip: ICE restart reply has no a=ice-ufrag/a=ice-pwd');
  const cands = frag.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  let out = answer.replace(/^a=ice-ufrag:\S+/gm, `a=ice-ufrag:${cred.ufrag}`).replace(/^a=ice-pwd:\S+/gm, `a=ice-pwd:${cred.pwd}`);
  if (cands.length) {
    out = out.replace(/^a=candidate:.*\r?\n/gm, '').replace(/^a=end-of-candidates\r?\n/gm, '');
    // Candidates go after the first m-line's connection line: with bundle one transport carries everything.
    out = out.replace(/^(m=.*\r?\n(?:(?!m=).*\r?\n)*?c=.*\r?\n)/m, `$1${cands.join('\r\n')}\r\n`);
  }
  return out;
}

export class WhipSignalling extends EventEmitter implements Signalling {
  readonly kind = 'whip' as const;
  private resources: Resource[] = [];
  private publisher: Resource | null = null;
  /** The WHEP subscription (one at a time: a new one replaces it). */
  private subscription: Resource | null = null;
  private closed = false;

  constructor(private readonly opts: JoinOptions) {
    super();
  }

  private headers(type: string): Record<string, string> {
    const h: Record<string, string> = { 'content-type': type };
    if (this.opts.token) h.authorization = `Bearer ${this.opts.token}`;
    return h;
  }

  private async send(url: string, init: { method: string; headers: Record<string, string>; body?: string }, what: string): Promise<HttpReply> {
    try {
      return await http(init.method, url, { headers: init.headers, body: init.body, timeoutMs: TIMEOUT_MS });
    } catch (err) {
      throw new DisconnectedError(`whip ${url}: ${what} failed: ${(err as Error).message}`);
    }
  }

  private async offerTo(endpoint: string, pc: Negotiator, what: string): Promise<Resource> {
    const offer = await pc.createOffer();
    if (this.closed) throw new DisconnectedError(`whip ${endpoint}: ${what}: closed`);
    const res = await this.send(endpoint, { method: 'POST', headers: this.headers('application/sdp'), body: offer }, what);
    const body = res.text;
    if (res.status !== 201) throw new DeviceRefusedError(`whip ${endpoint}: ${what}: HTTP ${res.status} ${body.slice(0, 120)}`, `http:${res.status}`);
    const loc = header(res, 'location');
    if (!loc) throw new ProtocolError(`whip ${endpoint}: ${what}: 201 without a Location header`);
    if (this.closed) {
      // Closed while the bridge made the resource (a leave during a join): close() could not delete it.
      await this.send(new URL(loc, endpoint).toString(), { method: 'DELETE', headers: this.headers('application/sdp') }, 'delete').catch(() => {});
      throw new DisconnectedError(`whip ${endpoint}: ${what}: closed`);
    }
    await pc.acceptAnswer(body);
    const r = { url: new URL(loc, endpoint).toString(), etag: header(res, 'etag'), answer: body };
    this.resources.push(r);
    return r;
  }

  async connect(): Promise<void> {
    // WHIP has no session before the first offer.
  }

  residue(): string[] {
    return this.resources.map((r) => r.url);
  }

  async ping(timeoutMs: number): Promise<void> {
    // Any HTTP answer, even 405, proves the path to the endpoint (RFC 9725 servers need not implement OPTIONS).
    await http('OPTIONS', this.publisher?.url ?? this.opts.bridge, { headers: this.headers('application/sdp'), timeoutMs });
  }

  async publish(pc: Negotiator): Promise<void> {
    this.publisher = await this.offerTo(this.opts.bridge, pc, 'publish');
  }

  async republish(pc: Negotiator, opts: { iceRestart: boolean }): Promise<void> {
    const r = this.publisher;
    if (!r) throw new DisconnectedError(`whip ${this.opts.bridge}: republish before publish`);
    if (!opts.iceRestart) {
      // WHIP has no renegotiation (RFC 9725 §4.4 allows only ICE changes): a new resource is the way.
      await this.send(r.url, { method: 'DELETE', headers: this.headers('application/sdp') }, 'delete').catch(() => {});
      this.resources = this.resources.filter((x) => x !== r);
      this.publisher = await this.offerTo(this.opts.bridge, pc, 'republish');
      return;
    }
    const offer = await pc.createOffer({ iceRestart: true });
    const cred = iceCredentials(offer);
    if (!cred) throw new ProtocolError('whip: our ICE restart offer has no credentials');
    const mid = /^a=mid:(\S+)/m.exec(offer)?.[1] ?? '0';
    const frag = `a=ice-ufrag:${cred.ufrag}\r\na=ice-pwd:${cred.pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`;
    const headers = this.headers('application/trickle-ice-sdpfrag');
    headers['if-match'] = '*';
    const res = await this.send(r.url, { method: 'PATCH', headers, body: frag }, 'ICE restart');
    const body = res.text;
    if (res.status !== 200) throw new DeviceRefusedError(`whip ${r.url}: ICE restart: HTTP ${res.status}`, `http:${res.status}`);
    r.answer = applySdpFrag(r.answer, body);
    r.etag = header(res, 'etag') ?? r.etag;
    await pc.acceptAnswer(r.answer);
  }

  async subscribe(pc: Negotiator, feed: FeedSelector, _opts?: SubscribeOptions): Promise<void> {
    const url = 'display' in feed ? feed.display : String(feed.feed);
    if (!/^https?:\/\//.test(url)) throw new BadRequestError(`whep: programme "${url}" is not a WHEP endpoint URL`);
    // The subscription this one replaces is deleted, or the endpoint keeps it until we leave. Not waited for.
    const old = this.subscription;
    this.subscription = null;
    if (old) {
      this.resources = this.resources.filter((x) => x !== old);
      void this.send(old.url, { method: 'DELETE', headers: this.headers('application/sdp') }, 'delete').catch(() => {});
    }
    this.subscription = await this.offerTo(url, pc, 'subscribe');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.resources.splice(0)) {
      await this.send(r.url, { method: 'DELETE', headers: this.headers('application/sdp') }, 'delete').catch(() => {});
    }
    this.publisher = null;
  }
}
