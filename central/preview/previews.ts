// Previews: an operator clicks a hall in a meeting and its picture and sound play in the page. The server opens a
// Janus VideoRoom subscription to the hall's feed (janus-subscriber.ts) and relays the SDP both ways; the media
// goes between the bridge and the page. A preview belongs to the operator who opened it, lasts 15 minutes at most,
// and an operator has at most 4 open. With a cascade that takes only watched halls to the origin (`originUplinks:
// 'watched'`), a hall being previewed is one of them, and the preview waits for it to be linked there.
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '../../core/errors.js';
import type { Picture } from '../fleet/picture.js';
import { Conflict, NotFound } from '../errors.js';
import { Forbidden } from '../auth/access.js';
import { JanusSubscriber } from './janus-subscriber.js';

const TTL_MS = 15 * 60_000;
/** How long a preview waits for the cascade to bring a watched hall to the origin. */
export const PREVIEW_ORIGIN_S = 10;
const PER_OPERATOR = 4;
const MAX_SDP = 64 * 1024;

interface Open {
  box: string;
  operator: string;
  sub: JanusSubscriber;
  timer: NodeJS.Timeout;
}

export class Previews {
  private readonly open = new Map<string, Open>();
  /** Halls whose preview is being opened (counted: two operators may open one hall at once). */
  private readonly opening = new Map<string, number>();

  constructor(
    private readonly bridge: { janus: string | null; token: string | null },
    private readonly picture: Picture,
    /** The room of the meeting in progress, for a hall that does not report its own. */
    private readonly meetingRoom: () => string | number | null,
    /** With a cascade that takes only watched halls to the origin: resolves true once the hall is there. */
    private readonly atOrigin?: (box: string) => Promise<boolean>,
  ) {}

  /** The halls with a preview open or being opened: the cascade takes them to the origin. */
  boxes(): ReadonlySet<string> {
    return new Set([...[...this.open.values()].map((o) => o.box), ...this.opening.keys()]);
  }

  async start(box: string, operator: string): Promise<{ id: string; sdp: string }> {
    if (!this.bridge.janus) throw new Conflict('preview: no bridge is configured (bridge.janus in the config)');
    const h = this.picture.get(box);
    if (!h) throw new NotFound(`hall ${box}: not known`);
    if (h.media?.status !== 'joined') throw new Conflict(`hall ${box} is not in a meeting (media ${h.media?.status ?? 'off'})`);
    const room = Number(h.room ?? this.meetingRoom());
    if (!Number.isInteger(room) || room < 1) throw new Conflict(`hall ${box}: no Janus room known for its meeting`);
    if ([...this.open.values()].filter((o) => o.operator === operator).length >= PER_OPERATOR) {
      throw new Conflict(`preview: ${operator} has ${PER_OPERATOR} open already (close one)`);
    }
    this.opening.set(box, (this.opening.get(box) ?? 0) + 1);
    try {
      if (this.atOrigin && !(await this.atOrigin(box))) {
        throw new Conflict(`hall ${box}: not brought to the origin within ${PREVIEW_ORIGIN_S} s (is its edge bridge answering?)`);
      }
      const sub = new JanusSubscriber(this.bridge.janus, this.bridge.token, room);
      try {
        const sdp = await sub.offer(box);
        const id = randomBytes(12).toString('base64url');
        const timer = setTimeout(() => void this.close(id, operator).catch(() => {}), TTL_MS);
        this.open.set(id, { box, operator, sub, timer });
        return { id, sdp };
      } catch (err) {
        await sub.close();
        throw new Conflict((err as Error).message);
      }
    } finally {
      const n = (this.opening.get(box) ?? 1) - 1;
      if (n > 0) this.opening.set(box, n);
      else this.opening.delete(box);
    }
  }

  private mine(id: string, operator: string): Open {
    const o = this.open.get(id);
    if (!o) throw new NotFound(`preview ${id}: no such preview (closed or expired)`);
    if (o.operator !== operator) throw new Forbidden(`preview ${id} belongs to ${o.operator}`);
    return o;
  }

  async answer(id: string, sdp: unknown, operator: string): Promise<{ id: string; box: string }> {
    const o = this.mine(id, operator);
    if (typeof sdp !== 'string' || !sdp.startsWith('v=0') || sdp.length > MAX_SDP) throw new BadRequestError('sdp: must be an SDP answer (text starting v=0)');
    try {
      await o.sub.answer(sdp);
    } catch (err) {
      throw new Conflict((err as Error).message);
    }
    return { id, box: o.box };
  }

  async close(id: string, operator: string): Promise<{ id: string; box: string }> {
    const o = this.mine(id, operator);
    this.open.delete(id);
    clearTimeout(o.timer);
    await o.sub.close();
    return { id, box: o.box };
  }

  async stop(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((o) => (clearTimeout(o.timer), o.sub.close())));
  }
}
