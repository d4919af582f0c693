// A second MQTT 5 client that watches the agent as an operator's system would, and sends it commands.
import mqtt, { type MqttClient, type IClientPublishOptions } from 'mqtt';
import { randomUUID } from 'node:crypto';

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

  static async connect(url: string, subscriptions: string[] = ['diemcau/#']): Promise<Observer> {
    const client = mqtt.connect(url, { protocolVersion: 5, clientId: `observer-${randomUUID().slice(0, 8)}`, reconnectPeriod: 200 });
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

  /** Sends a command with a response topic and correlation data; resolves with the reply body. */
  async request(topic: string, args: unknown, opts: { expiryS?: number | null; timeoutMs?: number; raw?: string } = {}): Promise<any> {
    const replyTopic = `test/replies/${randomUUID().slice(0, 8)}`;
    const corr = randomUUID();
    await this.client.subscribeAsync(replyTopic, { qos: 1 });
    const properties: IClientPublishOptions['properties'] = { responseTopic: replyTopic, correlationData: Buffer.from(corr) };
    if (opts.expiryS !== null) properties.messageExpiryInterval = opts.expiryS ?? 30;
    const since = Date.now();
    await this.client.publishAsync(topic, opts.raw ?? JSON.stringify(args), { qos: 1, properties });
    const m = await this.wait(
      (r) => r.topic === replyTopic && Buffer.from(r.properties.correlationData as Buffer).toString() === corr,
      `reply on ${replyTopic} to ${topic}`,
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
