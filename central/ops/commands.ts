// A command sent over a scope, counted as it is answered: asked (halls in the scope), answered, ok, failed, and for
// meeting commands `reached`: how many halls of the scope are now where the command puts them, from their reported
// state (join: media joined; leave: idle; mute: muted). The command is recorded before it goes out; its counts are
// written when it is over (its expiry and the longest command timeout have passed).
import type { Store } from '../store/db.js';
import type { Fleet, Reply } from '../fleet/fleet.js';
import type { Picture } from '../fleet/picture.js';
import type { Hall } from '../fleet/hall.js';
import type { Resolved } from './scope.js';
import type { LiveSink } from './live-sink.js';
import type { CommandProgress } from '../wire.js';

/** Message expiry of a command: a stale `join` must never run minutes later. */
export const COMMAND_EXPIRY_S = 60;
/** After the expiry, how long answers are still counted (the slowest agent command timeout is 40 s). */
const ANSWER_GRACE_MS = 45_000;

export interface StartCommand {
  operator: string;
  meeting: number | null;
  command: string;
  args: Record<string, unknown>;
  resolved: Resolved;
  /** Where the command puts a hall, for `reached`. */
  reachedWhen?: (h: Hall) => boolean;
  /** Arguments for a box addressed on its own (join: its box id as the display name). */
  boxArgs?: (box: string) => Record<string, unknown>;
}

export type { CommandProgress };

class Run {
  readonly answered = new Set<string>();
  readonly reached = new Set<string>();
  ok = 0;
  failed = 0;
  done = false;
  readonly targets: ReadonlySet<string>;
  constructor(
    readonly id: number,
    readonly spec: StartCommand,
  ) {
    this.targets = new Set(spec.resolved.boxes);
  }

  progress(): CommandProgress {
    return {
      id: this.id,
      command: this.spec.command,
      asked: this.targets.size,
      answered: this.answered.size,
      ok: this.ok,
      failed: this.failed,
      ...(this.spec.reachedWhen ? { reached: this.reached.size } : {}),
      done: this.done,
    };
  }
}

export class Commands {
  private readonly runs = new Map<number, Run>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly picture: Picture,
    private readonly live: LiveSink,
  ) {
    picture.onChange((h) => {
      for (const r of this.runs.values()) {
        if (!r.spec.reachedWhen || !r.targets.has(h.box)) continue;
        const now = r.spec.reachedWhen(h);
        if (now === r.reached.has(h.box)) continue;
        if (now) r.reached.add(h.box);
        else r.reached.delete(h.box);
        this.notify(r);
      }
    });
  }

  /** Records the command, then sends it; returns its progress so far. */
  start(spec: StartCommand): CommandProgress {
    const info = this.store.db
      .prepare('INSERT INTO commands (ts, operator, meeting, command, args, scope, asked) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(Date.now(), spec.operator, spec.meeting, spec.command, JSON.stringify(spec.args), JSON.stringify(spec.resolved.scope), spec.resolved.boxes.length);
    const run = new Run(Number(info.lastInsertRowid), spec);
    this.runs.set(run.id, run);
    if (spec.reachedWhen) {
      for (const b of run.targets) {
        const h = this.picture.get(b);
        if (h && spec.reachedWhen(h)) run.reached.add(b);
      }
    }
    const corr = `cmd-${run.id}`;
    this.fleet.onReply(corr, (reply) => this.onReply(run, reply));
    this.fleet.send(spec.command, spec.args, spec.resolved.target, corr, COMMAND_EXPIRY_S, spec.boxArgs);
    const t = setTimeout(() => this.finish(run, corr, t), COMMAND_EXPIRY_S * 1000 + ANSWER_GRACE_MS);
    this.timers.add(t);
    this.notify(run);
    return run.progress();
  }

  get(id: number): CommandProgress | null {
    return this.runs.get(id)?.progress() ?? null;
  }

  private onReply(run: Run, reply: Reply): void {
    if (!run.targets.has(reply.box) || run.answered.has(reply.box)) return;
    run.answered.add(reply.box);
    if (reply.ok) run.ok++;
    else run.failed++;
    if (run.answered.size === run.targets.size && !run.spec.reachedWhen) run.done = true;
    this.notify(run);
  }

  private notify(run: Run): void {
    this.live.progress('command', run.id, run.progress() as unknown as Record<string, unknown>, run.targets);
  }

  private finish(run: Run, corr: string, t: NodeJS.Timeout): void {
    this.timers.delete(t);
    this.fleet.offReply(corr);
    run.done = true;
    this.store.db
      .prepare('UPDATE commands SET answered = ?, ok = ?, reached = ?, done_at = ? WHERE id = ?')
      .run(run.answered.size, run.ok, run.spec.reachedWhen ? run.reached.size : null, Date.now(), run.id);
    this.notify(run);
    this.runs.delete(run.id);
  }

  /** Writes the counts of every command still running (at shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const run of this.runs.values()) {
      this.store.db.prepare('UPDATE commands SET answered = ?, ok = ?, reached = ? WHERE id = ?').run(run.answered.size, run.ok, run.spec.reachedWhen ? run.reached.size : null, run.id);
    }
  }
}
