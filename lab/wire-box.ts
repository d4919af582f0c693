// A box that speaks the wire protocol and nothing else (docs/mqtt.md): retained presence and state it is told to
// publish, events, and answers to commands by a handler the test gives. For what a real agent cannot be made to do
// on cue in a test (be in a meeting and stop being heard, decline a call, answer a roll call) the console's tests
// drive one of these; everything else they do against real agents.
import mqtt, { type MqttClient } from 'mqtt';
import { boxTopics, type BoxTopics } from '../core/topics.js';

export type CommandHandler = (name: string, args: any) => { ok: true; result?: unknown } | { ok: false; error: { code: string; message: string } } | null;

export class WireBox {
  readonly topics: BoxTopics;
  readonly commands: Array<{ name: string; args: any; at: number }> = [];
  state: Record<string, any>;
  private constructor(
    readonly id: string,
    private readonly client: MqttClient,
    name: string,
    groups: string[],
    private handler: CommandHandler,
  ) {
    this.topics = boxTopics(id);
    this.state = {
      agent: { version: 'wire', startedAt: new Date().toISOString(), pid: 1 },
      hall: { name, groups },
      config: { version: 1, status: 'applied' },
      network: { connected: true, broker: null, connects: 1, lastDrop: null },
      devices: {},
    };
    client.on('message', (topic, payload, packet) => {
      const name = topic.split('/').pop()!;
      const args = payload.length ? JSON.parse(payload.toString()) : {};
      this.commands.push({ name, args, at: Date.now() });
      const out = this.handler(name, args);
      if (!out) return;
      const body = JSON.stringify({ box: id, cmd: name, ...out, ms: 1 });
      const topicOut = packet.properties?.responseTopic ?? this.topics.reply(name);
      void client.publishAsync(topicOut, body, { qos: 1, properties: { correlationData: packet.properties?.correlationData } });
    });
  }

  static async connect(url: string, id: string, name: string, groups: string[], handler: CommandHandler = () => null): Promise<WireBox> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: id, reconnectPeriod: 200 });
    const box = new WireBox(id, client, name, groups, handler);
    await client.subscribeAsync(box.topics.cmd, { qos: 1 });
    for (const g of groups) await client.subscribeAsync(`diemcau/v1/group/${g}/cmd/+`, { qos: 1 });
    return box;
  }

  onCommand(h: CommandHandler): void {
    this.handler = h;
  }

  presence(state: 'online' | 'offline'): Promise<unknown> {
    return this.client.publishAsync(this.topics.presence, JSON.stringify({ state, box: this.id, version: 'wire', ts: new Date().toISOString() }), { qos: 1, retain: true });
  }

  /** Merges `sections` into the state and publishes it whole, retained. */
  publishState(sections: Record<string, unknown> = {}): Promise<unknown> {
    this.state = { ...this.state, ...sections, ts: new Date().toISOString() };
    return this.client.publishAsync(this.topics.state, JSON.stringify(this.state), { qos: 1, retain: true });
  }

  event(name: string, body: Record<string, unknown>): Promise<unknown> {
    return this.client.publishAsync(this.topics.event(name), JSON.stringify({ box: this.id, ts: new Date().toISOString(), ...body }), {
      qos: 1,
      properties: { messageExpiryInterval: 300 },
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** `state.media` of a hall in a meeting. */
export function media(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'joined', room: 1234, seen: true, heard: true, muted: false, audioOnly: false, stats: { bitrateKbps: 900, fps: 30, lossPct: 0, rttMs: 12 }, ...over };
}
