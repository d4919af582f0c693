// Login throttling: failed logins are counted per username and per address over a window; past the limit, logins
// for that key are refused (429) until the window has passed, whatever the password. A success clears the
// username's count for that address. In memory: a restart forgets, which costs an attacker a restart of ours.
export interface Limits {
  /** Failures allowed per (username, address) in the window. */
  perUser: number;
  /** Failures allowed per address in the window, whatever the username. */
  perAddress: number;
  windowMs: number;
}

export const LOGIN_LIMITS: Limits = { perUser: 5, perAddress: 20, windowMs: 5 * 60_000 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: Limits = LOGIN_LIMITS) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until another try is allowed, or 0 when it is allowed now. */
  retryAfterS(username: string, address: string, now = Date.now()): number {
    const checks: Array<[string, number]> = [
      [`u:${username}\n${address}`, this.limits.perUser],
      [`a:${address}`, this.limits.perAddress],
    ];
    let wait = 0;
    for (const [key, max] of checks) {
      const list = this.recent(key, now);
      if (list.length >= max) wait = Math.max(wait, Math.ceil((list[list.length - max] + this.limits.windowMs - now) / 1000));
    }
    return wait;
  }

  failed(username: string, address: string, now = Date.now()): void {
    for (const key of [`u:${username}\n${address}`, `a:${address}`]) this.failures.set(key, [...this.recent(key, now), now]);
    // Guessing many usernames must not grow this without bound: forget keys whose failures have all aged out.
    if (this.failures.size > 50_000) for (const key of [...this.failures.keys()]) this.recent(key, now);
  }

  succeeded(username: string, address: string): void {
    this.failures.delete(`u:${username}\n${address}`);
  }
}
