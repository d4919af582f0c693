// When the worker subscribes to the central programme (again): at first, a while after a failure, and when the
// programme stopped arriving. The worker calls keep() on every stats tick while the programme is wanted.

export const PROGRAMME = {
  /**
   * Programme silent this long: its publisher went away (or never came); subscribe again. Long, because the
   * programme's own publisher may be riding out a link cut, and a resubscription then gains nothing.
   */
  staleMs: 30_000,
  /** Pause after a failed subscription (no such publisher yet: the programme may start after the hall joins). */
  retryMs: 3000,
};

/** When to subscribe to the programme (again): at first, 3 s after a failure, and after 30 s of silence. */
export class ProgrammeKeeper {
  private state: 'off' | 'subscribing' | 'on' = 'off';
  private since = 0;

  constructor(
    private readonly warn: (msg: string, fields?: Record<string, unknown>) => void,
    private readonly ms = { stale: PROGRAMME.staleMs, retry: PROGRAMME.retryMs },
  ) {}

  /** A new session: nothing subscribed yet. */
  reset(): void {
    this.state = 'off';
    this.since = 0;
  }

  /** Called every tick while the programme is wanted; `current` says whether the session that subscribed still is. */
  keep(subscribe: () => Promise<void>, lastInputAt: number | undefined, current: () => boolean): void {
    if (this.state === 'subscribing') return;
    const now = Date.now();
    const stale = this.state === 'on' && lastInputAt !== undefined && now - Math.max(this.since, lastInputAt) > this.ms.stale;
    const retry = this.state === 'off' && now - this.since >= this.ms.retry;
    if (!stale && !retry) return;
    if (stale) this.warn('media: programme stopped; subscribing again');
    this.state = 'subscribing';
    this.since = now;
    subscribe().then(
      () => current() && this.set('on'),
      (err) => {
        if (current()) this.set('off');
        this.warn('media: programme not received', { err: (err as Error).message });
      },
    );
  }

  private set(state: 'off' | 'on'): void {
    this.state = state;
    this.since = Date.now();
  }
}
