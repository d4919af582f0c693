// The hall display as the agent sees it (id `display`): health, reported state, commands, and the meeting hooks.
// The display port (display-port.ts) keeps a driver attached; this file polls it, turns errors into health, and answers commands
// with what the display really did.
import { EventEmitter } from 'node:events';
import type { DisplayDevice } from './device.js';
import type { Health } from '../../core/health.js';
import { DeviceHealth, Reopen } from '../../core/device-health.js';
import { command, type CommandSpec } from '../../core/commands/define.js';
import { displayCommands } from '../../core/commands/display.js';
import { BadRequestError, DisconnectedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { DisplayConfig } from '../../core/config/display.js';
import type { DisplayState } from '../../drivers/display/display-driver.js';
import { DisplayPort, type Attached } from './display-port.js';
import type { SimDisplay } from '../../drivers/display/sim-host.js';

class Display extends EventEmitter implements DisplayDevice {
  readonly id = 'display';
  readonly kind = 'display' as const;
  private readonly port: DisplayPort;
  private att: Attached | null = null;
  private readonly h: DeviceHealth;
  private state: DisplayState = { power: 'unknown', input: null, volume: null, mute: null };
  private readonly reopen = new Reopen(() => this.connect());
  private pollTimer: NodeJS.Timeout | null = null;
  private running = false;
  private polling = false;

  constructor(
    private readonly cfg: DisplayConfig,
    private readonly log: Logger,
  ) {
    super();
    this.port = new DisplayPort(cfg);
    this.h = new DeviceHealth({ name: `display ${cfg.protocol}`, log, onChange: () => this.emit('change') });
    this.h.set('starting');
  }

  async start(): Promise<void> {
    this.running = true;
    try {
      await this.port.prepare();
    } catch (err) {
      this.h.set('error', 'config', (err as Error).message);
      throw err;
    }
    await this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reopen.cancel();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    const att = this.att;
    this.att = null;
    await att?.release();
    await this.port.stop();
    this.h.set('stopped');
  }

  get simulator(): SimDisplay | null {
    return this.port.sim?.sim ?? null;
  }

  health(): Health {
    return this.h.current;
  }

  report(): Record<string, unknown> {
    return { ...this.state };
  }

  async meetingStarted(): Promise<void> {
    if (!this.cfg.onJoin) return;
    // A set that was in standby may refuse or ignore commands while it boots; give the input a few tries.
    await this.guard('meeting start: power on', () => this.apply((d) => d.setPower(true), { power: 'on' }));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const input = this.cfg.input;
      const acked = this.cfg.protocol === 'cec' ? {} : { input };
      const ok = await this.guard(`meeting start: input ${input}`, () => this.apply((d) => d.setInput(input), acked));
      if (ok || !this.running) return;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }

  async meetingEnded(): Promise<void> {
    if (!this.cfg.offOnLeave) return;
    await this.guard('meeting end: power off', () => this.apply((d) => d.setPower(false), { power: 'off' }));
  }

  commands(): CommandSpec[] {
    const c = displayCommands;
    const reply = this.cfg.replyTimeoutMs * 3 + 1000;
    const specs: CommandSpec[] = [
      command(c.power, reply, (a) => this.apply((d) => d.setPower(a.on), { power: a.on ? 'on' : 'off' })),
      command(c.input, reply, (a) => this.apply((d) => d.setInput(a.input), this.cfg.protocol === 'cec' ? {} : { input: a.input })),
      command(c.volume, reply, (a) => this.apply((d) => d.setVolume(a.level), { volume: a.level })),
      command(c.mute, reply, (a) => this.apply((d) => d.setMute(a.on), { mute: a.on })),
    ];
    if (this.cfg.simulate) {
      specs.push(
        command(c.simUnplug, 5000, async (a) => {
          if (!this.port.sim) throw new BadRequestError('display.sim-unplug: no simulated display is running');
          await this.port.sim.unplug(a.seconds);
          return { unplugged: this.port.address, backInS: a.seconds };
        }),
      );
    }
    return specs;
  }

  /**
   * Runs one driver call; once the set has acknowledged it, `acked` is what the set confirmed. Then reads the set
   * back so the answer is what it really is. A set still booting may not answer the read-back: the acknowledged
   * change stands, and health says the set is not answering.
   */
  private async apply(fn: (d: Attached['driver']) => Promise<void>, acked: Partial<DisplayState>): Promise<Record<string, unknown>> {
    const att = this.att;
    if (!att) {
      const h = this.h.current;
      throw new DisconnectedError(`display ${this.port.address}: ${h.status}${h.message ? `: ${h.message}` : ''}`);
    }
    const before = JSON.stringify(this.state);
    try {
      await fn(att.driver);
    } catch (err) {
      this.h.fromError(err);
      throw err;
    }
    this.state = { ...this.state, ...acked };
    try {
      await this.refresh(att);
    } catch (err) {
      this.h.fromError(err);
    }
    // refresh() compares with the acknowledged state; the agent must hear of the change from before the command.
    if (JSON.stringify(this.state) !== before) this.emit('change');
    return this.report();
  }

  private async guard(what: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.log.warn(`display: ${what} failed`, { err });
      return false;
    }
  }

  private async connect(): Promise<void> {
    if (!this.running || this.att) return;
    try {
      let held: Attached | null = null;
      const att = await this.port.attach((err) => held && this.lost(held, err));
      held = att;
      if (!this.running) return void (await att.release());
      this.att = att;
      this.reopen.succeeded();
      this.log.info('display: port open', { port: att.where, protocol: this.cfg.protocol });
      await this.poll();
      this.pollTimer = setInterval(() => void this.poll(), this.cfg.pollS * 1000);
    } catch (err) {
      this.h.fromError(err);
      this.scheduleRetry();
    }
  }

  private lost(att: Attached, err?: Error): void {
    if (this.att !== att) return;
    this.att = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.h.set('missing', 'disconnected', err?.message ?? `display port ${att.where}: closed`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.running) this.reopen.schedule();
  }

  private async poll(): Promise<void> {
    const att = this.att;
    if (!att || this.polling) return;
    this.polling = true;
    try {
      await this.refresh(att);
    } catch (err) {
      this.h.fromError(err);
      // A CEC adapter that vanished, or a port that fails writes: let go of it and take it again.
      if (err instanceof DisconnectedError && this.att === att) {
        this.att = null;
        if (this.pollTimer) clearInterval(this.pollTimer);
        this.pollTimer = null;
        await att.release().catch(() => {});
        this.scheduleRetry();
      }
    } finally {
      this.polling = false;
    }
  }

  private async refresh(att: Attached): Promise<void> {
    const s = await att.driver.query();
    const changed = JSON.stringify(s) !== JSON.stringify(this.state);
    this.state = s;
    if (!this.h.set('ok') && changed) this.emit('change');
  }
}

export function createDisplayDevice(cfg: DisplayConfig, log: Logger): DisplayDevice {
  return new Display(cfg, log);
}

/** The simulated set behind a display made with simulate: true (for tests and the demo's fault knobs), else null. */
export function simulatedDisplay(dev: DisplayDevice): SimDisplay | null {
  return dev instanceof Display ? dev.simulator : null;
}
