// One meeting over several Janus bridges: an origin, where the central programme is published and the centre
// watches and listens, and regional edges, where the halls of a region join. Built on Janus VideoRoom's own
// cascading (1.1: `add_remote_publisher` on the receiving bridge opens a plain RTP port and shows a publisher there;
// `publish_remotely` on the sending bridge forwards a local publisher's streams to it, and takes the receiver's
// RTCP back, so a new subscriber's keyframe request reaches the real sender). Nothing of the media passes through
// this process: it only watches who publishes where, twice a second, and keeps these links true:
//   - the programme (a local publisher named `programme` on the origin) on every edge that answers;
//   - every local publisher on an edge (a hall) on the origin, under its own display name; or, with `uplinks`, only
//     the halls it names (those the centre watches), so the origin does not take every hall of a national meeting.
// A link whose sender is gone (it left, moved, or its bridge died) is taken down on both sides, so a hall moved to
// another edge is on the origin once, from its new edge. Why remote publishers and not rtp_forward to a publisher
// made by hand: docs/scale.md, "Bridges".
import type { Logger } from '../../core/log.js';
import { silentLogger } from '../../core/log.js';
import { JanusControl, JanusControlError } from './janus-control.js';

export interface CascadeBridge {
  /** Janus's HTTP API as this server reaches it. */
  api: string;
  /** The address the other bridges send RTP to (default: the API URL's host). */
  rtpHost?: string;
}

export interface CascadeOptions {
  origin: CascadeBridge;
  edges: CascadeBridge[];
  /** The meeting's VideoRoom, the same number on every bridge; a function: the console's current meeting (null: none). */
  room: number | (() => number | null);
  /** Display name of the programme's publisher on the origin (the halls' `media.programme`). */
  programme?: string;
  /** Every diemcau publisher sends audio then video (agent/media/worker/peer.ts); codecs as the rooms force them. */
  streams?: Array<{ type: 'audio' | 'video'; mindex: number; mid: string; codec: string }>;
  tickMs?: number;
  /** The halls (display names) whose uplinks go to the origin now; absent or null: every hall. Read at each tick. */
  uplinks?: () => ReadonlySet<string> | null;
  log?: Logger;
}

export const DIEMCAU_STREAMS = [
  { type: 'audio' as const, mindex: 0, mid: '0', codec: 'opus' },
  { type: 'video' as const, mindex: 1, mid: '1', codec: 'vp8' },
];

interface Participant {
  id: number;
  display?: string;
  publisher?: boolean;
  remote?: boolean;
}

interface Node {
  ctl: JanusControl;
  rtpHost: string;
  /** null: did not answer this tick, or there is no meeting. */
  publishers: Participant[] | null;
  /** Answered the last time it was asked. */
  up: boolean;
}

/** One sender forwarded to one receiver. */
interface Link {
  key: string;
  room: number;
  from: Node;
  to: Node;
  sourceId: number;
  display: string;
  /** The remote publisher's id on the receiving bridge. */
  remoteId: number;
  remoteName: string;
}

export interface CascadeStatus {
  bridges: Array<{ api: string; role: 'origin' | 'edge'; up: boolean; publishers: number }>;
  links: Array<{ from: string; to: string; display: string }>;
}

export class Cascade {
  private readonly origin: Node;
  private readonly edges: Node[];
  private readonly links = new Map<string, Link>();
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private serial = 0;

  constructor(private readonly o: CascadeOptions) {
    const node = (b: CascadeBridge): Node => ({ ctl: new JanusControl(b.api), rtpHost: b.rtpHost ?? new URL(b.api).hostname, publishers: null, up: false });
    this.origin = node(o.origin);
    this.edges = o.edges.map(node);
    this.log = o.log ?? silentLogger;
  }

  start(): void {
    const loop = () => {
      this.running = this.tick().finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(loop, this.o.tickMs ?? 500);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const l of [...this.links.values()]) await this.unlink(l, 'cascade stopped');
    for (const n of [this.origin, ...this.edges]) await n.ctl.close();
  }

  status(): CascadeStatus {
    const role = (n: Node) => (n === this.origin ? 'origin' : 'edge') as 'origin' | 'edge';
    return {
      bridges: [this.origin, ...this.edges].map((n) => ({ api: n.ctl.base, role: role(n), up: n.up, publishers: n.publishers?.length ?? 0 })),
      links: [...this.links.values()].map((l) => ({ from: l.from.ctl.base, to: l.to.ctl.base, display: l.display })),
    };
  }

  /**
   * Resolves once a hall (by display name) is linked from its edge to the origin, so a subscriber there finds it;
   * false after `timeoutMs` (the hall is on no edge that answers, or not in the meeting).
   */
  async atOrigin(display: string, timeoutMs: number): Promise<boolean> {
    const linked = () => [...this.links.values()].some((l) => l.to === this.origin && l.display === display);
    for (const end = Date.now() + timeoutMs; !linked(); ) {
      if (this.stopped || Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  }

  /** One look at every bridge, and the links made true. Exposed for tests that step it. */
  async tick(): Promise<void> {
    const nodes = [this.origin, ...this.edges];
    const room = typeof this.o.room === 'function' ? this.o.room() : this.o.room;
    // No meeting: nothing is wanted, and the links of the last one come down.
    await Promise.all(nodes.map(async (n) => (n.publishers = room === null ? null : await this.publishers(n, room))));
    const want = new Map<string, { from: Node; to: Node; source: Participant }>();
    const programme = this.origin.publishers?.find((p) => !p.remote && p.display === (this.o.programme ?? 'centre'));
    const uplinks = this.o.uplinks?.() ?? null;
    const uplinked = (p: Participant) => !p.remote && (uplinks === null || uplinks.has(p.display ?? ''));
    for (const edge of this.edges) {
      if (edge.publishers === null) continue;
      if (programme) want.set(`${room}:${programme.id}>${edge.ctl.base}`, { from: this.origin, to: edge, source: programme });
      if (this.origin.publishers === null) continue;
      for (const p of edge.publishers.filter(uplinked)) want.set(`${room}:${edge.ctl.base}:${p.id}>origin`, { from: edge, to: this.origin, source: p });
    }
    for (const l of [...this.links.values()]) {
      const w = want.get(l.key);
      // A receiver that lost the remote publisher (it restarted) needs the link made again.
      const held = l.to.publishers?.some((p) => p.id === l.remoteId) ?? false;
      if (!w) await this.unlink(l, 'sender gone');
      else if (!held) await this.unlink(l, 'receiver lost it');
    }
    for (const [key, w] of want) if (!this.links.has(key)) await this.link(room!, key, w.from, w.to, w.source);
  }

  private async publishers(n: Node, room: number): Promise<Participant[] | null> {
    try {
      const data = await n.ctl.request({ request: 'listparticipants', room });
      if (!n.up) this.log.info('cascade: bridge answering', { bridge: n.ctl.base });
      n.up = true;
      return ((data.participants ?? []) as Participant[]).filter((p) => p.publisher);
    } catch (err) {
      if (n.up) this.log.warn('cascade: bridge not answering', { bridge: n.ctl.base, err });
      n.up = false;
      return null;
    }
  }

  private async link(room: number, key: string, from: Node, to: Node, source: Participant): Promise<void> {
    const display = source.display ?? String(source.id);
    const remoteName = `dc-${process.pid}-${++this.serial}`;
    let remoteId: number | null = null;
    try {
      const added = await to.ctl.request({ request: 'add_remote_publisher', room, display, streams: this.o.streams ?? DIEMCAU_STREAMS });
      remoteId = added.id as number;
      await from.ctl.request({
        request: 'publish_remotely',
        room,
        publisher_id: source.id,
        remote_id: remoteName,
        host: to.rtpHost,
        port: added.port,
        rtcp_port: added.rtcp_port,
      });
      this.links.set(key, { key, room, from, to, sourceId: source.id, display, remoteId, remoteName });
      this.log.info('cascade: linked', { display, from: from.ctl.base, to: to.ctl.base });
    } catch (err) {
      this.log.warn('cascade: link failed; next tick tries again', { display, from: from.ctl.base, to: to.ctl.base, err });
      if (remoteId !== null) await to.ctl.request({ request: 'remove_remote_publisher', room, id: remoteId }).catch(() => {});
    }
  }

  private async unlink(l: Link, why: string): Promise<void> {
    this.links.delete(l.key);
    const quiet = (p: Promise<unknown>) => p.catch((err) => (err instanceof JanusControlError ? undefined : Promise.reject(err)));
    // A sender gone from a bridge that answers refuses this (no such feed); quietly, as it has stopped already.
    if (l.from.up) {
      await quiet(l.from.ctl.request({ request: 'unpublish_remotely', room: l.room, publisher_id: l.sourceId, remote_id: l.remoteName }));
    }
    if (l.to.up) await quiet(l.to.ctl.request({ request: 'remove_remote_publisher', room: l.room, id: l.remoteId }));
    this.log.info('cascade: unlinked', { display: l.display, from: l.from.ctl.base, to: l.to.ctl.base, why });
  }
}
