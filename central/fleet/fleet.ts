// The fleet across carriers: reads every box message into the picture, hands events and command replies to whoever
// waits for them, and sends commands: to one box on its own carrier's broker, to a group on every broker. Commands
// carry a message expiry and correlation data and no response topic: each box answers on its own
// `diemcau/v1/<box>/reply/<cmd>`, which we subscribe to, and the correlation data says which operation it answers.
import { EventEmitter } from 'node:events';
import type { IPublishPacket } from 'mqtt';
import { ROOT, boxTopic, groupCmdTopic } from '../../core/topics.js';
import { parseJsonText } from '../../core/schema/json-text.js';
import type { Logger } from '../../core/log.js';
import type { CarrierConfig } from '../config.js';
import { CarrierLink, type CarrierStatus } from './carrier.js';
import { Picture } from './picture.js';

/** Bigger payloads than this from a box are dropped (a state document is a few kB). */
const MAX_PAYLOAD = 256 * 1024;

export interface Reply {
  box: string;
  cmd: string;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export type ReplyHandler = (reply: Reply, carrier: string) => void;
export type EventHandler = (box: string, body: Record<string, unknown>, carrier: string) => void;

export interface Target {
  /** Group commands: one publish per group and carrier. */
  groups: string[];
  /** One publish per box, on the box's carrier. */
  boxes: string[];
}

/** Events: 'carriers' () when a carrier connected or dropped; 'state' (hall) after each state document. */
export class Fleet extends EventEmitter {
  readonly carriers: CarrierLink[];
  private readonly replies = new Map<string, ReplyHandler>();
  private readonly events = new Map<string, EventHandler[]>();
  private readonly rebuildTimers = new Set<NodeJS.Timeout>();

  constructor(
    configs: CarrierConfig[],
    readonly picture: Picture,
    private readonly log: Logger,
    private readonly rebuildGraceS: number,
  ) {
    super();
    this.carriers = configs.map((c) => new CarrierLink(c, log));
    for (const link of this.carriers) {
      link.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => this.onMessage(link.cfg.name, topic, payload, packet));
      link.on('up', () => {
        this.scheduleRebuildCheck(link.cfg.name, Date.now());
        this.emit('carriers');
      });
      link.on('down', () => this.emit('carriers'));
    }
  }

  start(): void {
    for (const c of this.carriers) c.start();
  }

  async stop(): Promise<void> {
    for (const t of this.rebuildTimers) clearTimeout(t);
    this.rebuildTimers.clear();
    await Promise.all(this.carriers.map((c) => c.stop()));
  }

  status(): CarrierStatus[] {
    return this.carriers.map((c) => c.status());
  }

  /** Calls `fn` for each `event/<name>` a box publishes. */
  onEvent(name: string, fn: EventHandler): void {
    this.events.set(name, [...(this.events.get(name) ?? []), fn]);
  }

  /** Routes replies carrying correlation data `corr` to `fn` until offReply. */
  onReply(corr: string, fn: ReplyHandler): void {
    this.replies.set(corr, fn);
  }

  offReply(corr: string): void {
    this.replies.delete(corr);
  }

  /** Publishes `name` with `args` (or `boxArgs(box)` to a box on its own) to `target`; returns how many went out. */
  send(name: string, args: unknown, target: Target, corr: string, expiryS: number, boxArgs?: (box: string) => unknown): number {
    const payload = JSON.stringify(args);
    const properties = { messageExpiryInterval: expiryS, correlationData: Buffer.from(corr) };
    let n = 0;
    for (const g of target.groups) {
      for (const c of this.carriers) {
        c.publish(groupCmdTopic(g, name), payload, properties);
        n++;
      }
    }
    for (const box of target.boxes) {
      const carrier = this.picture.get(box)?.carrier;
      for (const c of this.carriers) {
        if (carrier !== undefined && c.cfg.name !== carrier) continue;
        c.publish(boxTopic(box, `cmd/${name}`), boxArgs ? JSON.stringify(boxArgs(box)) : payload, properties);
        n++;
      }
    }
    return n;
  }

  private onMessage(carrier: string, topic: string, payload: Buffer, packet: IPublishPacket): void {
    const parts = topic.split('/');
    // diemcau/v1/<box>/<leaf>[/<name>]
    if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== ROOT) return;
    const box = parts[2];
    if (box === 'group' || box === 'claim' || payload.length === 0 || payload.length > MAX_PAYLOAD) return;
    const leaf = parts[3];
    let text: string;
    let body: unknown;
    try {
      text = payload.toString('utf8');
      body = parseJsonText(text);
    } catch (err) {
      this.log.debug('fleet: unreadable payload', { topic, err });
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const obj = body as Record<string, unknown>;
    const now = Date.now();
    if (leaf === 'presence' && parts.length === 4) this.picture.update(box, carrier, (h) => h.applyPresence(obj, now));
    else if (leaf === 'state' && parts.length === 4) {
      const h = this.picture.update(box, carrier, (x) => x.applyState(obj, payload, now));
      if (h) this.emit('state', h);
    }
    else if (leaf === 'telemetry' && parts.length === 4) this.picture.get(box)?.history.addTelemetry(now, obj);
    else if (leaf === 'event' && parts.length === 5) for (const fn of this.events.get(parts[4]) ?? []) fn(box, obj, carrier);
    else if (leaf === 'reply' && parts.length === 5) this.routeReply(box, parts[4], obj, packet, carrier);
  }

  private routeReply(box: string, cmd: string, body: Record<string, unknown>, packet: IPublishPacket, carrier: string): void {
    const reply: Reply = {
      box,
      cmd,
      ok: body.ok === true,
      result: body.result,
      error: typeof body.error === 'object' && body.error !== null ? (body.error as Reply['error']) : undefined,
    };
    if (!reply.ok) {
      const e = reply.error ?? { code: 'error', message: '' };
      this.picture.get(box)?.history.addError({ ts: Date.now(), where: cmd, code: String(e.code), message: String(e.message) });
    }
    const corr = packet.properties?.correlationData;
    if (!corr) return;
    this.replies.get(Buffer.from(corr).toString())?.(reply, carrier);
  }

  /**
   * After a (re)connect the broker replays retained presence; a box it has no presence of (a broker that lost its
   * retained messages, and the box has not come back) would stay "online" in our picture forever. Halls of this
   * carrier that have not announced themselves within the grace time are shown offline.
   */
  private scheduleRebuildCheck(carrier: string, at: number): void {
    const t = setTimeout(() => {
      this.rebuildTimers.delete(t);
      const link = this.carriers.find((c) => c.cfg.name === carrier);
      if (!link?.isConnected) return;
      let n = 0;
      for (const h of this.picture.halls.values()) {
        if (h.carrier !== carrier || h.presenceAt >= at || h.presence === 'offline') continue;
        this.picture.update(h.box, null, (x) => x.applyPresence({ state: 'offline' }, at));
        n++;
      }
      if (n) this.log.warn('halls not heard of since the broker came back: shown offline', { carrier, halls: n });
    }, this.rebuildGraceS * 1000);
    this.rebuildTimers.add(t);
  }
}
