// The claim while the technician page is open (docs/provisioning.md "Zero-touch claim", agent/claim.ts): the box
// asks for its identity by serial in the background, with backoff (1 s doubling to 60 s), and the technician can
// type the hall's install code, which is saved into the factory config (a power cut keeps it) and tried at once.
// One attempt at a time: the claim logs in with the serial as its client id, and two at once would drop each other.
import { claimOnce } from '../claim.js';
import { saveConfigFile } from '../config/load.js';
import { Config as ConfigSchema, type Config } from '../../core/config/schema.js';
import { ClaimRefusedError } from '../../core/claim.js';
import { BadRequestError, errorToWire } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export type ClaimView =
  | { state: 'waiting'; serial: string }
  | { state: 'claiming'; serial: string; since: string; installCode: boolean }
  /** `refused`: the carrier said no (its code); `failed`: no answer (`device_timeout`), no broker (`disconnected`)... */
  | { state: 'refused' | 'failed'; serial: string; code: string; message: string; at: string; installCode: boolean }
  | { state: 'claimed'; serial: string; boxId: string; hall: string; at: string };

const INSTALL_CODE = new RegExp(ConfigSchema.properties.claim.properties.installCode.pattern as string);

export class Claimer {
  private current: ClaimView;
  /** Resolves with the claimed config, already saved. */
  readonly claimed: Promise<Config>;
  private resolveClaimed!: (c: Config) => void;
  private chain: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private delay = 1000;
  private stopped = false;

  constructor(
    private readonly path: string,
    private cfg: Config,
    private readonly log: Logger,
    /** The view changed (the TV's card follows it). */
    private readonly changed: () => void = () => {},
  ) {
    this.current = { state: 'waiting', serial: cfg.claim!.serial };
    this.claimed = new Promise((r) => (this.resolveClaimed = r));
  }

  get view(): ClaimView {
    return this.current;
  }

  private set view(v: ClaimView) {
    this.current = v;
    this.changed();
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** The technician typed the hall's install code: saved, then tried now. Throws a bad code's form at once. */
  async enterCode(code: string): Promise<ClaimView> {
    const typed = code.trim().toUpperCase();
    if (!INSTALL_CODE.test(typed)) throw new BadRequestError('install code: 8 letters and digits, as on the work order (e.g. 7KQ2-M9XD)');
    if (this.view.state === 'claimed') return this.view;
    this.cfg = { ...this.cfg, claim: { ...this.cfg.claim!, installCode: typed } };
    await saveConfigFile(this.path, this.cfg);
    this.log.info('claim: install code entered on the technician page');
    this.delay = 1000;
    await this.attempt();
    return this.view;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.view.state !== 'claimed') {
      await this.attempt();
      if (this.stopped || this.isClaimed()) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.delay * (0.5 + Math.random() / 2));
        this.wake = () => (clearTimeout(t), r());
      });
      this.wake = null;
      this.delay = Math.min(60_000, this.delay * 2);
    }
  }

  private isClaimed(): boolean {
    return this.view.state === 'claimed';
  }

  private attempt(): Promise<void> {
    this.chain = this.chain.then(() => this.once());
    return this.chain;
  }

  private async once(): Promise<void> {
    if (this.view.state === 'claimed' || this.stopped) return;
    const serial = this.cfg.claim!.serial;
    const installCode = this.cfg.claim!.installCode !== undefined;
    this.view = { state: 'claiming', serial, since: new Date().toISOString(), installCode };
    try {
      const next = await claimOnce(this.path, this.cfg, this.log);
      this.view = { state: 'claimed', serial, boxId: next.box.id, hall: next.hall.name, at: new Date().toISOString() };
      this.resolveClaimed(next);
    } catch (err) {
      const at = new Date().toISOString();
      if (err instanceof ClaimRefusedError) {
        const code = String((err.details as { code?: unknown } | undefined)?.code ?? 'refused');
        this.view = { state: 'refused', serial, code, message: err.message, at, installCode };
      } else {
        const w = errorToWire(err);
        this.view = { state: 'failed', serial, code: w.code, message: w.message, at, installCode };
      }
      this.log.warn('claim failed; retrying', { err, retryInMs: this.delay });
    }
  }
}
