// The hall's reported state: what the agent, its devices and its media really are. Published retained to
// `state` when something changed, at most once per throttle window, and again on every (re)connect. Never on a timer:
// an idle hall sends nothing.
import { EventEmitter } from 'node:events';
import type { StateSections } from '../core/payloads.js';

/** The sections and their payload types are core/payloads.ts's `State`: the console validates what we publish. */
export type Section = keyof StateSections;

export type Publish = (payload: string) => Promise<boolean>;

export class ReportedState extends EventEmitter {
  private readonly sections = new Map<Section, unknown>();
  private dirty = false;
  /** performance.now() of the last publish: a duration, which a step of the wall clock (NTP) must not stretch. */
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  /** The publish under way, until the broker acknowledged it or it failed. */
  private inFlight: Promise<boolean> | null = null;
  private publishFn: Publish | null = null;

  constructor(private readonly throttleMs: number) {
    super();
  }

  /** Where to publish; null while the broker link is down. A new connection gets the full state once. */
  attach(publish: Publish | null): void {
    this.publishFn = publish;
    if (publish) {
      this.dirty = true;
      this.flushSoon(0);
    }
  }

  /** Sets one section; publishes (throttled) only if it differs from what was there. */
  set<K extends Section>(section: K, value: StateSections[K]): void {
    const before = this.sections.get(section);
    if (before !== undefined && JSON.stringify(before) === JSON.stringify(value)) return;
    this.sections.set(section, structuredClone(value));
    this.dirty = true;
    this.emit('change', section);
    this.flushSoon(this.throttleMs);
  }

  get<K extends Section>(section: K): StateSections[K] | undefined {
    return this.sections.get(section) as StateSections[K] | undefined;
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.sections) out[k] = v;
    return out;
  }

  /**
   * Publishes the whole state now, past the throttle (after a publish already under way); resolves true once the
   * broker acknowledged it, false while the link is down (it goes out on the next connect, as always). A broker
   * move waits on this: the old broker must have the state that reports the new version before the box leaves it.
   */
  async flushNow(): Promise<boolean> {
    while (this.inFlight) await this.inFlight;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirty = true;
    return this.flush();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.publishFn = null;
  }

  private flushSoon(throttleMs: number): void {
    if (!this.publishFn || this.timer || this.inFlight) return;
    const wait = Math.max(0, this.lastSentAt + throttleMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  private flush(): Promise<boolean> {
    const publish = this.publishFn;
    if (!publish || !this.dirty) return Promise.resolve(false);
    this.dirty = false;
    const sent = (async () => {
      let ok = false;
      try {
        ok = await publish(JSON.stringify({ ...this.snapshot(), ts: new Date().toISOString() }));
        if (ok) this.lastSentAt = performance.now();
        else this.dirty = true;
      } finally {
        this.inFlight = null;
      }
      // Something changed while we were publishing: go again after the throttle window.
      if (this.dirty) this.flushSoon(this.throttleMs);
      return ok;
    })();
    this.inFlight = sent;
    return sent;
  }
}
