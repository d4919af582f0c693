// Incidents: a hall that was heard in a meeting and then is not (its box offline, or its audio not reaching the
// bridge) for `incidentAfterS` becomes an incident, so a blip pages no one. It is listed until the hall is heard
// again or leaves the meeting, and stored. A muted hall is not heard by intent and raises nothing. An operator may
// suppress a hall's incidents for some minutes (a hall known to be out).
import type { Store } from '../store/db.js';
import type { Picture } from '../fleet/picture.js';
import type { Hall } from '../fleet/hall.js';
import { BadRequestError } from '../../core/errors.js';
import type { LiveSink } from './live-sink.js';
import type { Incident } from '../wire.js';

interface Open {
  id: number;
  since: number;
  openedAt: number;
  reason: string;
  meeting: number | null;
}

export const MAX_SUPPRESS_MIN = 24 * 60;

export class Incidents {
  private readonly pending = new Map<string, number>();
  private readonly open = new Map<string, Open>();
  private readonly heardOnce = new Set<string>();
  private readonly suppressed = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly picture: Picture,
    private readonly meeting: () => number | null,
    private readonly live: LiveSink,
    private readonly afterS: number,
  ) {
    const db = store.db;
    for (const r of db.prepare('SELECT * FROM incidents WHERE cleared_at IS NULL').all() as Array<{
      id: number;
      box: string;
      since: number;
      opened_at: number;
      reason: string;
      meeting: number | null;
    }>) {
      this.open.set(r.box, { id: r.id, since: r.since, openedAt: r.opened_at, reason: r.reason, meeting: r.meeting });
      this.heardOnce.add(r.box);
    }
    for (const r of db.prepare('SELECT box, until FROM suppressions WHERE until > ?').all(Date.now()) as Array<{ box: string; until: number }>) {
      this.suppressed.set(r.box, r.until);
    }
    picture.onCreate((h) => {
      h.incident = this.open.get(h.box)?.reason ?? null;
    });
    picture.onChange((h) => this.observe(h));
    this.timer = setInterval(() => this.tick(), 500);
  }

  private observe(h: Hall): void {
    const box = h.box;
    if (!h.inMeeting) {
      this.heardOnce.delete(box);
      this.pending.delete(box);
      if (this.open.has(box)) queueMicrotask(() => this.clear(box, 'left the meeting'));
      return;
    }
    const online = h.presence === 'online';
    if (online && h.media?.heard) {
      this.heardOnce.add(box);
      this.pending.delete(box);
      if (this.open.has(box)) queueMicrotask(() => this.clear(box, 'heard again'));
      return;
    }
    if (online && h.media?.muted) {
      this.pending.delete(box);
      return;
    }
    if (this.heardOnce.has(box) && !this.pending.has(box) && !this.open.has(box)) this.pending.set(box, Date.now());
  }

  private tick(): void {
    const now = Date.now();
    for (const [box, since] of this.pending) {
      if (now - since < this.afterS * 1000) continue;
      this.pending.delete(box);
      if ((this.suppressed.get(box) ?? 0) > now) continue;
      const h = this.picture.get(box);
      const reason = h?.presence === 'online' ? `not heard for ${Math.round((now - since) / 1000)} s` : 'offline during the meeting';
      this.raise(box, since, reason);
    }
    for (const [box, until] of this.suppressed) if (until <= now) this.suppressed.delete(box);
  }

  private raise(box: string, since: number, reason: string): void {
    const now = Date.now();
    const meeting = this.meeting();
    const id = Number(
      this.store.db
        .prepare('INSERT INTO incidents (box, meeting, opened_at, since, reason) VALUES (?, ?, ?, ?, ?)')
        .run(box, meeting, now, since, reason).lastInsertRowid,
    );
    this.open.set(box, { id, since, openedAt: now, reason, meeting });
    this.picture.update(box, null, (h) => {
      h.incident = reason;
    });
    this.live.incidentsChanged();
  }

  private clear(box: string, by: string): void {
    const o = this.open.get(box);
    if (!o) return;
    this.open.delete(box);
    this.store.db.prepare('UPDATE incidents SET cleared_at = ?, cleared_by = ? WHERE id = ?').run(Date.now(), by, o.id);
    this.picture.update(box, null, (h) => {
      h.incident = null;
    });
    this.live.incidentsChanged();
  }

  /** No incident for `box` for `minutes` (0 lifts it); an open one is cleared. */
  suppress(box: string, minutes: unknown, operator: string): { box: string; until: string | null } {
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0 || minutes > MAX_SUPPRESS_MIN) {
      throw new BadRequestError(`minutes: must be a whole number from 0 to ${MAX_SUPPRESS_MIN} (got ${JSON.stringify(minutes)})`);
    }
    if (minutes === 0) {
      this.store.db.prepare('DELETE FROM suppressions WHERE box = ?').run(box);
      this.suppressed.delete(box);
      return { box, until: null };
    }
    const until = Date.now() + minutes * 60_000;
    this.store.db.prepare('INSERT INTO suppressions (box, until, operator) VALUES (?, ?, ?) ON CONFLICT(box) DO UPDATE SET until = excluded.until, operator = excluded.operator').run(box, until, operator);
    this.suppressed.set(box, until);
    this.pending.delete(box);
    this.clear(box, `suppressed by ${operator}`);
    return { box, until: new Date(until).toISOString() };
  }

  list(visible: (box: string) => boolean): Incident[] {
    return [...this.open.entries()]
      .filter(([box]) => visible(box))
      .sort((a, b) => a[1].openedAt - b[1].openedAt)
      .map(([box, o]) => ({
        box,
        name: this.picture.get(box)?.name ?? box,
        reason: o.reason,
        since: new Date(o.since).toISOString(),
        openedAt: new Date(o.openedAt).toISOString(),
        meeting: o.meeting,
      }));
  }

  boxes(): ReadonlySet<string> {
    return new Set(this.open.keys());
  }

  /** A hall's incidents of the last `sinceMs` (open ones whatever their age), for its detail view. */
  forHall(box: string, sinceMs: number): unknown[] {
    const rows = this.store.db
      .prepare('SELECT * FROM incidents WHERE box = ? AND (cleared_at IS NULL OR cleared_at >= ?) ORDER BY id DESC LIMIT 20')
      .all(box, Date.now() - sinceMs) as Array<{ opened_at: number; since: number; reason: string; cleared_at: number | null; cleared_by: string | null }>;
    const until = this.suppressed.get(box);
    return rows.map((r) => ({
      since: new Date(r.since).toISOString(),
      openedAt: new Date(r.opened_at).toISOString(),
      reason: r.reason,
      clearedAt: r.cleared_at === null ? null : new Date(r.cleared_at).toISOString(),
      clearedBy: r.cleared_by,
      ...(until && until > Date.now() ? { suppressedUntil: new Date(until).toISOString() } : {}),
    }));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
