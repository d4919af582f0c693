// MQTT 5 request/response from the carrier to boxes, as the agent's command router expects: the command on
// `diemcau/v1/<box>/cmd/<name>` with a message expiry (the router refuses commands without one, so a stale
// command never runs), a response topic under the box's own `reply/` (the only place the ACL lets it write) and
// correlation data that matches the answer to its request. A group command (`diemcau/v1/group/<g>/cmd/<name>`)
// names no response topic (one topic cannot lie in every box's tree): each box answers on its own `reply/<name>`
// with the correlation data, and the answers are told apart by the box id in their topic, which only that box may
// write (the ACL).
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { boxTopic, everyBox, groupCmdTopic } from '../core/topics.js';
import type { CommandReply } from '../core/payloads.js';

/** What the carrier reads of a box's reply (core/payloads.ts's CommandReply). */
export type ReplyBody = Pick<CommandReply, 'ok' | 'result' | 'error'> & { ms?: number };

export class RequestTimeout extends Error {}

/** Answers to one group command: by box, and the boxes expected that did not answer in time. */
export interface GroupAnswers {
  answers: Map<string, ReplyBody>;
  missing: string[];
}

type OnReply = (boxId: string, r: ReplyBody) => void;

export class Requester {
  private readonly waiting = new Map<string, OnReply>();
  private readonly onMessage = (topic: string, payload: Buffer, packet: { properties?: { correlationData?: Buffer } }) => {
    const cd = packet.properties?.correlationData;
    if (!cd) return;
    const done = this.waiting.get(cd.toString('hex'));
    if (!done) return;
    const boxId = topic.split('/')[2];
    try {
      done(boxId, JSON.parse(payload.toString('utf8')) as ReplyBody);
    } catch {
      done(boxId, { ok: false, error: { code: 'protocol', message: `${topic}: reply is not JSON` } });
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
    return new Promise<ReplyBody>((resolve, reject) => {
      const cancel = this.send(boxTopic(boxId, `cmd/${name}`), args, timeoutMs, boxTopic(boxId, `reply/${name}`), (_box, r) => {
        clearTimeout(timer);
        cancel();
        resolve(r);
      }, (err) => {
        clearTimeout(timer);
        reject(err);
      });
      const timer = setTimeout(() => {
        cancel();
        reject(new RequestTimeout(`${boxId}: no reply to ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /**
   * Sends one command to a group and collects the answers of `boxes` (the group's halls), each once, until all of
   * them answered or `timeoutMs` passed. An answer from a box not in `boxes` (a hall regrouped since) is kept too.
   */
  requestGroup(group: string, name: string, args: object, boxes: string[], timeoutMs: number): Promise<GroupAnswers> {
    return new Promise<GroupAnswers>((resolve, reject) => {
      const answers = new Map<string, ReplyBody>();
      const expected = new Set(boxes);
      const finish = () => {
        clearTimeout(timer);
        cancel();
        resolve({ answers, missing: boxes.filter((b) => !answers.has(b)) });
      };
      const cancel = this.send(groupCmdTopic(group, name), args, timeoutMs, undefined, (box, r) => {
        if (answers.has(box)) return;
        answers.set(box, r);
        expected.delete(box);
        if (expected.size === 0) finish();
      }, (err) => {
        clearTimeout(timer);
        reject(err);
      });
      const timer = setTimeout(finish, timeoutMs);
      if (expected.size === 0) finish();
    });
  }

  /** Publishes with expiry and fresh correlation data; replies go to `onReply` until the returned cancel is called. */
  private send(topic: string, args: object, timeoutMs: number, responseTopic: string | undefined, onReply: OnReply, onError: (e: Error) => void): () => void {
    const cd = randomBytes(12);
    const key = cd.toString('hex');
    this.waiting.set(key, onReply);
    const cancel = () => this.waiting.delete(key);
    this.client
      .publishAsync(topic, JSON.stringify(args), {
        qos: 1,
        properties: {
          ...(responseTopic ? { responseTopic } : {}),
          correlationData: cd,
          messageExpiryInterval: Math.max(1, Math.ceil(timeoutMs / 1000)),
        },
      })
      .catch((err: Error) => {
        cancel();
        onError(err);
      });
    return cancel;
  }
}
