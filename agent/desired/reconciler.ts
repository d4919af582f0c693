// Desired config as a reconciler (the balena-supervisor pattern, ../shared/style.md): the saved config is the target,
// what the hall actually runs is the current state, and plan() gives the steps between them. A pass carries the
// steps out and plans again against what now runs, until nothing is left but steps waiting for their retry; then
// it reports the truth in `state.config` (applied, partial with each failed step, refused) and, when the broker
// settings changed, moves the link last. Failed steps are tried again with backoff (retry-policy.ts) until they
// take. One pass at a time; a retry is a pass like any other.
import type { Config } from '../../core/config/schema.js';
import type { Logger } from '../../core/log.js';
import { realClock, type Clock } from '../../core/clock.js';
import { plan, stepName, type Running, type Step } from './plan.js';
import { FailedSteps, STEP_RETRY, type FailedStep, type RetryPolicy } from './retry-policy.js';

/** What the reconciler needs of the hall; agent/agent.ts provides it. */
export interface HallParts {
  /** What actually runs now. */
  running(): Running;
  /** Carries out one step (never `broker`); throws when it did not take, leaving running() true. */
  run(step: Exclude<Step, { kind: 'broker' }>, target: Config): Promise<void>;
  /** Publishes the reported state now; resolves true once the broker acknowledged it, false when it cannot. */
  publishState(): Promise<boolean>;
  /** Switches the broker link to these settings (it reconnects). */
  moveTo(mqtt: Config['mqtt']): void;
}

/**
 * How long a broker move waits for the old broker to acknowledge the state that reports the new version: a few
 * round trips of a slow rural uplink (3G at 600 ms each way needs about 2.5 s: a state already on its way, then
 * ours). A broker that stopped answering must not hold the box: after this it moves anyway, and the new broker
 * gets the state on connect.
 */
export const BROKER_MOVE_ACK_WAIT_MS = 10_000;

/** Plan-and-run rounds in one pass: a step that says it took but leaves the hall unchanged must not spin. */
const MAX_ROUNDS = 4;

export type ConfigStatus = 'applied' | 'partial' | 'refused';

export interface Refusal {
  /** The version refused (null when the document had none). */
  version: number | null;
  code: string;
  message: string;
  errors?: string[];
}

/** `state.config`: the version in force, and the truth about it. */
export interface ConfigReport {
  version: number;
  status: ConfigStatus;
  refused?: Refusal;
  failed?: FailedStep[];
}

export interface ReconcilerOptions {
  log: Logger;
  /** Called after every pass and refusal (ReportedState publishes only what changed). */
  report(r: ConfigReport): void;
  clock?: Clock;
  retry?: RetryPolicy;
  ackWaitMs?: number;
}

export class Reconciler {
  private target: Config;
  private refusal: Refusal | null = null;
  private readonly failed: FailedSteps;
  private readonly clock: Clock;
  private queue: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private stopped = false;

  constructor(
    private readonly parts: HallParts,
    target: Config,
    private readonly o: ReconcilerOptions,
  ) {
    this.target = target;
    this.clock = o.clock ?? realClock;
    this.failed = new FailedSteps(o.retry ?? STEP_RETRY);
  }

  /** A new saved config: every step gets a fresh try. Resolves when the pass is over (and the broker moved). */
  setTarget(target: Config): Promise<void> {
    return this.enqueue(() => {
      this.target = target;
      this.refusal = null;
      this.failed.clear();
      return this.pass();
    });
  }

  /** Plans against what runs now and reports it (the same version arriving again); failed steps keep their wait. */
  replan(): Promise<void> {
    return this.enqueue(() => {
      this.refusal = null;
      return this.pass();
    });
  }

  /** A desired config that was refused: nothing changed, and the report says so. */
  refuse(refusal: Refusal): Promise<void> {
    return this.enqueue(async () => {
      this.refusal = refusal;
      this.publish();
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : fn()))
      .catch((err) => this.o.log.error('desired config: reconcile pass failed', { err }));
    return this.queue;
  }

  private async pass(): Promise<void> {
    this.cancelRetry();
    const ran: string[] = [];
    let left: Step[] = [];
    for (let round = 1; ; round++) {
      left = plan(this.parts.running(), this.target);
      const due = left.filter((s): s is Exclude<Step, { kind: 'broker' }> => s.kind !== 'broker' && this.failed.due(s, this.clock.now()));
      if (due.length === 0) break;
      if (round > MAX_ROUNDS) {
        this.o.log.error('desired config: steps still planned after they took', { steps: due.map(stepName), rounds: MAX_ROUNDS });
        break;
      }
      for (const step of due) {
        if (this.stopped) return;
        ran.push(stepName(step));
        await this.runStep(step);
      }
    }
    this.failed.keep(left);
    const status = this.publish();
    if (ran.length > 0) {
      const failed = this.failed.list().map((f) => f.step);
      this.o.log.info('desired config: reconciled', { version: this.target.configVersion, status, ran, failed });
    }
    if (left.some((s) => s.kind === 'broker') && !this.stopped) await this.moveBroker();
    this.scheduleRetry();
  }

  private async runStep(step: Exclude<Step, { kind: 'broker' }>): Promise<void> {
    const before = this.failed.failures(step);
    try {
      await this.parts.run(step, this.target);
      this.failed.succeeded(step);
      if (before > 0) this.o.log.info('desired config: step done after a retry', { step: stepName(step), failures: before });
    } catch (err) {
      const retryInMs = this.failed.failed(step, err, this.clock.now());
      this.o.log.warn('desired config: step failed', { step: stepName(step), version: this.target.configVersion, err, failures: before + 1, retryInMs });
    }
  }

  /** The state that reports the new version goes to the old broker first; the move waits for its acknowledgement. */
  private async moveBroker(): Promise<void> {
    const waitMs = this.o.ackWaitMs ?? BROKER_MOVE_ACK_WAIT_MS;
    const started = this.clock.now();
    let timer: unknown = null;
    const acked = await Promise.race([
      this.parts.publishState(),
      new Promise<false>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), waitMs))),
    ]);
    this.clock.clearTimeout(timer);
    const fields = { version: this.target.configVersion, brokers: this.target.mqtt.brokers, waitedMs: this.clock.now() - started };
    if (acked) this.o.log.info('broker move: the old broker acknowledged the new state', fields);
    else this.o.log.warn('broker move: no acknowledgement of the new state from the old broker (link down or silent); moving anyway', fields);
    this.parts.moveTo(this.target.mqtt);
  }

  private publish(): ConfigStatus {
    const failed = this.failed.list();
    const status: ConfigStatus = this.refusal ? 'refused' : failed.length > 0 ? 'partial' : 'applied';
    this.o.report({
      version: this.target.configVersion,
      status,
      ...(this.refusal ? { refused: this.refusal } : {}),
      ...(failed.length > 0 ? { failed } : {}),
    });
    return status;
  }

  private scheduleRetry(): void {
    const at = this.failed.nextAt();
    if (at === null || this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.enqueue(() => this.pass());
    }, Math.max(0, at - this.clock.now()));
  }

  private cancelRetry(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
