// The one way tests wait for something that happens in its own time: poll a reading until it is what the test wants,
// or fail loudly, naming what was awaited and the last reading seen. Timeouts are deadlines for "it never
// happened", not measurements: they are generous because the machine is shared, and no test asserts on them.
import { inspect } from 'node:util';

export interface WaitOptions<T> {
  /** When the reading is what the test waits for; truthiness of the reading when left out. */
  until?: (value: T) => boolean;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Read again after this long (default 20 ms). */
  everyMs?: number;
}

export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: unknown,
  ) {
    super(`waited ${timeoutMs} ms for ${what}; last value seen: ${inspect(last, { depth: 4, breakLength: Infinity, maxStringLength: 500 })}`);
    this.name = 'WaitTimeout';
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads `read()` every `everyMs` until `until` holds for the reading (or the reading is truthy), and resolves with
 * that reading; after `timeoutMs` rejects with a WaitTimeout that names `what` and shows the last reading.
 * A reading that throws fails the wait at once: a broken probe is a bug in the test, not something to wait out.
 */
export async function waitFor<T>(what: string, read: () => T | Promise<T>, opts: WaitOptions<T> = {}): Promise<T> {
  const { until = (v: T) => Boolean(v), timeoutMs = 10_000, everyMs = 20 } = opts;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (performance.now() >= deadline) throw new WaitTimeout(what, timeoutMs, value);
    await sleep(Math.min(everyMs, Math.max(1, deadline - performance.now())));
  }
}
