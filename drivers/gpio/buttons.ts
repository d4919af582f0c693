// A push button on a GPIO line: debounced, with short and long presses. Contacts bounce for a few milliseconds,
// so a level counts only once it has held for `debounceMs`. A long press fires while the button is still held
// (the person sees the effect without letting go); a short press fires on release.
import { EventEmitter } from 'node:events';
import type { GpioLine, Level } from './line.js';
import { realClock, type Clock } from '../../core/clock.js';

export interface ButtonOptions {
  /** Pressed pulls the line low (pull-up wiring). */
  activeLow: boolean;
  debounceMs: number;
  longPressMs: number;
}

/**
 * Events: 'down' (), 'up' (heldMs), 'short' (heldMs) on release before longPressMs, 'long' () once held that long.
 */
export class Button extends EventEmitter {
  private raw: Level | null = null;
  private pressed = false;
  private longFired = false;
  private downAt = 0;
  private settle: unknown = null;
  private longTimer: unknown = null;

  constructor(
    readonly line: GpioLine,
    private readonly opts: ButtonOptions,
    private readonly clock: Clock = realClock,
  ) {
    super();
  }

  get isPressed(): boolean {
    return this.pressed;
  }

  async start(): Promise<void> {
    this.raw = await this.line.read();
    this.pressed = this.isPressedLevel(this.raw);
    this.line.watch((v) => this.edge(v));
  }

  async stop(): Promise<void> {
    this.line.unwatch();
    this.cancel();
  }

  private isPressedLevel(v: Level): boolean {
    return this.opts.activeLow ? v === 0 : v === 1;
  }

  private edge(v: Level): void {
    this.raw = v;
    if (this.opts.debounceMs <= 0) return this.settled();
    if (this.settle !== null) this.clock.clearTimeout(this.settle);
    this.settle = this.clock.setTimeout(() => {
      this.settle = null;
      this.settled();
    }, this.opts.debounceMs);
  }

  private settled(): void {
    if (this.raw === null) return;
    const now = this.isPressedLevel(this.raw);
    if (now === this.pressed) return;
    this.pressed = now;
    if (now) {
      this.downAt = this.clock.now();
      this.longFired = false;
      this.emit('down');
      this.longTimer = this.clock.setTimeout(() => {
        this.longTimer = null;
        this.longFired = true;
        this.emit('long');
      }, this.opts.longPressMs);
    } else {
      if (this.longTimer !== null) this.clock.clearTimeout(this.longTimer);
      this.longTimer = null;
      const held = this.clock.now() - this.downAt;
      if (!this.longFired) this.emit('short', held);
      this.emit('up', held);
    }
  }

  private cancel(): void {
    if (this.settle !== null) this.clock.clearTimeout(this.settle);
    if (this.longTimer !== null) this.clock.clearTimeout(this.longTimer);
    this.settle = this.longTimer = null;
  }
}
