// The roll call: `rollcall {id, confirmS?}` to every hall of a scope. Each hall answers at once with its
// heard-at-centre proof; with confirmS > 0 its staff confirm presence by pressing talk within that time, which the
// box publishes as `event/rollcall {box, id, ts}` (and shows in `state.hall.rollcall.confirmedAt`). A hall is
// present when it answered (confirmS 0) or confirmed (confirmS > 0); the missing are the others. Every asked hall
// is written before the command goes out; answers are written as they come (batched, store/db.ts later()).
import { Type } from '../../core/schema/type.js';
import { BadRequestError } from '../../core/errors.js';
import type { Store } from '../store/db.js';
import type { Fleet, Reply } from '../fleet/fleet.js';
import type { Hall } from '../fleet/hall.js';
import { NotFound } from '../errors.js';
import { ROLLCALL, ROLLCALL_CONFIRM_MAX_S } from '../contract.js';
import type { Resolved } from './scope.js';
import type { LiveSink } from './live-sink.js';
import type { RollcallCounts } from '../wire.js';

export const ConfirmS = Type.Integer({ minimum: 0, maximum: ROLLCALL_CONFIRM_MAX_S });
/** Answers and confirmations are still taken this long after the confirmation window. */
const TAIL_MS = 60_000;
const EXPIRY_S = 30;

export type { RollcallCounts };

class Active {
  readonly answered = new Set<string>();
  readonly confirmed = new Set<string>();
  heard = 0;
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly id: number,
    readonly targets: ReadonlySet<string>,
    readonly confirmS: number,
  ) {}

  counts(): RollcallCounts {
    const present = this.confirmS > 0 ? this.confirmed : this.answered;
    return { asked: this.targets.size, answered: this.answered.size, heard: this.heard, confirmed: this.confirmed.size, missing: this.targets.size - present.size };
  }
}

interface AnswerRow {
  box: string;
  at: number | null;
  heard: number | null;
  seen: number | null;
  confirmed_at: number | null;
  error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class Rollcalls {
  private readonly active = new Map<number, Active>();

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly live: LiveSink,
  ) {
    fleet.onEvent('rollcall', (box, body) => this.confirm(box, body.id, Date.now()));
    // Agents also say it in their state (a press while the link was down reaches us this way).
    fleet.on('state', (h: Hall) => {
      if (h.rollcall?.confirmedAt) this.confirm(h.box, h.rollcall.id, Date.parse(h.rollcall.confirmedAt) || Date.now());
    });
  }

  start(meeting: number, resolved: Resolved, confirmS: number, operator: string): { id: number; counts: RollcallCounts } {
    if (!Number.isInteger(confirmS) || confirmS < 0 || confirmS > ROLLCALL_CONFIRM_MAX_S) {
      throw new BadRequestError(`confirmS: must be a whole number of seconds from 0 to ${ROLLCALL_CONFIRM_MAX_S} (got ${JSON.stringify(confirmS)})`);
    }
    const db = this.store.db;
    const id = this.store.tx(() => {
      const rid = Number(
        db
          .prepare('INSERT INTO rollcalls (meeting, operator, started_at, scope, confirm_s) VALUES (?, ?, ?, ?, ?)')
          .run(meeting, operator, Date.now(), JSON.stringify(resolved.scope), confirmS).lastInsertRowid,
      );
      const ins = db.prepare('INSERT INTO rollcall_answers (rollcall, box) VALUES (?, ?)');
      for (const b of resolved.boxes) ins.run(rid, b);
      return rid;
    });
    const a = new Active(id, new Set(resolved.boxes), confirmS);
    this.active.set(id, a);
    const corr = `rc-${id}`;
    this.fleet.onReply(corr, (r) => this.answer(a, r));
    this.fleet.send(ROLLCALL, confirmS > 0 ? { id, confirmS } : { id }, resolved.target, corr, EXPIRY_S);
    a.timer = setTimeout(() => {
      this.fleet.offReply(corr);
      this.active.delete(id);
    }, confirmS * 1000 + TAIL_MS);
    this.notify(a);
    return { id, counts: a.counts() };
  }

  private answer(a: Active, r: Reply): void {
    if (!a.targets.has(r.box) || a.answered.has(r.box)) return;
    const at = Date.now();
    if (!r.ok) {
      const error = `${r.error?.code ?? 'error'}: ${r.error?.message ?? ''}`;
      this.store.later(() => this.store.db.prepare('UPDATE rollcall_answers SET error = ? WHERE rollcall = ? AND box = ?').run(error, a.id, r.box));
      return;
    }
    const res = (typeof r.result === 'object' && r.result !== null ? r.result : {}) as Record<string, unknown>;
    const heard = res.heard === true;
    a.answered.add(r.box);
    if (heard) a.heard++;
    this.store.later(() =>
      this.store.db
        .prepare('UPDATE rollcall_answers SET at = ?, heard = ?, seen = ?, error = NULL WHERE rollcall = ? AND box = ?')
        .run(at, heard ? 1 : 0, res.seen === true ? 1 : 0, a.id, r.box),
    );
    this.notify(a);
  }

  private confirm(box: string, id: unknown, at: number): void {
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const a = this.active.get(Number(id));
    if (!a || a.confirmS === 0 || !a.targets.has(box) || a.confirmed.has(box)) return;
    a.confirmed.add(box);
    this.store.later(() => this.store.db.prepare('UPDATE rollcall_answers SET confirmed_at = ? WHERE rollcall = ? AND box = ?').run(at, a.id, box));
    this.notify(a);
  }

  private notify(a: Active): void {
    this.live.progress('rollcall', a.id, { id: a.id, counts: a.counts() }, a.targets);
  }

  /** The boxes of a roll call (for the access check before showing it). */
  boxes(id: number): string[] {
    this.exists(id);
    return (this.store.db.prepare('SELECT box FROM rollcall_answers WHERE rollcall = ?').all(id) as Array<{ box: string }>).map((r) => r.box);
  }

  private exists(id: number): { meeting: number; operator: string; started_at: number; scope: string; confirm_s: number } {
    const r = this.store.db.prepare('SELECT * FROM rollcalls WHERE id = ?').get(id) as
      | { meeting: number; operator: string; started_at: number; scope: string; confirm_s: number }
      | undefined;
    if (!r) throw new NotFound(`roll call ${id}: no such roll call`);
    return r;
  }

  /** The stored roll call, with what has come in so far. */
  get(id: number): Record<string, unknown> {
    this.store.flush();
    const r = this.exists(id);
    const rows = this.store.db.prepare('SELECT * FROM rollcall_answers WHERE rollcall = ? ORDER BY box').all(id) as AnswerRow[];
    const present = (x: AnswerRow) => (r.confirm_s > 0 ? x.confirmed_at !== null : x.at !== null);
    const missing = rows.filter((x) => !present(x)).map((x) => x.box);
    return {
      id,
      meeting: r.meeting,
      operator: r.operator,
      startedAt: iso(r.started_at),
      scope: JSON.parse(r.scope),
      confirmS: r.confirm_s,
      counts: {
        asked: rows.length,
        answered: rows.filter((x) => x.at !== null).length,
        heard: rows.filter((x) => x.heard === 1).length,
        confirmed: rows.filter((x) => x.confirmed_at !== null).length,
        missing: missing.length,
      },
      missing,
      answers: rows
        .filter((x) => x.at !== null || x.confirmed_at !== null || x.error !== null)
        .map((x) => ({ box: x.box, at: iso(x.at), heard: x.heard === 1, seen: x.seen === 1, confirmedAt: iso(x.confirmed_at), ...(x.error ? { error: x.error } : {}) })),
    };
  }

  stop(): void {
    for (const a of this.active.values()) if (a.timer) clearTimeout(a.timer);
    this.active.clear();
  }
}
