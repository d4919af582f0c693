// The audit log: every action an operator asked for (who, what, scope, when, outcome), refusals included. Written
// before the action is acknowledged; never updated.
import type { Db } from './db.js';

export type Outcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  operator: string | null;
  action: string;
  scope?: unknown;
  outcome: Outcome;
  detail?: string;
}

export interface AuditLine {
  ts: string;
  operator: string | null;
  action: string;
  scope: unknown;
  outcome: Outcome;
  detail: string | null;
}

interface Row {
  ts: number;
  operator: string | null;
  action: string;
  scope: string | null;
  outcome: Outcome;
  detail: string | null;
}

export class Audit {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO audit (ts, operator, action, scope, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  }

  write(e: AuditEntry): void {
    this.insert.run(Date.now(), e.operator, e.action, e.scope === undefined ? null : JSON.stringify(e.scope), e.outcome, e.detail ?? null);
  }

  /** Newest first; only `operator`'s lines when given. */
  list(limit: number, operator?: string): AuditLine[] {
    const rows = (
      operator === undefined
        ? this.db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM audit WHERE operator = ? ORDER BY id DESC LIMIT ?').all(operator, limit)
    ) as Row[];
    return rows.map((r) => ({
      ts: new Date(r.ts).toISOString(),
      operator: r.operator,
      action: r.action,
      scope: r.scope === null ? null : JSON.parse(r.scope),
      outcome: r.outcome,
      detail: r.detail,
    }));
  }
}
