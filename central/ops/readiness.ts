// The readiness sweep before a meeting: each hall of a scope runs `selftest` (a tone to the bridge; did it arrive,
// with what loss and RTT), at most `concurrency` at once across every sweep so that the bridge is not flooded.
// Each hall ends passed, failed with the reason (not heard, loss, RTT, a device missing, no answer...) or offline.
// Every hall is written (pending or offline) before the first selftest goes out; results as they come.
import type { Store } from '../store/db.js';
import type { Fleet, Reply } from '../fleet/fleet.js';
import type { Picture } from '../fleet/picture.js';
import { NotFound } from '../errors.js';
import { groupKind } from '../contract.js';
import type { Resolved } from './scope.js';
import type { LiveSink } from './live-sink.js';
import type { ReadyCounts } from '../wire.js';

/** A hall fails above these. */
export const MAX_LOSS_PCT = 5;
export const MAX_RTT_MS = 400;
/** Waited for an answer beyond the tone's own seconds (the agent's selftest timeout is 40 s). */
const ANSWER_MS = 45_000;

export type ReadyStatus = 'pending' | 'passed' | 'failed' | 'offline';

export type { ReadyCounts };

class Sweep {
  readonly queue: string[];
  readonly inflight = new Map<string, NodeJS.Timeout>();
  readonly counts: ReadyCounts = { passed: 0, failed: 0, offline: 0, pending: 0 };
  constructor(
    readonly id: number,
    readonly seconds: number,
    readonly targets: ReadonlySet<string>,
    pending: string[],
  ) {
    this.queue = pending;
  }
  get corr(): string {
    return `rd-${this.id}`;
  }
}

interface ResultRow {
  box: string;
  status: ReadyStatus;
  reason: string | null;
  loss_pct: number | null;
  rtt_ms: number | null;
  at: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class Readiness {
  private readonly sweeps = new Map<number, Sweep>();
  private running = 0;

  constructor(
    private readonly store: Store,
    private readonly fleet: Fleet,
    private readonly picture: Picture,
    private readonly live: LiveSink,
    private readonly concurrency: number,
  ) {}

  start(resolved: Resolved, seconds: number, operator: string): { id: number; counts: ReadyCounts } {
    const db = this.store.db;
    const now = Date.now();
    const pending: string[] = [];
    const offline: string[] = [];
    for (const b of resolved.boxes) (this.picture.get(b)?.presence === 'online' ? pending : offline).push(b);
    const id = this.store.tx(() => {
      const rid = Number(
        db.prepare('INSERT INTO readiness_runs (operator, started_at, scope, seconds) VALUES (?, ?, ?, ?)').run(operator, now, JSON.stringify(resolved.scope), seconds)
          .lastInsertRowid,
      );
      const ins = db.prepare('INSERT INTO readiness_results (run, box, status, reason, at) VALUES (?, ?, ?, ?, ?)');
      for (const b of pending) ins.run(rid, b, 'pending', null, null);
      for (const b of offline) ins.run(rid, b, 'offline', 'offline when the sweep started', now);
      return rid;
    });
    const s = new Sweep(id, seconds, new Set(resolved.boxes), pending);
    s.counts.pending = pending.length;
    s.counts.offline = offline.length;
    this.sweeps.set(id, s);
    this.fleet.onReply(s.corr, (r) => this.answered(s, r));
    this.pump();
    this.notify(s);
    return { id, counts: { ...s.counts } };
  }

  /** Starts selftests while fewer than `concurrency` run, oldest sweep first. */
  private pump(): void {
    for (const s of this.sweeps.values()) {
      while (this.running < this.concurrency && s.queue.length) {
        const box = s.queue.shift()!;
        if (this.picture.get(box)?.presence !== 'online') {
          this.result(s, box, 'offline', 'offline', null, null);
          continue;
        }
        this.running++;
        s.inflight.set(
          box,
          setTimeout(() => this.result(s, box, 'failed', 'no answer', null, null), s.seconds * 1000 + ANSWER_MS),
        );
        this.fleet.send('selftest', { seconds: s.seconds }, { groups: [], boxes: [box] }, s.corr, s.seconds + 60);
      }
      this.finishIfDone(s);
    }
  }

  private answered(s: Sweep, r: Reply): void {
    if (!s.inflight.has(r.box)) return;
    const reasons: string[] = [];
    let loss: number | null = null;
    let rtt: number | null = null;
    if (!r.ok) {
      const code = r.error?.code ?? 'error';
      reasons.push(code === 'unknown_command' ? 'selftest not available (media off on this hall)' : `${code}: ${r.error?.message ?? ''}`);
    } else {
      const res = (typeof r.result === 'object' && r.result !== null ? r.result : {}) as Record<string, unknown>;
      loss = num(res.lossPct);
      rtt = num(res.rttMs);
      if (res.received !== true) reasons.push('not heard: the bridge did not receive the tone');
      if (loss !== null && loss > MAX_LOSS_PCT) reasons.push(`loss ${loss} % (over ${MAX_LOSS_PCT} %)`);
      if (rtt !== null && rtt > MAX_RTT_MS) reasons.push(`rtt ${rtt} ms (over ${MAX_RTT_MS} ms)`);
    }
    const devices = this.picture.get(r.box)?.deviceProblem;
    if (devices) reasons.push(`device: ${devices}`);
    this.result(s, r.box, reasons.length ? 'failed' : 'passed', reasons.join('; ') || null, loss, rtt);
  }

  private result(s: Sweep, box: string, status: ReadyStatus, reason: string | null, loss: number | null, rtt: number | null): void {
    const t = s.inflight.get(box);
    if (t) {
      clearTimeout(t);
      s.inflight.delete(box);
      this.running--;
    }
    s.counts.pending--;
    s.counts[status === 'pending' ? 'pending' : status]++;
    const at = Date.now();
    this.store.later(() =>
      this.store.db
        .prepare('UPDATE readiness_results SET status = ?, reason = ?, loss_pct = ?, rtt_ms = ?, at = ? WHERE run = ? AND box = ?')
        .run(status, reason, loss, rtt, at, s.id, box),
    );
    this.notify(s);
    if (t) this.pump();
  }

  private finishIfDone(s: Sweep): void {
    if (s.queue.length || s.inflight.size || !this.sweeps.has(s.id)) return;
    this.sweeps.delete(s.id);
    this.fleet.offReply(s.corr);
    this.store.flush();
  }

  private notify(s: Sweep): void {
    this.live.progress('readiness', s.id, { id: s.id, counts: { ...s.counts } }, s.targets);
  }

  private rows(id: number): { run: { operator: string; started_at: number; scope: string; seconds: number }; rows: ResultRow[] } {
    this.store.flush();
    const run = this.store.db.prepare('SELECT * FROM readiness_runs WHERE id = ?').get(id) as
      | { operator: string; started_at: number; scope: string; seconds: number }
      | undefined;
    if (!run) throw new NotFound(`readiness ${id}: no such sweep`);
    return { run, rows: this.store.db.prepare('SELECT * FROM readiness_results WHERE run = ? ORDER BY box').all(id) as ResultRow[] };
  }

  boxes(id: number): string[] {
    return this.rows(id).rows.map((r) => r.box);
  }

  get(id: number): Record<string, unknown> {
    const { run, rows } = this.rows(id);
    const counts: ReadyCounts = { passed: 0, failed: 0, offline: 0, pending: 0 };
    const byGroup: Record<string, ReadyCounts> = {};
    for (const r of rows) {
      counts[r.status]++;
      for (const g of this.picture.get(r.box)?.groups ?? []) {
        if (groupKind(g) !== 'province') continue;
        (byGroup[g] ??= { passed: 0, failed: 0, offline: 0, pending: 0 })[r.status]++;
      }
    }
    return {
      id,
      operator: run.operator,
      startedAt: new Date(run.started_at).toISOString(),
      scope: JSON.parse(run.scope),
      seconds: run.seconds,
      counts,
      byGroup,
      results: rows.map((r) => ({
        box: r.box,
        status: r.status,
        reason: r.reason,
        lossPct: r.loss_pct,
        rttMs: r.rtt_ms,
        at: r.at === null ? null : new Date(r.at).toISOString(),
      })),
    };
  }

  /** The report to download: one line per hall. */
  csv(id: number): string {
    const { rows } = this.rows(id);
    const lines = ['box,name,carrier,groups,status,reason,loss_pct,rtt_ms,at'];
    for (const r of rows) {
      const h = this.picture.get(r.box);
      lines.push(
        [r.box, h?.name ?? '', h?.carrier ?? '', (h?.groups ?? []).join(' '), r.status, r.reason ?? '', r.loss_pct ?? '', r.rtt_ms ?? '', r.at === null ? '' : new Date(r.at).toISOString()]
          .map(csvCell)
          .join(','),
      );
    }
    return lines.join('\r\n') + '\r\n';
  }

  stop(): void {
    for (const s of this.sweeps.values()) for (const t of s.inflight.values()) clearTimeout(t);
    this.sweeps.clear();
    this.store.flush();
  }
}

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with '. */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
