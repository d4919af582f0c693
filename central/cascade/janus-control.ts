// The VideoRoom's synchronous requests (listparticipants, add_remote_publisher, publish_remotely, ...) over Janus's
// HTTP API, for a server that steers bridges rather than sends media: one Janus session and one plugin handle,
// made on first use and made again when Janus says the session is gone (458: it timed out, or Janus restarted).
// Synchronous requests are answered in the HTTP reply, so no long poll is needed; every request the cascade makes
// (about twice a second) keeps the session alive.
import { randomBytes } from 'node:crypto';

const REQUEST_MS = 3000;

type Json = Record<string, any>;

export class JanusControlError extends Error {
  constructor(
    message: string,
    /** Janus's or the VideoRoom's error code; 0 when the bridge did not answer at all. */
    readonly code: number,
  ) {
    super(message);
    this.name = 'JanusControlError';
  }
}

export class JanusControl {
  private path: string | null = null;
  readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  private async post(path: string, body: Json): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, transaction: randomBytes(6).toString('hex') }),
        signal: AbortSignal.timeout(REQUEST_MS),
      });
    } catch (err) {
      throw new JanusControlError(`bridge ${this.base}: ${body.janus}: ${(err as Error).message}`, 0);
    }
    const reply = (await res.json().catch(() => null)) as Json | null;
    if (!reply) throw new JanusControlError(`bridge ${this.base}: ${body.janus}: answer is not JSON (HTTP ${res.status})`, 0);
    if (reply.janus === 'error') {
      if (reply.error?.code === 458) this.path = null;
      throw new JanusControlError(`bridge ${this.base}: ${body.janus}: ${reply.error?.reason ?? 'error'}`, reply.error?.code ?? 0);
    }
    return reply;
  }

  private async handlePath(): Promise<string> {
    if (this.path) return this.path;
    const session = (await this.post('', { janus: 'create' })).data?.id;
    const handle = (await this.post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data?.id;
    if (typeof session !== 'number' || typeof handle !== 'number') throw new JanusControlError(`bridge ${this.base}: no session or handle id`, 0);
    this.path = `/${session}/${handle}`;
    return this.path;
  }

  /** One synchronous VideoRoom request; its `plugindata.data`, or the VideoRoom's error as a JanusControlError. */
  async request(body: Json): Promise<Json> {
    let reply: Json;
    try {
      reply = await this.post(await this.handlePath(), { janus: 'message', body });
    } catch (err) {
      // A session that expired is made again once, at once.
      if (!(err instanceof JanusControlError) || err.code !== 458) throw err;
      reply = await this.post(await this.handlePath(), { janus: 'message', body });
    }
    const data = reply.plugindata?.data ?? {};
    if (data.error) throw new JanusControlError(`bridge ${this.base}: videoroom ${body.request}: ${data.error}`, data.error_code ?? 0);
    return data;
  }

  async close(): Promise<void> {
    const p = this.path;
    this.path = null;
    if (p) await this.post(p.split('/').slice(0, 2).join('/'), { janus: 'destroy' }).catch(() => {});
  }
}
