// The technician's page on the box (docs/commissioning.md): loaded only when it opens (`diemcau run` imports this
// file then), so a box that never serves it pays no memory for it. It opens while the box is unclaimed, and for
// `technician.windowS` after the claim or after a 5 s hold of talk + mute on the panel; then it closes and forgets
// every session. While open, the hall's TV shows a card (the serial, the page's address as text and as a QR code,
// the claim state) whenever no meeting shows the programme, and the camera and mic run for the page's picture and
// level meter.
//
//   diemcau run ── unclaimed: claimOnSite(): an agent without a broker link + the page + the claim (claimer.ts)
//               └─ claimed:   attach(agent) + open('claimed' | 'panel hold') ... close() after the window
import type { Agent } from '../agent.js';
import type { Config } from '../../core/config/schema.js';
import type { Logger } from '../../core/log.js';
import { DisconnectedError } from '../../core/errors.js';
import { Claimer } from './claimer.js';
import { Desk } from './desk.js';
import { Gate } from './gate.js';
import { lanSide, type LanSide } from './lan.js';
import { PageServer } from './server.js';
import { claimCardLine } from './words.js';

export type OpenReason = 'unclaimed' | 'claimed' | 'panel hold';

export interface TechnicianOptions {
  log: Logger;
  version: string;
}

export class Technician {
  private agentNow: Agent | null = null;
  private claimer: Claimer | null = null;
  private serial: string | null = null;
  private lan: LanSide | null = null;
  private server: PageServer | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private closesAt: number | null = null;
  /** The page could not open yet (no LAN address: DHCP not done); tried again while wanted. */
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly desk: Desk;
  private log: Logger;
  private readonly pageLog: Logger;

  constructor(private readonly opts: TechnicianOptions) {
    this.log = opts.log.child({ part: 'technician' });
    // The log follows the box: `unclaimed` until the claim, its box id after.
    const log: Logger = {
      debug: (m, f) => this.log.debug(m, f),
      info: (m, f) => this.log.info(m, f),
      warn: (m, f) => this.log.warn(m, f),
      error: (m, f) => this.log.error(m, f),
      child: (f) => this.log.child(f),
    };
    this.pageLog = log;
    this.desk = new Desk({
      agent: () => this.agent,
      claimer: () => (this.claimer && this.claimer.view.state !== 'claimed' ? this.claimer : null),
      serial: () => this.serial,
      lan: () => this.lan!,
      url: () => this.server?.url ?? '',
      closesAt: () => this.closesAt,
      version: opts.version,
      log,
    });
  }

  private get agent(): Agent {
    // Between the claim and the hall's own agent: a moment, and the page asks again.
    if (!this.agentNow) throw new DisconnectedError('the box is starting again as its hall: a moment');
    return this.agentNow;
  }

  /** The page's address, once it listens. */
  get url(): string | null {
    return this.server?.url ?? null;
  }

  /**
   * A factory box: runs `agent` (built without a broker link) for the devices, the media path and the page, and asks
   * for the box's identity, by serial or with the install code the technician types. Resolves with the claimed
   * config, saved, once `agent` has stopped; the page stays open for the next agent (attach, open('claimed')).
   */
  async claimOnSite(path: string, agent: Agent, log: Logger): Promise<Config> {
    const claimer = new Claimer(path, agent.config, log, () => this.server && this.showCard());
    this.claimer = claimer;
    this.serial = agent.config.claim?.serial ?? null;
    await agent.start();
    this.attach(agent);
    await this.open('unclaimed');
    claimer.start();
    const claimed = await claimer.claimed;
    this.log = this.opts.log.child({ part: 'technician', box: claimed.box.id });
    this.showCard(); // claimed: the card says so while the next agent starts
    await agent.stop();
    this.agentNow = null;
    return claimed;
  }

  /** The agent running now: the page reads it, and its media path shows the card and monitors camera and mic. */
  attach(agent: Agent): void {
    this.agentNow = agent;
    if (this.server) this.mediaOn(true);
  }

  /**
   * Opens the page (or keeps it open longer). A box that cannot yet (its LAN has no address: DHCP is not done, the
   * cable is out) says why and tries again every 10 s until it can, or until the page is closed.
   */
  async open(why: OpenReason): Promise<void> {
    const cfg = this.agent.config.technician;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.server) {
      const server = await this.listen(cfg).catch((err) => {
        if (!this.retryTimer) this.log.error('technician page: cannot open yet; trying again in 10 s', { why, err });
        this.retryTimer = setTimeout(() => void this.open(why), 10_000);
        return null;
      });
      if (!server) return;
      this.server = server;
      void this.desk.status().catch(() => {}); // resolves the broker's addresses before the first peer
    }
    const unclaimed = this.claimer !== null && this.claimer.view.state !== 'claimed';
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.closesAt = unclaimed ? null : Date.now() + cfg.windowS * 1000;
    if (this.closesAt !== null) this.closeTimer = setTimeout(() => void this.close('the window ended'), cfg.windowS * 1000);
    this.mediaOn(true);
    this.log.info('technician page: open', { why, url: this.server.url, closesAt: this.closesAt && new Date(this.closesAt).toISOString() });
  }

  private async listen(cfg: Config['technician']): Promise<PageServer> {
    this.lan = lanSide(cfg);
    const gate = new Gate(() => this.agentNow?.config.technician.password, this.pageLog);
    const server = new PageServer(this.desk, gate, this.lan, cfg.port, () => this.desk.brokerAddresses(), this.pageLog);
    await server.listen();
    return server;
  }

  /** Closes the page: no more connections, every session forgotten, the TV's card gone. */
  async close(why: string): Promise<void> {
    this.claimer?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    const s = this.server;
    this.server = null;
    if (!s) return;
    this.mediaOn(false);
    await s.close();
    this.log.info('technician page: closed', { why });
  }

  private mediaOn(on: boolean): void {
    const media = this.agentNow?.media;
    if (!media) return;
    media.setMonitor(on);
    if (on) this.showCard();
    else media.setCard(null);
  }

  /** What the TV shows while no meeting does: who the box is, where the page is, and the claim. */
  private showCard(): void {
    const a = this.agentNow;
    const url = this.server?.url;
    if (!a?.media || !url) return;
    const view = this.claimer?.view ?? null;
    const id = a.config.box.id;
    a.media.setCard({
      lines: [
        'DIEMCAU HALL BOX - TECHNICIAN PAGE',
        this.serial ? `SERIAL ${this.serial}` : `BOX ${id.toUpperCase()}`,
        `OPEN ${url}`,
        claimCardLine(view, view?.state === 'claimed' ? view.boxId : id),
      ],
      qr: url,
    });
  }
}
