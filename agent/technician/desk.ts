// What the technician page does on the box (server.ts's PageApi), on the agent running now: the status it shows,
// the mic level and the pictures, the self-test, the hall's tests (LEDs, relays, the TV's input), the install code
// and the commissioning report. The hall's own commands run through the agent's command router, with the same
// checks and timeouts as the centre's.
import type { Agent } from '../agent.js';
import type { Config } from '../../core/config/schema.js';
import { BadRequestError, DisconnectedError, DiemcauError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { schemaErrors } from '../../core/schema/parse.js';
import { CommissioningReport, type SelftestSummary, type SnapshotAnswer } from '../../core/payloads.js';
import type { SelftestResult } from '../media/worker/protocol.js';
import type { PageApi } from './server.js';
import type { Claimer } from './claimer.js';
import { claimSentence } from './words.js';
import { brokerAddresses, clockSynced, defaultGateway, nameservers, tcpReachable } from './network.js';
import type { LanSide } from './lan.js';

/** The page's view of the box, kept by technician.ts: the agent and claim of the moment. */
export interface DeskHost {
  agent(): Agent;
  claimer(): Claimer | null;
  /** The factory serial, when the box claimed (or claims) with one. */
  serial(): string | null;
  lan(): LanSide;
  url(): string;
  closesAt(): number | null;
  version: string;
  log: Logger;
}

const NETWORK_CACHE_MS = 5000;

export class Desk implements PageApi {
  private net: { at: number; value: CommissioningReport['network'] & { interface: string; broker: string; connected: boolean } } | null = null;
  private brokers: string[] = [];
  private lastSelftest: SelftestSummary | null = null;
  private reportedAt: string | null = null;

  constructor(private readonly host: DeskHost) {}

  private get agent(): Agent {
    return this.host.agent();
  }

  private get config(): Config {
    return this.agent.config;
  }

  /** The broker's addresses, as last resolved (the page never answers them). */
  brokerAddresses(): readonly string[] {
    return this.brokers;
  }

  private async network() {
    if (this.net && Date.now() - this.net.at < NETWORK_CACHE_MS) return this.net.value;
    const lan = this.host.lan();
    const broker = this.config.mqtt.brokers[0];
    const connected = this.agent.link.connected;
    const [gateway, dns, reachable, synced, addrs] = await Promise.all([
      defaultGateway(lan.interface),
      nameservers(),
      connected ? Promise.resolve(true) : tcpReachable(broker),
      clockSynced(),
      brokerAddresses(this.config.mqtt.brokers),
    ]);
    this.brokers = addrs;
    const value = { interface: lan.interface, address: lan.address, gateway, dns, broker, brokerReachable: reachable, connected, clockSynced: synced };
    this.net = { at: Date.now(), value };
    return value;
  }

  private claimed(): boolean {
    const c = this.host.claimer();
    return !c || c.view.state === 'claimed';
  }

  async status(): Promise<unknown> {
    const a = this.agent;
    const claimer = this.host.claimer();
    const panel = a.devices.get('panel')?.report();
    const media = a.media?.report() ?? null;
    return {
      box: { serial: this.host.serial(), id: a.config.box.id, hall: a.config.hall.name, version: this.host.version },
      claim: claimer ? { claimed: claimer.view.state === 'claimed', state: claimer.view.state, sentence: claimSentence(claimer.view) } : { claimed: true, state: 'claimed', sentence: `Claimed: this box is ${a.config.box.id}.` },
      page: { url: this.host.url(), closesAt: this.host.closesAt() },
      network: await this.network(),
      devices: [...a.devices].map(([id, d]) => ({ id, kind: d.kind, status: d.health().status, message: d.health().message ?? null })),
      media: media && { status: media.status, heard: media.heard, seen: media.seen },
      relays: Object.entries((panel?.relays ?? {}) as Record<string, boolean>).map(([name, on]) => ({ name, on })),
      display: a.devices.has('display'),
      selftest: this.lastSelftest,
      report: this.reportedAt && { at: this.reportedAt },
    };
  }

  level(): unknown {
    return this.agent.media?.micLevel() ?? { rmsDbfs: null, peakDbfs: null, at: null };
  }

  private mediaPath() {
    const m = this.agent.media;
    if (!m) throw new DisconnectedError('media: the media path does not run on this box (media.enabled is false in its config)');
    return m;
  }

  camera(by: string): Promise<SnapshotAnswer> {
    return this.mediaPath().snapshot(by);
  }

  tv(): Promise<SnapshotAnswer> {
    return this.mediaPath().tvStill();
  }

  /**
   * Whether the centre hears the hall: the `selftest` command, in the meeting the hall is in, or else in the test
   * room of `technician.selftest` (joined for it, and left after).
   */
  async selftest(): Promise<SelftestSummary> {
    const media = this.mediaPath();
    const router = this.agent.router;
    const room = this.config.technician.selftest;
    const inMeeting = media.report().status === 'joined';
    if (!inMeeting && !room) throw new BadRequestError('selftest: the hall is not in a meeting and this box has no test room (technician.selftest in its config)');
    if (!inMeeting && media.report().status !== 'idle') throw new DiemcauError('busy', `selftest: the hall is joining a meeting (media ${media.report().status}); try again in a moment`);
    const bridge = inMeeting ? 'the meeting' : room!.bridge;
    this.host.log.info('technician page: selftest', { bridge });
    try {
      if (!inMeeting) {
        const joined = (await router.invoke('join', { ...room!, display: `${this.config.box.id} selftest` })) as { status: string; error?: { message: string } };
        if (joined.status !== 'joined') throw new DisconnectedError(`selftest: could not join the test room at ${room!.bridge}: ${joined.error?.message ?? joined.status}`);
      }
      const r = (await router.invoke('selftest', { seconds: 3 })) as SelftestResult;
      this.lastSelftest = { received: r.received, lossPct: r.lossPct, rttMs: r.rttMs, jitterMs: r.jitterMs, packetsSent: r.packetsSent, at: new Date().toISOString(), bridge };
      return this.lastSelftest;
    } finally {
      if (!inMeeting) await router.invoke('leave', {}).catch((err) => this.host.log.warn('selftest: leaving the test room failed', { err }));
    }
  }

  ledTest(): Promise<unknown> {
    return this.agent.router.invoke('panel.led-test', {});
  }

  relay(name: string, on: boolean): Promise<unknown> {
    return this.agent.router.invoke('panel.relay', { name, on });
  }

  async displayInput(): Promise<unknown> {
    const input = this.config.devices.display?.input;
    if (!input) throw new BadRequestError('display: this box drives no display (devices.display is not in its config)');
    await this.agent.router.invoke('display.power', { on: true });
    return this.agent.router.invoke('display.input', { input });
  }

  async claim(code: string): Promise<unknown> {
    const c = this.host.claimer();
    if (!c) throw new BadRequestError(`claim: this box is already ${this.config.box.id}`);
    const view = await c.enterCode(code);
    return { claimed: view.state === 'claimed', state: view.state, sentence: claimSentence(view) };
  }

  /** The commissioning report, retained on the box's `commissioning` topic for the carrier. */
  async done(name: string, notes: string | undefined, address: string): Promise<unknown> {
    if (!this.claimed()) throw new BadRequestError('done: claim the box first (the report goes to the carrier as this hall)');
    const a = this.agent;
    if (!a.link.connected) throw new DisconnectedError("done: the box is not connected to the carrier's broker now; try again when the network shows connected");
    const snapshot = a.media ? await a.media.snapshot(`commissioning report (${address})`).catch(() => null) : null;
    const net = await this.network();
    const report: CommissioningReport = {
      box: a.config.box.id,
      serial: this.host.serial(),
      hall: a.config.hall.name,
      technician: { name, address },
      at: new Date().toISOString(),
      version: this.host.version,
      devices: Object.fromEntries([...a.devices].map(([id, d]) => [id, { kind: d.kind, health: d.health() }])),
      network: { address: net.address, gateway: net.gateway, dns: net.dns, brokerReachable: net.brokerReachable, clockSynced: net.clockSynced },
      selftest: this.lastSelftest,
      snapshot,
      ...(notes ? { notes } : {}),
    };
    const errors = schemaErrors(CommissioningReport, report);
    if (errors.length) throw new BadRequestError(`done: the report does not hold together: ${errors.join('; ')}`);
    const sent = await a.link.publish(a.topics.commissioning, JSON.stringify(report), { qos: 1, retain: true });
    if (!sent) throw new DisconnectedError('done: the broker did not take the report; try again');
    this.reportedAt = report.at;
    this.host.log.info('technician page: commissioning report sent', { technician: name, address, selftest: report.selftest?.received ?? null, snapshot: snapshot !== null });
    return { sentence: `Sent to the carrier at ${new Date(report.at).toLocaleTimeString('en-GB')}: diemcau-provision report ${report.box} shows it.`, at: report.at };
  }
}
