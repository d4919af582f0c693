// The traffic a hall carries while a fault runs, so that "lost" counts something: a command every second (QoS 1,
// expiring only after 10 minutes, as a console's), and, from the fault's start to its end, a desired config pushed
// at once and then every 10 s (retained, each with a new version and hall name, which the agent saves, applies and
// reports in its state): none after the fault, so the last one is taken without a later push to carry it. Commands
// are sent only while the operator's client is connected: one it never handed to the broker is not the hall's.
import { randomUUID } from 'node:crypto';
import type { World, Hall } from './world.js';

export interface Lost {
  /** Commands the broker took that the hall never answered. */
  commands: number;
  /** 1 when the last config pushed is not what the hall runs and reports at the end. */
  pushes: number;
  /** State fields the retained state has wrong against what the agent itself answers (`state.get`) at the end. */
  state: number;
  total: number;
}

export class Load {
  private readonly sent = new Map<string, number>();
  private readonly replied = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private pushTimer: NodeJS.Timeout | null = null;
  private version = 0;
  private readonly onMessage = (_t: string, _p: Buffer, packet: { properties?: { correlationData?: Buffer } }) => {
    const corr = packet.properties?.correlationData?.toString();
    if (corr && this.sent.has(corr)) this.replied.add(corr);
  };

  constructor(
    private readonly world: World,
    private readonly hall: Hall,
  ) {}

  start(): void {
    this.world.obs.client.on('message', this.onMessage);
    this.timers.push(setInterval(() => this.command(), 1000));
  }

  /** Pushes now and every 10 s until stopPushes(). */
  startPushes(): void {
    void this.push().catch(() => {});
    this.pushTimer = setInterval(() => void this.push().catch(() => {}), 10_000);
  }

  stopPushes(): void {
    if (this.pushTimer) clearInterval(this.pushTimer);
    this.pushTimer = null;
  }

  /** Stops sending; replies still count. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stopPushes();
  }

  close(): void {
    this.stop();
    this.world.obs.client.off('message', this.onMessage);
  }

  get lastVersion(): number {
    return this.version;
  }

  get unanswered(): number {
    return this.sent.size - this.replied.size;
  }

  get commandsSent(): number {
    return this.sent.size;
  }

  private command(): void {
    if (!this.world.obs.client.connected) return;
    const corr = randomUUID();
    this.sent.set(corr, Date.now());
    const responseTopic = this.hall.topic(`reply/ping/${corr.slice(0, 8)}`);
    this.world.obs
      .publish(this.hall.topic('cmd/ping'), '{}', { properties: { correlationData: Buffer.from(corr), responseTopic, messageExpiryInterval: 600 } })
      .catch(() => {}); // mqtt.js keeps an unacknowledged QoS 1 message and sends it again after a reconnect
  }

  /** Pushes the next desired config version; returns it. */
  async push(): Promise<number> {
    const v = ++this.version;
    await this.world.obs.publish(this.hall.topic('config/desired'), JSON.stringify({ version: v, hall: { name: `push ${v}`, groups: [] } }), { retain: true });
    return v;
  }

  /** What was lost, read once the hall has had its time to settle. */
  async lost(): Promise<Lost> {
    const reply = await this.world.obs.request(this.hall.topic('cmd/state.get'), {}, { timeoutMs: 30_000 });
    const truth = reply?.result;
    const retained = this.world.obs.messages.filter((m) => m.topic === this.hall.topic('state')).at(-1)?.json;
    const pushes = truth?.config?.version === this.version && truth?.hall?.name === (this.version ? `push ${this.version}` : truth?.hall?.name) ? 0 : 1;
    const fields: Array<(s: any) => unknown> = [
      (s) => s?.config?.version,
      (s) => s?.config?.status,
      (s) => s?.hall?.name,
      (s) => s?.media?.status,
      (s) => s?.devices?.camera?.health?.status,
    ];
    const state = fields.filter((f) => f(truth) !== f(retained)).length;
    return { commands: this.unanswered, pushes, state, total: this.unanswered + pushes + state };
  }
}
