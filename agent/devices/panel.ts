// The hall's button panel as the agent sees it (id `panel`): talk and mute buttons in, tally and status LEDs and
// relays out. Lines come from a LineOpener (real sysfs GPIO through onoff, or simulated); a line that cannot be
// opened makes the panel `missing`, naming the line, and is tried again later while the rest keeps working.
import { EventEmitter } from 'node:events';
import type { HallIndicator, PanelDevice } from './device.js';
import type { Health } from '../../core/health.js';
import { DeviceHealth, Reopen } from '../../core/device-health.js';
import { command, type CommandSpec } from '../../core/commands/define.js';
import { panelCommands } from '../../core/commands/panel.js';
import { BadRequestError, DisconnectedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { PanelConfig } from '../../core/config/panel.js';
import { lineName, type LineOpener } from '../../drivers/gpio/line.js';
import { SimLineOpener, SimLine } from '../../drivers/gpio/sim-line.js';
import { OnoffLineOpener } from '../../drivers/gpio/onoff-line.js';
import { Button } from '../../drivers/gpio/buttons.js';
import { Led, type Pattern } from '../../drivers/gpio/leds.js';
import { HALL_PATTERNS } from '../hall.js';
import { Relays } from '../../drivers/gpio/relays.js';
import { realClock, type Clock } from '../../core/clock.js';

type Role = 'talk' | 'mute' | 'tally' | 'status';

/** Talk and mute held together this long open the technician page (input `technician`). */
export const TECHNICIAN_HOLD_MS = 5000;

class Panel extends EventEmitter implements PanelDevice {
  readonly id = 'panel';
  readonly kind = 'panel' as const;
  private readonly h: DeviceHealth;
  private readonly reopen: Reopen;
  private hall: HallIndicator = 'offline';
  private readonly buttons = new Map<'talk' | 'mute', Button>();
  private readonly leds = new Map<'tally' | 'status', Led>();
  private relays: Relays | null = null;
  private readonly failed = new Map<string, string>();
  private running = false;
  private ledTest = false;
  /** Both buttons are (or were, until both are up) held together: their own inputs are not the hall's. */
  private combo = false;
  private comboTimer: unknown = null;

  constructor(
    private readonly cfg: PanelConfig,
    private readonly log: Logger,
    private readonly opener: LineOpener,
    private readonly clock: Clock,
  ) {
    super();
    this.h = new DeviceHealth({ name: 'panel', log, onChange: () => this.emit('change'), clock });
    this.h.set('starting');
    this.reopen = new Reopen(() => (this.running ? this.openMissing() : undefined), clock);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.openMissing();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reopen.cancel();
    this.comboUp();
    for (const b of this.buttons.values()) {
      await b.stop();
      await b.line.release().catch(() => {});
    }
    for (const l of this.leds.values()) {
      await l.stop();
      await l.line.release().catch(() => {});
    }
    await this.relays?.stop();
    this.buttons.clear();
    this.leds.clear();
    this.relays = null;
    this.h.set('stopped');
  }

  health(): Health {
    return this.h.current;
  }

  report(): Record<string, unknown> {
    return {
      hallState: this.hall,
      buttons: Object.fromEntries([...this.buttons].map(([k, b]) => [k, b.isPressed ? 'pressed' : 'released'])),
      leds: Object.fromEntries([...this.leds].map(([k, l]) => [k, l.current])),
      relays: this.relays?.report() ?? {},
    };
  }

  showHallState(state: HallIndicator): void {
    this.hall = state;
    if (!this.ledTest) this.applyHall();
    this.emit('change');
  }

  commands(): CommandSpec[] {
    const c = panelCommands;
    const specs: CommandSpec[] = [
      command(c.relay, 2000, async (a) => {
        if (!this.relays) throw new BadRequestError('panel: not started');
        const bcm = Object.hasOwn(this.cfg.relays, a.name) ? this.cfg.relays[a.name] : undefined; // a name from the wire
        if (bcm !== undefined && !this.relays.has(a.name)) {
          const name = lineName(`${a.name} relay`, bcm);
          throw new DisconnectedError(this.failed.get(name) ?? `${name}: missing`);
        }
        await this.relays.set(a.name, a.on);
        this.emit('change');
        return { relays: this.relays.report() };
      }),
      command(c.ledTest, 5000, async () => {
        const names = [...this.leds.keys()];
        this.ledTest = true;
        try {
          for (const l of this.leds.values()) l.show('on');
          await new Promise((r) => this.clock.setTimeout(() => r(undefined), 1000));
        } finally {
          this.ledTest = false;
          this.applyHall();
        }
        return { tested: names };
      }),
    ];
    if (this.cfg.simulate) {
      specs.push(command(c.simPress, 12000, (a) => this.simPress(a.button, a.ms)));
    }
    return specs;
  }

  private async simPress(button: 'talk' | 'mute', ms: number): Promise<{ button: string; ms: number; inputs: string[] }> {
    const b = this.buttons.get(button);
    if (!b || !(b.line instanceof SimLine)) {
      throw new BadRequestError(`panel.sim-press: no simulated ${button} button (is devices.panel.${button}Button set?)`);
    }
    const line = b.line;
    const pressed = this.cfg.activeLow ? 0 : 1;
    const inputs: string[] = [];
    const record = (name: string) => inputs.push(name);
    this.on('input', record);
    try {
      line.set(pressed);
      await new Promise((r) => this.clock.setTimeout(() => r(undefined), ms));
      line.set(pressed ? 0 : 1);
      // Let the release settle through the debounce before answering.
      await new Promise((r) => this.clock.setTimeout(() => r(undefined), this.cfg.debounceMs + 5));
    } finally {
      this.off('input', record);
    }
    return { button, ms, inputs };
  }

  private applyHall(): void {
    const p = HALL_PATTERNS[this.hall];
    this.leds.get('tally')?.show(p.tally);
    this.leds.get('status')?.show(p.status);
  }

  private async openMissing(): Promise<void> {
    const c = this.cfg;
    const want: Array<[Role, number | undefined]> = [
      ['talk', c.talkButton],
      ['mute', c.muteButton],
      ['tally', c.tallyLed],
      ['status', c.statusLed],
    ];
    for (const [role, bcm] of want) {
      if (bcm === undefined || this.buttons.has(role as 'talk') || this.leds.has(role as 'tally')) continue;
      const name = lineName(role === 'talk' || role === 'mute' ? `${role} button` : `${role} LED`, bcm);
      await this.attempt(name, async () => {
        if (role === 'talk' || role === 'mute') await this.openButton(role, bcm, name);
        else {
          const led = new Led(await this.opener.output(bcm, name, 0), this.clock);
          this.leds.set(role, led);
          this.applyHall();
        }
      });
    }
    await this.openRelays();
    this.judge();
  }

  private async openButton(role: 'talk' | 'mute', bcm: number, name: string): Promise<void> {
    const line = await this.opener.input(bcm, name, 'both');
    const b = new Button(line, { activeLow: this.cfg.activeLow, debounceMs: this.cfg.debounceMs, longPressMs: this.cfg.longPressMs }, this.clock);
    b.on('down', () => this.comboDown());
    if (role === 'talk') b.on('down', () => !this.combo && this.input('talk'));
    else {
      b.on('short', () => !this.combo && this.input('mute'));
      b.on('long', () => !this.combo && this.input('audio-only'));
    }
    b.on('down', () => this.emit('change'));
    b.on('up', () => this.comboUp());
    b.on('up', () => this.emit('change'));
    await b.start();
    this.buttons.set(role, b);
  }

  /** Opens the relays not open yet; each that opens works at once, the others are tried again later. */
  private async openRelays(): Promise<void> {
    const relays = (this.relays ??= new Relays(new Map(), this.cfg.relayActiveLow));
    const safe = Relays.safeLevel(this.cfg.relayActiveLow);
    for (const [rname, bcm] of Object.entries(this.cfg.relays)) {
      if (relays.has(rname)) continue;
      const name = lineName(`${rname} relay`, bcm);
      await this.attempt(name, async () => relays.add(rname, await this.opener.output(bcm, name, safe)));
    }
  }

  private async attempt(name: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      this.failed.delete(name);
      return true;
    } catch (err) {
      this.failed.set(name, (err as Error).message);
      return false;
    }
  }

  /** Mute held, then talk too (or the other way round): after TECHNICIAN_HOLD_MS of both, the technician input. */
  private comboDown(): void {
    if (!this.buttons.get('talk')?.isPressed || !this.buttons.get('mute')?.isPressed) return;
    this.combo = true;
    this.comboTimer = this.clock.setTimeout(() => {
      this.comboTimer = null;
      this.input('technician');
    }, TECHNICIAN_HOLD_MS);
  }

  private comboUp(): void {
    if (this.comboTimer !== null) this.clock.clearTimeout(this.comboTimer);
    this.comboTimer = null;
    if (!this.buttons.get('talk')?.isPressed && !this.buttons.get('mute')?.isPressed) this.combo = false;
  }

  private input(name: 'talk' | 'mute' | 'audio-only' | 'technician'): void {
    this.log.info('panel: input', { input: name });
    this.emit('input', name);
  }

  private judge(): void {
    if (this.failed.size === 0) {
      this.reopen.succeeded();
      this.h.set('ok');
      return;
    }
    const msgs = [...this.failed.values()];
    this.h.set('missing', 'disconnected', msgs.length === 1 ? msgs[0] : `${msgs[0]} (and ${msgs.length - 1} more line(s))`);
    if (this.running) this.reopen.schedule();
  }

}

export interface PanelParts {
  /** Lines to use instead of the ones cfg.simulate picks (tests build their own simulated chip). */
  opener?: LineOpener;
  clock?: Clock;
}

export function createPanelDevice(cfg: PanelConfig, log: Logger, parts: PanelParts = {}): PanelDevice {
  const opener = parts.opener ?? (cfg.simulate ? new SimLineOpener(cfg.activeLow ? 1 : 0) : new OnoffLineOpener());
  return new Panel(cfg, log, opener, parts.clock ?? realClock);
}

export type { Pattern };
