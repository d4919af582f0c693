// The one lifecycle every device follows (camera, display, panel): its health, the error that sets it, and reopening
// what went missing with backoff. Written once so every device logs the same way:
//  - each change of status is logged once, when it happens (a return to `ok` too, with how long the trouble lasted);
//  - a new message under the same status, and events that repeat (a silent camera's every timeout), are logged at
//    most once per `repeatLogMs`, with how many were left out;
//  - `since` is when the current status began: a new message under the same status keeps it.
import type { Health, HealthStatus } from './health.js';
import type { Logger } from './log.js';
import type { Clock } from './clock.js';
import { realClock } from './clock.js';
import { BadRequestError, DeviceRefusedError, DeviceTimeoutError, DiemcauError, DisconnectedError, ProtocolError } from './errors.js';

/** Retries of a missing device: quick at first (a USB adapter replugged is back within a second), then every 5 s,
 *  which costs one failed open() and finds a device within 5 s of its return. One policy for every device. */
export const REOPEN = { minMs: 250, maxMs: 5000 } as const;
/** At most one log line per this many ms for repeats of the same kind. */
export const REPEAT_LOG_MS = 60_000;

export interface DeviceHealthOptions {
  /** Names the device in every line, e.g. `camera /dev/ttyUSB0`. */
  name: string;
  log: Logger;
  /** Called after every change of health (the device emits 'change'). */
  onChange: () => void;
  clock?: Clock;
  repeatLogMs?: number;
}

export class DeviceHealth {
  private h: Health;
  private readonly clock: Clock;
  private readonly repeatMs: number;
  private readonly repeats = new Map<string, { at: number; left: number }>();

  constructor(private readonly o: DeviceHealthOptions) {
    this.clock = o.clock ?? realClock;
    this.repeatMs = o.repeatLogMs ?? REPEAT_LOG_MS;
    this.h = { status: 'stopped', since: this.clock.now() };
  }

  get current(): Health {
    return { ...this.h };
  }

  /** Sets the health; true when it changed. */
  set(status: HealthStatus, code?: string, message?: string): boolean {
    const was = this.h;
    if (was.status === status && was.code === code && was.message === message) return false;
    const now = this.clock.now();
    this.h = { status, since: was.status === status ? was.since : now, ...(code ? { code } : {}), ...(message ? { message } : {}) };
    const fields = { device: this.o.name, ...(code ? { code } : {}), ...(message ? { message } : {}) };
    if (was.status !== status) {
      this.repeats.set('health', { at: now, left: 0 }); // this line counts as the first of its kind
      if (status === 'ok') {
        const after = was.status === 'starting' || was.status === 'stopped' ? {} : { after: was.status, forS: Math.round((now - was.since) / 1000) };
        this.o.log.info(`${this.o.name}: ok`, { device: this.o.name, ...after });
      } else if (status === 'starting' || status === 'stopped') this.o.log.info(`${this.o.name}: ${status}`, fields);
      else this.o.log.warn(`${this.o.name}: ${status}`, fields);
    } else this.repeat('health', `${this.o.name}: ${status}`, fields);
    this.o.onChange();
    return true;
  }

  /** The health an error means (the one mapping for every device); true when it changed. A bad request is the
   *  caller's fault and says nothing about the device. */
  fromError(err: unknown): boolean {
    if (err instanceof BadRequestError) return false;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof DeviceTimeoutError) return this.set('not answering', 'device_timeout', message);
    if (err instanceof DeviceRefusedError) return this.set('error', err.deviceCode, message);
    if (err instanceof DisconnectedError) return this.set('missing', 'disconnected', message);
    if (err instanceof ProtocolError) return this.set('error', 'protocol', message);
    return this.set('error', err instanceof DiemcauError ? err.code : 'internal', message);
  }

  /** Logs an event that may repeat often (a request with no answer) at most once per repeatLogMs per `kind`. */
  repeat(kind: string, msg: string, fields: Record<string, unknown>): void {
    const now = this.clock.now();
    const r = this.repeats.get(kind);
    if (r && now - r.at < this.repeatMs) {
      r.left++;
      return;
    }
    this.repeats.set(kind, { at: now, left: 0 });
    this.o.log.warn(msg, { ...fields, ...(r && r.left > 0 ? { repeatsLeftOut: r.left } : {}) });
  }
}

/** Reopens what went missing: `schedule()` after a failure waits, then calls `open`; the wait doubles up to the cap
 *  and starts again from the bottom after `succeeded()`. */
export class Reopen {
  private waitMs: number;
  private timer: unknown = null;

  constructor(
    private readonly open: () => void | Promise<void>,
    private readonly clock: Clock = realClock,
    private readonly policy: { minMs: number; maxMs: number } = REOPEN,
  ) {
    this.waitMs = policy.minMs;
  }

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Waits, then opens; a no-op while a retry is already waiting. */
  schedule(): void {
    if (this.timer !== null) return;
    const wait = this.waitMs;
    this.waitMs = Math.min(this.policy.maxMs, this.waitMs * 2);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.open();
    }, wait);
  }

  succeeded(): void {
    this.waitMs = this.policy.minMs;
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
