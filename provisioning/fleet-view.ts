// What the carrier sees of its boxes: the retained `presence` and `state` of every box, kept current by one
// subscription as the service user. `classify` turns a box's state and the version pushed to it into the answers a
// carrier asks for: applied, partial (taken, but parts of it did not start: the box's reasons), refused (with the
// reason), offline (applies on return), pending, or none (nothing pushed to it yet).
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import { everyBox } from '../core/topics.js';
import { RECEIVE_MAXIMUM } from '../core/receive-maximum.js';

/** How `diemcau-provision` logs in as the service: MQTT 5, a client id of its own, 10 s to connect. */
export function serviceLogin(login: { username: string; password: string }): mqtt.IClientOptions {
  return { protocolVersion: 5, clientId: `diemcau-provision-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, ...login, connectTimeout: 10_000 };
}

export interface BoxView {
  online: boolean | null;
  version?: string;
  config?: {
    version: number;
    status: string;
    refused?: { version: number | null; code: string; message: string };
    /** Steps of the running config that did not take (the box retries them): `camera: start`, `media: start`. */
    failed?: Array<{ step: string; code: string; message: string }>;
  };
  update?: { version?: string; status?: string; error?: string };
}

export type PushStatus = 'applied' | 'partial' | 'refused' | 'offline' | 'pending' | 'none';

export function classify(v: BoxView | undefined, desiredVersion: number, rebase = false): { status: PushStatus; reason?: string } {
  // Version 0 is no push at all: nothing to apply, on return or otherwise (whether the box is online is its own column).
  if (desiredVersion === 0) return { status: 'none', reason: 'no config pushed yet' };
  const cfg = v?.config;
  // A refusal of exactly this version first; `version` is what the box runs, and a refusal of some other
  // (older, replayed) version does not undo one it applied.
  if (cfg && cfg.status === 'refused' && cfg.refused?.version === desiredVersion) return { status: 'refused', reason: cfg.refused.message };
  // A rebase lowers the version: only the version itself shows it was taken (the higher one it replaces does not).
  if (cfg && (rebase ? cfg.version === desiredVersion : cfg.version >= desiredVersion)) {
    // Taken and saved, but what runs is not all of it: say which parts and why (the box keeps trying them).
    if (cfg.failed?.length) return { status: 'partial', reason: cfg.failed.map((f) => `${f.step}: ${f.message}`).join('; ') };
    return { status: 'applied' };
  }
  if (!v || v.online !== true) return { status: 'offline', reason: 'applies on return' };
  return { status: 'pending' };
}

/** Emits 'change' (boxId) whenever a box's presence or state arrives. */
export class FleetView extends EventEmitter {
  readonly boxes = new Map<string, BoxView>();
  private client: MqttClient | null = null;

  constructor(
    readonly url: string,
    private readonly login: { username: string; password: string },
    private readonly connectOpts: mqtt.IClientOptions = {},
  ) {
    super();
    this.setMaxListeners(0);
  }

  get mqtt(): MqttClient {
    if (!this.client) throw new Error('fleet view: not started');
    return this.client;
  }

  async start(): Promise<void> {
    // The first connection is not retried: a wrong broker or login is the carrier's to fix, said at once.
    this.client = await mqtt.connectAsync(
      this.url,
      {
        ...serviceLogin(this.login),
        reconnectPeriod: 1000,
        properties: { receiveMaximum: RECEIVE_MAXIMUM }, // or Mosquitto drops every box's state past 1020
        ...this.connectOpts,
      },
      false,
    );
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await this.client.subscribeAsync({ [everyBox('presence')]: { qos: 1 }, [everyBox('state')]: { qos: 1 } });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync().catch(() => {});
    this.client = null;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parts = topic.split('/');
    if (parts.length !== 4 || parts[2] === 'claim' || parts[2] === 'group') return;
    const boxId = parts[2];
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // a box that publishes junk is shown as it was before
    }
    if (body === null || typeof body !== 'object') return;
    const v = this.boxes.get(boxId) ?? { online: null };
    if (parts[3] === 'presence') {
      v.online = body.state === 'online';
      if (typeof body.version === 'string') v.version = body.version;
    } else {
      if (body.config && typeof body.config === 'object') v.config = body.config as BoxView['config'];
      if (body.update && typeof body.update === 'object') v.update = body.update as BoxView['update'];
      const agent = body.agent as { version?: unknown } | undefined;
      if (typeof agent?.version === 'string') v.version = agent.version;
      // A box that publishes state is connected, whatever its retained presence says.
      if (v.online === null) v.online = true;
    }
    this.boxes.set(boxId, v);
    this.emit('change', boxId);
  }

  /** Resolves once no presence/state has arrived for `quietMs` (the retained flood after subscribing is over). */
  settle(quietMs = 300, maxMs = 5000): Promise<void> {
    return new Promise((resolve) => {
      const end = Date.now() + maxMs;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        this.off('change', arm);
        resolve();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(finish, Math.min(quietMs, Math.max(0, end - Date.now())));
      };
      this.on('change', arm);
      arm();
    });
  }
}
