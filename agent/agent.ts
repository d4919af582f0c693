// The agent: one hall's box. Composes the broker link, the reported state, the command router, the devices and the
// media path from a config, and reconciles the hall with the carrier's desired config (agent/desired/). No globals:
// a bench runs thousands of these in a few processes.
import type { IPublishPacket } from 'mqtt';
import type { Config } from '../core/config/schema.js';
import { mergeDesired, parseDesired, readDesired, saveConfigFile } from './config/load.js';
import { ConfigError, DisconnectedError, errorToWire } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Device } from './devices/device.js';
import type { MediaPath } from './media/types.js';
import { BrokerLink } from './mqtt/broker-link.js';
import { boxTopics, groupCmdFilter, type BoxTopics } from '../core/topics.js';
import { ReportedState } from './reported-state.js';
import { CommandRouter } from './command-router.js';
import { agentCommandHandlers } from './agent-commands.js';
import { bareHall, type DeviceConfig, type DeviceId, type Running, type Step } from './desired/plan.js';
import { Reconciler } from './desired/reconciler.js';
import { Hall } from './hall.js';
import { Meeting } from './meeting.js';
import { readTelemetry } from './telemetry.js';
import type { Presence, StateSections } from '../core/payloads.js';

/** How often a desired config refused for a full disk is saved again, until it is saved or a newer one comes. */
export const DESIRED_DISK_FULL_RETRY_MS = 5000;

export type DeviceFactory = (id: DeviceId, cfg: DeviceConfig, log: Logger) => Promise<Device>;
/** `box`: this box's id, the display name its feed is published under when a `join` names none. */
export type MediaFactory = (cfg: Config['media'], log: Logger, box: string) => Promise<MediaPath>;

export interface AgentOptions {
  config: Config;
  /** Where an accepted desired config is saved (atomically); null: keep it in memory only (benches). */
  configPath: string | null;
  log: Logger;
  version: string;
  rand?: () => number;
  deviceFactory?: DeviceFactory;
  mediaFactory?: MediaFactory;
  /** Stops the agent and exits for systemd to start it again (`agent.restart`); throws to refuse. None: refused. */
  restart?: () => void;
  /** No broker link (a box that has no identity yet: the technician page runs it while it claims one). */
  offline?: boolean;
  /** The panel's 5 s hold of talk + mute: opens the technician page (agent/technician/). */
  technicianHold?: () => void;
}

export class Agent {
  config: Config;
  readonly topics: BoxTopics;
  readonly link: BrokerLink;
  readonly state: ReportedState;
  readonly router: CommandRouter;
  readonly devices = new Map<string, Device>();
  media: MediaPath | null = null;
  readonly startedAt = Date.now();
  /** performance.now() at start: uptime is a duration, which a step of the wall clock (NTP) must not change. */
  private readonly startedMono = performance.now();
  private readonly hall: Hall;
  private readonly meeting: Meeting;
  private telemetryTimer: NodeJS.Timeout | null = null;
  /** A desired config refused for a full disk, to be saved again (retryDesired). */
  private desiredRetry: NodeJS.Timeout | null = null;
  private desiredChain: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  /** What actually runs: kept by runStep() as each step takes or fails, read by the planner. */
  private readonly running: Running;
  private readonly reconciler: Reconciler;
  private stopped = false;

  constructor(private readonly opts: AgentOptions) {
    this.config = opts.config;
    this.log = opts.log;
    const id = this.config.box.id;
    this.topics = boxTopics(id);
    this.state = new ReportedState(this.config.mqtt.stateThrottleMs);
    this.router = new CommandRouter(id, this.topics.reply, this.log, () => this.config.mqtt.maxCommandBytes);
    this.link = new BrokerLink(
      {
        clientId: id,
        mqtt: this.config.mqtt,
        presenceTopic: this.topics.presence,
        presence: (state, reason) =>
          JSON.stringify({ state, box: id, version: opts.version, ...(reason ? { reason: reason as Presence['reason'] } : {}), ts: new Date().toISOString() } satisfies Presence),
      },
      this.log,
      opts.rand,
    );
    this.meeting = new Meeting(this.log.child({ part: 'meeting' }), {
      box: id,
      hallName: () => this.config.hall.name,
      media: () => this.media,
      event: (name: string, payload: object) =>
        void this.link.publish(this.topics.event(name), JSON.stringify(payload), { qos: 1, properties: { messageExpiryInterval: 300 } }),
      changed: () => {
        this.state.set('hall', this.hallSection());
        // The mic the floor opened or closed, in the same state as the floor (the worker's report follows).
        if (this.media) this.state.set('media', this.media.report());
        this.refreshHall();
      },
    });
    this.hall = new Hall(this.log, {
      talk: () => this.meeting.talk(),
      mute: () => this.meeting.mute(),
      toggleAudioOnly: async () => this.media?.setAudioOnly(!this.media.report().audioOnly),
      technician: () => opts.technicianHold?.(),
    });
    // start() sets up the link, the hall and telemetry from the config; devices and media come from the reconciler.
    this.running = bareHall(this.config);
    this.reconciler = new Reconciler(
      {
        running: () => this.running,
        run: (step, target) => this.runStep(step, target),
        publishState: () => this.state.flushNow(),
        moveTo: (mqtt) => {
          this.link.reconfigure(mqtt);
          this.running.mqtt = mqtt;
        },
      },
      this.config,
      { log: this.log, report: (r) => this.state.set('config', r) },
    );
  }

  async start(): Promise<void> {
    this.registerOwnCommands();
    this.state.set('agent', { version: this.opts.version, startedAt: new Date(this.startedAt).toISOString(), pid: process.pid });
    this.state.set('hall', this.hallSection());
    this.state.set('network', this.networkReport());
    await this.reconciler.setTarget(this.config); // devices and media; `state.config` says whether all started
    this.publishDevices();

    this.link.on('connected', () => {
      this.state.set('network', this.networkReport());
      this.state.attach((payload) => this.link.publish(this.topics.state, payload, { qos: 1, retain: true }));
      this.refreshHall();
      this.sendTelemetry();
    });
    this.link.on('disconnected', () => {
      this.state.attach(null);
      this.state.set('network', this.networkReport());
      this.refreshHall();
    });
    this.link.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => this.onMessage(topic, payload, packet));
    this.link.subscribe(this.topics.cmd, 1);
    this.link.subscribe(this.topics.desired, 1);
    for (const g of this.config.hall.groups) this.link.subscribe(groupCmdFilter(g), 1);
    if (!this.opts.offline) this.link.start();
    this.startTelemetry();
    this.refreshHall();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reconciler.stop();
    clearInterval(this.telemetryTimer ?? undefined);
    clearTimeout(this.desiredRetry ?? undefined);
    this.meeting.stop();
    this.state.stop();
    await Promise.allSettled([
      this.link.stop(),
      ...[...this.devices.values()].map((d) => d.stop()),
      this.media ? this.media.stop() : Promise.resolve(),
    ]);
  }

  private registerOwnCommands(): void {
    const own = agentCommandHandlers({
      version: this.opts.version,
      startedMono: this.startedMono,
      state: this.state,
      router: this.router,
      restart: this.opts.restart,
    });
    for (const spec of [...own, ...this.meeting.commands()]) this.router.register(spec);
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === this.topics.desired) {
      this.takeDesired(payload);
      return;
    }
    void this.router.handle(topic, payload, packet).then(async (reply) => {
      if (!reply) return;
      const sent = await this.link.publish(reply.topic, reply.payload, {
        qos: 1,
        properties: { correlationData: reply.correlationData, messageExpiryInterval: 60 },
      });
      // The caller waits for this answer: say when it could not go (the link dropped, or the broker refused it).
      if (!sent) this.log.warn('reply not delivered', { cmd: topic, replyTopic: reply.topic, connected: this.link.connected });
    });
  }

  /** Desired configs are taken one at a time, in order; a newer one replaces a retry still waiting. */
  private takeDesired(payload: Buffer): void {
    if (this.desiredRetry) clearTimeout(this.desiredRetry);
    this.desiredRetry = null;
    this.desiredChain = this.desiredChain.then(() => this.onDesired(payload));
  }

  /**
   * A full disk frees up by itself (a log rotated, a download removed) and the carrier's push is still the one the
   * hall must run: without this it was taken again only at the next push or reconnect, and until then lost.
   */
  private retryDesired(payload: Buffer): void {
    if (this.stopped) return;
    this.desiredRetry = setTimeout(() => !this.stopped && this.takeDesired(payload), DESIRED_DISK_FULL_RETRY_MS);
  }

  /**
   * Validates and saves a desired config, then hands it to the reconciler, which makes the hall run it and reports
   * the outcome in `state.config`. A refusal (not valid, older, not saved) changes nothing and says so.
   */
  private async onDesired(payload: Buffer): Promise<void> {
    const source = this.topics.desired;
    if (payload.length === 0) return; // retained message cleared by the carrier
    let version: number | null = null;
    let next: Config;
    try {
      const raw = readDesired(payload, source);
      if (Number.isSafeInteger(raw?.version)) version = raw!.version as number; // named in a refusal even if the rest is bad
      const desired = parseDesired(raw, source);
      version = desired.version;
      if (desired.version === this.config.configVersion) {
        // The retained config again (every reconnect): report what really runs, not that it was once accepted.
        this.log.info('desired config: same version, re-planned', { version });
        return await this.reconciler.replan();
      }
      if (desired.version < this.config.configVersion && !desired.rebase) {
        throw new ConfigError(source, [
          `version: ${desired.version} is older than the applied ${this.config.configVersion} (diemcau-provision rebase resets a box's version)`,
        ]);
      }
      if (desired.version < this.config.configVersion) {
        this.log.warn('desired config rebases the version', { from: this.config.configVersion, to: desired.version });
      }
      next = mergeDesired(this.config, desired);
      if (this.opts.configPath) await saveConfigFile(this.opts.configPath, next);
    } catch (err) {
      const wire = errorToWire(err);
      this.log.warn('desired config refused', { version, reason: wire.message });
      const errors = err instanceof ConfigError ? err.errors : undefined;
      if (wire.code === 'disk_full') this.retryDesired(payload);
      return await this.reconciler.refuse({ version, code: wire.code, message: wire.message, ...(errors ? { errors } : {}) });
    }
    this.config = next;
    this.log.info('desired config saved: reconciling', { version: next.configVersion });
    await this.reconciler.setTarget(next);
  }

  /** One step of the reconciler; keeps `running` true to what runs, also when the step fails half-way. */
  private async runStep(step: Exclude<Step, { kind: 'broker' }>, target: Config): Promise<void> {
    switch (step.kind) {
      case 'hall':
        this.running.hall = target.hall;
        this.state.set('hall', this.hallSection());
        break;
      case 'groups':
        for (const g of step.remove) this.link.unsubscribe(groupCmdFilter(g));
        for (const g of step.add) this.link.subscribe(groupCmdFilter(g), 1);
        break;
      case 'telemetry':
        this.running.telemetry = target.telemetry;
        this.startTelemetry();
        break;
      case 'device': {
        const cfg = target.devices[step.id];
        try {
          await this.stopDevice(step.id); // the running one, or what a failed start left
          delete this.running.devices[step.id];
          if (!cfg || step.action === 'stop') return;
          this.running.devices[step.id] = { config: cfg, started: false };
          await this.startDevice(step.id, cfg);
          this.running.devices[step.id] = { config: cfg, started: true };
        } finally {
          this.publishDevices();
        }
        break;
      }
      case 'media':
        if (step.action === 'bridge' && this.media) {
          // The meeting moves to the region's new bridge; the worker and everything else of the path stay.
          await this.media.setBridge(target.media.bridge);
          this.running.media = { config: target.media, started: true };
          break;
        }
        // After a failed start nothing runs: `state.media` keeps saying why until the next start or the stop.
        if (this.media || step.action === 'stop' || !target.media.enabled) await this.stopMedia();
        this.running.media = null;
        if (!target.media.enabled || step.action === 'stop') return;
        this.running.media = { config: target.media, started: false };
        await this.startMedia(target.media);
        this.running.media = { config: target.media, started: true };
        break;
    }
  }

  /** Builds and starts a device; throws when it cannot start (a missing port is not that: it retries by itself).
   *  A device whose start failed stays, showing its error in `state.devices`, until the next step clears it. */
  private async startDevice(id: DeviceId, cfg: DeviceConfig): Promise<void> {
    if (!this.opts.deviceFactory) throw new ConfigError(`devices.${id}`, [`devices.${id}: no driver for this device in this build`]);
    const device = await this.opts.deviceFactory(id, cfg, this.log.child({ device: id }));
    this.devices.set(id, device);
    for (const c of device.commands()) this.router.register(c);
    device.on('change', () => this.publishDevices());
    this.hall.attach(device);
    if (id === 'panel') this.hall.resetPanel();
    await device.start();
  }

  private async stopDevice(id: DeviceId): Promise<void> {
    const d = this.devices.get(id);
    if (!d) return;
    this.devices.delete(id);
    for (const c of d.commands()) this.router.unregister(c.name); // `camera.snapshot` is the media path's
    d.removeAllListeners();
    await d.stop().catch((err) => this.log.warn('device stop failed', { device: id, err }));
  }

  /** Builds and starts the media path; when it cannot start, lets go of what it began and says why in `state.media`. */
  private async startMedia(cfg: Config['media']): Promise<void> {
    if (!this.opts.mediaFactory) throw new ConfigError('media', ['media.enabled: this build has no media path']);
    const media = await this.opts.mediaFactory(cfg, this.log.child({ part: 'media' }), this.config.box.id);
    try {
      await media.start();
    } catch (err) {
      await media.stop().catch(() => {});
      const { code, message } = errorToWire(err);
      this.state.set('media', { ...IDLE_MEDIA, status: 'failed', error: { code, message } });
      this.refreshHall();
      throw err;
    }
    if (this.stopped) {
      // stop() came while the worker was starting: it must not outlive the agent.
      await media.stop().catch(() => {});
      throw new DisconnectedError('media: the agent stopped while the media path was starting');
    }
    this.media = media;
    for (const c of media.commands()) this.router.register(c);
    const changed = () => {
      this.state.set('media', media.report());
      this.meeting.mediaChanged(media.report());
      this.refreshHall();
    };
    media.on('change', changed);
    changed();
  }

  private async stopMedia(): Promise<void> {
    const m = this.media;
    this.media = null;
    if (m) {
      for (const c of m.commands()) this.router.unregister(c.name);
      m.removeAllListeners();
      await m.stop().catch((err) => this.log.warn('media stop failed', { err }));
    }
    if (this.state.get('media') !== undefined) this.state.set('media', IDLE_MEDIA);
    this.meeting.mediaChanged(null);
  }

  private publishDevices(): void {
    const out: StateSections['devices'] = {};
    for (const [id, d] of this.devices) out[id] = { kind: d.kind, health: d.health(), ...d.report() };
    this.state.set('devices', out);
  }

  private refreshHall(): void {
    this.hall.update(this.link.connected, this.media?.report() ?? null, this.devices, this.meeting.overlay());
  }

  /** state.hall: the hall as configured, its floor and its last roll call. */
  private hallSection(): StateSections['hall'] {
    return { ...this.config.hall, floor: this.meeting.floor, rollcall: this.meeting.rollcall };
  }

  private networkReport(): StateSections['network'] {
    const s = this.link.status();
    return { connected: s.connected, broker: s.broker, connects: s.connects, lastDrop: s.lastDrop };
  }

  private startTelemetry(): void {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    this.telemetryTimer = setInterval(() => this.sendTelemetry(), this.config.telemetry.intervalS * 1000);
  }

  private sendTelemetry(): void {
    if (!this.link.connected) return;
    const expiry = Math.ceil(this.config.telemetry.intervalS * 3);
    readTelemetry(this.startedMono, this.media ? (this.media.workerHealth?.() ?? null) : undefined)
      .then((t) => this.link.publish(this.topics.telemetry, JSON.stringify(t), { qos: 0, properties: { messageExpiryInterval: expiry } }))
      .catch((err) => this.log.debug('telemetry failed', { err }));
  }
}

const IDLE_MEDIA = { status: 'idle' as const, seen: false, heard: false, muted: false, audioOnly: false };
