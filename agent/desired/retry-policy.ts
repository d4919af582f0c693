// When a step of the desired config that failed is tried again, and what is reported about it meanwhile. Pure: the
// time is passed in, so tests step it (lab/fake-clock.ts).
import { errorToWire } from '../../core/errors.js';
import { stepKey, stepName, type Step } from './plan.js';

export interface RetryPolicy {
  /** Wait before the first retry, ms. */
  firstMs: number;
  /** Cap of the wait, which doubles after each failure, ms. */
  maxMs: number;
}

/**
 * First retry after 2 s: a part that lost a race at boot (a USB adapter still enumerating, a worker that crashed
 * while starting) is usually there by then. Then doubling to one attempt a minute: a part that stays broken costs a
 * failed start (at most the 10 s a media worker has to say it is ready) and one log line a minute, and is found
 * within a minute of being mended. Starts that fail for a missing port do not come here: the device retries those
 * itself (core/device-health.ts REOPEN).
 */
export const STEP_RETRY: RetryPolicy = { firstMs: 2000, maxMs: 60_000 };

/** Wait after the n-th failure in a row (n ≥ 1). */
export function retryDelayMs(failures: number, policy: RetryPolicy = STEP_RETRY): number {
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, failures - 1));
}

/** A failed step as `state.config.failed` shows it. `since`: when it first failed (ms since the epoch). */
export interface FailedStep {
  step: string;
  code: string;
  message: string;
  since: number;
}

interface Entry {
  report: FailedStep;
  failures: number;
  nextAt: number;
}

/** The steps that failed, each with its next try; one entry per part (stepKey). */
export class FailedSteps {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: RetryPolicy = STEP_RETRY) {}

  /** Records a failure at `now`; returns the wait before the next try. */
  failed(step: Step, err: unknown, now: number): number {
    const key = stepKey(step);
    const was = this.entries.get(key);
    const wire = errorToWire(err);
    const failures = (was?.failures ?? 0) + 1;
    const wait = retryDelayMs(failures, this.policy);
    const report = { step: stepName(step), code: wire.code, message: wire.message, since: was?.report.since ?? now };
    this.entries.set(key, { report, failures, nextAt: now + wait });
    return wait;
  }

  succeeded(step: Step): void {
    this.entries.delete(stepKey(step));
  }

  /** Whether a step may run at `now`: it has not failed, or its wait is over. */
  due(step: Step, now: number): boolean {
    const e = this.entries.get(stepKey(step));
    return !e || e.nextAt <= now;
  }

  /** Failures in a row of a step's part (0 when it has not failed). */
  failures(step: Step): number {
    return this.entries.get(stepKey(step))?.failures ?? 0;
  }

  /** Keeps only the parts that still have a step to do (the others were taken care of, or are no longer wanted). */
  keep(steps: Step[]): void {
    const keys = new Set(steps.map(stepKey));
    for (const k of this.entries.keys()) if (!keys.has(k)) this.entries.delete(k);
  }

  /** A new config: every step gets a fresh first try. */
  clear(): void {
    this.entries.clear();
  }

  /** The earliest next try, or null when nothing failed. */
  nextAt(): number | null {
    let at: number | null = null;
    for (const e of this.entries.values()) if (at === null || e.nextAt < at) at = e.nextAt;
    return at;
  }

  list(): FailedStep[] {
    return [...this.entries.values()].map((e) => ({ ...e.report }));
  }
}
