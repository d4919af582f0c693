// Relays (display mains, amplifier) on GPIO lines. Each is opened at its safe level (off) and put back there
// before the line is released, so neither a start nor an exit switches a load on by accident.
import { BadRequestError } from '../../core/errors.js';
import type { GpioLine, Level } from './line.js';

export class Relays {
  private readonly state = new Map<string, boolean>();
  private readonly lines = new Map<string, GpioLine>();

  /**
   * @param lines relay lines, already opened at the safe level
   * @param activeLow the relay board energises its coil on a low level (common on opto-isolated boards)
   */
  constructor(
    lines: ReadonlyMap<string, GpioLine>,
    private readonly activeLow: boolean,
  ) {
    for (const [name, line] of lines) this.add(name, line);
  }

  /** A relay whose line opened later (it was missing at start). */
  add(name: string, line: GpioLine): void {
    this.lines.set(name, line);
    this.state.set(name, false);
  }

  has(name: string): boolean {
    return this.lines.has(name);
  }

  /** The level that leaves a relay off. */
  static safeLevel(activeLow: boolean): Level {
    return activeLow ? 1 : 0;
  }

  get names(): string[] {
    return [...this.lines.keys()];
  }

  report(): Record<string, boolean> {
    return Object.fromEntries(this.state);
  }

  async set(name: string, on: boolean): Promise<void> {
    const line = this.lines.get(name);
    if (!line) {
      const known = this.names.join(', ') || 'none configured';
      throw new BadRequestError(`panel: no relay named ${JSON.stringify(name)} (relays: ${known})`);
    }
    await line.write(on !== this.activeLow ? 1 : 0);
    this.state.set(name, on);
  }

  /** Every relay to its safe level, then the lines are released. */
  async stop(): Promise<void> {
    for (const [name, line] of this.lines) {
      await line.write(Relays.safeLevel(this.activeLow)).catch(() => {});
      this.state.set(name, false);
      await line.release().catch(() => {});
    }
  }
}
