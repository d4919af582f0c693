// MQTT 5 request/response from the carrier to boxes, as the agent's command router expects: the command on
// `diemcau/v1/<box>/cmd/<name>` with a message expiry (the router refuses commands without one, so a stale
// command never runs), a response topic under the box's own `reply/` (the only place the ACL lets it write) and
// correlation data that matches the answer to its request.
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { boxTopic, everyBox } from '../core/topics.js';
import type { CommandReply } from '../core/payloads.js';

/** What the carrier reads of a box's reply (core/payloads.ts's CommandReply). */
export type ReplyBody = Pick<CommandReply, 'ok' | 'result' | 'error'>;

export class RequestTimeout extends Error {}

export class Requester {
  private readonly waiting = new Map<string, (r: ReplyBody) => void>();
  private readonly onMessage = (_topic: string, payload: Buffer, packet: { properties?: { correlationData?: Buffer } }) => {
    const cd = packet.properties?.correlationData;
    if (!cd) return;
    const done = this.waiting.get(cd.toString('hex'));
    if (!done) return;
    try {
      done(JSON.parse(payload.toString('utf8')) as ReplyBody);
    } catch {
      done({ ok: false, error: { code: 'protocol', message: 'reply is not JSON' } });
    }
  };

  constructor(private readonly client: MqttClient) {}

  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    await this.client.subscribeAsync(everyBox('reply/#'), { qos: 1 });
  }

  async stop(): Promise<void> {
    this.client.off('message', this.onMessage);
    await this.client.unsubscribeAsync(everyBox('reply/#')).catch(() => {});
  }

  /** Sends one command and resolves with the box's reply; rejects with RequestTimeout naming what was waited for. */
  request(boxId: string, name: string, args: object, timeoutMs: number): Promise<ReplyBody> {
    const cd = randomBytes(12);
    const key = cd.toString('hex');
    return new Promise<ReplyBody>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new RequestTimeout(`${boxId}: no reply to ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (r) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(r);
      });
      this.client
        .publishAsync(boxTopic(boxId, `cmd/${name}`), JSON.stringify(args), {
          qos: 1,
          properties: {
            responseTopic: boxTopic(boxId, `reply/${name}`),
            correlationData: cd,
            messageExpiryInterval: Math.max(1, Math.ceil(timeoutMs / 1000)),
          },
        })
        .catch((err: Error) => {
          clearTimeout(timer);
          this.waiting.delete(key);
          reject(err);
        });
    });
  }
}
