// The floor queue: a hall's talk button raises a request (`event/floor`); requests are kept in the order the server
// received them, one queue shown the same on every page. Grant gives a requesting hall the floor (`floor.grant`),
// call gives it to a hall that did not ask (`floor.grant {called: true}`; its staff may decline with the mute
// button: `event/floor {action: 'declined'}`), revoke takes it back (`floor.revoke`) and removes the hall from the
// queue. Every step is written to the floor log, and the queue itself is stored, before anything is sent.
import type { Store } from '../store/db.js';
import type { Fleet, Reply } from '../fleet/fleet.js';
import type { Picture } from '../fleet/picture.js';
import { Conflict, NotFound } from '../errors.js';
import { FLOOR_GRANT, FLOOR_REVOKE } from '../contract.js';
import type { LiveSink } from './live-sink.js';
import type { FloorStatus, QueueEntry } from '../wire.js';

export type { FloorStatus, QueueEntry };

interface Entry {
  box: string;
  name: string;
  status: FloorStatus;
  requestedAt: number;
  seq: number;
  error: string | null;
}

const EXPIRY_S = 30;

export class Floor {
  private queue: Entry[];
  private seq: number;
  private sent = 0;

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly picture: Picture,
    private readonly meeting: () => number | null,
    private readonly live: LiveSink,
  ) {
    const rows = store.db.prepare('SELECT * FROM floor_queue ORDER BY seq').all() as Array<{
      box: string;
      seq: number;
      name: string;
      status: FloorStatus;
      requested_at: number;
      error: string | null;
    }>;
    this.queue = rows.map((r) => ({ box: r.box, name: r.name, status: r.status, requestedAt: r.requested_at, seq: r.seq, error: r.error }));
    this.seq = rows.length ? rows[rows.length - 1].seq : 0;
    picture.onCreate((h) => {
      h.floor = this.find(h.box)?.status ?? null;
    });
    fleet.onEvent('floor', (box, body) => {
      if (body.action === 'declined') this.declined(box);
      else this.requested(box, typeof body.hall === 'string' ? body.hall : null);
    });
  }

  /** The queue in the server's order, as `visible` allows. */
  list(visible: (box: string) => boolean): QueueEntry[] {
    return this.queue
      .filter((e) => visible(e.box))
      .map((e) => ({ box: e.box, name: e.name, status: e.status, requestedAt: new Date(e.requestedAt).toISOString(), ...(e.error ? { error: e.error } : {}) }));
  }

  boxes(): ReadonlySet<string> {
    return new Set(this.queue.map((e) => e.box));
  }

  private find(box: string): Entry | undefined {
    return this.queue.find((e) => e.box === box);
  }

  private requested(box: string, hallName: string | null): void {
    const e = this.find(box);
    if (e && e.status !== 'declined') return; // asked already, or has the floor: keeps its place
    if (e) this.remove(e);
    const name = hallName ?? this.picture.get(box)?.name ?? box;
    this.add({ box, name, status: 'requested', requestedAt: Date.now(), seq: 0, error: null }, 'request', null);
  }

  private declined(box: string): void {
    const e = this.find(box);
    this.log(box, 'decline', null, e ? `was ${e.status}` : 'not in the queue');
    if (!e || e.status === 'declined') return;
    this.setStatus(e, 'declined');
  }

  /** Gives the floor to a hall that asked for it. */
  grant(box: string, operator: string): QueueEntry {
    const e = this.find(box);
    if (!e) throw new Conflict(`${box} has not asked for the floor (call on it instead)`);
    if (e.status === 'granted' || e.status === 'called') throw new Conflict(`${box} has the floor already`);
    this.store.tx(() => {
      this.setStatus(e, 'granted');
      this.log(box, 'grant', operator, null);
    });
    this.send(e, FLOOR_GRANT, {});
    return this.list((b) => b === box)[0];
  }

  /** Gives the floor to a hall that did not ask (a request is granted as such). */
  call(box: string, operator: string): QueueEntry {
    const e = this.find(box);
    if (e && e.status === 'requested') return this.grant(box, operator);
    if (e && (e.status === 'granted' || e.status === 'called')) throw new Conflict(`${box} has the floor already`);
    const entry: Entry = { box, name: this.picture.get(box)?.name ?? box, status: 'called', requestedAt: Date.now(), seq: 0, error: null };
    this.store.tx(() => {
      if (e) this.remove(e);
      this.add(entry, 'call', operator);
    });
    this.send(entry, FLOOR_GRANT, { called: true });
    return this.list((b) => b === box)[0];
  }

  /** Takes the floor back (or drops the request) and removes the hall from the queue. */
  revoke(box: string, operator: string): { box: string; removed: FloorStatus } {
    const e = this.find(box);
    if (!e) throw new NotFound(`${box} is not in the floor queue`);
    this.store.tx(() => {
      this.remove(e);
      this.log(box, 'revoke', operator, `was ${e.status}`);
    });
    this.send(e, FLOOR_REVOKE, {});
    return { box, removed: e.status };
  }

  /** The stored floor log, oldest first (of one meeting when given). */
  history(meeting: number | null, visible: (box: string) => boolean, limit = 5000): unknown[] {
    const rows = (
      meeting === null
        ? this.store.db.prepare('SELECT * FROM floor_log ORDER BY id DESC LIMIT ?').all(limit)
        : this.store.db.prepare('SELECT * FROM floor_log WHERE meeting = ? ORDER BY id DESC LIMIT ?').all(meeting, limit)
    ) as Array<{ ts: number; meeting: number | null; box: string; action: string; operator: string | null; detail: string | null }>;
    return rows
      .reverse()
      .filter((r) => visible(r.box))
      .map((r) => ({ ts: new Date(r.ts).toISOString(), meeting: r.meeting, box: r.box, action: r.action, operator: r.operator, detail: r.detail }));
  }

  private send(e: Entry, cmd: string, args: Record<string, unknown>): void {
    const corr = `fl-${++this.sent}-${Date.now()}`;
    const t = setTimeout(() => this.fleet.offReply(corr), (EXPIRY_S + 30) * 1000);
    this.fleet.onReply(corr, (r: Reply) => {
      clearTimeout(t);
      this.fleet.offReply(corr);
      this.answered(e.box, cmd, r);
    });
    this.fleet.send(cmd, args, { groups: [], boxes: [e.box] }, corr, EXPIRY_S);
  }

  private answered(box: string, cmd: string, r: Reply): void {
    const error = r.ok ? null : `${r.error?.code ?? 'error'}: ${r.error?.message ?? ''}`;
    if (error) this.log(box, `${cmd} failed`, null, error);
    const e = this.find(box);
    if (!e || e.error === error) return;
    e.error = error;
    this.store.db.prepare('UPDATE floor_queue SET error = ? WHERE box = ?').run(error, box);
    this.live.floorChanged();
  }

  private add(e: Entry, action: string, operator: string | null): void {
    e.seq = ++this.seq;
    this.store.tx(() => {
      this.store.db
        .prepare('INSERT INTO floor_queue (box, seq, name, status, requested_at, error) VALUES (?, ?, ?, ?, ?, NULL)')
        .run(e.box, e.seq, e.name, e.status, e.requestedAt);
      this.log(e.box, action, operator, null);
    });
    this.queue.push(e);
    this.mark(e.box, e.status);
    this.live.floorChanged();
  }

  private remove(e: Entry): void {
    this.store.db.prepare('DELETE FROM floor_queue WHERE box = ?').run(e.box);
    this.queue = this.queue.filter((x) => x !== e);
    this.mark(e.box, null);
    this.live.floorChanged();
  }

  private setStatus(e: Entry, status: FloorStatus): void {
    e.status = status;
    e.error = null;
    this.store.db.prepare('UPDATE floor_queue SET status = ?, error = NULL WHERE box = ?').run(status, e.box);
    this.mark(e.box, status);
    this.live.floorChanged();
  }

  private log(box: string, action: string, operator: string | null, detail: string | null): void {
    this.store.db
      .prepare('INSERT INTO floor_log (ts, meeting, box, action, operator, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(Date.now(), this.meeting(), box, action, operator, detail);
  }

  private mark(box: string, status: FloorStatus | null): void {
    this.picture.update(box, null, (h) => {
      h.floor = status;
    });
  }
}
