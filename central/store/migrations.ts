// The database schema, as numbered migrations applied in order at open (PRAGMA user_version holds how many ran).
// A migration is never edited once shipped: a change is a new entry at the end. Times are ms since the epoch.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE operators (
    username   TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('national', 'provincial', 'viewer')),
    groups     TEXT NOT NULL DEFAULT '[]',
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,            -- sha256 of the cookie value: a copy of the database opens no session
    username   TEXT NOT NULL REFERENCES operators(username) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    address    TEXT,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(username);
  CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    ts       INTEGER NOT NULL,
    operator TEXT,
    action   TEXT NOT NULL,
    scope    TEXT,
    outcome  TEXT NOT NULL,
    detail   TEXT
  );
  CREATE INDEX audit_operator ON audit(operator, id);
  CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    bridge     TEXT NOT NULL,
    room       TEXT NOT NULL,
    token      TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
  );
  CREATE TABLE commands (
    id       INTEGER PRIMARY KEY,
    ts       INTEGER NOT NULL,
    operator TEXT NOT NULL,
    meeting  INTEGER,
    command  TEXT NOT NULL,
    args     TEXT NOT NULL,
    scope    TEXT NOT NULL,
    asked    INTEGER NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    ok       INTEGER NOT NULL DEFAULT 0,
    reached  INTEGER,
    done_at  INTEGER
  );
  CREATE TABLE rollcalls (
    id         INTEGER PRIMARY KEY,
    meeting    INTEGER NOT NULL,
    operator   TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    scope      TEXT NOT NULL,
    confirm_s  INTEGER NOT NULL
  );
  CREATE TABLE rollcall_answers (
    rollcall     INTEGER NOT NULL,
    box          TEXT NOT NULL,
    at           INTEGER,
    heard        INTEGER,
    seen         INTEGER,
    confirmed_at INTEGER,
    error        TEXT,
    PRIMARY KEY (rollcall, box)
  ) WITHOUT ROWID;
  CREATE TABLE floor_log (
    id       INTEGER PRIMARY KEY,
    ts       INTEGER NOT NULL,
    meeting  INTEGER,
    box      TEXT NOT NULL,
    action   TEXT NOT NULL,
    operator TEXT,
    detail   TEXT
  );
  CREATE INDEX floor_log_meeting ON floor_log(meeting, id);
  CREATE TABLE floor_queue (
    box          TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    error        TEXT
  );
  CREATE TABLE readiness_runs (
    id         INTEGER PRIMARY KEY,
    operator   TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    scope      TEXT NOT NULL,
    seconds    INTEGER NOT NULL
  );
  CREATE TABLE readiness_results (
    run      INTEGER NOT NULL,
    box      TEXT NOT NULL,
    status   TEXT NOT NULL,
    reason   TEXT,
    loss_pct REAL,
    rtt_ms   REAL,
    at       INTEGER,
    PRIMARY KEY (run, box)
  ) WITHOUT ROWID;
  CREATE TABLE incidents (
    id         INTEGER PRIMARY KEY,
    box        TEXT NOT NULL,
    meeting    INTEGER,
    opened_at  INTEGER NOT NULL,
    since      INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    cleared_at INTEGER,
    cleared_by TEXT
  );
  CREATE INDEX incidents_open ON incidents(cleared_at, box);
  CREATE TABLE suppressions (
    box      TEXT PRIMARY KEY,
    until    INTEGER NOT NULL,
    operator TEXT NOT NULL
  );
  `,
];
