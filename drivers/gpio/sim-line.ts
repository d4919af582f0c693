// Simulated GPIO lines: a value a test or the demo sets, with edges delivered to watchers like the kernel does
// (only on a change, only for the edge the line was opened for). Outputs keep a history for LED/relay tests.
import type { Edge, GpioLine, Level, LineOpener } from './line.js';
import { DisconnectedError } from '../../core/errors.js';

export class SimLine implements GpioLine {
  private value: Level;
  private watcher: ((v: Level) => void) | null = null;
  private released = false;
  /** Every level written to an output, with Date.now(), oldest first (bounded). */
  readonly writes: Array<{ at: number; value: Level }> = [];

  constructor(
    readonly bcm: number,
    readonly name: string,
    readonly direction: 'in' | 'out',
    private readonly edge: Edge,
    initial: Level,
    private readonly now: () => number = Date.now,
  ) {
    this.value = initial;
  }

  get level(): Level {
    return this.value;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Drives an input from outside (a finger on the button). */
  set(value: Level): void {
    if (this.direction !== 'in') throw new Error(`${this.name}: cannot drive an output from outside`);
    if (value === this.value) return;
    this.value = value;
    const fires = this.edge === 'both' || (this.edge === 'rising' && value === 1) || (this.edge === 'falling' && value === 0);
    if (fires && this.watcher && !this.released) this.watcher(value);
  }

  async read(): Promise<Level> {
    this.check();
    return this.value;
  }

  async write(value: Level): Promise<void> {
    this.check();
    if (this.direction !== 'out') throw new Error(`${this.name}: is an input, cannot write`);
    this.value = value;
    this.writes.push({ at: this.now(), value });
    if (this.writes.length > 1000) this.writes.splice(0, this.writes.length - 1000);
  }

  watch(cb: (value: Level) => void): void {
    this.watcher = cb;
  }

  unwatch(): void {
    this.watcher = null;
  }

  async release(): Promise<void> {
    this.watcher = null;
    this.released = true;
  }

  private check(): void {
    if (this.released) throw new DisconnectedError(`${this.name}: released`);
  }
}

/** Opens simulated lines and keeps them by BCM number so a test (or panel.sim-press) can reach them. */
export class SimLineOpener implements LineOpener {
  readonly lines = new Map<number, SimLine>();

  constructor(
    /** Level an idle input rests at (1 for buttons with pull-ups, pressed = 0). */
    private readonly idle: Level = 1,
    private readonly now: () => number = Date.now,
  ) {}

  async input(bcm: number, name: string, edge: Edge): Promise<GpioLine> {
    const line = new SimLine(bcm, name, 'in', edge, this.idle, this.now);
    this.lines.set(bcm, line);
    return line;
  }

  async output(bcm: number, name: string, initial: Level): Promise<GpioLine> {
    const line = new SimLine(bcm, name, 'out', 'none', initial, this.now);
    line.writes.push({ at: this.now(), value: initial });
    this.lines.set(bcm, line);
    return line;
  }
}
