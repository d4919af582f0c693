// One meeting of the media worker, from the join message to the leave (or the next join): the join request and
// everything that runs in the background while the meeting lasts (the stats tick, recovery, a capture restart),
// under one AbortSignal. A leave cancels the meeting when it arrives, so that a join waiting on a bridge that does
// not answer gives way at once; it then waits in order until nothing of the meeting runs any more (end()), so
// that nothing re-arms a timer or opens a session after the worker said it left.
import type { JoinRequest } from './protocol.js';

/** The reason a meeting's waits end with when it is cancelled: not a failure, nothing to log. */
export class MeetingOver extends Error {
  constructor() {
    super('media: the meeting is over');
  }
}

export function isMeetingOver(err: unknown): boolean {
  return err instanceof MeetingOver;
}

export class Meeting {
  private readonly ac = new AbortController();
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly req: JoinRequest,
    private readonly onError: (what: string, err: Error) => void,
  ) {}

  get over(): boolean {
    return this.ac.signal.aborted;
  }

  /** Ends every wait of this meeting (they reject with MeetingOver) and its timers; idempotent. */
  cancel(): void {
    if (this.over) return;
    this.ac.abort(new MeetingOver());
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Cancels, then resolves once none of the meeting's background work runs any more. */
  async end(): Promise<void> {
    this.cancel();
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
  }

  /** Background work of this meeting; nothing starts once it is over. Failures other than its end are reported. */
  run(what: string, fn: () => Promise<void>): void {
    if (this.over) return;
    const task = fn()
      .catch((err) => {
        if (!isMeetingOver(err)) this.onError(what, err as Error);
      })
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  /** `fn` as background work every `ms`, until the meeting is over. */
  every(what: string, ms: number, fn: () => Promise<void>): void {
    if (this.over) return;
    const t = setInterval(() => this.run(what, fn), ms);
    this.timers.add(t);
  }

  /** `fn` as background work once, after `ms`, unless the meeting is over by then. */
  after(what: string, ms: number, fn: () => Promise<void>): void {
    if (this.over) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.run(what, fn);
    }, ms);
    this.timers.add(t);
  }

  /**
   * `p`, unless the meeting ends first: then MeetingOver at once. `p` itself goes on (a request to the bridge, an
   * exchange on a session that the leave closes); its outcome is dropped.
   */
  until<T>(p: Promise<T>): Promise<T> {
    const signal = this.ac.signal;
    if (signal.aborted) {
      p.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
        (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }

  /** A pause that ends early, with MeetingOver, when the meeting does. */
  sleep(ms: number): Promise<void> {
    const signal = this.ac.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => (clearTimeout(t), reject(signal.reason));
      const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
