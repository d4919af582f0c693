// The console's one SQLite file (better-sqlite3: synchronous, so a record is on disk before the line after the call
// runs). WAL with synchronous=FULL: every committed action survives a power cut. What arrives in bulk from halls
// (roll call answers, readiness results) is queued with later() and committed in one transaction every 100 ms, so
// 10,400 answers cost a few fsyncs, not 10,400.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export class Store {
  readonly db: Db;
  private pending: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  /** Runs `fn` in one transaction now. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Queues a write of data from halls; committed with the others within 100 ms (or at flush()). */
  later(fn: () => void): void {
    this.pending.push(fn);
    this.timer ??= setTimeout(() => this.flush(), 100);
  }

  /** Commits every queued write now (before a read that must see them). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.tx(() => {
      for (const fn of batch) fn();
    });
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}

/** Applies the migrations this file has not seen yet, each in its own transaction. */
export function migrate(db: Db): number {
  const have = db.pragma('user_version', { simple: true }) as number;
  if (have > MIGRATIONS.length) {
    throw new Error(`${db.name}: database schema version ${have} is newer than this diemcau-central knows (${MIGRATIONS.length})`);
  }
  for (let v = have; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length - have;
}
