// How many commands run at once and how many may wait for their turn. Every message of one socket read reaches the
// router before any handler finishes (mqtt.js hands them over in one go), so a burst of even instant commands must
// queue rather than trip the running limit; past the bound the excess is answered `busy` at once rather than held
// without limit.
import { DiemcauError } from '../core/errors.js';

export const COMMAND_SLOTS = {
  /** Handlers running at once (most of their time is spent waiting on a device or the network). */
  running: 32,
  /** Commands waiting for a slot, in arrival order. Each is at most `mqtt.maxCommandBytes`. */
  waiting: 1024,
} as const;

export class CommandSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limits: { running: number; waiting: number } = COMMAND_SLOTS) {}

  /**
   * Resolves with `release` once the command may run (at once, or when a slot frees, first come first served).
   * Refuses `busy` when the queue is full. `what` names the command in the refusal.
   */
  acquire(what: string): Promise<() => void> {
    if (this.running < this.limits.running) return Promise.resolve(this.take());
    if (this.waiting.length >= this.limits.waiting) {
      return Promise.reject(
        new DiemcauError('busy', `${what}: ${this.running} commands running and ${this.waiting.length} waiting; try again`),
      );
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.take())));
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }
}
