// LEDs on GPIO lines: a few patterns of on/off steps. Which pattern shows which hall state is the agent's choice
// (agent/hall.ts, HALL_PATTERNS).
import type { GpioLine, Level } from './line.js';
import { realClock, type Clock } from '../../core/clock.js';

export type Pattern = 'off' | 'on' | 'blink' | 'pulse' | 'flash' | 'double';

/** Steps of (level, ms), repeated. One step means steady. */
export const PATTERN_STEPS: Readonly<Record<Pattern, ReadonlyArray<readonly [Level, number]>>> = {
  off: [[0, 0]],
  on: [[1, 0]],
  blink: [
    [1, 500],
    [0, 500],
  ],
  // A short heartbeat: "alive, waiting".
  pulse: [
    [1, 100],
    [0, 900],
  ],
  // Fast: "something needs attention".
  flash: [
    [1, 125],
    [0, 125],
  ],
  // Two quick flashes, then dark, once a second: a rhythm none of the others has, told apart in one glance.
  double: [
    [1, 150],
    [0, 150],
    [1, 150],
    [0, 550],
  ],
};

export class Led {
  private pattern: Pattern = 'off';
  private step = 0;
  private timer: unknown = null;

  constructor(
    readonly line: GpioLine,
    private readonly clock: Clock = realClock,
  ) {}

  get current(): Pattern {
    return this.pattern;
  }

  show(pattern: Pattern): void {
    if (pattern === this.pattern && this.timer !== null) return;
    this.cancel();
    this.pattern = pattern;
    this.step = 0;
    this.tick();
  }

  /** Leaves the LED dark and stops its timer. */
  async stop(): Promise<void> {
    this.cancel();
    this.pattern = 'off';
    await this.line.write(0).catch(() => {});
  }

  private tick(): void {
    const steps = PATTERN_STEPS[this.pattern];
    const [level, ms] = steps[this.step % steps.length];
    // A write that fails (line released under us) must not stop the process; the next show() tries again.
    this.line.write(level).catch(() => {});
    if (steps.length === 1) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.step = (this.step + 1) % steps.length;
      this.tick();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
