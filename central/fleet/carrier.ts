// One carrier's broker: one MQTT 5 client, logged in with the carrier's command credential, subscribed to every
// box's presence, state, telemetry, events and replies. Clean start on every connect, so the broker replays the
// retained presence and state: that is how the picture is rebuilt after a broker restart or our own.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { everyBox } from '../../core/topics.js';
import type { Logger } from '../../core/log.js';
import type { CarrierConfig } from '../config.js';
import type { CarrierStatus } from '../wire.js';

export const SUBSCRIPTIONS: Record<string, { qos: 0 | 1 }> = {
  [everyBox('presence')]: { qos: 1 },
  [everyBox('state')]: { qos: 1 },
  [everyBox('telemetry')]: { qos: 0 },
  [everyBox('event/#')]: { qos: 1 },
  [everyBox('reply/#')]: { qos: 1 },
};

export type { CarrierStatus };

/**
 * Events: 'message' (topic, payload, packet), 'up' () after each connect once subscribed (the retained replay
 * follows), 'down' ().
 */
export class CarrierLink extends EventEmitter {
  private client: MqttClient | null = null;
  private connected = false;
  private since: number | null = null;
  private connects = 0;

  constructor(
    readonly cfg: CarrierConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  private options(): IClientOptions {
    return {
      protocolVersion: 5,
      // The broker ties client ids to logins by a `<username>-` prefix (docs/provisioning.md).
      clientId: `${this.cfg.username ?? 'diemcau'}-central-${randomBytes(4).toString('hex')}`,
      username: this.cfg.username,
      password: this.cfg.password,
      ca: this.cfg.ca ? readFileSync(this.cfg.ca) : undefined,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      resubscribe: false,
      // Mosquitto sends an MQTT 5 client at most its Receive Maximum of QoS 1 messages unacknowledged and queues
      // max_queued_messages more; past that it drops them. At connect it replays a retained presence and state per
      // hall at once: take as many in flight as the protocol allows (docs/console.md, "Carrier brokers").
      properties: { receiveMaximum: 65535 },
    };
  }

  /** Starts connecting (and reconnecting, every second) without waiting: a broker that is down does not stop us. */
  start(): void {
    const nodes = [this.cfg.url, ...(this.cfg.nodes ?? [])];
    // mqtt.js moves to the next of `servers` on each reconnect: a cluster node that died is left for the next.
    const servers = nodes.length > 1 ? nodes.map(serverOf) : undefined;
    const client = mqtt.connect(this.cfg.url, { ...this.options(), reconnectPeriod: 1000, servers });
    const connectedTo = () => nodes.find((u) => serverOf(u).host === client.options.host && serverOf(u).port === client.options.port);
    this.client = client;
    client.on('connect', () => {
      client.subscribe(SUBSCRIPTIONS, (err) => {
        if (err) {
          this.log.error('carrier: subscribe failed', { carrier: this.cfg.name, err });
          return;
        }
        this.connected = true;
        this.since = Date.now();
        this.connects++;
        const at = connectedTo() ?? this.cfg.url;
        this.log.info('carrier connected', { carrier: this.cfg.name, url: at, connects: this.connects });
        this.emit('up');
        for (const other of nodes.filter((u) => u !== at)) void this.readRetained(other);
      });
    });
    client.on('close', () => {
      if (!this.connected) return;
      this.connected = false;
      this.since = Date.now();
      this.log.warn('carrier disconnected', { carrier: this.cfg.name });
      this.emit('down');
    });
    client.on('error', (err) => this.log.warn('carrier link error', { carrier: this.cfg.name, err }));
    client.on('message', (topic, payload, packet) => this.emit('message', topic, payload, packet as IPublishPacket));
  }

  /**
   * The retained presence and state another node of the cluster hands out, passed on as if replayed by ours: a node
   * indexes only the retained topics published through it (docs/scale.md), the store behind them is the cluster's.
   * A short clean session, ended a second after the last message (or 15 s without any: a node gathers thousands
   * of them before the first leaves), at most 60 s; a node that is down is skipped.
   */
  private async readRetained(url: string): Promise<void> {
    const c = mqtt.connect(url, { ...this.options(), reconnectPeriod: 0 });
    let last = 0;
    c.on('message', (topic, payload, packet) => {
      if (!packet.retain) return;
      last = Date.now();
      this.emit('message', topic, payload, packet as IPublishPacket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.on('error', reject); // later errors too: a client without an error listener throws them
        c.once('close', () => reject(new Error('connection closed')));
      });
      await c.subscribeAsync({ [everyBox('presence')]: { qos: 1 }, [everyBox('state')]: { qos: 1 } });
      const start = Date.now();
      const settled = () => (last === 0 ? Date.now() - start >= 15_000 : Date.now() - last >= 1000);
      while (!settled() && Date.now() - start < 60_000) await new Promise((r) => setTimeout(r, 100));
    } catch (err) {
      this.log.warn('carrier: retained read from a cluster node failed', { carrier: this.cfg.name, url, err });
    } finally {
      await c.endAsync(true).catch(() => {});
    }
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Publishes QoS 1; while the broker is away mqtt.js holds it and sends it on reconnect (its expiry still runs). */
  publish(topic: string, payload: string, properties: IClientPublishOptions['properties']): void {
    this.client?.publish(topic, payload, { qos: 1, properties }, (err) => {
      if (err) this.log.warn('carrier: publish failed', { carrier: this.cfg.name, topic, err });
    });
  }

  status(): CarrierStatus {
    return { name: this.cfg.name, connected: this.connected, since: this.since === null ? null : new Date(this.since).toISOString(), connects: this.connects };
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true).catch(() => {});
  }
}

/** A broker URL as mqtt.js's `servers` entry. */
function serverOf(url: string): { host: string; port: number; protocol: 'mqtt' | 'mqtts' } {
  const u = new URL(url);
  const protocol = u.protocol === 'mqtts:' ? 'mqtts' : 'mqtt';
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (protocol === 'mqtts' ? 8883 : 1883)), protocol };
}
