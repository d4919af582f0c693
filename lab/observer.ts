// A second MQTT 5 client that watches the agent as an operator's system would, and sends it commands.
import mqtt, { type MqttClient, type IClientOptions, type IClientPublishOptions } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { parseCmdTopic } from '../core/topics.js';

export interface Received {
  topic: string;
  payload: Buffer;
  json: any;
  retain: boolean;
  at: number;
  properties: Record<string, unknown>;
}

export class Observer {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: any = undefined;
      try {
        json = payload.length ? JSON.parse(payload.toString()) : null;
      } catch {
        json = undefined;
      }
      this.messages.push({ topic, payload, json, retain: packet.retain, at: Date.now(), properties: (packet.properties ?? {}) as Record<string, unknown> });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** `options` adds to the client's (credentials on a broker with an ACL, a Receive Maximum for bursts). */
  static async connect(url: string, subscriptions: string[] = ['diemcau/#'], options: IClientOptions = {}): Promise<Observer> {
    const client = mqtt.connect(url, { protocolVersion: 5, clientId: `observer-${randomUUID().slice(0, 8)}`, reconnectPeriod: 200, ...options });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const o = new Observer(client);
    if (subscriptions.length) await client.subscribeAsync(subscriptions, { qos: 1 });
    return o;
  }

  /** The first message (already received or to come) matching, or an error naming what was awaited. */
  wait(pred: (m: Received) => boolean, what: string, timeoutMs = 10000, since = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`observer: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const hit = this.messages.find((m) => m.at >= since && pred(m));
        if (hit) {
          clearTimeout(t);
          resolve(hit);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /**
   * Sends a command with correlation data; resolves with the reply body. A box answers only inside its own reply
   * tree, so a command to one box names a response topic there, and a group command names none (each box answers on
   * its default `reply/<name>`; the first answer is returned).
   */
  async request(topic: string, args: unknown, opts: { expiryS?: number | null; timeoutMs?: number; raw?: string } = {}): Promise<any> {
    const cmd = parseCmdTopic(topic);
    if (!cmd) throw new Error(`observer: ${topic} is not a command topic`);
    const corr = randomUUID();
    const replyTopic = cmd.scope === 'box' ? `diemcau/v1/${cmd.target}/reply/${cmd.name}/${corr.slice(0, 8)}` : null;
    await this.client.subscribeAsync(replyTopic ?? `diemcau/v1/+/reply/${cmd.name}`, { qos: 1 });
    const properties: IClientPublishOptions['properties'] = { correlationData: Buffer.from(corr) };
    if (replyTopic) properties.responseTopic = replyTopic;
    if (opts.expiryS !== null) properties.messageExpiryInterval = opts.expiryS ?? 30;
    const since = Date.now();
    await this.client.publishAsync(topic, opts.raw ?? JSON.stringify(args), { qos: 1, properties });
    const m = await this.wait(
      (r) => r.topic !== topic && r.topic.includes('/reply/') && Buffer.from((r.properties.correlationData as Buffer) ?? []).toString() === corr,
      `reply to ${topic}`,
      opts.timeoutMs ?? 10000,
      since,
    );
    return m.json;
  }

  publish(topic: string, payload: string, opts: IClientPublishOptions = {}) {
    return this.client.publishAsync(topic, payload, { qos: 1, ...opts });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
